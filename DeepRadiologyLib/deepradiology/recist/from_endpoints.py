"""Lesion masks from a radiologist's RECIST endpoints (as DeepLesion stores them).

The RECIST ellipse is the usual weak label built from the two diameters (Cai et al., MICCAI 2018):
four quarter-ellipses joined at the crossing of the two axes, each passing through its two
neighbouring endpoints, so the shape touches all four endpoints even when the short axis does not
cross the long one at its middle. From it, `masks_from_recist` makes an image-based 2D mask (the
lesion under the crossing, kept near the ellipse) and, on a volume, a 3D mask by propagation.

Coordinates: endpoints are (i, j) voxels on slice k (DeepLesion's pixel (x, y)); spacing (column mm,
row mm) makes the ellipse right on anisotropic pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..image import Image
from .axes import recist_axes
from .segment2d import LesionSlice, NoLesionError, segment_lesion_2d

__all__ = ["recist_ellipse_mask", "axes_crossing", "masks_from_recist", "RecistMasks"]


def _pair(points, name: str) -> np.ndarray:
    p = np.asarray(points, dtype=float).reshape(-1)
    if p.size != 4 or not np.all(np.isfinite(p)):
        raise InputError(name, f"needs two (i, j) endpoints, got {points!r}")
    p = p.reshape(2, 2)
    if np.allclose(p[0], p[1]):
        raise InputError(name, "has two identical endpoints (zero length)")
    return p


def axes_crossing(long_ij, short_ij, spacing=(1.0, 1.0)) -> np.ndarray:
    """Where the long-axis line meets the short-axis line, (i, j) voxels; the long axis' midpoint when
    they are parallel or cross outside the long axis."""
    s = np.asarray(spacing, dtype=float)[:2]
    a, b = _pair(long_ij, "long axis") * s
    c, d = _pair(short_ij, "short axis") * s
    m = np.array([b - a, c - d]).T
    if abs(np.linalg.det(m)) < 1e-9:
        return (a + b) / 2.0 / s
    t, _ = np.linalg.solve(m, c - a)
    if not 0.0 <= t <= 1.0:
        return (a + b) / 2.0 / s
    return (a + t * (b - a)) / s


def recist_ellipse_mask(shape, long_ij, short_ij, *, spacing=(1.0, 1.0), supersample: int = 4) -> np.ndarray:
    """Bool [row j, column i] mask of the RECIST ellipse: pixels at least half inside it.

    Args:
        shape: (rows, columns) of the slice.
        long_ij, short_ij: the two axes, each ((i1, j1), (i2, j2)) in voxels.
        spacing: (column mm, row mm).
        supersample: sub-samples per pixel side used to decide "half inside".
    """
    s = np.asarray(spacing, dtype=float)[:2]
    long_p = _pair(long_ij, "long axis")
    short_p = _pair(short_ij, "short axis")
    centre = axes_crossing(long_p, short_p, s)
    u = (long_p[1] - long_p[0]) * s
    u /= np.linalg.norm(u)
    v = np.array([-u[1], u[0]])
    to_local = lambda p: np.stack([((p - centre) * s) @ u, ((p - centre) * s) @ v], axis=-1)  # noqa: E731
    lx = to_local(long_p)[:, 0]
    sy = to_local(short_p)[:, 1]
    a_pos, a_neg = max(lx.max(), 1e-3), max(-lx.min(), 1e-3)
    b_pos, b_neg = max(sy.max(), 1e-3), max(-sy.min(), 1e-3)
    reach = max(a_pos, a_neg, b_pos, b_neg)
    rows, cols = int(shape[0]), int(shape[1])
    i0 = max(0, int(np.floor(centre[0] - reach / s[0])) - 1)
    i1 = min(cols, int(np.ceil(centre[0] + reach / s[0])) + 2)
    j0 = max(0, int(np.floor(centre[1] - reach / s[1])) - 1)
    j1 = min(rows, int(np.ceil(centre[1] + reach / s[1])) + 2)
    mask = np.zeros((rows, cols), dtype=bool)
    if i1 <= i0 or j1 <= j0:
        return mask
    offs = (np.arange(supersample) + 0.5) / supersample - 0.5
    jj, ii = np.mgrid[j0:j1, i0:i1]
    inside = np.zeros(jj.shape, dtype=float)
    for dj in offs:
        for di in offs:
            local = to_local(np.stack([ii + di, jj + dj], axis=-1))
            x, y = local[..., 0], local[..., 1]
            a = np.where(x >= 0, a_pos, a_neg)
            b = np.where(y >= 0, b_pos, b_neg)
            inside += (x / a) ** 2 + (y / b) ** 2 <= 1.0
    mask[j0:j1, i0:i1] = inside / supersample ** 2 >= 0.5
    return mask


@dataclass
class RecistMasks:
    """Masks made from given RECIST endpoints.

    Attributes:
        ellipse: bool [j, i], the RECIST ellipse on the key slice.
        lesion: the image-based 2D segmentation (or the ellipse itself, ``method == "recist-ellipse"``,
            when no boundary is found there).
        volume: the propagated 3D mask (`LesionVolume`), None for a single slice.
    """

    ellipse: np.ndarray
    lesion: LesionSlice
    volume: object | None


def masks_from_recist(image: Image, long_ij, short_ij, *, slice_index: int | None = None,
                      propagate: bool = True) -> RecistMasks:
    """2D and 3D lesion masks from RECIST endpoints on slice ``slice_index``.

    The lesion is segmented from a click at the axes' crossing, bounded to 1.5 times the long axis;
    a segmentation whose long axis disagrees with the radiologist's by more than half (another
    structure) is replaced by the ellipse. On a volume the 2D mask is then propagated
    (`propagate_3d`).

    Raises:
        InputError: bad endpoints, a slice outside the image.
    """
    k = 0 if image.is_2d and slice_index is None else slice_index
    if k is None:
        raise InputError("slice_index", "give the slice the endpoints were drawn on")
    sx, sy = image.spacing[:2]
    long_p, short_p = _pair(long_ij, "long axis"), _pair(short_ij, "short axis")
    slice_shape = image.array.shape[1:]
    ellipse = recist_ellipse_mask(slice_shape, long_p, short_p, spacing=(sx, sy))
    given_long = float(np.linalg.norm((long_p[1] - long_p[0]) * (sx, sy)))
    centre = axes_crossing(long_p, short_p, (sx, sy))
    lesion = None
    try:
        lesion = segment_lesion_2d(image, click=(centre[0], centre[1], k),
                                   max_diameter_mm=1.5 * given_long + 6 * max(sx, sy))
        if abs(lesion.axes.long_mm - given_long) > 0.5 * given_long:
            lesion = None
    except NoLesionError:
        lesion = None
    if lesion is None:
        if not ellipse.any():
            raise InputError("endpoints", "the RECIST ellipse covers no pixel")
        axes = recist_axes(ellipse, (sx, sy))
        lesion = LesionSlice(slice_index=k, mask=ellipse, soft=ellipse.astype(np.float32), axes=axes,
                             seed_ij=(int(round(centre[0])), int(round(centre[1]))), lesion_hu=float("nan"),
                             surround_hu=float("nan"), spacing=(sx, sy), method="recist-ellipse",
                             warnings=["no lesion boundary found at the axes' crossing; the mask is the RECIST ellipse"])
    volume = None
    if propagate and not image.is_2d:
        from .propagate import propagate_3d

        known = np.isfinite(lesion.lesion_hu)
        volume = propagate_3d(image, lesion.mask, slice_index=k,
                              lesion_hu=lesion.lesion_hu if known else None,
                              surround_hu=lesion.surround_hu if known else None, levels_hu=lesion.levels_hu)
    return RecistMasks(ellipse=ellipse, lesion=lesion, volume=volume)
