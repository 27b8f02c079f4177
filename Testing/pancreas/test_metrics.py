"""Dice and surface distances in mm on anisotropic grids."""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology.pancreas.metrics import asd_mm, dice, hd95_mm, segmentation_metrics


def _box(shape, lo, hi):
    m = np.zeros(shape, bool)
    m[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]] = True
    return m


def test_dice_counts_the_overlap_twice_over_both_sizes():
    a = _box((10, 10, 10), (0, 0, 0), (4, 5, 5))   # 100 voxels
    b = _box((10, 10, 10), (2, 0, 0), (6, 5, 5))   # 100 voxels, 50 shared
    assert dice(a, b) == pytest.approx(0.5)
    assert dice(a, a) == 1.0
    assert dice(np.zeros_like(a), np.zeros_like(a)) == 1.0


def test_a_one_slice_shift_costs_the_slice_thickness_not_the_pixel_size():
    a = _box((20, 30, 30), (5, 5, 5), (10, 20, 20))
    b = np.roll(a, 1, axis=0)           # one slice along k
    spacing = (0.8, 0.8, 3.0)           # (i, j, k) mm
    assert hd95_mm(a, b, spacing) == pytest.approx(3.0)
    c = np.roll(a, 1, axis=2)           # one column along i
    assert hd95_mm(a, c, spacing) == pytest.approx(0.8)
    assert 0 < asd_mm(a, c, spacing) <= 0.8


def test_identical_masks_are_zero_mm_apart_and_an_empty_mask_has_no_distance():
    a = _box((10, 10, 10), (2, 2, 2), (6, 6, 6))
    m = segmentation_metrics(a, a, (1, 1, 1))
    assert m["dice"] == 1.0 and m["asd_mm"] == 0.0 and m["hd95_mm"] == 0.0
    empty = segmentation_metrics(np.zeros_like(a), a, (1, 1, 1))
    assert empty["dice"] == 0.0 and empty["hd95_mm"] is None and empty["gold_ml"] == pytest.approx(0.064)
