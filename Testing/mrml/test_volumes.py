"""Core Image (LPS) <-> volume node (RAS): the same voxel sits at the same place in the patient."""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology.errors import InputError
from deepradiology.frames import lps_to_ras
from deepradiology.image import Image
from deepradiology_mrml.volumes import image_to_labelmap_node, image_to_volume_node, volume_node_to_image


def _oblique_image() -> Image:
    """A small CT-like image with every geometric quirk: anisotropic voxels, an origin, a rotation."""
    angle = np.deg2rad(17.0)
    direction = np.array([[np.cos(angle), -np.sin(angle), 0.0], [np.sin(angle), np.cos(angle), 0.0], [0, 0, 1]])
    array = np.arange(5 * 6 * 7, dtype=np.int16).reshape(5, 6, 7) - 100
    return Image(array, spacing=(0.7, 0.9, 2.5), origin=(12.0, -30.0, 55.0), direction=direction, modality="CT")


def _ijk_to_ras(node) -> np.ndarray:
    from vtkmodules.vtkCommonMath import vtkMatrix4x4

    matrix = vtkMatrix4x4()
    node.GetIJKToRASMatrix(matrix)
    return np.array([[matrix.GetElement(r, c) for c in range(4)] for r in range(4)])


def test_a_voxel_sits_at_the_ras_position_of_its_lps_position_in_the_core(a_scene):
    import slicer

    image = _oblique_image()
    node = image_to_volume_node(a_scene, image, "CT")
    for ijk in [(0, 0, 0), (6, 5, 4), (3, 1, 2)]:
        in_node = (_ijk_to_ras(node) @ [*ijk, 1.0])[:3]
        assert np.allclose(in_node, lps_to_ras(image.index_to_lps(ijk)), atol=1e-9)
        i, j, k = ijk
        assert slicer.util.arrayFromVolume(node)[k, j, i] == image.array[k, j, i]


def test_a_volume_round_trip_keeps_values_geometry_and_modality(a_scene):
    image = _oblique_image()
    back = volume_node_to_image(image_to_volume_node(a_scene, image, "CT"))
    assert back.array.dtype == image.array.dtype
    assert np.array_equal(back.array, image.array)
    assert np.allclose(back.ijk_to_lps, image.ijk_to_lps, atol=1e-9)
    assert back.modality == "CT"


def test_the_phantom_ct_round_trips_exactly(a_scene, a_coarse_phantom_patient):
    ct = a_coarse_phantom_patient.studies[1].ct
    back = volume_node_to_image(image_to_volume_node(a_scene, ct, "follow-up CT"))
    assert np.array_equal(back.array, ct.array)
    assert np.allclose(back.ijk_to_lps, ct.ijk_to_lps, atol=1e-9)


def test_the_image_copied_out_of_a_node_does_not_change_when_the_node_does(a_scene):
    import slicer

    node = image_to_volume_node(a_scene, _oblique_image(), "CT")
    copy = volume_node_to_image(node)
    slicer.util.arrayFromVolume(node)[:] = 0
    assert copy.array.any()


def test_writing_into_an_existing_node_replaces_its_voxels_and_geometry(a_scene):
    node = image_to_volume_node(a_scene, _oblique_image(), "CT")
    other = Image(np.full((2, 3, 4), 7, np.int16), spacing=(1, 1, 1), origin=(0, 0, 0))
    same = image_to_volume_node(a_scene, other, "CT 2", node=node)
    assert same is node and node.GetName() == "CT 2"
    assert a_scene.GetNumberOfNodesByClass("vtkMRMLScalarVolumeNode") == 1
    assert np.array_equal(volume_node_to_image(node).array, other.array)
    assert np.allclose(volume_node_to_image(node).ijk_to_lps, other.ijk_to_lps)


def test_a_label_map_becomes_a_label_map_node_with_a_colour_table(a_scene):
    labels = _oblique_image().with_array((np.arange(5 * 6 * 7).reshape(5, 6, 7) % 4).astype(np.uint8))
    node = image_to_labelmap_node(a_scene, labels, "labels")
    assert node.IsA("vtkMRMLLabelMapVolumeNode")
    assert node.GetDisplayNode().GetColorNode() is not None
    assert np.array_equal(volume_node_to_image(node).array, labels.array)


def test_a_label_map_of_fractional_values_is_refused_and_leaves_no_node(a_scene):
    before = a_scene.GetNumberOfNodes()
    with pytest.raises(InputError, match="integer"):
        image_to_labelmap_node(a_scene, _oblique_image().with_array(np.full((5, 6, 7), 0.5)), "bad")
    assert a_scene.GetNumberOfNodes() == before


def test_a_volume_under_a_linear_transform_is_read_where_the_user_sees_it(a_scene):
    from vtkmodules.vtkCommonMath import vtkMatrix4x4

    image = _oblique_image()
    node = image_to_volume_node(a_scene, image, "CT")
    shift = vtkMatrix4x4()
    shift.SetElement(0, 3, 10.0)  # 10 mm along R (towards the patient's right)
    transform = a_scene.AddNewNodeByClass("vtkMRMLLinearTransformNode", "shift")
    transform.SetMatrixTransformToParent(shift)
    node.SetAndObserveTransformNodeID(transform.GetID())
    moved = volume_node_to_image(node)
    # +10 mm in R is -10 mm in L.
    assert np.allclose(np.array(moved.origin) - np.array(image.origin), [-10.0, 0.0, 0.0])
