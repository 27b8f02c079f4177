"""Resampling along the image's own axes keeps world positions."""

from __future__ import annotations

import numpy as np

from deepradiology.image import Image
from deepradiology.pancreas.resample import grid_size, resample_axes, resample_image


def test_a_bright_voxel_stays_at_the_same_world_position_after_resampling():
    a = np.zeros((20, 30, 40), np.float32)
    a[10, 12, 20] = 1000
    direction = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1]], float)   # rotated in-plane axes
    image = Image(a, spacing=(0.75, 0.75, 3.0), origin=(10, -20, 30), direction=direction)
    fine = resample_image(image, (1.5, 1.5, 1.5))
    peak = np.unravel_index(np.argmax(fine.array), fine.array.shape)
    assert np.allclose(fine.index_to_lps(peak[::-1]), image.index_to_lps((20, 12, 10)), atol=0.76)


def test_resampling_there_and_back_returns_a_smooth_volume():
    k, j, i = np.meshgrid(np.arange(16), np.arange(20), np.arange(24), indexing="ij")
    a = (k * 2.0 + j - i).astype(np.float32)       # linear: interpolation is exact
    own, new = (3.0, 1.0, 1.0), (1.5, 2.0, 2.0)    # (k, j, i) mm
    shape = grid_size(a.shape, own, new)
    there = resample_axes(a, scale_kji=[n / o for o, n in zip(own, new)], out_shape=shape)
    back = resample_axes(there, scale_kji=[o / n for o, n in zip(own, new)], out_shape=a.shape)
    inner = back[:-1, :-2, :-2]
    assert np.allclose(inner, a[:-1, :-2, :-2], atol=1e-3)


def test_labels_resampled_with_nearest_neighbour_keep_their_values():
    a = np.zeros((6, 6, 6), np.uint8)
    a[2:4, 2:4, 2:4] = 2
    out = resample_axes(a, scale_kji=(0.5, 0.5, 0.5), out_shape=(11, 11, 11), order=0)
    assert set(np.unique(out)) == {0, 2}
