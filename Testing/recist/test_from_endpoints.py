"""Masks from a radiologist's RECIST endpoints (DeepLesion's weak labels)."""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology import InputError
from deepradiology.recist import masks_from_recist, recist_axes, recist_ellipse_mask


def test_the_recist_ellipse_has_the_given_diameters_and_area():
    long_ij = ((20.0, 50.0), (80.0, 50.0))
    short_ij = ((50.0, 30.0), (50.0, 70.0))
    mask = recist_ellipse_mask((100, 100), long_ij, short_ij, spacing=(0.8, 0.8))
    assert mask.sum() * 0.64 == pytest.approx(np.pi * 24 * 16, rel=0.02)
    axes = recist_axes(mask, (0.8, 0.8))
    assert axes.long_mm == pytest.approx(48.0, abs=1.0)
    assert axes.short_mm == pytest.approx(32.0, abs=1.0)


def test_an_off_centre_short_axis_still_touches_all_four_endpoints():
    long_ij = ((10.0, 40.0), (70.0, 40.0))
    short_ij = ((25.0, 30.0), (25.0, 60.0))          # crosses a quarter of the way, reaches 20 px below
    mask = recist_ellipse_mask((100, 100), long_ij, short_ij)
    for i, j in (*long_ij, *short_ij):
        assert mask[int(round(j - np.sign(j - 40) * 1)), int(round(i - np.sign(i - 25) * 1))]
    assert not mask[61, 25] and not mask[40, 71]


def test_identical_endpoints_are_refused():
    with pytest.raises(InputError, match="identical"):
        recist_ellipse_mask((10, 10), ((3, 3), (3, 3)), ((2, 2), (4, 4)))


def test_phantom_truth_endpoints_give_a_3d_mask_of_the_right_volume(a_phantom_patient):
    study = a_phantom_patient.studies[0]
    truth = next(t for t in study.lesions if t["organ"] == "spleen")
    long_ij = np.asarray(truth["long_axis_ijk"])[:, :2]
    short_ij = np.asarray(truth["short_axis_ijk"])[:, :2]
    masks = masks_from_recist(study.ct, long_ij, short_ij, slice_index=truth["key_slice"])
    assert masks.lesion.method == "adaptive-threshold"
    assert masks.volume.volume_ml == pytest.approx(truth["volume_ml"], rel=0.1)
    overlap = 2 * np.count_nonzero(masks.ellipse & masks.lesion.mask) / (masks.ellipse.sum() + masks.lesion.mask.sum())
    assert overlap > 0.9
