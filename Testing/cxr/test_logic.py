"""CXRTriage's Logic on a real MRML scene (slicer-core): films, findings, heatmaps, boxes, reports, worklists."""

from __future__ import annotations

import pytest

pytest.importorskip("slicer", reason="the Logic tests need the slicer-core wheel (pip install 'deepradiology[mrml]')")

from deepradiology.errors import InputError, ModelError  # noqa: E402


@pytest.fixture
def no_installed_models(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPRADIOLOGY_MODELS", str(tmp_path / "no_models"))


def test_without_a_model_the_panel_says_how_to_get_one_and_reports_still_label(a_scene, no_installed_models):
    from deepradiology_mrml.logic.cxr import CXRTriageLogic
    from deepradiology_mrml.tables import table_to_records

    logic = CXRTriageLogic(a_scene)
    usable, message = logic.model_status()
    assert not usable and "cxr train" in message
    labels, table = logic.label_report_text("No pneumothorax. Small right pleural effusion. Cannot exclude pneumonia.")
    rows = {r["finding"]: r for r in table_to_records(table)}
    assert rows["Effusion"]["report"] == "asserted" and rows["Pneumothorax"]["report"] == "negated"
    assert rows["Pneumonia"]["report"] == "uncertain" and labels.labels["normal"] == 0
    assert rows["Edema"]["report"] == "not mentioned" and rows["Pneumothorax"]["report_sentence"] == "no pneumothorax."


def test_running_a_film_without_a_model_raises_and_adds_no_table(a_scene, no_installed_models, shared_data):
    from deepradiology_mrml.logic.cxr import CXRTriageLogic

    logic = CXRTriageLogic(a_scene)
    node, warnings = logic.load_film(shared_data / "cxr" / "nih" / "00000001_000.png")
    tables = a_scene.GetNumberOfNodesByClass("vtkMRMLTableNode")
    with pytest.raises(ModelError, match="cxr train"):
        logic.run(node)
    assert a_scene.GetNumberOfNodesByClass("vtkMRMLTableNode") == tables


def test_a_ct_slice_is_refused_and_leaves_no_node(a_scene, shared_data):
    from deepradiology_mrml.logic.cxr import CXRTriageLogic

    before = a_scene.GetNumberOfNodesByClass("vtkMRMLScalarVolumeNode")
    with pytest.raises(InputError, match="not a chest radiograph"):
        CXRTriageLogic(a_scene).load_film(shared_data / "ct" / "pydicom" / "CT_small.dcm")
    assert a_scene.GetNumberOfNodesByClass("vtkMRMLScalarVolumeNode") == before


@pytest.mark.slow
def test_a_film_is_scored_with_heatmap_boxes_and_report_disagreements(a_scene, a_synthetic_cxr_model, shared_data):
    from deepradiology_mrml.logic.cxr import HEATMAP_COLOR_NODE_ID, CXRTriageLogic
    from deepradiology_mrml.tables import table_to_records

    path, _ = a_synthetic_cxr_model
    logic = CXRTriageLogic(a_scene, model=str(path))
    film, _ = logic.load_film(shared_data / "cxr" / "siim" / "siim_ptx_negative.dcm")
    score = logic.run(film)
    assert set(score.probabilities) == {"Cardiomegaly", "Effusion", "Mass", "Pneumothorax"}
    top = max(score.probabilities, key=score.probabilities.get)
    heat, rois = logic.show_finding(film, top)
    assert heat.GetDisplayNode().GetColorNodeID() == HEATMAP_COLOR_NODE_ID
    assert heat.GetImageData().GetDimensions() == film.GetImageData().GetDimensions()
    assert 1 <= len(rois) <= 3
    bounds = [0.0] * 6
    film.GetRASBounds(bounds)
    for roi in rois:
        centre = roi.GetCenter()
        assert bounds[0] - 1 <= centre[0] <= bounds[1] + 1 and bounds[2] - 1 <= centre[1] <= bounds[3] + 1
    # A report that negates whatever the image flags is flagged as a disagreement.
    negations = " ".join(f"No {f.lower()}." for f in score.flagged) or "Normal chest."
    _, table = logic.label_report_text(negations, volume_node=film)
    rows = {r["finding"]: r for r in table_to_records(table)}
    for finding in score.flagged:
        assert "report does not assert" in rows[finding]["disagreement"]
    # Showing another finding replaces the boxes rather than piling them up.
    logic.show_finding(film, "Effusion")
    assert a_scene.GetNumberOfNodesByClass("vtkMRMLMarkupsROINode") <= 3


@pytest.mark.slow
def test_folder_mode_fills_a_worklist_table_most_urgent_first(a_scene, a_synthetic_cxr_model, shared_data, tmp_path):
    from deepradiology_mrml.logic.cxr import CXRTriageLogic
    from deepradiology_mrml.tables import table_to_records

    path, _ = a_synthetic_cxr_model
    table, rows = CXRTriageLogic(a_scene, model=str(path)).run_folder(shared_data / "cxr" / "nih",
                                                                       worklist_csv=tmp_path / "w.csv")
    records = table_to_records(table)
    assert len(records) == 4 and [r["rank"] for r in records] == [1, 2, 3, 4]
    flagged = [r["urgency"] for r in records if r["flagged"]]
    assert flagged == sorted(flagged, reverse=True)
    assert (tmp_path / "w.csv").is_file()
