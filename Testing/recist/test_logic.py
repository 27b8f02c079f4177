"""RECISTAssistLogic on the slicer-core wheel: lines, segment and row per click; edits; undo; bad clicks."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("slicer", reason="the Logic tests need the slicer-core wheel")

from deepradiology import InputError  # noqa: E402
from deepradiology.frames import lps_to_ras  # noqa: E402
from deepradiology.recist import NoLesionError  # noqa: E402


@pytest.fixture
def a_scene():
    from deepradiology_mrml.scene import close_scene, create_scene

    scene = create_scene()
    yield scene
    close_scene(scene)


@pytest.fixture(scope="module")
def study(a_coarse_phantom_patient):
    return a_coarse_phantom_patient.studies[0]


@pytest.fixture
def ct_node(a_scene, study):
    from deepradiology_mrml.volumes import image_to_volume_node

    return image_to_volume_node(a_scene, study.ct, "phantom CT")


def click_ras(truth):
    return lps_to_ras(np.asarray(truth["centre_lps"]))


def node_names(scene):
    return sorted(scene.GetNthNode(n).GetName() for n in range(scene.GetNumberOfNodes())
                  if scene.GetNthNode(n).GetName())


def test_a_click_makes_a_line_pair_a_segment_and_a_table_row(a_scene, ct_node, study):
    from deepradiology_mrml.logic.recist import RECISTAssistLogic
    from deepradiology_mrml.markups import recist_from_lines
    from deepradiology_mrml.tables import table_to_records

    logic = RECISTAssistLogic(a_scene)
    truth = next(t for t in study.lesions if t["organ"] in ("kidney_left", "spleen"))
    lesion = logic.measure(ct_node, click_ras(truth))
    assert lesion.lesion_id == "L1"
    long_node, short_node = a_scene.GetFirstNodeByName("L1 long"), a_scene.GetFirstNodeByName("L1 short")
    _, _, long_mm, short_mm = recist_from_lines(long_node, short_node)
    assert long_mm == pytest.approx(lesion.long_axis_mm, abs=1e-3)
    assert long_mm == pytest.approx(truth["long_axis_mm"], abs=max(1.6, 0.05 * truth["long_axis_mm"]))
    segmentation = a_scene.GetFirstNodeByName("RECIST lesion masks").GetSegmentation()
    assert segmentation.GetNumberOfSegments() == 1 and segmentation.GetNthSegment(0).GetName() == "L1"
    rows = table_to_records(a_scene.GetFirstNodeByName("RECIST lesions"))
    assert list(rows[0]) == ["lesion", "slice", "long mm", "short mm", "volume mL", "location"]
    assert rows[0]["lesion"] == "L1" and rows[0]["slice"] == truth["key_slice"]
    assert rows[0]["volume mL"] == pytest.approx(truth["volume_ml"], rel=0.15)
    assert rows[0]["short mm"] == pytest.approx(short_mm, abs=0.01)


def test_the_location_comes_from_an_organ_label_map_when_given(a_scene, ct_node, study):
    from deepradiology.phantom import ORGAN_LABELS
    from deepradiology_mrml.logic.recist import RECISTAssistLogic

    logic = RECISTAssistLogic(a_scene)
    truth = next(t for t in study.lesions if t["organ"] == "spleen")
    names = {v: k for k, v in ORGAN_LABELS.items()}
    lesion = logic.measure(ct_node, click_ras(truth), organ_labels=study.organs, label_names=names)
    assert lesion.location == "spleen"


def test_dragging_an_endpoint_updates_the_row(a_scene, ct_node, study):
    from deepradiology_mrml.logic.recist import RECISTAssistLogic
    from deepradiology_mrml.tables import table_to_records

    logic = RECISTAssistLogic(a_scene)
    logic.measure(ct_node, click_ras(study.lesions[0]))
    long_node = a_scene.GetFirstNodeByName("L1 long")
    p0, p1 = np.array(long_node.GetNthControlPointPosition(0)), np.array(long_node.GetNthControlPointPosition(1))
    moved = p1 + (p1 - p0) / np.linalg.norm(p1 - p0) * 5.0        # drag one end 5 mm further out
    long_node.SetNthControlPointPosition(1, *moved)
    logic.update_from_lines("L1")                                 # what the point-modified observer does
    row = table_to_records(logic.table_node)[0]
    assert row["long mm"] == pytest.approx(np.linalg.norm(moved - p0), abs=0.01)
    assert logic.lesions[0].extra["edited"] is True


def test_undo_removes_only_that_lesions_lines_segment_and_row(a_scene, ct_node, study):
    from deepradiology_mrml.logic.recist import RECISTAssistLogic
    from deepradiology_mrml.tables import table_to_records

    logic = RECISTAssistLogic(a_scene)
    logic.measure(ct_node, click_ras(study.lesions[0]))
    after_first = node_names(a_scene)
    logic.measure(ct_node, click_ras(study.lesions[1]))
    assert logic.undo("L2") == "L2"
    assert node_names(a_scene) == after_first          # lines and their display nodes are gone
    logic.measure(ct_node, click_ras(study.lesions[1]))
    assert logic.undo("L1") == "L1"
    assert a_scene.GetFirstNodeByName("L1 long") is None and a_scene.GetFirstNodeByName("L1 short") is None
    assert a_scene.GetFirstNodeByName("L2 long") is not None
    segmentation = logic.segmentation_node.GetSegmentation()
    assert [segmentation.GetNthSegment(n).GetName() for n in range(segmentation.GetNumberOfSegments())] == ["L2"]
    assert [r["lesion"] for r in table_to_records(logic.table_node)] == ["L2"]
    logic.undo()
    assert table_to_records(logic.table_node) == []
    with pytest.raises(InputError, match="no lesion to undo"):
        logic.undo()


@pytest.mark.parametrize("where", ["outside the body", "on the liver", "zero-area box"])
def test_a_bad_click_leaves_the_scene_as_it_was(a_scene, ct_node, study, where):
    from deepradiology_mrml.logic.recist import RECISTAssistLogic

    logic = RECISTAssistLogic(a_scene)
    logic.measure(ct_node, click_ras(study.lesions[0]))
    before = node_names(a_scene)
    ct = study.ct
    if where == "outside the body":
        args = {"point_ras": lps_to_ras(ct.index_to_lps([1, 1, 20]))}
    elif where == "on the liver":
        k = int(round((0.0 - ct.origin[2]) / ct.spacing[2]))
        args = {"point_ras": lps_to_ras(ct.index_to_lps([(-62 - ct.origin[0]) / ct.spacing[0],
                                                          (-20 - ct.origin[1]) / ct.spacing[1], k]))}
    else:
        p = lps_to_ras(ct.index_to_lps([100, 80, 20]))
        args = {"box_ras": (p, p + np.array([0.0, 10.0, 0.0]))}
    with pytest.raises((NoLesionError, InputError)):
        logic.measure(ct_node, **args)
    assert node_names(a_scene) == before
    assert [r["lesion"] for r in logic.rows()] == ["L1"]


def test_a_non_ct_volume_is_refused_before_any_node_is_made(a_scene):
    from deepradiology import Image
    from deepradiology_mrml.logic.recist import RECISTAssistLogic
    from deepradiology_mrml.volumes import image_to_volume_node

    mr = image_to_volume_node(a_scene, Image(np.random.default_rng(0).uniform(0, 600, (8, 40, 40)).astype(np.int16)),
                              "MR")
    before = node_names(a_scene)
    with pytest.raises(InputError, match="Hounsfield"):
        RECISTAssistLogic(a_scene).measure(mr, (0.0, 0.0, 0.0))
    assert node_names(a_scene) == before


def test_a_failure_while_making_nodes_removes_what_was_made(a_scene, ct_node, study, monkeypatch):
    import deepradiology_mrml.segmentations as segmentations
    from deepradiology_mrml.logic.recist import RECISTAssistLogic

    before = node_names(a_scene)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(segmentations, "add_segment_from_mask", broken)
    with pytest.raises(RuntimeError):
        RECISTAssistLogic(a_scene).measure(ct_node, click_ras(study.lesions[0]))
    assert node_names(a_scene) == before
