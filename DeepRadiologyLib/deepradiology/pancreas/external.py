"""Pancreas segmentation with an imported nnU-Net v2 model (TotalSegmentator or any nnU-Net pancreas model).

nnU-Net's predictor does its own resampling, normalisation and sliding window on the whole CT; this
module adds DeepRadiology's checks before it and, after it, the same post-processing, volume and
confidence rules as the built-in pipeline (`inference`), so results read alike whichever model ran.
"""

from __future__ import annotations

import time

import numpy as np

from ..progress import ProgressCallback, report
from .inference import PancreasResult
from .postprocess import confidence_reasons, fill_holes, keep_gland

__all__ = ["segment_pancreas_external"]


def segment_pancreas_external(image, *, model, threshold: float | None = None,
                              progress: ProgressCallback | None = None, check_body_region: bool = True,
                              postprocess: bool = True) -> PancreasResult:
    """Segment the pancreas with an `NnUNetPancreasModel`.

    The mask is nnU-Net's own decision (argmax over its labels == the pancreas label) unless ``threshold``
    is given (then pancreas probability >= threshold); with ``postprocess`` the gland's main piece is kept
    and holes filled, as in the built-in pipeline. ``probability`` is nnU-Net's softmax for the pancreas
    label on the CT's grid. ``result.meta_raw_mask`` keeps nnU-Net's unprocessed mask.
    """
    from ..models.external.nnunet import require_nnunet_input
    from .checks import require_abdominal_ct

    t0 = time.perf_counter()
    report(progress, 0.0, "checking the CT")
    if check_body_region:
        require_abdominal_ct(image)
    require_nnunet_input(image, model.card)
    t1 = time.perf_counter()
    report(progress, 0.05, f"running nnU-Net model {model.name}")
    seg, prob = model.predict(image)
    raw = (seg == model.pancreas_value) if threshold is None else (prob >= threshold)
    t2 = time.perf_counter()
    report(progress, 0.93, "post-processing")
    spacing_kji = tuple(float(s) for s in image.spacing)[::-1]
    if postprocess:
        mask, discarded = keep_gland(raw, spacing_kji)
        mask = fill_holes(mask)
    else:
        mask, discarded = raw, 0
    mask = mask.astype(np.uint8)
    volume_ml = float(mask.sum()) * image.voxel_volume_ml
    touches = bool(mask.any() and any(mask.take(0, axis=a).any() or mask.take(-1, axis=a).any() for a in range(3)))
    mean_p, reasons = confidence_reasons(probability=prob, mask=mask.astype(bool), volume_ml=volume_ml,
                                         discarded_voxels=discarded, touches_edge=touches)
    t3 = time.perf_counter()
    report(progress, 1.0, "done")
    geometry = dict(source="", meta={"model": model.name, "licence": model.card.licence})
    result = PancreasResult(
        mask=image.with_array(mask, modality="SEG", **geometry),
        probability=image.with_array(prob.astype(np.float32), modality="", **geometry),
        volume_ml=volume_ml, confidence="high" if not reasons else "low", reasons=reasons, mean_probability=mean_p,
        region_kji=((0, 0, 0), tuple(int(n) for n in image.array.shape)), located=True, model=model.name,
        device=str(model.device_name),
        seconds={"checks": t1 - t0, "segment": t2 - t1, "postprocess": t3 - t2, "total": t3 - t0},
        licence=model.card.licence)
    result.raw_mask = raw.astype(np.uint8)
    return result
