"""A Logic run cancelled inside its long step leaves the scene as it was (issue 12), on the slicer-core wheel.

The Cancel comes from a progress callback that raises `Cancelled` at its N-th call (what the Slicer
progress dialog and the web app's job bar do); the scene is compared before and after by its node count
and by the rows of the tables the module shows, and an earlier result must still be the one shown.
"""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology.frames import lps_to_ras


def _table_rows(node) -> int:
    return node.GetNumberOfRows() if node is not None else -1


def test_longitudinal_matching_cancelled_during_registration_keeps_the_earlier_tracks(
        a_scene, a_coarse_phantom_patient, cancel_at_call):
    from deepradiology.longitudinal.phantom_eval import phantom_studies
    from deepradiology_mrml.logic.longitudinal import LongitudinalMatchLogic, StudyInput
    from deepradiology_mrml.volumes import image_to_volume_node

    studies = phantom_studies(a_coarse_phantom_patient, with_images=False)
    inputs = [StudyInput(image_to_volume_node(a_scene, s.ct, s.plan.study_id), study.lesions, s.plan.date)
              for s, study in zip(a_coarse_phantom_patient.studies, studies)]
    logic = LongitudinalMatchLogic(a_scene)
    earlier = logic.run(inputs, register=False)
    nodes, tracks_rows, response_rows = (a_scene.GetNumberOfNodes(), _table_rows(logic.tracks_table),
                                         _table_rows(logic.response_table))
    cancel = cancel_at_call(10)      # inside the first follow-up's rigid registration
    cancel.run_until_cancelled(lambda: logic.run(inputs, register=True, progress=cancel), within_s=2.0)
    assert any("iteration" in m for m in cancel.messages), "the Logic's progress did not reach the registration"
    assert a_scene.GetNumberOfNodes() == nodes
    assert (_table_rows(logic.tracks_table), _table_rows(logic.response_table)) == (tracks_rows, response_rows)
    assert logic.result is earlier and logic.volume_node("S1") is inputs[1].volume_node


def test_a_measurement_cancelled_during_3d_propagation_adds_no_segment_and_no_table_row(
        a_scene, a_coarse_phantom_patient, cancel_at_call):
    from deepradiology_mrml.logic.recist import RECISTAssistLogic
    from deepradiology_mrml.volumes import image_to_volume_node

    study = a_coarse_phantom_patient.studies[0]
    volume = image_to_volume_node(a_scene, study.ct, "baseline CT")
    first, second = study.lesions[:2]
    logic = RECISTAssistLogic(a_scene)
    logic.measure(volume, lps_to_ras(np.asarray(first["centre_lps"])))
    probe = []                       # a full measurement of the second lesion, to find its slice reports
    logic.measure(volume, lps_to_ras(np.asarray(second["centre_lps"])),
                  progress=lambda f, m="": probe.append(m))
    slice_calls = [n for n, m in enumerate(probe, start=1) if m.startswith("slice")]
    assert len(slice_calls) >= 3, "3D propagation must report every slice"
    logic.undo()                     # back to the first lesion only
    nodes, rows = a_scene.GetNumberOfNodes(), _table_rows(logic.table_for(volume))
    assert rows == 1

    cancel = cancel_at_call(slice_calls[1])      # at the second propagated slice
    cancel.run_until_cancelled(lambda: logic.measure(volume, lps_to_ras(np.asarray(second["centre_lps"])),
                                                     progress=cancel))
    assert a_scene.GetNumberOfNodes() == nodes and _table_rows(logic.table_for(volume)) == rows
    assert [lesion.lesion_id for lesion in logic.lesions_of(volume)] == [lesion.lesion_id for lesion in logic.lesions]


def test_a_first_query_cancelled_while_the_index_is_built_saves_no_index_and_adds_no_node(
        a_scene, a_coarse_phantom_patient, tmp_path, cancel_at_call):
    from deepradiology.lesion import Lesion
    from deepradiology.retrieval import LesionDatabase, import_lesions
    from deepradiology.retrieval.index import index_path_for
    from deepradiology_mrml.logic.retrieval import LesionRetrievalLogic
    from deepradiology_mrml.volumes import image_to_volume_node

    study = a_coarse_phantom_patient.studies[0]
    lesions = [Lesion(t["lesion_id"], patient="P1", study="S0", long_axis_lps=t["long_axis_lps"],
                      short_axis_lps=t["short_axis_lps"], long_axis_mm=t["long_axis_mm"],
                      short_axis_mm=t["short_axis_mm"], lesion_type=t["lesion_type"]) for t in study.lesions]
    db_path = tmp_path / "lesions.db"
    with LesionDatabase(db_path) as db:
        import_lesions(db, lesions, image=study.ct, source="test")
    volume = image_to_volume_node(a_scene, study.ct, "query CT")
    click = lps_to_ras(np.asarray(study.lesions[0]["centre_lps"]))
    logic = LesionRetrievalLogic(a_scene, db_path)
    nodes = a_scene.GetNumberOfNodes()
    model = logic.embedder.name
    assert not index_path_for(db_path, model).exists()

    index = index_path_for(db_path, model)
    probe = []                       # a full first query, to find the index build's first report
    logic.query_at_point(volume, click, k=3, progress=lambda f, m="": probe.append(m))
    assert index.exists()
    index.unlink()
    index.with_name(index.name + ".json").unlink()
    cancel = cancel_at_call(next(n for n, m in enumerate(probe, start=1) if m.startswith("building")))
    cancel.run_until_cancelled(lambda: logic.query_at_point(volume, click, k=3, progress=cancel))
    assert not index.exists(), "a cancelled first query saved an index"
    assert a_scene.GetNumberOfNodes() == nodes
    assert len(logic.query_at_point(volume, click, k=3)) == 3     # and the next query works
    logic.close()
