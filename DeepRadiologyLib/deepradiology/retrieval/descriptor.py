"""The default lesion embedding, without learned weights: location, size and appearance blocks.

Blocks (each standardised with fixed reference statistics, divided by sqrt(its length) so that every
block has about unit spread, then multiplied by its explicit weight):

``location`` (3): DeepLesion's normalised body location (x, y, z) in [0, 1].
``size`` (2): log of the long and short diameters in mm (log, because a 5 mm difference matters for a
    10 mm node and not for a 150 mm mass).
``appearance`` (29): statistics of the HU patch (`patch.lesion_patch`: 1 mm/pixel, 50 mm padding, 3
    slices) in three regions (the lesion's box, a 10 mm ring around it, the whole padded patch): mean,
    spread and 10/50/90th percentiles of HU, gradient magnitude at 1, 2 and 4 mm scales, grey-level
    entropy; plus the lesion-to-ring contrast and the slice-to-slice change inside the lesion.
A lesion without an image (a metadata-only record) gets the reference mean (zeros) as its appearance
block and is flagged, so it is still found by location and size.

The model name carries the version and the weights, so vectors made with other weights are never mixed
in one index.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..image import Image
from ..lesion import Lesion
from .patch import LesionPatch, lesion_patch

__all__ = ["DescriptorEmbedder", "DEFAULT_WEIGHTS", "BLOCK_SIZES", "appearance_features"]

DEFAULT_WEIGHTS = {"location": 1.0, "size": 0.6, "appearance": 0.8}
BLOCK_SIZES = {"location": 3, "size": 2, "appearance": 29}
_VERSION = 1

# Reference statistics (mean, std) used to standardise each feature. Location: uniform on [0, 1].
# Size: DeepLesion's median diameter 15.6 mm (the talk), log-spread ~0.7. Appearance: HU-scale priors
# for contrast-enhanced body CT (soft tissue ~40 HU, spread ~150 HU; gradients in HU/mm).
_LOC_REF = (np.full(3, 0.5), np.full(3, 0.29))
_SIZE_REF = (np.array([math.log(15.6), math.log(10.0)]), np.array([0.7, 0.7]))
_REGION_REF_MEAN = np.array([20.0, 60.0, -20.0, 20.0, 70.0, 20.0, 12.0, 7.0, 2.5])
_REGION_REF_STD = np.array([150.0, 60.0, 200.0, 150.0, 150.0, 20.0, 12.0, 7.0, 0.6])
_APP_REF = (np.concatenate([_REGION_REF_MEAN] * 3 + [np.array([0.0, 10.0])]),
            np.concatenate([_REGION_REF_STD] * 3 + [np.array([80.0, 15.0])]))


def _region_stats(hu: np.ndarray, grads: list[np.ndarray], mask: np.ndarray) -> list[float]:
    values = hu[mask]
    if values.size == 0:
        values = hu.ravel()
        mask = np.ones_like(hu, dtype=bool)
    p10, p50, p90 = np.percentile(values, [10, 50, 90])
    hist, _ = np.histogram(np.clip(values, -200, 300), bins=16, range=(-200, 300))
    prob = hist[hist > 0] / max(hist.sum(), 1)
    entropy = float(-(prob * np.log2(prob)).sum())
    return [float(values.mean()), float(values.std()), float(p10), float(p50), float(p90),
            *[float(g[mask].mean()) for g in grads], entropy]


def appearance_features(patch: LesionPatch) -> np.ndarray:
    """The 29 appearance numbers of a patch (module docstring), raw (HU, HU/mm, bits)."""
    from scipy.ndimage import gaussian_filter, sobel

    hu = np.clip(patch.hu, -1024.0, 3071.0)            # the talk's single window
    key = hu[1]
    grads = []
    for sigma_mm in (1.0, 2.0, 4.0):
        smooth = gaussian_filter(key, sigma_mm / patch.pixel_mm)
        gx, gy = sobel(smooth, axis=1) / 8.0, sobel(smooth, axis=0) / 8.0
        grads.append(np.hypot(gx, gy) / patch.pixel_mm)
    rows, cols = key.shape
    r, c = np.mgrid[0:rows, 0:cols]
    x0, y0, x1, y1 = patch.box
    lesion = (c >= x0) & (c <= x1) & (r >= y0) & (r <= y1)
    ring_px = 10.0 / patch.pixel_mm
    near = (c >= x0 - ring_px) & (c <= x1 + ring_px) & (r >= y0 - ring_px) & (r <= y1 + ring_px)
    ring = near & ~lesion
    everything = np.ones_like(lesion)
    feats = (_region_stats(key, grads, lesion) + _region_stats(key, grads, ring)
             + _region_stats(key, grads, everything))
    contrast = feats[0] - feats[9]
    if not lesion.any():
        lesion = everything
    interslice = float(0.5 * (np.abs(hu[0] - key)[lesion].mean() + np.abs(hu[2] - key)[lesion].mean()))
    return np.asarray(feats + [contrast, interslice], dtype=np.float64)


@dataclass
class DescriptorEmbedder:
    """Embeds lesions with the weight-free descriptor (module docstring).

    Args:
        weights: block weights {"location", "size", "appearance"}; a weight of 0 drops the block's
            influence (the block stays in the vector, as zeros, so the dimension is fixed).
    """

    weights: dict = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(BLOCK_SIZES)
        if unknown:
            raise InputError("descriptor weights", f"unknown blocks {sorted(unknown)}; use {sorted(BLOCK_SIZES)}")
        self.weights = {**DEFAULT_WEIGHTS, **{k: float(v) for k, v in self.weights.items()}}
        if any(w < 0 or not math.isfinite(w) for w in self.weights.values()):
            raise InputError("descriptor weights", f"must be non-negative numbers, got {self.weights}")

    @property
    def dim(self) -> int:
        return sum(BLOCK_SIZES.values())

    @property
    def name(self) -> str:
        """The model name stored with every vector: version and weights."""
        w = self.weights
        return f"descriptor-v{_VERSION}(location={w['location']:g},size={w['size']:g},appearance={w['appearance']:g})"

    def blocks(self) -> dict[str, slice]:
        """Where each block sits in the vector."""
        out, start = {}, 0
        for name, n in BLOCK_SIZES.items():
            out[name] = slice(start, start + n)
            start += n
        return out

    def embed(self, lesion: Lesion, image: Image | None = None) -> np.ndarray:
        """The lesion's vector (float32, `dim`). Without ``image`` the appearance block is zeros.

        Raises:
            InputError: the lesion has no size or no normalised location; its centre is outside the image.
        """
        if lesion.normalized_location is None:
            raise InputError(lesion.lesion_id, "the lesion has no normalised body location")
        if not lesion.long_axis_mm:
            raise InputError(lesion.lesion_id, "the lesion has no long-axis diameter")
        loc = np.asarray(lesion.normalized_location, dtype=float)
        long_mm = max(float(lesion.long_axis_mm), 0.5)
        short_mm = max(float(lesion.short_axis_mm or long_mm), 0.5)
        size = np.log([long_mm, short_mm])
        app = None
        if image is not None:
            app = appearance_features(lesion_patch(image, lesion))
        return self.from_features(loc, size, app)

    def from_features(self, location: np.ndarray, log_size: np.ndarray, appearance: np.ndarray | None) -> np.ndarray:
        """Standardise and weight raw blocks: location (n, 3), log sizes (n, 2), appearance (n, 29) or None."""
        location = np.atleast_2d(np.asarray(location, dtype=float))
        log_size = np.atleast_2d(np.asarray(log_size, dtype=float))
        n = len(location)
        parts = {
            "location": (location - _LOC_REF[0]) / _LOC_REF[1],
            "size": (log_size - _SIZE_REF[0]) / _SIZE_REF[1],
            "appearance": (np.zeros((n, BLOCK_SIZES["appearance"])) if appearance is None else
                           (np.atleast_2d(appearance) - _APP_REF[0]) / _APP_REF[1]),
        }
        out = np.concatenate([parts[b] * (self.weights[b] / math.sqrt(BLOCK_SIZES[b])) for b in BLOCK_SIZES], axis=1)
        out = out.astype(np.float32)
        return out[0] if n == 1 else out

    def cue_distances(self, a: np.ndarray, b: np.ndarray) -> dict[str, float]:
        """Euclidean distance between two vectors within each block (embedding units)."""
        return {name: float(np.linalg.norm(np.asarray(a)[s] - np.asarray(b)[s])) for name, s in self.blocks().items()}
