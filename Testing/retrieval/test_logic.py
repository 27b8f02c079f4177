"""LesionRetrievalLogic on the slicer-core wheel: query by click and by RECIST lines, thumbnails, loading."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("slicer", reason="the Logic tests need the slicer-core wheel (pip install 'deepradiology[mrml]')")

from deepradiology.errors import InputError  # noqa: E402
from deepradiology.frames import lps_to_ras  # noqa: E402


@pytest.fixture(scope="module")
def a_new_patient():
    """A phantom patient who is not in the database (seed 15)."""
    from deepradiology.phantom import generate_phantom

    phantom = generate_phantom(15, n_studies=1, spacing=(1.6, 1.6, 4.0))
    return phantom.plan.patient_id, phantom.studies[0]


@pytest.fixture
def logic(a_scene, phantom_database):
    from deepradiology_mrml.logic.retrieval import LesionRetrievalLogic

    shared = LesionRetrievalLogic(a_scene, phantom_database)
    yield shared
    shared.close()


def test_a_click_on_a_new_patients_liver_lesion_finds_liver_lesions_with_thumbnails(logic, a_scene, a_new_patient):
    from deepradiology_mrml.volumes import image_to_volume_node

    patient, study = a_new_patient
    volume = image_to_volume_node(a_scene, study.ct, "CT")
    truth = next(t for t in study.lesions if t["lesion_type"] == "liver")
    results = logic.query_at_point(volume, lps_to_ras(np.asarray(truth["centre_lps"])), k=4, patient=patient)
    assert [r.rank for r in results] == [1, 2, 3, 4]
    assert results[0].record["lesion_type"] == "liver"
    thumb = results[0].thumbnail_array
    assert thumb is not None and thumb.ndim == 2 and thumb.dtype == np.uint8
    assert "liver" in results[0].label and results[0].closest_by


def test_a_recist_lesion_with_filters_returns_only_matching_lesions(logic, a_scene, a_new_patient):
    from deepradiology_mrml.markups import add_recist_lines
    from deepradiology_mrml.volumes import image_to_volume_node

    patient, study = a_new_patient
    volume = image_to_volume_node(a_scene, study.ct, "CT")
    truth = next(t for t in study.lesions if t["lesion_type"] == "kidney")
    long_node, short_node = add_recist_lines(a_scene, "L1", truth["long_axis_lps"], truth["short_axis_lps"])
    results = logic.query_recist(volume, long_node, short_node, k=3, patient=patient, other_patients=True,
                                 types=("kidney",), size_range_mm=(5, 60))
    assert results and all(r.record["lesion_type"] == "kidney" for r in results)
    assert all(5 <= r.record["long_axis_mm"] <= 60 for r in results)
    table = logic.results_to_table(results)
    assert table.GetTable().GetNumberOfRows() == len(results)


def test_double_clicking_a_neighbour_loads_its_volume_and_recist_lines(logic, a_scene, a_new_patient):
    from deepradiology_mrml.volumes import image_to_volume_node

    _, study = a_new_patient
    volume = image_to_volume_node(a_scene, study.ct, "CT")
    truth = study.lesions[0]
    best = logic.query_at_point(volume, lps_to_ras(np.asarray(truth["centre_lps"])), k=1)[0]
    before = a_scene.GetNumberOfNodesByClass("vtkMRMLScalarVolumeNode")
    node, lines = logic.load_neighbour(best)
    assert a_scene.GetNumberOfNodesByClass("vtkMRMLScalarVolumeNode") == before + 1
    assert node.GetImageData() is not None and lines is not None
    assert lines[0].GetNumberOfControlPoints() == 2


def test_a_click_outside_the_volume_is_refused_and_adds_no_nodes(logic, a_scene, a_new_patient):
    from deepradiology_mrml.volumes import image_to_volume_node

    _, study = a_new_patient
    volume = image_to_volume_node(a_scene, study.ct, "CT")
    nodes = a_scene.GetNumberOfNodes()
    with pytest.raises(InputError, match="outside"):
        logic.query_at_point(volume, [5000.0, 0.0, 0.0])
    assert a_scene.GetNumberOfNodes() == nodes


def test_a_metadata_only_neighbour_cannot_be_loaded(a_scene, tmp_path):
    from deepradiology.lesion import Lesion
    from deepradiology.retrieval import LesionDatabase, import_lesions
    from deepradiology_mrml.logic.retrieval import LesionRetrievalLogic

    with LesionDatabase(tmp_path / "meta.db") as db:
        import_lesions(db, [Lesion(f"L{n}", patient=str(n), long_axis_mm=10.0 + n, short_axis_mm=5.0,
                                   normalized_location=(0.5, 0.5, 0.1 * n), lesion_type="lung") for n in range(6)],
                       source="meta")
    logic = LesionRetrievalLogic(a_scene, tmp_path / "meta.db")
    try:
        query = Lesion("q", long_axis_mm=11.0, short_axis_mm=5.0, normalized_location=(0.5, 0.5, 0.1))
        results = logic.query_lesion(query, k=2)
        assert results[0].record["patient"] == "1" and results[0].thumbnail_png is None
        with pytest.raises(InputError, match="no image available"):
            logic.load_neighbour(results[0])
    finally:
        logic.close()


def test_lesions_measured_in_the_scene_are_added_once_and_then_found(a_scene, a_new_patient, tmp_path):
    from deepradiology_mrml.logic.retrieval import LesionRetrievalLogic
    from deepradiology_mrml.markups import add_recist_lines
    from deepradiology_mrml.tables import records_to_table
    from deepradiology_mrml.volumes import image_to_volume_node

    patient, study = a_new_patient
    volume = image_to_volume_node(a_scene, study.ct, "CT")
    rows = []
    for n, t in enumerate(study.lesions[:3], start=1):
        add_recist_lines(a_scene, f"L{n}", t["long_axis_lps"], t["short_axis_lps"])
        rows.append({"lesion": f"L{n}", "slice": t["key_slice"], "long mm": t["long_axis_mm"],
                     "short mm": t["short_axis_mm"], "volume mL": 1.0, "location": t["organ"]})
    table = records_to_table(a_scene, rows, "RECIST lesions")
    logic = LesionRetrievalLogic(a_scene, tmp_path / "scene.db", create=True)
    try:
        rep = logic.add_measured_lesions(volume, patient=patient, study="S0", table_node=table)
        assert rep.added == 3 and not rep.skipped
        assert logic.add_measured_lesions(volume, patient=patient, study="S0", table_node=table).added == 0
        stored = logic.db.get(1).lesion
        assert stored.lesion_id == "L1" and stored.location == study.lesions[0]["organ"]
        assert stored.long_axis_mm == pytest.approx(study.lesions[0]["long_axis_mm"], abs=0.01)
        t = study.lesions[1]
        found = logic.query_at_point(volume, lps_to_ras(np.asarray(t["centre_lps"])), k=1)
        assert found[0].record["uid"].endswith("/L2")
    finally:
        logic.close()
