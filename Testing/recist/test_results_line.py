"""The results line both front ends show after a measurement (web RECIST panel, Slicer RECISTAssist).
Each expected line is written out by hand from the lesion's values."""

from __future__ import annotations

from deepradiology.lesion import Lesion
from deepradiology.recist.results_line import recist_results_line


def a_lesion(**extra) -> Lesion:
    return Lesion("L2", long_axis_mm=23.449, short_axis_mm=12.06, volume_ml=5.304, slice_index=37,
                  location="liver", extra=extra)


def test_a_lesion_placed_by_the_organ_map_reads_long_x_short_volume_slice_and_where():
    line = recist_results_line(a_lesion(location_source="organ_map"), organ_map_source="the phantom's organ labels")
    assert line == ("L2: 23.4 x 12.1 mm, 5.30 mL, slice 37; "
                    "location: liver (from organ map: the phantom's organ labels)")


def test_without_an_organ_map_the_location_is_unknown_and_not_said_twice():
    lesion = a_lesion(warnings=["location unknown: no organ map was given (--organs); the organ is not guessed",
                                "the 3D mask reaches the end of the volume: the lesion may continue beyond it"])
    assert recist_results_line(lesion) == (
        "L2: 23.4 x 12.1 mm, 5.30 mL, slice 37; location unknown: no organ map; "
        "warning: the 3D mask reaches the end of the volume: the lesion may continue beyond it")


def test_a_lesion_without_a_3d_mask_has_no_volume_and_an_updated_record_says_so():
    lesion = a_lesion(location_source="organ_map")
    lesion.volume_ml = None
    assert recist_results_line(lesion, already_listed_as="T3") == (
        "L2: 23.4 x 12.1 mm, slice 37; location: liver (from organ map); "
        "the study already lists this lesion as T3: its record is updated, no second one")


def test_a_mask_made_by_a_published_model_names_the_model_and_its_licence_last():
    model = {"format": "nnInteractive", "name": "nnInteractive_v1.0", "licence": "CC BY-NC-SA 4.0", "device": "cpu"}
    assert recist_results_line(a_lesion(model=model, warnings=["low contrast"])) == (
        "L2: 23.4 x 12.1 mm, 5.30 mL, slice 37; location unknown: no organ map; warning: low contrast; "
        "mask by nnInteractive model nnInteractive_v1.0 (CC BY-NC-SA 4.0; on cpu)")


def test_an_organ_map_resampled_onto_the_ct_grid_says_from_which_grid():
    lesion = a_lesion(location_source="organ_map",
                      organ_map_resampled="organ map resampled onto the CT's grid from 4.50 x 4.50 x 4.50 mm")
    assert recist_results_line(lesion, organ_map_source="TotalSegmentator masks") == (
        "L2: 23.4 x 12.1 mm, 5.30 mL, slice 37; location: liver (from organ map: TotalSegmentator masks); "
        "organ map resampled onto the CT's grid from 4.50 x 4.50 x 4.50 mm")
