"""Turning a probability map into a pancreas mask, and judging how sure it is.

Arrays are (k, j, i); volumes are in mL.
"""

from __future__ import annotations

import numpy as np

__all__ = ["largest_component", "keep_gland", "fill_holes", "PLAUSIBLE_VOLUME_ML", "confidence_reasons"]

#: Adult pancreas volumes on CT are about 50-100 mL (atrophic glands near 30 mL, rarely above 120 mL);
#: a result outside this range is more likely a segmentation error than anatomy.
PLAUSIBLE_VOLUME_ML = (15.0, 160.0)
#: A confident mask has a high mean probability and few voxels in the undecided band.
MIN_MEAN_PROBABILITY = 0.75
UNDECIDED_BAND = (0.2, 0.8)
MAX_UNDECIDED_RATIO = 0.6
MAX_DISCARDED_RATIO = 0.2


def largest_component(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """The largest 26-connected component, and how many voxels the other components held."""
    from scipy import ndimage

    labels, n = ndimage.label(mask, structure=np.ones((3, 3, 3), dtype=bool))
    if n <= 1:
        return mask.astype(bool), 0
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    keep = int(np.argmax(sizes))
    return labels == keep, int(sizes.sum() - sizes[keep])


#: Pieces kept beside the largest component: at least this share of its size, and this close to it (mm).
#: At 3-5 mm voxels a thin pancreatic neck or a fatty gland often appears as two or three pieces (the
#: real CT's reference mask is two pieces 7 mm apart); a strict largest-component rule would throw away
#: the tail. 40 mm is about a quarter of the gland's length.
MIN_PIECE_FRACTION = 0.1
MAX_PIECE_GAP_MM = 40.0


def keep_gland(mask: np.ndarray, spacing_kji, *, min_fraction: float = MIN_PIECE_FRACTION,
               max_gap_mm: float = MAX_PIECE_GAP_MM) -> tuple[np.ndarray, int]:
    """The largest component plus pieces of the same gland; returns (mask, voxels discarded).

    A piece is kept when it holds at least ``min_fraction`` of the largest component's voxels and lies
    within ``max_gap_mm`` of it; everything else (false positives in bowel, spleen, vessels) goes.
    """
    from scipy import ndimage

    labels, n = ndimage.label(mask, structure=np.ones((3, 3, 3), dtype=bool))
    if n <= 1:
        return mask.astype(bool), 0
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    main = int(np.argmax(sizes))
    keep = labels == main
    candidates = [c for c in range(1, n + 1) if c != main and sizes[c] >= min_fraction * sizes[main]]
    if candidates:
        gap = ndimage.distance_transform_edt(~keep, sampling=tuple(float(s) for s in spacing_kji))
        for c in candidates:
            piece = labels == c
            if gap[piece].min() <= max_gap_mm:
                keep |= piece
    return keep, int(np.count_nonzero(mask)) - int(keep.sum())


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fill enclosed holes in 3D and in each axial slice (the duct and vessels seen end-on)."""
    from scipy import ndimage

    out = ndimage.binary_fill_holes(mask)
    for k in np.flatnonzero(out.any(axis=(1, 2))):
        out[k] = ndimage.binary_fill_holes(out[k])
    return out


def confidence_reasons(*, probability: np.ndarray, mask: np.ndarray, volume_ml: float, discarded_voxels: int,
                       touches_edge: bool) -> tuple[float, list[str]]:
    """(mean probability inside the mask, reasons to doubt the result: empty when confident)."""
    reasons = []
    n = int(mask.sum())
    if n == 0:
        return 0.0, ["no pancreas was found (no voxel reached probability 0.5)"]
    mean_p = float(probability[mask].mean())
    if mean_p < MIN_MEAN_PROBABILITY:
        reasons.append(f"the mean probability inside the mask is {mean_p:.2f} (below {MIN_MEAN_PROBABILITY})")
    undecided = int(np.count_nonzero((probability > UNDECIDED_BAND[0]) & (probability < UNDECIDED_BAND[1])))
    if undecided > MAX_UNDECIDED_RATIO * n:
        reasons.append(f"{undecided} voxels are undecided (probability {UNDECIDED_BAND[0]}-{UNDECIDED_BAND[1]}), "
                       f"{undecided / n:.0%} of the mask's size")
    lo, hi = PLAUSIBLE_VOLUME_ML
    if not lo <= volume_ml <= hi:
        reasons.append(f"the volume {volume_ml:.1f} mL is outside the plausible adult range {lo:g}-{hi:g} mL")
    if discarded_voxels > MAX_DISCARDED_RATIO * n:
        reasons.append(f"{discarded_voxels} voxels outside the main component were discarded "
                       f"({discarded_voxels / n:.0%} of the mask)")
    if touches_edge:
        reasons.append("the mask touches the edge of the scan, so part of the pancreas may be outside it")
    return mean_p, reasons
