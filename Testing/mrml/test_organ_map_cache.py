"""RECISTAssist's organ map on the slicer-core wheel: converted once per organ map node and CT, and again
as soon as the node changes (its voxels, its colour table, its segments); a label map on a coarser grid
under a parent transform is resampled onto the CT's grid in the right frame (RAS nodes, LPS core).

Expected organs come from TotalSegmentator's masks of the real CT on the CT's own grid."""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology.errors import InputError

from ..conftest import shared_file

ORGANS = "ct/totalsegmentator/example_ct_organs"
NAMES = ("kidney_left", "kidney_right", "liver", "pancreas", "spleen")


@pytest.fixture(scope="module")
def real_ct():
    from deepradiology.io import read_volume

    return read_volume(shared_file("ct/totalsegmentator/example_ct.nii.gz"))


@pytest.fixture(scope="module")
def masks():
    from deepradiology.io import read_volume

    return {n: read_volume(shared_file(f"{ORGANS}/{n}.nii.gz")).array > 0 for n in NAMES}


def _label_map_node(scene, real_ct, masks, *, step: int = 1, shift_lps=(0.0, 0.0, 0.0)):
    """The five masks as one label map node (value n = NAMES[n - 1], named by a colour table), sampled
    every ``step`` CT voxels (a grid ``step`` times coarser) and moved by ``shift_lps`` mm."""
    from deepradiology.image import Image
    from deepradiology_mrml.volumes import image_to_labelmap_node

    labels = np.zeros(real_ct.array.shape, np.uint8)
    for value, name in enumerate(NAMES, start=1):
        labels[masks[name] & (labels == 0)] = value
    image = Image(labels[::step, ::step, ::step], spacing=tuple(step * s for s in real_ct.spacing),
                  origin=tuple(np.asarray(real_ct.origin) + shift_lps), direction=real_ct.direction)
    node = image_to_labelmap_node(scene, image, "organs")
    table = scene.AddNewNodeByClass("vtkMRMLColorTableNode", "organ names")
    table.SetTypeToUser()
    table.SetNumberOfColors(len(NAMES) + 1)
    table.SetColor(0, "background", 0.0, 0.0, 0.0, 0.0)
    for value, name in enumerate(NAMES, start=1):
        table.SetColor(value, name, 0.5, 0.5, 0.5, 1.0)
    node.GetDisplayNode().SetAndObserveColorNodeID(table.GetID())
    return node, table


def _deep(mask, depth, n=20):
    from scipy import ndimage

    pts = np.argwhere(ndimage.binary_erosion(mask, iterations=depth))
    return pts[np.random.default_rng(1).choice(len(pts), min(n, len(pts)), replace=False)]


def test_the_organ_map_is_converted_once_and_again_after_its_voxels_or_names_change(a_scene, real_ct, masks):
    from vtkmodules.util import numpy_support

    from deepradiology_mrml.logic.recist import RECISTAssistLogic
    from deepradiology_mrml.volumes import image_to_volume_node

    ct_node = image_to_volume_node(a_scene, real_ct, "example CT")
    node, table = _label_map_node(a_scene, real_ct, masks)
    logic = RECISTAssistLogic(a_scene)
    first = logic.organ_map_of(node, ct_node)
    assert logic.organ_map_of(node, ct_node) is first          # a second click: no new conversion
    assert logic._organ_maps.conversions == 1
    k, j, i = _deep(masks["kidney_left"], 3, n=1)[0]
    labels, names = first
    assert names[int(labels.array[k, j, i])] == "kidney_left"

    # The left kidney erased from the label map in place (as the Segment Editor or arrayFromVolume does).
    voxels = numpy_support.vtk_to_numpy(node.GetImageData().GetPointData().GetScalars())
    voxels[voxels == 1] = 0
    node.GetImageData().Modified()
    labels, names = logic.organ_map_of(node, ct_node)
    assert logic._organ_maps.conversions == 2
    assert labels.array[k, j, i] == 0 and 1 not in names

    # The colour table renames an organ: the next answer has the new name.
    table.SetColorName(3, "hepar")
    _, names = logic.organ_map_of(node, ct_node)
    assert names[3] == "hepar"


def test_a_segmentation_edit_gives_the_next_click_the_new_segments(a_scene, real_ct, masks):
    from deepradiology.recist import load_organ_map
    from deepradiology_mrml.logic.recist import RECISTAssistLogic
    from deepradiology_mrml.segmentations import labelmap_to_segmentation
    from deepradiology_mrml.volumes import image_to_volume_node

    ct_node = image_to_volume_node(a_scene, real_ct, "example CT")
    labels, names = load_organ_map(shared_file(ORGANS), real_ct)
    segmentation = labelmap_to_segmentation(a_scene, labels, names, reference_volume=ct_node, name="TotalSegmentator")
    logic = RECISTAssistLogic(a_scene)
    _, before = logic.organ_map_of(segmentation, ct_node)
    assert logic.organ_map_of(segmentation, ct_node)[1] is before
    assert "spleen" in before.values()
    seg = segmentation.GetSegmentation()
    seg.RemoveSegment(seg.GetSegmentIdBySegmentName("spleen"))
    got, after = logic.organ_map_of(segmentation, ct_node)
    assert "spleen" not in after.values() and logic._organ_maps.conversions == 2
    k, j, i = _deep(masks["spleen"], 2, n=1)[0]
    assert got.array[k, j, i] == 0


def test_a_coarse_label_map_under_a_transform_is_resampled_onto_the_ct_where_the_organs_are(a_scene, real_ct, masks):
    from vtkmodules.vtkCommonMath import vtkMatrix4x4

    from deepradiology_mrml.logic.recist import RECISTAssistLogic
    from deepradiology_mrml.volumes import image_to_volume_node

    ct_node = image_to_volume_node(a_scene, real_ct, "example CT")
    # Stored 12 mm towards the patient's left (LPS +x) and on a 6 mm grid; a parent transform moves it
    # 12 mm towards the right (RAS +x) back onto the organs. Mixing RAS and LPS would put it 24 mm off.
    node, _ = _label_map_node(a_scene, real_ct, masks, step=2, shift_lps=(12.0, 0.0, 0.0))
    shift = vtkMatrix4x4()
    shift.SetElement(0, 3, 12.0)
    transform = a_scene.AddNewNodeByClass("vtkMRMLLinearTransformNode", "back onto the CT")
    transform.SetMatrixTransformToParent(shift)
    node.SetAndObserveTransformNodeID(transform.GetID())
    logic = RECISTAssistLogic(a_scene)
    labels, names = logic.organ_map_of(node, ct_node)
    assert "6.00 x 6.00 x 6.00 mm" in labels.meta["resampled_from"]
    by_name = {n: v for v, n in names.items()}
    for organ in NAMES:
        for k, j, i in _deep(masks[organ], 2):           # 6 mm deep: beyond a 6 mm voxel's reach
            assert labels.array[k, j, i] == by_name[organ], f"{organ} at {(i, j, k)}"
    assert logic.organ_map_of(node, ct_node)[0] is labels
    # Moving the transform 60 mm to the right changes the answer at once (the cache watches parent
    # transforms too): the organs now lie partly on the air beside the patient, so the map is refused.
    shift.SetElement(0, 3, 12.0 + 60.0)
    transform.SetMatrixTransformToParent(shift)
    with pytest.raises(InputError, match="lie on air outside the patient"):
        logic.organ_map_of(node, ct_node)
    # ... and moved back, it is used again.
    shift.SetElement(0, 3, 12.0)
    transform.SetMatrixTransformToParent(shift)
    again, _ = logic.organ_map_of(node, ct_node)
    assert np.array_equal(again.array, labels.array)
