"""`deepradiology demo` runs the landed tools on the synthetic patient and saves a scene Slicer can open."""

import json

import pytest

from deepradiology.errors import OutputExistsError


@pytest.mark.slow
def test_the_demo_measures_matches_retrieves_labels_and_saves_a_scene(tmp_path):
    from deepradiology_mrml.demo import run_demo
    from deepradiology_mrml.markups import recist_line_pairs
    from deepradiology_mrml.mrb import load_mrb
    from deepradiology_mrml.scene import close_scene

    summary = run_demo(tmp_path, spacing=(1.0, 1.0, 3.0))
    assert json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["patient"] == summary["patient"]

    recist = summary["recist"]
    assert recist["lesions_measured"] == 17, "every lesion of the three studies is clicked"
    assert recist["mean_abs_long_error_mm"] < 1.0 and recist["mean_abs_short_error_mm"] < 1.0

    responses = [row["overall response"] for row in summary["longitudinal"]["response"]]
    assert responses[0] == "baseline" and responses[-1] == "PD", "a new lesion appears in the last study"
    # The reader marks the vanished lesion absent, so no study is NE and the response is the truth's
    # (phantom_eval.truth_categories: the RECIST rules written out without the engine).
    from deepradiology.longitudinal.phantom_eval import truth_categories
    from deepradiology.phantom import generate_phantom

    truth = truth_categories(generate_phantom(0, n_studies=3, spacing=(1.0, 1.0, 3.0)).ground_truth())
    assert "NE" not in responses and responses[1:] == truth[1:]
    assert summary["longitudinal"]["truth_overall_response"] == truth
    # The summary says which ground-truth track each matched track is: one each, none shared. The truth
    # (phantom seed 0) has T2 in the baseline only (it vanishes) and T3 in the last study only (new).
    names = summary["longitudinal"]["track_names"]
    assert sorted(names.values()) == [f"T{n}" for n in range(1, 8)]
    by_status = {row["status"]: row["truth track"] for row in summary["longitudinal"]["tracks"]}
    assert by_status["vanished"] == "T2" and by_status["new"] == "T3"
    assert summary["retrieval"]["neighbours"], "the database answers the query"
    assert summary["reports"]["positive_labels"]["DEMO1"] == {"Effusion": 1}, "'No pneumothorax' is negated"
    assert "Pneumothorax" in summary["reports"]["positive_labels"]["DEMO2"]

    scene = load_mrb(tmp_path / "deepradiology_demo.mrb")
    try:
        assert len(recist_line_pairs(scene)) == 17
        # One table and one mask set per study, named after it and filed under it (patient -> study).
        sh = scene.GetSubjectHierarchyNode()
        for study_id in ("S0", "S1", "S2"):
            for what in ("RECIST lesions", "RECIST lesion masks"):
                node = scene.GetFirstNodeByName(f"{study_id} {what}")
                assert node is not None, f"{study_id} {what}"
                study_item = sh.GetItemParent(sh.GetItemByDataNode(node))
                assert sh.GetItemName(study_item).startswith(study_id) and sh.GetItemLevel(study_item) == "Study"
    finally:
        close_scene(scene)


def test_the_demo_does_not_overwrite_an_earlier_run_without_force(tmp_path):
    from deepradiology_mrml.demo import run_demo

    (tmp_path / "summary.json").write_text("{}", encoding="utf-8")
    with pytest.raises(OutputExistsError):
        run_demo(tmp_path)
    assert (tmp_path / "summary.json").read_text(encoding="utf-8") == "{}"
