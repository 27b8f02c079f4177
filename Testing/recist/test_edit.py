"""A dragged RECIST endpoint, as every front end follows it (`deepradiology.recist.edit`): lengths at
each move, mask and volume again at the release. Expected lengths are the endpoint distances worked out
by hand; the expected volume is the phantom's truth."""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology.lesion import Lesion
from deepradiology.recist.edit import OFF_SLICE_WARNING, follow_edited_endpoints


def test_while_the_drag_goes_on_only_the_axes_and_lengths_follow():
    lesion = Lesion("L1", long_axis_mm=20.0, short_axis_mm=10.0, volume_ml=3.0, slice_index=5)
    # long: a 30-40-50 triangle; short: 12 mm straight along P
    mask = follow_edited_endpoints(lesion, [[0, 0, 7.5], [30, 40, 7.5]], [[20, 14, 7.5], [20, 26, 7.5]])
    assert mask is None
    assert lesion.long_axis_mm == 50.0 and lesion.short_axis_mm == 12.0
    assert lesion.long_axis_lps == ((0.0, 0.0, 7.5), (30.0, 40.0, 7.5))
    assert lesion.volume_ml == 3.0 and lesion.slice_index == 5      # the mask waits for the release
    assert lesion.extra["edited"] is True


def test_at_the_release_the_mask_is_made_again_with_the_truth_s_volume(a_phantom_patient):
    study = a_phantom_patient.studies[0]
    truth = next(t for t in study.lesions if t["organ"] == "spleen")
    lesion = Lesion("L1", volume_ml=999.0, extra={"warnings": [OFF_SLICE_WARNING]})
    mask = follow_edited_endpoints(lesion, truth["long_axis_lps"], truth["short_axis_lps"], image=study.ct,
                                   propagate=True)
    assert mask.shape == study.ct.array.shape and mask[int(truth["key_slice"])].any()
    assert lesion.slice_index == int(truth["key_slice"])
    assert lesion.long_axis_mm == pytest.approx(truth["long_axis_mm"], abs=0.01)
    assert lesion.volume_ml == pytest.approx(truth["volume_ml"], rel=0.1)
    assert OFF_SLICE_WARNING not in lesion.extra["warnings"]     # the earlier edit's warning is gone


def test_endpoints_dragged_onto_two_slices_keep_the_old_mask_and_say_why(a_coarse_phantom_patient):
    study = a_coarse_phantom_patient.studies[0]
    truth = study.lesions[0]
    long_lps = np.asarray(truth["long_axis_lps"], dtype=float)
    long_lps[1, 2] += 2 * study.ct.spacing[2]                     # one end two slices away
    lesion = Lesion("L1", volume_ml=4.2, slice_index=int(truth["key_slice"]))
    assert follow_edited_endpoints(lesion, long_lps, truth["short_axis_lps"], image=study.ct) is None
    assert lesion.volume_ml == 4.2 and lesion.extra["warnings"] == [OFF_SLICE_WARNING]


def test_dragging_twice_does_not_pile_up_the_mask_warnings(a_phantom_patient):
    """Each release makes the mask again: its warnings replace the previous mask's, they are not added to
    them; a warning about something else (the location) stays."""
    study = a_phantom_patient.studies[0]
    truth = next(t for t in study.lesions if t["organ"] == "spleen")
    lesion = Lesion("L1", extra={"warnings": ["location unknown: no organ map", "3D extent uncertain: old mask"]})
    for _ in range(2):
        follow_edited_endpoints(lesion, truth["long_axis_lps"], truth["short_axis_lps"], image=study.ct,
                                propagate=True)
        first = first if _ else list(lesion.extra["warnings"])
    assert lesion.extra["warnings"] == first
    assert "location unknown: no organ map" in first and "3D extent uncertain: old mask" not in first
