"""Segmentation overlap and surface-distance metrics, in mm on anisotropic grids.

Masks are boolean arrays indexed (k, j, i); ``spacing_ijk`` is the voxel size (i, j, k) in mm, as in
`deepradiology.Image.spacing`. Surface distances are computed with an exact Euclidean distance
transform scaled by the voxel size, so 3 mm slices count 3 mm.
"""

from __future__ import annotations

import numpy as np

__all__ = ["dice", "surface_distances_mm", "asd_mm", "hd95_mm", "segmentation_metrics"]


def dice(pred: np.ndarray, gold: np.ndarray) -> float:
    """Dice overlap 2|A∩B| / (|A|+|B|); 1.0 when both masks are empty."""
    a, b = np.asarray(pred) > 0, np.asarray(gold) > 0
    total = int(a.sum()) + int(b.sum())
    return 1.0 if total == 0 else 2.0 * int(np.logical_and(a, b).sum()) / total


def _surface(mask: np.ndarray) -> np.ndarray:
    from scipy import ndimage

    return mask & ~ndimage.binary_erosion(mask, structure=ndimage.generate_binary_structure(3, 1), border_value=0)


def surface_distances_mm(pred: np.ndarray, gold: np.ndarray, spacing_ijk) -> tuple[np.ndarray, np.ndarray]:
    """(distances from each surface voxel of ``pred`` to ``gold``'s surface, and the other way), in mm.

    Raises:
        ValueError: either mask is empty (a distance to nothing is undefined).
    """
    from scipy import ndimage

    a, b = np.asarray(pred) > 0, np.asarray(gold) > 0
    if not a.any() or not b.any():
        raise ValueError("surface distances need two non-empty masks")
    # Work in the bounding box of both masks plus a margin: same distances, far less memory.
    idx = np.argwhere(a | b)
    lo = np.maximum(idx.min(0) - 2, 0)
    hi = idx.max(0) + 3
    box = tuple(slice(l, h) for l, h in zip(lo, hi))
    a, b = np.pad(a[box], 1), np.pad(b[box], 1)
    sampling = tuple(float(s) for s in spacing_ijk)[::-1]
    sa, sb = _surface(a), _surface(b)
    to_b = ndimage.distance_transform_edt(~sb, sampling=sampling)
    to_a = ndimage.distance_transform_edt(~sa, sampling=sampling)
    return to_b[sa], to_a[sb]


def asd_mm(pred: np.ndarray, gold: np.ndarray, spacing_ijk) -> float:
    """Average symmetric surface distance in mm (mean over both surfaces' voxels)."""
    d_ab, d_ba = surface_distances_mm(pred, gold, spacing_ijk)
    return float(np.concatenate([d_ab, d_ba]).mean())


def hd95_mm(pred: np.ndarray, gold: np.ndarray, spacing_ijk) -> float:
    """95th-percentile Hausdorff distance in mm: the larger of the two directed 95th percentiles."""
    d_ab, d_ba = surface_distances_mm(pred, gold, spacing_ijk)
    return float(max(np.percentile(d_ab, 95), np.percentile(d_ba, 95)))


def segmentation_metrics(pred: np.ndarray, gold: np.ndarray, spacing_ijk) -> dict:
    """{"dice", "asd_mm", "hd95_mm", "pred_ml", "gold_ml"}; distances are None when a mask is empty."""
    a, b = np.asarray(pred) > 0, np.asarray(gold) > 0
    voxel_ml = float(np.prod(spacing_ijk)) / 1000.0
    out = {"dice": round(dice(a, b), 4), "asd_mm": None, "hd95_mm": None,
           "pred_ml": round(float(a.sum()) * voxel_ml, 3), "gold_ml": round(float(b.sum()) * voxel_ml, 3)}
    if a.any() and b.any():
        d_ab, d_ba = surface_distances_mm(a, b, spacing_ijk)
        out["asd_mm"] = round(float(np.concatenate([d_ab, d_ba]).mean()), 3)
        out["hd95_mm"] = round(float(max(np.percentile(d_ab, 95), np.percentile(d_ba, 95))), 3)
    return out
