"""RECISTAssistLogic on the slicer-core wheel: lines, segment and row per click; edits; undo; bad clicks."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("slicer", reason="the Logic tests need the slicer-core wheel (pip install 'deepradiology[mrml]')")

from deepradiology import InputError  # noqa: E402
from deepradiology.frames import lps_to_ras  # noqa: E402
from deepradiology.recist import NoLesionError  # noqa: E402


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
    segmentation_node = a_scene.GetFirstNodeByName("phantom CT RECIST lesion masks")   # named after its study
    segmentation = segmentation_node.GetSegmentation()
    assert segmentation.GetNumberOfSegments() == 1 and segmentation.GetNthSegment(0).GetName() == "L1"
    # the segment sits where the lesion is, on the CT's grid
    from deepradiology_mrml.segmentations import segmentation_to_labelmap

    labels = segmentation_to_labelmap(segmentation_node, ct_node).array > 0
    truth_mask = study.lesions_map.array == truth["label"]
    assert labels.shape == truth_mask.shape
    assert 2 * np.count_nonzero(labels & truth_mask) / (labels.sum() + truth_mask.sum()) > 0.85
    rows = table_to_records(a_scene.GetFirstNodeByName("phantom CT RECIST lesions"))
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
    long_node.SetNthControlPointPosition(1, *moved)                # the line's observer updates the row
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


def test_a_single_slice_with_3d_propagation_asked_is_refused_and_leaves_nothing(a_scene):
    from deepradiology.deeplesion import read_dl_info
    from deepradiology.io import read_deeplesion_slice
    from deepradiology_mrml.logic.recist import RECISTAssistLogic
    from deepradiology_mrml.volumes import image_to_volume_node

    from ..conftest import shared_file

    rows, _ = read_dl_info(shared_file("deeplesion/DL_info_test.csv"))
    images = shared_file("deeplesion/images_png")
    logic = RECISTAssistLogic(a_scene)
    errors, nodes = [], []
    for row in [r for r in rows if (images / r.png_relpath).is_file()]:
        image = read_deeplesion_slice(images / row.png_relpath, spacing=row.spacing)
        node = image_to_volume_node(a_scene, image, row.file_name)
        nodes.append(node)
        click = lps_to_ras(image.index_to_lps([*row.recist_centre_px, 0]))
        before = node_names(a_scene)
        with pytest.raises(InputError, match="3D volume is needed"):
            logic.measure(node, click, propagate=True)
        assert node_names(a_scene) == before
        lesion = logic.measure(node, click, propagate=False)
        errors.append(abs(lesion.long_axis_mm - row.diameters_mm[0]))
        assert lesion.volume_ml is None
    assert len(errors) == 3 and np.mean(errors) <= 2.0
    assert [les.lesion_id for les in logic.lesions] == ["L1", "L2", "L3"]
    # three slices, three studies: each its own table with its one lesion
    assert [[r["lesion"] for r in logic.rows(node)] for node in nodes] == [["L1"], ["L2"], ["L3"]]


@pytest.mark.slow
def test_a_lesion_in_the_real_abdominal_ct_is_measured_through_the_logic(a_scene):
    from scipy import ndimage

    from deepradiology.io import read_volume
    from deepradiology.phantom.shapes import Ellipsoid, Grid
    from deepradiology_mrml.logic.recist import RECISTAssistLogic
    from deepradiology_mrml.volumes import image_to_volume_node

    from ..conftest import shared_file

    ct = read_volume(shared_file("ct/totalsegmentator/example_ct.nii.gz"))
    liver = read_volume(shared_file("ct/totalsegmentator/example_ct_organs/liver.nii.gz")).array > 0
    k = 95
    depth = ndimage.distance_transform_edt(liver[k])
    j, i = np.unravel_index(int(np.argmax(depth)), depth.shape)
    array = ct.array.astype(np.float32)
    shape = Ellipsoid((i * 3.0, j * 3.0, k * 3.0), (13.0, 10.0, 12.0), angle_deg=-40.0)
    region, frac = shape.render(Grid(array.shape, ct.spacing, (0.0, 0.0, 0.0)), np.eye(3), np.zeros(3))
    view = array[region]
    view += frac * (110.0 - view)                       # hyperdense against the unenhanced liver
    node = image_to_volume_node(a_scene, ct.with_array(np.rint(array).astype(np.int16)), "real CT + lesion")
    logic = RECISTAssistLogic(a_scene)
    lesion = logic.measure(node, lps_to_ras(ct.index_to_lps([i, j, k])))
    assert lesion.long_axis_mm == pytest.approx(26.0, abs=3.0)
    assert lesion.volume_ml == pytest.approx(shape.volume_ml, rel=0.10)
    liver_click = lps_to_ras(ct.index_to_lps([i, j, 80]))
    before = node_names(a_scene)
    with pytest.raises(NoLesionError):
        logic.measure(node, liver_click)
    assert node_names(a_scene) == before
