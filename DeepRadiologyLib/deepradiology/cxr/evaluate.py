"""Evaluating a chest X-ray model: per-finding ROC AUC and ChestX-ray8's localisation accuracy (IoBB).

Localisation follows Wang et al. 2017: for each radiologist box, the model's heatmap of that finding
is thresholded into boxes; the finding is localised correctly at threshold T if one of the boxes
has IoBB (intersection over the detected box's area) >= T. Accuracy is reported for T = 0.1 ... 0.7.
"""

from __future__ import annotations

import numpy as np

from .heatmap import heatmap_boxes, iobb, normalise_map, upsample_map

__all__ = ["finding_aucs", "localisation_accuracy", "boxes_for_finding", "IOBB_THRESHOLDS"]

IOBB_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)


def finding_aucs(probs: np.ndarray, labels: np.ndarray, names) -> dict:
    """``{"per_finding": {name: auc or None}, "mean_auc": ...}``; None where a finding has one class only."""
    from sklearn.metrics import roc_auc_score

    per = {}
    for c, name in enumerate(names):
        y = labels[:, c]
        per[name] = None if y.min() == y.max() else round(float(roc_auc_score(y, probs[:, c])), 4)
    scored = [v for v in per.values() if v is not None]
    return {"per_finding": per, "mean_auc": round(float(np.mean(scored)), 4) if scored else None}


def boxes_for_finding(activation: np.ndarray, shape: tuple[int, int], *, threshold: float = 0.7,
                      max_boxes: int = 3) -> list:
    """Boxes (x, y, w, h, peak) in film pixels from one finding's (S, S) class activation map."""
    heat = normalise_map(upsample_map(activation, shape))
    return heatmap_boxes(heat, threshold=threshold, max_boxes=max_boxes)


def localisation_accuracy(predicted: list[list], truths: list, findings: list[str], *,
                          thresholds=IOBB_THRESHOLDS) -> dict:
    """Accuracy at each IoBB threshold, per finding and overall.

    Args:
        predicted: for each truth box, the model's boxes for that film and finding.
        truths: the truth boxes (x, y, w, h). findings: each truth box's finding.
    """
    out = {"boxes": len(truths), "per_finding": {}, "overall": {}}
    hits = np.array([[max((iobb(b, t) for b in boxes), default=0.0) >= th for th in thresholds]
                     for boxes, t in zip(predicted, truths)], bool).reshape(len(truths), len(thresholds))
    for name in sorted(set(findings)):
        rows = [i for i, f in enumerate(findings) if f == name]
        out["per_finding"][name] = {f"iobb>={th}": round(float(hits[rows, k].mean()), 4) for k, th in enumerate(thresholds)}
    out["overall"] = {f"iobb>={th}": round(float(hits[:, k].mean()), 4) if len(truths) else None
                      for k, th in enumerate(thresholds)}
    return out
