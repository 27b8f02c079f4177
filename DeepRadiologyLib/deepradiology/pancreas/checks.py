"""Checks before pancreas segmentation: is this an abdominal CT, does it fit in memory, does the model fit.

Each check raises `InputError` or `ModelError` with one sentence naming the input and the problem, before
any work is done, so that nothing half-made is left behind.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, ModelError
from ..image import Image

__all__ = ["BodyRegion", "body_region", "require_abdominal_ct", "available_memory_bytes",
           "estimate_memory_bytes", "require_memory", "require_pancreas_model", "TASK", "MAX_UPSAMPLING"]

TASK = "pancreas-segmentation"

#: A model is refused for a CT whose voxels are more than this many times its training spacing along any
#: axis: upsampling that far invents the detail the network relies on.
MAX_UPSAMPLING = 3.0

# HU bands of the body-region check. Lung parenchyma is -950..-600 HU; soft tissue and organs -30..150.
_BODY_HU = -300.0
_LUNG_HU = (-950.0, -600.0)
_SOFT_HU = (-30.0, 150.0)
#: An adult abdomen's axial cross-section is 400-1200 cm^2; a head or a limb is below 250.
_MIN_ABDOMEN_CM2 = 250.0
_MAX_LUNG_FRACTION = 0.15
_MIN_SOFT_FRACTION = 0.2
#: Abdominal slices must cover at least this much (mm) for the pancreas (15-25 mm tall and more) to fit.
_MIN_ABDOMEN_MM = 40.0


@dataclass
class BodyRegion:
    """Per-slice HU statistics of the body (slices sampled along k).

    Attributes:
        slice_indices: the k indices measured.
        area_cm2: body cross-section (air outside the body and the table excluded) per slice.
        lung_fraction: fraction of the body at lung density (-950..-600 HU).
        soft_fraction: fraction of the body at soft-tissue density (-30..150 HU).
        abdominal: which sampled slices look abdominal.
        abdominal_mm: extent along k of the abdominal-looking slices, in mm.
    """

    slice_indices: np.ndarray
    area_cm2: np.ndarray
    lung_fraction: np.ndarray
    soft_fraction: np.ndarray
    abdominal: np.ndarray
    abdominal_mm: float


def _body_mask(slice_hu: np.ndarray) -> np.ndarray:
    """The patient's cross-section in one slice: the largest connected region denser than -300 HU, holes
    (lungs, bowel gas) filled."""
    from scipy import ndimage

    dense = slice_hu > _BODY_HU
    labels, n = ndimage.label(dense)
    if n == 0:
        return dense
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return ndimage.binary_fill_holes(labels == int(np.argmax(sizes)))


def body_region(image: Image, *, step_mm: float = 6.0) -> BodyRegion:
    """Measure the body's HU make-up slice by slice (every ``step_mm`` along k)."""
    a = image.array
    step = max(1, int(round(step_mm / image.spacing[2])))
    ks = np.arange(0, a.shape[0], step)
    # In-plane subsampling to ~3 mm keeps this fast on 512x512 slices.
    sub = max(1, int(3.0 // max(image.spacing[0], 1e-3)))
    pixel_cm2 = image.spacing[0] * image.spacing[1] * sub * sub / 100.0
    area, lung, soft = [], [], []
    for k in ks:
        s = np.asarray(a[k, ::sub, ::sub], dtype=np.float32)
        body = _body_mask(s)
        n = max(int(body.sum()), 1)
        inside = s[body]
        area.append(n * pixel_cm2)
        lung.append(float(np.count_nonzero((inside > _LUNG_HU[0]) & (inside < _LUNG_HU[1]))) / n)
        soft.append(float(np.count_nonzero((inside > _SOFT_HU[0]) & (inside < _SOFT_HU[1]))) / n)
    area, lung, soft = map(np.asarray, (area, lung, soft))
    abdominal = (area >= _MIN_ABDOMEN_CM2) & (lung <= _MAX_LUNG_FRACTION) & (soft >= _MIN_SOFT_FRACTION)
    return BodyRegion(ks, area, lung, soft, abdominal, float(abdominal.sum()) * step * image.spacing[2])


def require_abdominal_ct(image: Image) -> BodyRegion:
    """Refuse a volume that is not CT, or CT that shows no abdomen.

    Raises:
        InputError: MR or other non-HU data; or too few slices with an abdomen-sized, lung-free,
            soft-tissue-rich cross-section (a head, chest-only or limb scan), with the figures.
    """
    from ..io import require_3d, require_ct, require_finite

    require_ct(require_3d(require_finite(image)))
    region = body_region(image)
    if region.abdominal_mm < _MIN_ABDOMEN_MM:
        widest = float(region.area_cm2.max()) if region.area_cm2.size else 0.0
        raise InputError(image.source, (
            f"this CT does not show an abdomen: only {region.abdominal_mm:.0f} mm of it has an abdomen-sized "
            f"(>= {_MIN_ABDOMEN_CM2:.0f} cm^2), lung-free, soft-tissue cross-section (widest body section "
            f"{widest:.0f} cm^2, median lung fraction {float(np.median(region.lung_fraction)):.0%}); "
            f"pancreas segmentation needs at least {_MIN_ABDOMEN_MM:.0f} mm of abdomen"))
    return region


def available_memory_bytes() -> int:
    """Memory the system can give without swapping (Linux ``MemAvailable``; total RAM elsewhere)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - exotic systems
        return 1 << 62


def estimate_memory_bytes(*, n_voxels: int, n_fine_voxels: int, n_coarse_voxels: int, patch_voxels: int,
                          channels, window_batch: int = 1) -> int:
    """Peak memory of one segmentation, in bytes.

    Whole-volume arrays (windowed CT, probability, mask, component labels: ~13 bytes a voxel) plus the
    fine grid in the worst case where the pancreas region is the whole volume (input, summed
    probabilities and weights: 12 bytes a voxel), the coarse grid, and the activations of one batch of
    sliding windows (about 8 float32 maps per channel per voxel, counting the decoder and copies).
    The network itself is tiled by the sliding window, so its share does not grow with the volume.
    """
    windows = patch_voxels * int(sum(channels)) * 4 * 8 * max(1, window_batch)
    return int(13 * n_voxels + 12 * n_fine_voxels + 12 * n_coarse_voxels + windows + 200 * 2**20)


def require_memory(needed: int, *, source: str = "", limit: int | None = None) -> None:
    """Refuse work that needs more memory than is available, saying how much it needs."""
    have = available_memory_bytes() if limit is None else int(limit)
    if needed > have:
        gib = 2 ** 30
        raise InputError(source, f"this volume needs about {needed / gib:.1f} GiB of memory for pancreas "
                         f"segmentation but only {have / gib:.1f} GiB is available; crop it to the abdomen or "
                         "run on a machine with more memory")


def require_pancreas_model(card, *, image_spacing_ijk=None):
    """Refuse a model card made for another task, without its input spacing, or for a much finer CT.

    Args:
        card: a `deepradiology.models.ModelCard`.
        image_spacing_ijk: the CT's voxel size (i, j, k) mm, checked against the card's spacing.

    Returns:
        (fine spacing, coarse spacing) in mm, (i, j, k) order.
    """
    if card.task != TASK:
        raise ModelError(f"model {card.name!r} is for the task {card.task!r}, not {TASK!r}; choose a pancreas "
                         "segmentation model")
    spec = card.input_spec or {}
    try:
        fine = tuple(float(s) for s in spec["spacing_mm"])
        coarse = tuple(float(s) for s in spec["coarse_spacing_mm"])
        spec["network"]["arch"]
    except (KeyError, TypeError, ValueError):
        raise ModelError(f"model {card.name!r} has no input spacing or network in its card (input_spec needs "
                         "spacing_mm, coarse_spacing_mm and network); it was not made by `deepradiology "
                         "pancreas train`") from None
    if len(fine) != 3 or len(coarse) != 3 or min(fine + coarse) <= 0:
        raise ModelError(f"model {card.name!r} has an invalid input spacing {fine} / {coarse} mm")
    if image_spacing_ijk is not None:
        ratio = [s / f for s, f in zip(image_spacing_ijk, fine)]
        worst = int(np.argmax(ratio))
        if ratio[worst] > MAX_UPSAMPLING:
            raise ModelError(
                f"model {card.name!r} was trained on {fine[worst]:g} mm voxels along {'ijk'[worst]} but this CT's "
                f"are {image_spacing_ijk[worst]:g} mm ({ratio[worst]:.1f} times coarser, more than "
                f"{MAX_UPSAMPLING:g}); use a model trained at this CT's spacing")
    return fine, coarse
