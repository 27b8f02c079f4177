"""Resampling a volume onto a finer or coarser grid along its own axes (no rotation).

The new grid keeps the image's direction and the centre of voxel (0, 0, 0); only the spacing and the
number of voxels change, so voxel index i on the new grid sits at index ``i * new_spacing / old_spacing``
on the old one. That keeps every resampling a separable, memory-light 1D interpolation per axis, and
the way back exact.
"""

from __future__ import annotations

import numpy as np

from ..image import Image

__all__ = ["grid_size", "resample_axes", "resample_image"]


def grid_size(size_kji, spacing_kji, new_spacing_kji) -> tuple[int, int, int]:
    """Voxels (k, j, i) needed to cover the same extent at ``new_spacing_kji`` (mm)."""
    return tuple(max(1, int(np.floor((n - 1) * s / t + 1e-6)) + 1)
                 for n, s, t in zip(size_kji, spacing_kji, new_spacing_kji))


def _linear_axis(a: np.ndarray, axis: int, positions: np.ndarray, order: int) -> np.ndarray:
    n = a.shape[axis]
    pos = np.clip(positions, 0, n - 1)
    if order == 0:
        return np.take(a, np.rint(pos).astype(np.intp), axis=axis)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    w = (pos - lo).astype(np.float32)
    shape = [1] * a.ndim
    shape[axis] = -1
    w = w.reshape(shape)
    return np.take(a, lo, axis=axis) * (1 - w) + np.take(a, hi, axis=axis) * w


def resample_axes(array: np.ndarray, *, scale_kji, out_shape, offset_kji=(0.0, 0.0, 0.0),
                  order: int = 1) -> np.ndarray:
    """Sample ``array`` (k, j, i) at input index ``offset + t * scale`` for each output index t.

    Args:
        scale_kji: input voxels per output voxel along each axis (new spacing / old spacing).
        out_shape: output shape (k, j, i).
        offset_kji: input index of output voxel 0 (fractional allowed).
        order: 1 linear (intensities, probabilities), 0 nearest (labels).

    Positions outside the input repeat its edge voxels. Linear output is float32.
    """
    out = array.astype(np.float32, copy=False) if order == 1 else array
    for axis in range(3):
        positions = offset_kji[axis] + np.arange(out_shape[axis]) * float(scale_kji[axis])
        if order == 1 and out.shape[axis] == out_shape[axis] and scale_kji[axis] == 1 and offset_kji[axis] == 0:
            continue
        out = _linear_axis(out, axis, positions, order)
    return out


def resample_image(image: Image, spacing_ijk, *, order: int = 1) -> Image:
    """The image on a grid of voxel size ``spacing_ijk`` (mm), same direction and first voxel centre."""
    old = image.spacing[::-1]
    new = tuple(float(s) for s in spacing_ijk)[::-1]
    shape = grid_size(image.array.shape, old, new)
    scale = tuple(t / s for s, t in zip(old, new))
    array = resample_axes(image.array, scale_kji=scale, out_shape=shape, order=order)
    return Image(array, spacing=tuple(spacing_ijk), origin=image.origin, direction=image.direction,
                 modality=image.modality, source=image.source, meta=dict(image.meta))
