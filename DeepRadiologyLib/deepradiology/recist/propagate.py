"""Extend a lesion's mask from its key slice to the neighbouring slices: a 3D mask and its volume.

Slice-propagated masks after Cai et al. (MICCAI 2018), without learned weights: on each next slice the
lesion is the set of pixels on the lesion's side of the half-way level between its value and its
surroundings' (the same level that drew it on the key slice), connected to the previous slice's
mask and grown by at most a couple of pixels from it. Propagation stops when the lesion ends (nothing
left, no contrast) or when it would spill into neighbouring tissue.

The volume counts partial voxels: border voxels add the fraction of lesion their value shows, and one
slice past each end adds the lesion's partial-volume tips, so the volume does not depend on where the
slices happen to cut the lesion's poles.

Arrays are [k, j, i] (slice, row, column); volumes in mL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..image import Image
from ..progress import ProgressCallback, report
from .segment2d import MAX_DIAMETER_MM, soft_lesion_fraction
from .slice_level import read_values, slice_levels

__all__ = ["LesionVolume", "propagate_3d"]


@dataclass
class LesionVolume:
    """A lesion's 3D mask.

    Attributes:
        mask: bool [k, j, i] on the volume's grid: voxels at least half lesion.
        volume_ml: volume counting partial voxels (mL).
        volume_ml_binary: number of mask voxels times the voxel volume (mL).
        slice_range: (first k, last k) holding the lesion, inclusive.
        areas_mm2: {k: mask area on slice k in mm^2}.
        lesion_hu, surround_hu: the values the propagation separated (HU).
        warnings: why propagation stopped early, when it did.
    """

    mask: np.ndarray
    volume_ml: float
    volume_ml_binary: float
    slice_range: tuple[int, int]
    areas_mm2: dict[int, float]
    lesion_hu: float
    surround_hu: float
    warnings: list[str] = field(default_factory=list)

    @property
    def n_slices(self) -> int:
        return self.slice_range[1] - self.slice_range[0] + 1


def _estimate_values(smooth: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    from scipy import ndimage

    core = ndimage.binary_erosion(mask)
    lesion = float(np.median(smooth[core] if np.count_nonzero(core) >= 10 else smooth[mask]))
    ring = ndimage.binary_dilation(mask, iterations=4) & ~ndimage.binary_dilation(mask)
    return lesion, float(np.median(smooth[ring]))


def _slice_soft(smooth: np.ndarray, region: np.ndarray, lesion_hu: float, levels: tuple[float, float],
                excluded: np.ndarray | None = None) -> np.ndarray:
    """Partial-volume fractions for the voxels of ``region`` and a one-pixel band around it (not counting
    ``excluded`` pixels, another structure's); its core is 1."""
    from scipy import ndimage

    frac = soft_lesion_fraction(smooth, lesion_hu, lesion_hu, levels_hu=levels)
    near = ndimage.binary_dilation(region)
    if excluded is not None:
        near &= ~excluded
    out = np.where(near, frac, 0.0)
    out[ndimage.binary_erosion(region)] = 1.0
    return out


#: Share of the lesion's border (pixels 1-2 outside the 3D mask, in-plane) facing tissue beyond 1.5 x the
#: lesion's contrast from its value, above which the extent is warned (see `_far_border_share`): a thin layer of
#: fat on 4 % of the border already cost 9 % of the volume (the phantom's liver lesion beside the aorta).
FAR_BORDER_SHARE = 0.03


def _far_border_share(crop_mask: np.ndarray, smooth_slice, lesion_hu: float, levels: tuple[float, float],
                      exclude: np.ndarray | None) -> float:
    """Share of the border pixels whose value lies beyond the level on their side by more than twice the
    level's distance from the lesion's value: there the lesion meets another tissue (fat beside a lesion
    that pokes out of its organ, next to the aorta) and the level, half-way to the surroundings, is not
    half-way to that tissue, so the edge facing it is drawn too far in (a hyperdense liver lesion 2 mm from
    the phantom's aorta, with its rim in the fat there: 9 % of the key slice's area lost, every slice)."""
    from scipy import ndimage

    low, high = levels
    lo_far, hi_far = lesion_hu - 3.0 * (lesion_hu - low), lesion_hu + 3.0 * (high - lesion_hu)
    far = total = 0
    for k in np.nonzero(crop_mask.any(axis=(1, 2)))[0]:
        region = crop_mask[k]
        border = ndimage.binary_dilation(region, iterations=2) & ~region
        if exclude is not None:
            border &= ~exclude[k]
        values = smooth_slice(int(k))[border]
        far += int(np.count_nonzero((values < lo_far) | (values > hi_far)))
        total += values.size
    return far / total if total else 0.0


def propagate_3d(volume: Image, mask_2d, *, slice_index: int, lesion_hu: float | None = None,
                 surround_hu: float | None = None, levels_hu: tuple[float, float] | None = None,
                 smoothing_mm: float = 0.8, adapt_levels: bool = True,
                 max_extent_mm: float = MAX_DIAMETER_MM, exclude: np.ndarray | None = None,
                 progress: ProgressCallback | None = None) -> LesionVolume:
    """Propagate a lesion's mask on slice ``slice_index`` through the volume.

    Args:
        volume: the CT volume (HU), at least two slices.
        mask_2d: bool [row j, column i] mask of the lesion on slice ``slice_index``.
        slice_index: k of that slice.
        lesion_hu, surround_hu: the lesion's and its surroundings' values; estimated from the mask
            when not given (`segment_lesion_2d` returns them).
        levels_hu: (low, high) half-way levels on either side of the lesion (`LesionSlice.levels_hu`);
            symmetric about the lesion's value, half-way to ``surround_hu``, when not given.
        smoothing_mm: Gaussian smoothing in-plane before thresholding (mm).
        adapt_levels: re-estimate the lesion's value and the contrast-side level on each propagated slice
            from the previous slice's mask and its ring, within bounds (`slice_level`); False keeps the
            key slice's levels on every slice.
        max_extent_mm: propagation goes at most this far above and below the key slice.
        exclude: bool [k, j, i] voxels the mask may not enter: an adjacent structure it was separated
            from (`separate`); they count neither as lesion nor as its surroundings.
        progress: callback(fraction, message).

    Returns:
        `LesionVolume` with the 3D mask, volumes in mL and the slice range.

    Raises:
        InputError: a single-slice image, a mask of the wrong shape or an empty mask.
    """
    from scipy import ndimage

    from ..io.checks import require_3d

    require_3d(volume)
    nk, nj, ni = volume.array.shape
    mask_2d = np.asarray(mask_2d, dtype=bool)
    if mask_2d.ndim == 3 and mask_2d.shape[0] == 1:
        mask_2d = mask_2d[0]
    if mask_2d.shape != (nj, ni):
        raise InputError("mask", f"a slice mask of shape {(nj, ni)} is needed, got {mask_2d.shape}")
    if not 0 <= slice_index < nk:
        raise InputError("slice_index", f"{slice_index} is outside the volume's {nk} slices")
    if not mask_2d.any():
        raise InputError("mask", "is empty: nothing to propagate")
    sx, sy, sz = volume.spacing
    jj, ii = np.nonzero(mask_2d)
    margin_i = max(10, int(np.ptp(ii) + 1))
    margin_j = max(10, int(np.ptp(jj) + 1))
    ja, jb = max(0, jj.min() - margin_j), min(nj, jj.max() + margin_j + 1)
    ia, ib = max(0, ii.min() - margin_i), min(ni, ii.max() + margin_i + 1)
    sigma = np.clip(smoothing_mm / np.array([sy, sx]), 0.5, 1.5)

    def smooth_slice(k: int) -> np.ndarray:
        return ndimage.gaussian_filter(volume.array[k, ja:jb, ia:ib].astype(np.float32), sigma=sigma, mode="nearest")

    if exclude is not None:
        exclude = np.asarray(exclude, dtype=bool).reshape(volume.array.shape)[:, ja:jb, ia:ib]
        if not exclude.any():
            exclude = None
    excluded = (lambda k: None) if exclude is None else (lambda k: exclude[k])  # noqa: E731
    key = mask_2d[ja:jb, ia:ib] if exclude is None else mask_2d[ja:jb, ia:ib] & ~exclude[slice_index]
    if not key.any():
        raise InputError("mask", "lies wholly in the excluded structure: nothing to propagate")
    key_smooth = smooth_slice(slice_index)
    if lesion_hu is None or surround_hu is None:
        est_lesion, est_surround = _estimate_values(key_smooth, key)
        lesion_hu = est_lesion if lesion_hu is None else lesion_hu
        surround_hu = est_surround if surround_hu is None else surround_hu
    if levels_hu is None:
        half = abs(surround_hu - lesion_hu) / 2.0
        levels_hu = (lesion_hu - half, lesion_hu + half)
    low, high = float(levels_hu[0]), float(levels_hu[1])
    if not low < high or not low <= lesion_hu <= high:
        raise InputError("mask", "the lesion does not differ from its surroundings: nothing to follow")
    grow = max(2, int(round(sz / min(sx, sy))))
    max_steps = max(1, int(np.ceil(max_extent_mm / sz)))

    reference = read_values(key_smooth, key, excluded(slice_index)) if adapt_levels else None
    crop_mask = np.zeros((nk, jb - ja, ib - ia), dtype=bool)
    crop_mask[slice_index] = key
    soft_total = float(_slice_soft(key_smooth, key, lesion_hu, (low, high), excluded(slice_index)).sum())
    warnings: list[str] = []
    for n_dir, step in enumerate((1, -1)):
        prev = key
        k = slice_index
        for n in range(max_steps):
            k += step
            if not 0 <= k < nk:
                if prev.any():
                    warnings.append(f"the lesion reaches the {'last' if step > 0 else 'first'} slice of the volume")
                break
            report(progress, 0.5 * n_dir + 0.5 * min(1.0, n / max(1, max_steps)), f"slice {k}")
            smooth = smooth_slice(k)
            if adapt_levels:
                lesion_k, (low_k, high_k) = slice_levels(smooth, prev, lesion_hu, surround_hu, (low, high), reference, excluded(k))
            else:
                lesion_k, low_k, high_k = lesion_hu, low, high
            allowed = ndimage.binary_dilation(prev, iterations=grow)
            inside = (smooth >= low_k) & (smooth <= high_k) & allowed
            if exclude is not None:
                inside &= ~exclude[k]
            if np.count_nonzero(inside) > 60:
                inside = ndimage.binary_opening(inside)
            labels, n_comp = ndimage.label(inside)
            core = ndimage.binary_erosion(prev)
            anchor = core if core.any() else prev
            keep = np.unique(labels[anchor & (labels > 0)])
            region = ndimage.binary_fill_holes(np.isin(labels, keep)) if keep.size else np.zeros_like(prev)
            area = int(np.count_nonzero(region))
            if area < 2:
                # The lesion ends here; its pole still fills part of the voxels under the last mask.
                under = ndimage.binary_dilation(prev)
                if exclude is not None:
                    under &= ~exclude[k]
                tip = soft_lesion_fraction(smooth, lesion_k, lesion_k, levels_hu=(low_k, high_k))[under]
                soft_total += float(tip.clip(0.0, 0.499).sum())
                break
            edge = region & ~ndimage.binary_erosion(region)
            on_limit = edge & ~ndimage.binary_erosion(allowed)
            ring = ndimage.binary_dilation(region, iterations=3) & ~ndimage.binary_dilation(region)
            if exclude is not None and (ring & ~exclude[k]).any():
                ring &= ~exclude[k]
            ring_value = float(np.median(smooth[ring]))
            if np.count_nonzero(on_limit) > 0.5 * np.count_nonzero(edge) and area > 1.3 * np.count_nonzero(prev):
                warnings.append(f"3D extent uncertain: propagation stopped at slice {k}: the lesion merges into neighbouring tissue")
                break
            if low_k <= ring_value <= high_k:
                warnings.append(f"3D extent uncertain: propagation stopped at slice {k}: the lesion's boundary fades")
                break
            crop_mask[k] = region
            soft_total += float(_slice_soft(smooth, region, lesion_k, (low_k, high_k), excluded(k)).sum())
            prev = region
        else:
            # The lesion had not ended after max_extent_mm: its true extent is beyond what was searched.
            warnings.append(f"3D extent uncertain: the 3D mask reaches the search limit ({max_extent_mm:g} mm "
                            f"{'above' if step > 0 else 'below'} the key slice): the lesion may continue")
    far = _far_border_share(crop_mask, smooth_slice, lesion_hu, (low, high), exclude)
    if far >= FAR_BORDER_SHARE:
        warnings.append(f"3D extent uncertain: {100 * far:.0f} % of the lesion's border faces tissue far beyond its "
                        "surroundings' value (fat, bone or contrast): its edge there is drawn at the surroundings' level, "
                        "not half-way to that tissue, and may be cut inward")
    crop_any = crop_mask.any(axis=0)
    touches = ((ja > 0 and crop_any[0].any()) or (jb < nj and crop_any[-1].any())
               or (ia > 0 and crop_any[:, 0].any()) or (ib < ni and crop_any[:, -1].any()))
    if touches:
        warnings.append("3D extent uncertain: the 3D mask reaches the edge of the in-plane search window: it may run into a larger "
                        "structure, its extent is uncertain")
    report(progress, 1.0, "done")
    mask = np.zeros(volume.array.shape, dtype=bool)
    mask[:, ja:jb, ia:ib] = crop_mask
    ks = np.nonzero(mask.any(axis=(1, 2)))[0]
    voxel_ml = volume.voxel_volume_ml
    areas = {int(k): float(np.count_nonzero(mask[k]) * sx * sy) for k in ks}
    return LesionVolume(mask=mask, volume_ml=soft_total * voxel_ml, volume_ml_binary=float(mask.sum()) * voxel_ml,
                        slice_range=(int(ks[0]), int(ks[-1])), areas_mm2=areas, lesion_hu=float(lesion_hu),
                        surround_hu=float(surround_hu), warnings=warnings)
