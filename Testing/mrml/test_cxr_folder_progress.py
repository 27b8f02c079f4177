"""CXR folder scoring reports progress per film and up to the written worklist, and can be cancelled
without leaving a half-made worklist (issue 12: it blocked Slicer's UI with no way to stop it)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch", reason="torch is not installed: pip install 'deepradiology[torch]'")

FINDINGS = ("Cardiomegaly", "Effusion", "Mass", "Pneumothorax")


@pytest.fixture
def three_films(tmp_path):
    from PIL import Image

    from deepradiology.cxr.synthetic import synthetic_film

    folder = tmp_path / "films"
    folder.mkdir()
    rng = np.random.default_rng(3)
    for n in range(3):
        film = synthetic_film(rng, size=96)
        Image.fromarray((film.array * 255).astype(np.uint8)).save(folder / f"film{n}.png")
    return folder


@pytest.fixture
def an_untrained_model(tmp_path):
    from deepradiology.cxr.testing import untrained_checkpoint

    return untrained_checkpoint(tmp_path / "cxr.pt", fixed={}, operating_points={f: 0.5 for f in FINDINGS})


def test_folder_progress_reaches_one_only_once_the_worklist_is_written(a_scene, three_films, an_untrained_model,
                                                                     tmp_path):
    from deepradiology_mrml.logic.cxr import CXRTriageLogic

    csv = tmp_path / "out" / "worklist.csv"
    calls = []
    logic = CXRTriageLogic(a_scene, model=str(an_untrained_model))
    table, rows = logic.run_folder(three_films, worklist_csv=csv,
                                   progress=lambda f, m="": calls.append((f, m, csv.exists())))
    fractions = [f for f, _, _ in calls]
    assert fractions == sorted(fractions) and 0.0 <= fractions[0] and fractions[-1] == 1.0
    assert sum("scored" in m for _, m, _ in calls) == 3, "one report per film"
    assert all(written for f, _, written in calls if f == 1.0), "1.0 was reported before the worklist existed"
    assert not any(written for f, _, written in calls if f < 1.0)
    assert len(rows) == 3 and table.GetNumberOfRows() == 3


def test_a_folder_run_cancelled_at_the_second_film_writes_no_worklist_and_adds_no_table(
        a_scene, three_films, an_untrained_model, tmp_path):
    from deepradiology.progress import Cancelled
    from deepradiology_mrml.logic.cxr import CXRTriageLogic

    csv = tmp_path / "out" / "worklist.csv"
    seen = []

    def cancel_at_the_second_film(fraction, message=""):
        seen.append(message)
        if message.startswith("scored 2"):
            raise Cancelled("test cancel")

    logic = CXRTriageLogic(a_scene, model=str(an_untrained_model))
    before = a_scene.GetNumberOfNodes()
    with pytest.raises(Cancelled):
        logic.run_folder(three_films, worklist_csv=csv, progress=cancel_at_the_second_film)
    assert not csv.exists(), "a cancelled run wrote a worklist"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir()), "heatmap overlays were left"
    assert a_scene.GetNumberOfNodes() == before
    assert a_scene.GetFirstNodeByName("CXR worklist") is None


def test_a_click_on_the_panel_s_cancel_while_the_folder_is_scored_keeps_nothing(a_scene, three_films,
                                                                               an_untrained_model, tmp_path):
    """The module's own wiring: `PanelProgress` on real Qt widgets (PySide6 offscreen) as the Logic's progress."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    widgets = pytest.importorskip("PySide6.QtWidgets", reason="PySide6 is not installed: pip install PySide6")
    from PySide6.QtCore import QTimer

    from deepradiology.progress import Cancelled
    from deepradiology_mrml.logic.cxr import CXRTriageLogic
    from deepradiology_mrml.panel_progress import PanelProgress

    app = widgets.QApplication.instance() or widgets.QApplication([])
    bar, label, cancel = widgets.QProgressBar(), widgets.QLabel(), widgets.QPushButton("Cancel")
    progress = PanelProgress(bar, label, cancel, app.processEvents)
    cancel.clicked.connect(progress.cancel)
    csv = tmp_path / "out" / "worklist.csv"
    logic = CXRTriageLogic(a_scene, model=str(an_untrained_model))
    before = a_scene.GetNumberOfNodes()
    with pytest.raises(Cancelled):
        with progress:
            QTimer.singleShot(0, cancel.click)  # the user clicks Cancel as soon as the panel is busy
            logic.run_folder(three_films, worklist_csv=csv, progress=progress)
    assert not csv.exists()
    assert a_scene.GetNumberOfNodes() == before
    assert not cancel.isEnabled() and bar.value() == 0
