"""Coarse-to-fine pancreas segmentation of one CT.

1. Checks: CT in HU, abdominal, finite, fits in memory, model fits the CT (`checks`).
2. Locate: the coarse network runs over the whole CT resampled to the model's coarse spacing; the
   largest component of its mask, plus a margin, is the pancreas region.
3. Segment: the fine network runs by sliding window (Gaussian-blended overlap) over that region only,
   resampled to the model's spacing; its probabilities are resampled back onto the CT's own grid.
4. Post-process: threshold 0.5, largest connected component (with nearby pieces of the same gland),
   hole filling; volume in mL; a confidence
   flag from the probability map and the plausible volume range.

All geometry stays on the CT's own grid: the mask and probability map share its spacing, origin and
direction (LPS mm), so they overlay it in any viewer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..image import Image
from ..progress import ProgressCallback, report
from .checks import estimate_memory_bytes, require_abdominal_ct, require_memory, require_pancreas_model
from .data import window_hu
from .postprocess import confidence_reasons, fill_holes, keep_gland
from .resample import grid_size, resample_axes
from .sliding_window import sliding_window_probability

__all__ = ["PancreasResult", "segment_pancreas", "locate_pancreas", "REGION_MARGIN_MM"]

#: Margin (mm) added around the located pancreas before fine segmentation: the locator works on
#: coarse voxels (6 mm by default) and may cut the tail or head by a voxel or two.
REGION_MARGIN_MM = 25.0
#: At 6 mm the locator may lose the whole neck, leaving head and tail farther apart than the fine mask's.
LOCATOR_PIECE_GAP_MM = 60.0


@dataclass
class PancreasResult:
    """What a pancreas segmentation produced.

    Attributes:
        mask: uint8 0/1 pancreas mask on the CT's grid.
        probability: float32 pancreas probability in [0, 1] on the CT's grid.
        volume_ml: mask volume in mL.
        confidence: "high" or "low".
        reasons: why the confidence is low (empty when high).
        mean_probability: mean probability inside the mask.
        region_kji: (start, stop) voxel indices (k, j, i) of the region segmented at full resolution.
        located: whether the coarse locator found the pancreas (else the whole CT was searched).
        seconds: wall time of each stage.
    """

    mask: Image
    probability: Image
    volume_ml: float
    confidence: str
    reasons: list[str]
    mean_probability: float
    region_kji: tuple[tuple[int, int, int], tuple[int, int, int]]
    located: bool
    model: str = ""
    device: str = "cpu"
    seconds: dict = field(default_factory=dict)
    licence: str = ""

    def summary(self) -> dict:
        """JSON-ready figures (no arrays)."""
        return {"volume_ml": round(self.volume_ml, 2), "confidence": self.confidence, "reasons": self.reasons,
                "mean_probability": round(self.mean_probability, 3),
                "region_kji": [list(self.region_kji[0]), list(self.region_kji[1])], "located": self.located,
                "model": self.model, "licence": self.licence, "device": self.device,
                "seconds": {k: round(v, 2) for k, v in self.seconds.items()}}


def _kji(spacing_ijk) -> tuple[float, float, float]:
    return tuple(float(s) for s in spacing_ijk)[::-1]


def locate_pancreas(model, windowed: np.ndarray, spacing_ijk, *, progress=None, span=(0.0, 1.0)):
    """The pancreas region as (start, stop) voxel indices (k, j, i) on the CT's grid, or None.

    ``windowed`` is the whole CT after `window_hu`, (k, j, i).
    """
    own = _kji(spacing_ijk)
    coarse = _kji(model.coarse_spacing_mm)
    scale = tuple(c / o for c, o in zip(coarse, own))
    shape = grid_size(windowed.shape, own, coarse)
    small = resample_axes(windowed, scale_kji=scale, out_shape=shape)
    prob = sliding_window_probability(model.coarse, small, patch=model.coarse_patch, device=model.device,
                                      progress=progress, span=span, message="locating")
    # The same rule as the final mask: the main piece plus nearby pieces of the gland, so a pancreas the
    # locator sees in two pieces (a thin neck at coarse resolution) is located whole.
    found, _ = keep_gland(prob >= 0.5, coarse, max_gap_mm=LOCATOR_PIECE_GAP_MM)
    if not found.any():
        return None
    idx = np.argwhere(found)
    lo, hi = idx.min(0), idx.max(0)
    start = [max(0, int(np.floor(l * s - REGION_MARGIN_MM / o))) for l, s, o in zip(lo, scale, own)]
    stop = [min(n, int(np.ceil(h * s + REGION_MARGIN_MM / o)) + 1) for h, s, o, n in zip(hi, scale, own, windowed.shape)]
    return tuple(start), tuple(stop)


def _at_least_one_patch(start, stop, shape, patch_own):
    """Grow a region (k, j, i) symmetrically to at least one window, within the CT."""
    start, stop = list(start), list(stop)
    for ax in range(3):
        need = int(np.ceil(patch_own[ax])) - (stop[ax] - start[ax])
        if need > 0:
            start[ax] = max(0, start[ax] - need // 2 - 1)
            stop[ax] = min(shape[ax], start[ax] + int(np.ceil(patch_own[ax])) + 1)
            start[ax] = max(0, stop[ax] - int(np.ceil(patch_own[ax])) - 1)
    return tuple(start), tuple(stop)


def segment_pancreas(image: Image, *, model, threshold: float = 0.5, overlap: float = 0.5,
                     progress: ProgressCallback | None = None, memory_limit_bytes: int | None = None,
                     check_body_region: bool = True) -> PancreasResult:
    """Segment the pancreas in an abdominal CT.

    Args:
        image: CT in HU (any orientation; geometry LPS mm).
        model: a `model.PancreasModel` (see `load_pancreas_model`).
        threshold: probability at or above which a voxel is pancreas.
        overlap: sliding-window overlap fraction.
        progress: called with (fraction, message); may raise `Cancelled` to stop (nothing is kept).
        memory_limit_bytes: refuse work needing more than this (default: the memory available now).
        check_body_region: refuse CTs that show no abdomen (turn off only for synthetic tests).

    Returns:
        A `PancreasResult` whose mask and probability lie on ``image``'s grid.

    Raises:
        InputError: not CT, not abdominal, NaN voxels, too large for memory.
        ModelError: the model is for another task or a much finer spacing.
    """
    if getattr(getattr(model, "card", None), "extra", {}).get("format") == "nnunetv2":
        from .external import segment_pancreas_external

        return segment_pancreas_external(image, model=model, progress=progress, check_body_region=check_body_region)
    t0 = time.perf_counter()
    report(progress, 0.0, "checking the CT")
    if check_body_region:
        require_abdominal_ct(image)
    else:
        from ..io import require_3d, require_ct, require_finite

        require_ct(require_3d(require_finite(image)))
    require_pancreas_model(model.card, image_spacing_ijk=image.spacing)
    own = _kji(image.spacing)
    fine = _kji(model.spacing_mm)
    n_vox = int(np.prod(image.array.shape))
    needed = estimate_memory_bytes(
        n_voxels=n_vox, n_fine_voxels=int(np.prod(grid_size(image.array.shape, own, fine))),
        n_coarse_voxels=int(np.prod(grid_size(image.array.shape, own, _kji(model.coarse_spacing_mm)))),
        patch_voxels=int(np.prod(model.patch)), channels=model.card.input_spec["network"]["channels"])
    require_memory(needed, source=image.source, limit=memory_limit_bytes)
    report(progress, 0.03, "windowing")
    windowed = window_hu(image.array, model.window_hu)

    t1 = time.perf_counter()
    region = locate_pancreas(model, windowed, image.spacing, progress=progress, span=(0.05, 0.2))
    located = region is not None
    if region is None:  # the locator saw nothing: search everywhere rather than give up silently
        region = ((0, 0, 0), windowed.shape)
    scale_fine = tuple(f / o for f, o in zip(fine, own))
    start, stop = _at_least_one_patch(region[0], region[1], windowed.shape,
                                      [p * s for p, s in zip(model.patch, scale_fine)])

    t2 = time.perf_counter()
    crop = windowed[start[0]:stop[0], start[1]:stop[1], start[2]:stop[2]]
    fine_shape = grid_size(crop.shape, own, fine)
    fine_volume = resample_axes(crop, scale_kji=scale_fine, out_shape=fine_shape)
    fine_prob = sliding_window_probability(model.fine, fine_volume, patch=model.patch, overlap=overlap,
                                           device=model.device, progress=progress, span=(0.2, 0.92))
    back = resample_axes(fine_prob, scale_kji=tuple(1.0 / s for s in scale_fine), out_shape=crop.shape)
    del fine_volume, fine_prob

    t3 = time.perf_counter()
    report(progress, 0.93, "post-processing")
    mask_crop, discarded = keep_gland(back >= threshold, own)
    mask_crop = fill_holes(mask_crop)
    probability = np.zeros(windowed.shape, dtype=np.float32)
    box = tuple(slice(a, b) for a, b in zip(start, stop))
    probability[box] = np.clip(back, 0.0, 1.0)
    mask = np.zeros(windowed.shape, dtype=np.uint8)
    mask[box] = mask_crop
    volume_ml = float(mask_crop.sum()) * image.voxel_volume_ml
    touches = bool(mask_crop.any() and any(
        (mask_crop.take(0, axis=ax).any() and start[ax] == 0)
        or (mask_crop.take(-1, axis=ax).any() and stop[ax] == windowed.shape[ax]) for ax in range(3)))
    mean_p, reasons = confidence_reasons(probability=back, mask=mask_crop, volume_ml=volume_ml,
                                         discarded_voxels=discarded, touches_edge=touches)
    if not located:
        reasons.append("the low-resolution locator found no pancreas; the whole CT was searched at full resolution")
    t4 = time.perf_counter()
    report(progress, 1.0, "done")
    geometry = dict(source="", meta={"model": model.name})
    return PancreasResult(
        mask=image.with_array(mask, modality="SEG", **geometry),
        probability=image.with_array(probability, modality="", **geometry),
        volume_ml=volume_ml, confidence="high" if not reasons else "low", reasons=reasons,
        mean_probability=mean_p, region_kji=(tuple(start), tuple(stop)), located=located, model=model.name,
        licence=model.card.licence,
        device=str(model.device), seconds={"checks": t1 - t0, "locate": t2 - t1, "segment": t3 - t2,
                                           "postprocess": t4 - t3, "total": t4 - t0})
