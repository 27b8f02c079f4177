"""Heatmaps and boxes from the transition layer's class activations (Wang et al. 2017, localisation).

A finding's class activation map (S x S, at the transition layer) is upsampled to the film's pixel
grid, scaled to [0, 1] within the film, thresholded, and each connected region above the threshold
becomes a box (x, y, w, h) in film pixels (x along columns, y down the rows: the layout of
``BBox_List_2017.csv``). Regions smaller than ``min_area_fraction`` of the film are noise.
"""

from __future__ import annotations

import numpy as np

__all__ = ["upsample_map", "normalise_map", "heatmap_boxes", "iobb", "heatmap_overlay"]


def upsample_map(activation: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear upsampling of an (S, S) map to ``shape`` (rows, cols), cell centres aligned."""
    import torch
    import torch.nn.functional as F

    t = torch.as_tensor(np.asarray(activation, np.float32))[None, None]
    return F.interpolate(t, size=tuple(int(v) for v in shape), mode="bilinear", align_corners=False)[0, 0].numpy()


def normalise_map(heat: np.ndarray) -> np.ndarray:
    """Scale a map to [0, 1] (min -> 0, max -> 1); a flat map becomes all zeros."""
    heat = np.asarray(heat, np.float32)
    low, high = float(heat.min()), float(heat.max())
    return np.zeros_like(heat) if high - low < 1e-12 else (heat - low) / (high - low)


def heatmap_boxes(heat: np.ndarray, *, threshold: float = 0.7, min_area_fraction: float = 0.002,
                  max_boxes: int = 3) -> list[tuple[float, float, float, float, float]]:
    """Boxes around the regions of a [0, 1] heatmap at or above ``threshold``.

    Returns:
        Up to ``max_boxes`` boxes ``(x, y, w, h, peak)`` in pixels, strongest peak first.
    """
    from scipy import ndimage

    heat = np.asarray(heat, np.float32)
    regions, n = ndimage.label(heat >= threshold)
    boxes = []
    min_area = min_area_fraction * heat.size
    for index, found in enumerate(ndimage.find_objects(regions), start=1):
        if found is None:
            continue
        ys, xs = found
        area = int((regions[found] == index).sum())
        if area < min_area:
            continue
        peak = float(heat[found][regions[found] == index].max())
        boxes.append((float(xs.start), float(ys.start), float(xs.stop - xs.start), float(ys.stop - ys.start), peak))
    boxes.sort(key=lambda b: -b[4])
    return boxes[:max_boxes]


def iobb(box, truth) -> float:
    """Intersection over the detected box's area (ChestX-ray8's IoBB): |box & truth| / |box|.

    Both boxes are (x, y, w, h, ...) in the same pixel frame.
    """
    x0, y0, w0, h0 = box[:4]
    x1, y1, w1, h1 = truth[:4]
    ix = max(0.0, min(x0 + w0, x1 + w1) - max(x0, x1))
    iy = max(0.0, min(y0 + h0, y1 + h1) - max(y0, y1))
    return ix * iy / (w0 * h0) if w0 * h0 > 0 else 0.0


def heatmap_overlay(film: np.ndarray, heat: np.ndarray, *, boxes=(), alpha: float = 0.45) -> np.ndarray:
    """An RGB uint8 picture: the film in grey, the [0, 1] heatmap in a jet-like colour on top, boxes in green."""
    film = normalise_map(film)
    heat = np.clip(np.asarray(heat, np.float32), 0, 1)
    # A jet-like ramp: blue -> cyan -> yellow -> red.
    r = np.clip(1.5 - np.abs(4 * heat - 3), 0, 1)
    g = np.clip(1.5 - np.abs(4 * heat - 2), 0, 1)
    b = np.clip(1.5 - np.abs(4 * heat - 1), 0, 1)
    colour = np.stack([r, g, b], axis=-1)
    weight = (alpha * heat)[..., None]
    rgb = (1 - weight) * film[..., None] + weight * colour
    out = (np.clip(rgb, 0, 1) * 255).astype(np.uint8)
    for box in boxes:
        x, y, w, h = (int(round(v)) for v in box[:4])
        x1, y1 = min(out.shape[1] - 1, x + w - 1), min(out.shape[0] - 1, y + h - 1)
        x, y = max(0, x), max(0, y)
        for t in range(max(1, out.shape[0] // 256)):
            out[y + t if y + t <= y1 else y1, x:x1 + 1] = (0, 255, 0)
            out[max(y, y1 - t), x:x1 + 1] = (0, 255, 0)
            out[y:y1 + 1, x + t if x + t <= x1 else x1] = (0, 255, 0)
            out[y:y1 + 1, max(x, x1 - t)] = (0, 255, 0)
    return out
