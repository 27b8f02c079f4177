"""Checks that an image is what a method needs, each failing with one clear sentence."""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..image import Image

__all__ = ["require_finite", "require_3d", "require_ct", "looks_like_ct", "require_same_grid"]


def require_finite(image: Image) -> Image:
    """Refuse images holding NaN or infinite voxels."""
    if np.issubdtype(image.array.dtype, np.floating):
        bad = int(np.count_nonzero(~np.isfinite(image.array)))
        if bad:
            raise InputError(image.source, f"{bad} voxels are NaN or infinite")
    return image


def require_3d(image: Image, *, min_slices: int = 2) -> Image:
    """Refuse a single slice where a volume is needed."""
    if image.array.shape[0] < min_slices:
        raise InputError(image.source, f"a 3D volume is needed, but this image has {image.array.shape[0]} slice(s)")
    return image


def looks_like_ct(image: Image) -> tuple[bool, str]:
    """Whether voxel values look like CT Hounsfield units, and why not.

    CT in HU has air near -1000 and soft tissue near 0-100; MR and radiographs have no negative values
    and no air plateau. The DICOM modality, where known, decides first.
    """
    if image.modality and image.modality.upper() not in ("CT", "OT", ""):
        return False, f"its modality is {image.modality}, not CT"
    values = image.array[:: max(1, image.array.shape[0] // 16)].ravel()
    if values.size > 2_000_000:
        values = values[:: values.size // 2_000_000]
    lo, hi = np.percentile(values, [1, 99])
    if lo > -200:
        # raw scanner values (air near 0, tissue near 1000-1100) are a CT whose rescale intercept was
        # dropped on export; saying so points at the fix, where "an MR volume?" would mislead
        soft_tissue_at_1024 = float(np.mean(np.abs(values.astype(np.float64) - 1044.0) < 150.0))
        guess = ("a CT stored without its rescale intercept, air at 0 instead of -1000?"
                 if -50 <= lo <= 100 and soft_tissue_at_1024 >= 0.15 else "an MR volume?")
        return False, (f"its values ({lo:.0f} to {hi:.0f} for the 1st-99th percentiles) have no air near "
                       f"-1000 HU, so they are not CT Hounsfield units ({guess})")
    if hi > 4000 or lo < -3100:
        return False, f"its values ({lo:.0f} to {hi:.0f}) are outside the Hounsfield range"
    return True, ""


def require_ct(image: Image) -> Image:
    """Refuse images that are not CT in Hounsfield units."""
    ok, why = looks_like_ct(image)
    if not ok:
        raise InputError(image.source, f"a CT volume in Hounsfield units is needed, but {why}")
    return image


def require_same_grid(image: Image, reference: Image, *, what: str = "the label map") -> Image:
    """Refuse ``image`` unless it lies on ``reference``'s voxel grid: same size (i, j, k), spacing (mm),
    origin (LPS mm) and directions. A label map of the right size but shifted or rescaled would name
    the wrong organ at every voxel, so it is refused rather than used.

    Tolerances: 0.1 % of a voxel's spacing, 0.01 mm of origin per mm of spacing, 1e-4 on directions."""
    problems = []
    if tuple(image.size) != tuple(reference.size):
        problems.append(f"size {tuple(image.size)} voxels vs {tuple(reference.size)}")
    else:
        spacing, ref_spacing = np.asarray(image.spacing, float), np.asarray(reference.spacing, float)
        if not np.allclose(spacing, ref_spacing, rtol=1e-3, atol=1e-4):
            problems.append(f"spacing {_mm(spacing)} mm vs {_mm(ref_spacing)} mm")
        origin, ref_origin = np.asarray(image.origin, float), np.asarray(reference.origin, float)
        if np.max(np.abs(origin - ref_origin)) > 0.01 * max(float(np.min(ref_spacing)), 1.0):
            problems.append(f"origin {_mm(origin)} mm vs {_mm(ref_origin)} mm (LPS)")
        if not np.allclose(np.asarray(image.direction, float), np.asarray(reference.direction, float), atol=1e-4):
            problems.append("its axes point in other directions")
    if problems:
        raise InputError(image.source or what, f"{what} is not on the CT's voxel grid ({'; '.join(problems)}): "
                         "resample it onto the CT first")
    return image


def _mm(values) -> str:
    return "(" + ", ".join(f"{float(v):.2f}" for v in values) + ")"
