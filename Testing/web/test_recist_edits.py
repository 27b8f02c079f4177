"""The web RECIST panel's edit chain in-process (issue 11, item 3), on a real MRML scene and trame state:
a dragged endpoint re-measures the row and the study's record, undo undoes the last action and leaves
no seed point, a lesion the study already lists keeps one record, lines show only on their own study.

Expected lengths are the distances between the endpoints the test puts there, computed here by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

pytest.importorskip("slicer", reason="the panel tests need the slicer-core wheel (pip install 'deepradiology[mrml]')")
pytest.importorskip("trame", reason="the panel tests need trame (pip install 'deepradiology[web]')")


class _Viewer:
    def centre_on(self, _lps):
        pass

    def slice_views(self):   # draws nothing: no views to drag a box in
        return []

    def schedule_render(self):
        pass


class _Jobs:
    """Runs the job at once, on this thread (the app runs it on a worker thread)."""

    def start(self, _title, work, *, on_done, **_):
        on_done(work(lambda *_: None))


@dataclass
class _Info:
    name: str
    study_id: str
    patient: str
    lesions: str


class _Studies:
    def __init__(self, studies):
        self.studies = studies
        self.current = studies[0]
        self._listeners = []

    def on_change(self, listener):
        self._listeners.append(listener)

    def show(self, study):
        self.current = study
        for listener in self._listeners:
            listener(study)


@pytest.fixture
def a_panel(a_scene, a_coarse_phantom_patient, tmp_path):
    from trame.app import get_server

    from deepradiology.lesion import save_lesions
    from deepradiology.longitudinal.phantom_eval import phantom_lesion
    from deepradiology_mrml.volumes import image_to_volume_node
    from deepradiology_web.lesion_book import LesionBook
    from deepradiology_web.panels.base import Workspace
    from deepradiology_web.panels.recist import RECISTPanel
    from deepradiology_web.picking import PointPicker
    from deepradiology_web.studies import OpenStudy

    server = get_server(f"recist-edits-{tmp_path.name}", client_type="vue3")
    studies = []
    for number, study in enumerate(a_coarse_phantom_patient.studies[:2]):
        prior = [phantom_lesion(t, patient="p", study=f"S{number}") for t in study.lesions]
        path = save_lesions(prior, tmp_path / f"s{number}.json", force=True)
        node = image_to_volume_node(a_scene, study.ct, f"study {number}")
        studies.append(OpenStudy(_Info(f"study {number}", f"S{number}", "p", str(path)), node))
    study_list = _Studies(studies)
    class _Markups:
        def place_node(self, *_a, **_k):
            pass

        def disable_place_mode(self):
            pass

    picker = PointPicker(scene=a_scene, markups_logic=_Markups(), state=server.state)
    book = LesionBook(studies=study_list)
    ws = Workspace(server=server, scene=a_scene, viewer=_Viewer(), picker=picker, jobs=_Jobs(),
                   studies=study_list, lesions=book, case=None)
    return RECISTPanel(ws), ws, a_coarse_phantom_patient.studies[0]


def _row(ws, lesion="L1"):
    return next(r for r in ws.state.recist_rows if r["lesion"] == lesion)


def test_drag_remeasures_undo_steps_back_one_record_per_lesion(a_panel):
    from deepradiology.frames import lps_to_ras

    panel, ws, truth_study = a_panel
    truth = max(truth_study.lesions, key=lambda t: t["long_axis_mm"])
    study = ws.studies.current
    n_before = len(ws.lesions.lesions_for(study))
    prior_long = {r.lesion_id: r.long_axis_mm for r in ws.lesions.lesions_for(study)}

    # The seed point the click leaves, as the picker leaves it.
    picker_node = ws.picker._ensure_node()
    picker_node.AddControlPoint([float(c) for c in lps_to_ras(np.asarray(truth["centre_lps"]))])
    panel._measure_at(np.asarray(truth["centre_lps"], dtype=float))
    measured_long = float(_row(ws)["long mm"])
    # The study already lists this lesion (its prior reading): still one record, and the page says so.
    assert len(ws.lesions.lesions_for(study)) == n_before
    assert "already lists this lesion" in ws.state.recist_last
    record_id = _row(ws)["record"]
    assert record_id and record_id != "L1"
    record = next(r for r in ws.lesions.lesions_for(study) if r.lesion_id == record_id)
    assert record.long_axis_mm == pytest.approx(measured_long, abs=0.06)

    # Drag one end of the long axis 6 mm further out (as the slice view's widget does: one point moves).
    long_node = ws.scene.GetFirstNodeByName("L1 long")
    p0 = np.array(long_node.GetNthControlPointPositionWorld(0))
    p1 = np.array(long_node.GetNthControlPointPositionWorld(1))
    direction = (p1 - p0) / np.linalg.norm(p1 - p0)
    long_node.SetNthControlPointPositionWorld(1, *(p1 + 6.0 * direction))
    expected = float(np.linalg.norm(p1 + 6.0 * direction - p0))     # by hand
    assert float(_row(ws)["long mm"]) == pytest.approx(expected, abs=0.06)
    record = next(r for r in ws.lesions.lesions_for(study) if r.lesion_id == record_id)
    assert record.long_axis_mm == pytest.approx(expected, abs=0.06)

    # Undo undoes that drag only: the line, the row and the record are back, the lesion stays.
    panel.undo()
    assert float(_row(ws)["long mm"]) == pytest.approx(measured_long, abs=0.06)
    back = np.array(ws.scene.GetFirstNodeByName("L1 long").GetNthControlPointPositionWorld(1))
    assert np.allclose(back, p1, atol=1e-3)
    assert picker_node.GetNumberOfControlPoints() == 0   # no seed point left behind

    # Lines measured on study 0 are not drawn on study 1's views, and come back with study 0.
    ws.studies.show(ws.studies.studies[1])
    assert not ws.scene.GetFirstNodeByName("L1 long").GetDisplayNode().GetVisibility()
    ws.studies.show(ws.studies.studies[0])
    assert ws.scene.GetFirstNodeByName("L1 long").GetDisplayNode().GetVisibility()

    # The next undo removes the measurement, and the prior record gets its own values back.
    panel.undo()
    assert ws.state.recist_rows == [] and ws.scene.GetFirstNodeByName("L1 long") is None
    assert len(ws.lesions.lesions_for(study)) == n_before
    restored = next(r for r in ws.lesions.lesions_for(study) if r.lesion_id == record_id)
    assert restored.long_axis_mm == prior_long[record_id]
    assert "measured_as" not in (restored.extra or {})
    panel.undo()
    assert ws.state.recist_last == "Nothing to undo."


def test_releasing_a_drag_remakes_the_mask_and_the_study_s_record_takes_its_volume(a_panel):
    from slicer import vtkMRMLMarkupsNode

    panel, ws, truth_study = a_panel
    truth = max(truth_study.lesions, key=lambda t: t["long_axis_mm"])
    study = ws.studies.current
    panel._measure_at(np.asarray(truth["centre_lps"], dtype=float))
    measured_long, volume_before = float(_row(ws)["long mm"]), float(_row(ws)["volume mL"])
    record_id = _row(ws)["record"]

    # Drag one end of the long axis in to 60 % of its length, then let go (the widget's end of interaction).
    long_node = ws.scene.GetFirstNodeByName("L1 long")
    p0 = np.array(long_node.GetNthControlPointPositionWorld(0))
    p1 = np.array(long_node.GetNthControlPointPositionWorld(1))
    long_node.SetNthControlPointPositionWorld(1, *(p0 + 0.6 * (p1 - p0)))
    long_node.InvokeEvent(vtkMRMLMarkupsNode.PointEndInteractionEvent)

    row = _row(ws)
    assert float(row["long mm"]) == pytest.approx(0.6 * float(np.linalg.norm(p1 - p0)), abs=0.06)   # by hand
    assert float(row["volume mL"]) < volume_before            # a lesion drawn smaller: a smaller mask
    record = next(r for r in ws.lesions.lesions_for(study) if r.lesion_id == record_id)
    # the table shows mL to 0.1; the record holds the remade mask's volume, not the pre-drag one
    assert record.volume_ml == pytest.approx(float(row["volume mL"]), abs=0.051)

    # The moves and the release were one drag: one undo puts the line back.
    panel.undo()
    assert float(_row(ws)["long mm"]) == pytest.approx(measured_long, abs=0.06)
