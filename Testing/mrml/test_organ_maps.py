"""Organ map nodes to the core's organ map (`deepradiology_mrml.organ_maps`), on the slicer-core wheel:
a segmentation (TotalSegmentator's masks of the real CT) or a label map with its colour table becomes
(labels on the CT's grid, names); a label map lying beside the CT, an empty map or another node kind is
refused in one sentence. Through RECISTAssist's shared Logic, a click on the real left kidney is refused."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from deepradiology.errors import InputError

from ..conftest import shared_file

ORGANS = "ct/totalsegmentator/example_ct_organs"


@pytest.fixture(scope="module")
def a_study():
    from deepradiology.phantom import generate_phantom

    return generate_phantom(1, n_studies=1, spacing=(1.6, 1.6, 4.0)).studies[0]


def test_a_segmentation_of_the_real_ct_s_organs_gives_its_masks_by_name_and_the_kidney_click_is_refused(a_scene):
    from scipy import ndimage

    from deepradiology.frames import lps_to_ras
    from deepradiology.io import read_volume
    from deepradiology.recist import NotALesionError, load_organ_map
    from deepradiology_mrml.logic.recist import RECISTAssistLogic
    from deepradiology_mrml.organ_maps import organ_map_from_node, organ_map_source
    from deepradiology_mrml.segmentations import labelmap_to_segmentation
    from deepradiology_mrml.volumes import image_to_volume_node

    ct = read_volume(shared_file("ct/totalsegmentator/example_ct.nii.gz"))
    ct_node = image_to_volume_node(a_scene, ct, "example CT")
    labels, names = load_organ_map(shared_file(ORGANS), ct)
    segmentation = labelmap_to_segmentation(a_scene, labels, names, reference_volume=ct_node, name="TotalSegmentator")
    before = a_scene.GetNumberOfNodes()
    got, got_names = organ_map_from_node(segmentation, ct_node)
    organ_map_from_node(segmentation, ct_node)
    assert a_scene.GetNumberOfNodes() == before      # each click converts it: nothing may pile up in the scene
    assert set(got_names.values()) == {"kidney_left", "kidney_right", "liver", "pancreas", "spleen"}
    kidney = read_volume(shared_file(f"{ORGANS}/kidney_left.nii.gz")).array > 0
    value = next(v for v, n in got_names.items() if n == "kidney_left")
    assert np.array_equal(got.array == value, kidney)            # the kidney's voxels, on the CT's grid
    assert organ_map_source(segmentation) == "segmentation 'TotalSegmentator'"

    logic = RECISTAssistLogic(a_scene)
    deep = np.argwhere(ndimage.binary_erosion(kidney, iterations=3))
    k, j, i = deep[len(deep) // 2]
    nodes = a_scene.GetNumberOfNodes()
    with pytest.raises(NotALesionError, match="kidney_left"):
        logic.measure(ct_node, lps_to_ras(ct.index_to_lps([int(i), int(j), int(k)])), organ_labels=got,
                      label_names=got_names)
    assert a_scene.GetNumberOfNodes() == nodes and not logic.measured


def test_a_label_map_is_named_by_its_colour_table_or_label_n_without_one(a_scene, a_study):
    from deepradiology_mrml.organ_maps import organ_map_from_node, organ_map_source
    from deepradiology_mrml.volumes import image_to_labelmap_node, image_to_volume_node

    ct_node = image_to_volume_node(a_scene, a_study.ct, "phantom CT")
    label_node = image_to_labelmap_node(a_scene, a_study.organs, "phantom organs")
    table = a_scene.AddNewNodeByClass("vtkMRMLColorTableNode", "organ names")
    table.SetTypeToUser()
    table.SetNumberOfColors(3)
    table.SetColor(0, "background", 0.0, 0.0, 0.0, 0.0)
    table.SetColor(1, "liver", 0.8, 0.3, 0.2, 1.0)
    table.SetColor(2, "spleen", 0.6, 0.2, 0.6, 1.0)
    label_node.GetDisplayNode().SetAndObserveColorNodeID(table.GetID())
    labels, names = organ_map_from_node(label_node, ct_node)
    assert np.array_equal(labels.array, a_study.organs.array)
    present = {int(v) for v in np.unique(a_study.organs.array) if v > 0}
    assert names[1] == "liver" and names[2] == "spleen"
    assert all(names[v] == f"label {v}" for v in present - {1, 2})   # the table names no colour 3 and up
    assert "names from colour table 'organ names'" in organ_map_source(label_node)


def test_a_label_map_beside_the_ct_an_empty_map_and_another_node_kind_are_refused(a_scene, a_study):
    from deepradiology_mrml.organ_maps import organ_map_from_node
    from deepradiology_mrml.volumes import image_to_labelmap_node, image_to_volume_node

    ct_node = image_to_volume_node(a_scene, a_study.ct, "phantom CT")
    far = dataclasses.replace(a_study.organs, origin=tuple(np.asarray(a_study.organs.origin) + [0.0, 0.0, 1000.0]))
    with pytest.raises(InputError, match="does not overlap the CT at all"):
        organ_map_from_node(image_to_labelmap_node(a_scene, far, "far organs"), ct_node)
    empty = a_study.organs.with_array(np.zeros_like(a_study.organs.array))
    with pytest.raises(InputError, match="holds no organ"):
        organ_map_from_node(image_to_labelmap_node(a_scene, empty, "empty organs"), ct_node)
    with pytest.raises(InputError, match="has no segments"):
        organ_map_from_node(a_scene.AddNewNodeByClass("vtkMRMLSegmentationNode", "nothing"), ct_node)
    with pytest.raises(InputError, match="label map volume or a segmentation"):
        organ_map_from_node(ct_node, ct_node)


def test_a_label_map_loaded_with_slicer_s_number_only_colours_is_named_by_the_table_beside_its_file(a_scene,
                                                                                                   tmp_path):
    """Issue 11: Slicer 5.8 gives a loaded label map its GenericColors table, whose colour 1 is named "1":
    no organ name. The phantom writes S0_organs.txt beside S0_organs.nii.gz; that names the liver."""
    from deepradiology.phantom import generate_phantom, write_phantom
    from deepradiology_mrml.organ_maps import organ_map_from_node, organ_map_source
    from deepradiology_mrml.volumes import image_to_labelmap_node, image_to_volume_node

    phantom = generate_phantom(0, n_studies=1, spacing=(3.2, 3.2, 8.0), noise_hu=0.0)
    write_phantom(phantom, tmp_path)
    study = phantom.studies[0]
    ct_node = image_to_volume_node(a_scene, study.ct, "phantom CT")
    label_node = image_to_labelmap_node(a_scene, study.organs, "S0_organs")
    numbers = a_scene.AddNewNodeByClass("vtkMRMLColorTableNode", "GenericColors-like")
    numbers.SetTypeToUser()
    numbers.SetNumberOfColors(10)
    for value in range(10):
        numbers.SetColor(value, str(value), 0.5, 0.5, 0.5, 1.0)
    label_node.GetDisplayNode().SetAndObserveColorNodeID(numbers.GetID())
    _, names = organ_map_from_node(label_node, ct_node)
    assert names[1] == "label 1"                      # a number is no organ name
    assert "organ names unknown" in organ_map_source(label_node)
    storage = label_node.CreateDefaultStorageNode()
    a_scene.AddNode(storage)
    storage.SetFileName(str(tmp_path / "S0_organs.nii.gz"))
    label_node.SetAndObserveStorageNodeID(storage.GetID())
    _, names = organ_map_from_node(label_node, ct_node)
    assert names[1] == "liver" and names[3] == "kidney_left"
    assert "names from S0_organs.txt beside its file" in organ_map_source(label_node)
