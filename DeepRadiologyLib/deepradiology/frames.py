"""Coordinate frames, in one place.

DeepRadiology's core works in LPS millimetres (as ITK, DICOM and NIfTI readers do); Slicer shows RAS
millimetres. The two differ by the sign of the first two axes. Voxel indices are (i, j, k) =
(column, row, slice); numpy arrays are indexed [k, j, i].
"""

from __future__ import annotations

import numpy as np

__all__ = ["LPS_TO_RAS", "lps_to_ras", "ras_to_lps", "parse_point", "FRAMES"]

#: 4x4 homogeneous matrix taking LPS mm to RAS mm (its own inverse).
LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])

#: The frames a user may give a point in.
FRAMES = ("ras", "lps", "ijk")


def lps_to_ras(points: np.ndarray) -> np.ndarray:
    """Convert LPS mm points (..., 3) to RAS mm. Also works RAS -> LPS (the map is its own inverse)."""
    out = np.array(points, dtype=float, copy=True)
    out[..., :2] *= -1.0
    return out


def ras_to_lps(points: np.ndarray) -> np.ndarray:
    """Convert RAS mm points (..., 3) to LPS mm."""
    return lps_to_ras(points)


def parse_point(text: str) -> np.ndarray:
    """Parse "x,y,z" (three numbers, commas or spaces) into a float array of shape (3,).

    Raises:
        InputError: when the text is not three finite numbers.
    """
    from .errors import InputError

    parts = [p for p in text.replace(",", " ").split() if p]
    try:
        values = np.array([float(p) for p in parts], dtype=float)
    except ValueError:
        raise InputError("--point", f"{text!r} is not three numbers like 10.5,-20,31") from None
    if values.shape != (3,) or not np.all(np.isfinite(values)):
        raise InputError("--point", f"{text!r} is not three finite numbers like 10.5,-20,31")
    return values
