"""A lesion's normalised body location (x, y, z) in [0, 1], DeepLesion's convention.

x runs from the patient's right to left, y from anterior to posterior, both relative to the body's
extent on the key slice (voxels above -500 HU); z runs from head to feet. DeepLesion's z comes from the
self-supervised body-part regressor (SSBR); when LongitudinalMatch's SSBR (`deepradiology.longitudinal.ssbr`)
and a trained body-part model are available it is used, otherwise z is the lesion's fraction of the
scanned range, which is only comparable between scans of the same range (the result says which).
"""

from __future__ import annotations

import numpy as np

from ..image import Image

__all__ = ["normalized_location"]


def _ssbr_z(image: Image, k: float) -> float | None:
    try:  # optional: written by the LongitudinalMatch engineer, needs a trained model
        from ..longitudinal import ssbr  # noqa: F401
        fn = getattr(ssbr, "normalized_z", None)
        return None if fn is None else float(fn(image, k))
    except Exception:
        return None


def normalized_location(image: Image, centre_lps) -> tuple[tuple[float, float, float], str]:
    """The normalised location of an LPS mm point in a CT image.

    Returns:
        ((x, y, z) in [0, 1], how z was found: "ssbr" or "scan-range").
    """
    ijk = image.lps_to_index(np.asarray(centre_lps, dtype=float))
    k = int(np.clip(round(ijk[2]), 0, image.size[2] - 1))
    body = image.array[k] > -500

    if body.any():
        rows, cols = np.nonzero(body)
        corners = np.array([[cols.min(), rows.min(), k], [cols.max(), rows.max(), k]], dtype=float)
    else:
        corners = np.array([[0, 0, k], [image.size[0] - 1, image.size[1] - 1, k]], dtype=float)
    lo_hi = image.index_to_lps(corners)
    point = image.index_to_lps(ijk)
    out = []
    for axis in (0, 1):                               # L and P grow with x and y
        lo, hi = sorted(lo_hi[:, axis])
        out.append(float(np.clip((point[axis] - lo) / max(hi - lo, 1e-6), 0, 1)))
    z = _ssbr_z(image, ijk[2])
    how = "ssbr"
    if z is None:
        ends = image.index_to_lps(np.array([[0, 0, 0], [0, 0, image.size[2] - 1]], dtype=float))[:, 2]
        top, bottom = ends.max(), ends.min()         # S is +z in LPS; DeepLesion's z grows to the feet
        z = float(np.clip((top - point[2]) / max(top - bottom, 1e-6), 0, 1))
        how = "scan-range"
    return (out[0], out[1], z), how
