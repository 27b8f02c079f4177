"""Label image <-> segmentation node: names, colours and label values survive the trip."""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology.errors import InputError
from deepradiology.phantom import ORGAN_LABELS
from deepradiology_mrml.segmentations import (LABEL_VALUE_TAG, add_segment_from_mask, labelmap_to_segmentation,
                                              remove_segment, segment_labels, segmentation_to_labelmap)
from deepradiology_mrml.volumes import image_to_volume_node

ORGAN_NAMES = {value: name for name, value in ORGAN_LABELS.items()}


def _segments(node) -> dict[str, tuple]:
    segmentation = node.GetSegmentation()
    return {segmentation.GetNthSegment(n).GetName(): segmentation.GetNthSegment(n).GetColor()
            for n in range(segmentation.GetNumberOfSegments())}


def test_phantom_organs_round_trip_through_a_segmentation_with_names_and_colours(a_scene, a_coarse_phantom_patient):
    study = a_coarse_phantom_patient.studies[0]
    ct = image_to_volume_node(a_scene, study.ct, "CT")
    colours = {ORGAN_LABELS["pancreas"]: (0.9, 0.8, 0.3), ORGAN_LABELS["liver"]: (0.6, 0.2, 0.1)}
    node = labelmap_to_segmentation(a_scene, study.organs, ORGAN_NAMES, colors=colours, reference_volume=ct,
                                    name="Organs")
    segments = _segments(node)
    assert set(segments) == set(ORGAN_NAMES.values())
    assert np.allclose(segments["pancreas"], (0.9, 0.8, 0.3), atol=1 / 255)
    assert np.allclose(segments["liver"], (0.6, 0.2, 0.1), atol=1 / 255)
    assert segment_labels(node) == ORGAN_NAMES

    back = segmentation_to_labelmap(node, ct)
    assert np.array_equal(back.array, study.organs.array)
    assert np.allclose(back.ijk_to_lps, study.organs.ijk_to_lps)


def test_the_pancreas_keeps_label_5_when_exported_alone(a_scene, a_coarse_phantom_patient):
    study = a_coarse_phantom_patient.studies[0]
    node = labelmap_to_segmentation(a_scene, study.organs, ORGAN_NAMES)
    pancreas = segmentation_to_labelmap(node, study.ct, segment_names=["pancreas"])
    assert set(np.unique(pancreas.array)) == {0, 5}
    assert np.array_equal(pancreas.array == 5, study.organs.array == 5)


def test_a_named_label_missing_from_the_image_still_gets_an_empty_segment(a_scene):
    from deepradiology.image import Image

    labels = Image(np.pad(np.ones((2, 2, 2), np.uint8), 2), spacing=(1, 1, 2))
    node = labelmap_to_segmentation(a_scene, labels, {1: "lesion", 2: "pancreas"})
    assert segment_labels(node) == {1: "lesion", 2: "pancreas"}
    back = segmentation_to_labelmap(node, labels)
    assert np.array_equal(back.array, labels.array)


def test_an_unnamed_label_value_is_refused_and_leaves_no_node(a_scene, a_coarse_phantom_patient):
    organs = a_coarse_phantom_patient.studies[0].organs
    with pytest.raises(InputError, match=r"label values \[.*5.*\] appear in the image but have no segment name"):
        labelmap_to_segmentation(a_scene, organs, {1: "liver"})
    assert a_scene.GetNumberOfNodesByClass("vtkMRMLSegmentationNode") == 0
    assert a_scene.GetNumberOfNodesByClass("vtkMRMLLabelMapVolumeNode") == 0


def test_a_mask_added_as_a_segment_gets_the_next_label_and_can_be_removed(a_scene, a_coarse_phantom_patient):
    study = a_coarse_phantom_patient.studies[0]
    node = labelmap_to_segmentation(a_scene, study.organs, ORGAN_NAMES)
    lesion_mask = study.lesions_map.with_array(study.lesions_map.array == study.lesions[0]["label"])
    segment_id = add_segment_from_mask(node, lesion_mask, "lesion 1", (1.0, 0.0, 0.0))
    new_value = max(ORGAN_NAMES) + 1
    assert segment_labels(node)[new_value] == "lesion 1"
    assert np.allclose(node.GetSegmentation().GetSegment(segment_id).GetColor(), (1, 0, 0))
    exported = segmentation_to_labelmap(node, study.ct, segment_names=["lesion 1"])
    assert np.array_equal(exported.array == new_value, lesion_mask.array)

    remove_segment(node, "lesion 1")
    assert "lesion 1" not in segment_labels(node).values()
    with pytest.raises(InputError, match="no segment called"):
        remove_segment(node, "lesion 1")


def test_label_values_are_stored_on_the_segments(a_scene, a_coarse_phantom_patient):
    import vtk

    node = labelmap_to_segmentation(a_scene, a_coarse_phantom_patient.studies[0].organs, ORGAN_NAMES)
    segment = node.GetSegmentation().GetSegment(node.GetSegmentation().GetSegmentIdBySegmentName("pancreas"))
    value = vtk.reference("")
    assert segment.GetTag(LABEL_VALUE_TAG, value) and str(value) == "5"


def test_a_created_scene_converts_segments_to_closed_surfaces(a_scene, a_coarse_phantom_patient):
    node = labelmap_to_segmentation(a_scene, a_coarse_phantom_patient.studies[0].organs, ORGAN_NAMES)
    assert node.CreateClosedSurfaceRepresentation()
    segment_id = node.GetSegmentation().GetSegmentIdBySegmentName("liver")
    surface = node.GetSegmentation().GetSegment(segment_id).GetRepresentation("Closed surface")
    assert surface is not None and surface.GetNumberOfPoints() > 100


def test_all_segments_export_together_with_their_own_label_values(a_scene, a_coarse_phantom_patient):
    study = a_coarse_phantom_patient.studies[0]
    node = labelmap_to_segmentation(a_scene, study.organs, ORGAN_NAMES)
    lesion_mask = study.lesions_map.array == study.lesions[0]["label"]
    add_segment_from_mask(node, study.lesions_map.with_array(lesion_mask), "lesion 1", label_value=40)
    everything = segmentation_to_labelmap(node, study.ct).array
    assert np.array_equal(everything == 40, lesion_mask)
    outside_lesion = ~lesion_mask
    assert np.array_equal(everything[outside_lesion], study.organs.array[outside_lesion])


def test_segments_sharing_a_name_still_export_with_their_own_values(a_scene):
    from deepradiology.image import Image

    labels = np.zeros((4, 6, 6), np.uint8)
    labels[1, 1:3, 1:3] = 1
    labels[2, 3:5, 3:5] = 2
    image = Image(labels)
    node = labelmap_to_segmentation(a_scene, image, {1: "nodule", 2: "nodule 2"})
    second = node.GetSegmentation().GetSegment(node.GetSegmentation().GetSegmentIdBySegmentName("nodule 2"))
    second.SetName("nodule")  # a user renamed it in Slicer
    assert np.array_equal(segmentation_to_labelmap(node, image).array, labels)
