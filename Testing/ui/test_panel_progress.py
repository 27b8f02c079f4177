"""A panel's progress and Cancel on real Qt widgets (PySide6 offscreen): the bar follows the work, the
buttons that start work are disabled meanwhile, and a click on Cancel during a long step stops it at the
next progress call (issue 12: CXR folder scoring blocked Slicer's UI with no way to stop it)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="module")
def qt():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    widgets = pytest.importorskip("PySide6.QtWidgets", reason="PySide6 is not installed: pip install PySide6")
    app = widgets.QApplication.instance() or widgets.QApplication([])
    return widgets, app


@pytest.fixture
def panel(qt):
    from deepradiology_mrml.panel_progress import PanelProgress

    widgets, app = qt
    bar, label = widgets.QProgressBar(), widgets.QLabel()
    cancel, score = widgets.QPushButton("Cancel"), widgets.QPushButton("Score folder")
    cancel.setEnabled(False)
    progress = PanelProgress(bar, label, cancel, app.processEvents, busy_widgets=(score,))
    cancel.clicked.connect(progress.cancel)
    yield progress, bar, label, cancel, score
    for widget in (bar, label, cancel, score):
        widget.deleteLater()


def test_the_bar_and_label_follow_the_work_and_start_buttons_wait(panel):
    progress, bar, label, cancel, score = panel
    seen = []
    with progress:
        for step in range(1, 5):
            progress(step / 4, f"scored {step} of 4 films")
            seen.append((bar.value(), label.text(), score.isEnabled(), cancel.isEnabled()))
    assert seen == [(25, "scored 1 of 4 films", False, True), (50, "scored 2 of 4 films", False, True),
                    (75, "scored 3 of 4 films", False, True), (100, "scored 4 of 4 films", False, True)]
    assert score.isEnabled() and not cancel.isEnabled() and bar.value() == 0


def test_a_click_on_cancel_during_the_work_stops_it_at_the_next_progress_call(panel):
    from PySide6.QtCore import QTimer

    from deepradiology.progress import Cancelled

    progress, bar, label, cancel, score = panel
    done = []
    with pytest.raises(Cancelled):
        with progress:
            for step in range(1, 11):
                if step == 3:
                    QTimer.singleShot(0, cancel.click)  # the user clicks while film 3 is scored
                done.append(step)
                progress(step / 10, f"scored {step} of 10 films")
    assert done == [1, 2, 3], "the work went on after Cancel"
    assert score.isEnabled() and not cancel.isEnabled(), "the panel was not given back after the cancel"


def test_a_new_run_after_a_cancel_is_not_cancelled_at_once(panel):
    progress, *_ = panel
    progress.cancel()
    with progress:
        progress(0.5, "half")  # no Cancelled: the earlier request belonged to the earlier run
