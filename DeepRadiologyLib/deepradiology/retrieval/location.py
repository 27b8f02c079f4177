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


_REGRESSOR: dict = {}


def _ssbr_z(image: Image, k: float) -> float | None:
    """DeepLesion-style z (0 head, 1 feet) from the installed SSBR, None when there is none."""
    try:  # optional: LongitudinalMatch's SSBR with a trained, installed model
        from ..longitudinal.ssbr import load_body_part_regressor
        from ..models import find_model

        card = find_model("body-part-regression")
        if card is None:
            return None
        if card.name not in _REGRESSOR:
            _REGRESSOR.clear()
            _REGRESSOR[card.name] = load_body_part_regressor(card.name)
        kk = int(np.clip(round(float(k)), 0, image.size[2] - 1))
        # SSBR scores grow from the feet to the head; DeepLesion's z grows from the head to the feet
        return 1.0 - float(_REGRESSOR[card.name].normalized_z(image, kk))
    except Exception:   # no torch, no model, a model without a score range: fall back to the scan range
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
