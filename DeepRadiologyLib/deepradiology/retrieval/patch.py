"""The HU patch around a lesion, as the talk prepares it: 1 mm/pixel, 50 mm padding, 3 slices.

The patch is sampled on the image's own (i, j) axes around the lesion centre (the midpoint of the RECIST
long axis), with bilinear interpolation in-plane and linear interpolation between slices, at
``slice_gap_mm`` above and below the key slice (the talk interpolates neighbours at 2 mm). Outside
the image the patch holds -1024 HU (air), as a scanner's field of view would.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..image import Image
from ..lesion import Lesion

__all__ = ["LesionPatch", "lesion_patch", "lesion_box_mm", "thumbnail_png"]

AIR_HU = -1024.0


@dataclass
class LesionPatch:
    """A lesion's patch.

    Attributes:
        hu: (3, rows, cols) float32 HU: slice above, key slice, slice below (k order), 1 pixel =
            ``pixel_mm`` along the image's i (columns) and j (rows) axes.
        box: the lesion's box in patch pixels (col0, row0, col1, row1).
        pixel_mm: pixel size in mm.
    """

    hu: np.ndarray
    box: tuple[float, float, float, float]
    pixel_mm: float


def lesion_box_mm(lesion: Lesion) -> tuple[np.ndarray, np.ndarray]:
    """(centre LPS mm, half-extent (x, y) mm) of the lesion's RECIST endpoints."""
    if lesion.long_axis_lps is None:
        raise InputError(lesion.lesion_id, "the lesion has no RECIST axes, so it has no position in its image")
    pts = [np.asarray(p) for p in lesion.long_axis_lps]
    if lesion.short_axis_lps is not None:
        pts += [np.asarray(p) for p in lesion.short_axis_lps]
    pts = np.stack(pts)
    centre = np.asarray(lesion.centre_lps)
    half = np.maximum(np.abs(pts - centre).max(axis=0)[:2], 1.0)
    return centre, half


def lesion_patch(image: Image, lesion: Lesion, *, padding_mm: float = 50.0, pixel_mm: float = 1.0,
                 slice_gap_mm: float = 2.0, max_side_mm: float = 400.0) -> LesionPatch:
    """Sample the lesion's patch from a CT image (a volume or a single key slice).

    Args:
        image: CT in HU (LPS geometry); the lesion's axes must be in its frame.
        lesion: the lesion, with RECIST axes (LPS mm).
        padding_mm: context kept around the lesion's box on every side.
        pixel_mm: output pixel size.
        slice_gap_mm: distance of the two neighbouring slices from the key slice (single-slice images
            repeat the key slice).
        max_side_mm: a cap on the patch side so that a huge lesion cannot ask for a huge patch.

    Raises:
        InputError: the lesion has no axes or its centre lies outside the image.
    """
    from scipy.ndimage import map_coordinates

    centre, half = lesion_box_mm(lesion)
    c_ijk = image.lps_to_index(centre)
    size = np.array(image.size, dtype=float)
    if np.any(c_ijk < -0.5) or np.any(c_ijk > size - 0.5):
        raise InputError(lesion.lesion_id, f"the lesion centre {np.round(centre, 1).tolist()} (LPS mm) lies outside "
                                           f"the image {image.source or ''} (voxel {np.round(c_ijk, 1).tolist()})")
    half_side = np.minimum(half + padding_mm, max_side_mm / 2)      # (x, y) mm
    cols = int(np.ceil(2 * half_side[0] / pixel_mm)) + 1
    rows = int(np.ceil(2 * half_side[1] / pixel_mm)) + 1
    u = (np.arange(cols) - (cols - 1) / 2) * pixel_mm                # mm along i
    v = (np.arange(rows) - (rows - 1) / 2) * pixel_mm                # mm along j
    sx, sy, sz = image.spacing
    ii = c_ijk[0] + u / sx
    jj = c_ijk[1] + v / sy
    arr = image.array.astype(np.float32, copy=False)
    planes = []
    for dz in (-slice_gap_mm, 0.0, slice_gap_mm):
        kk = float(np.clip(c_ijk[2] + dz / sz, 0, image.size[2] - 1))
        J, I = np.meshgrid(jj, ii, indexing="ij")
        coords = np.stack([np.full(I.shape, kk), J, I])
        planes.append(map_coordinates(arr, coords, order=1, mode="constant", cval=AIR_HU))
    hu = np.stack(planes).astype(np.float32)
    c0 = (cols - 1) / 2
    r0 = (rows - 1) / 2
    box = (c0 - half[0] / pixel_mm, r0 - half[1] / pixel_mm, c0 + half[0] / pixel_mm, r0 + half[1] / pixel_mm)
    return LesionPatch(hu=hu, box=tuple(float(b) for b in box), pixel_mm=pixel_mm)


def thumbnail_png(patch: LesionPatch, *, size: int = 96, window: tuple[float, float] = (-160.0, 240.0)) -> bytes:
    """The key slice of a patch as a square 8-bit greyscale PNG (soft-tissue window), with the lesion's
    box centred; ``size`` pixels a side."""
    import io

    from PIL import Image as PILImage

    key = patch.hu[1]
    lo, hi = window
    grey = (np.clip((key - lo) / (hi - lo), 0, 1) * 255).astype(np.uint8)
    rows, cols = grey.shape
    side = max(rows, cols)
    canvas = np.zeros((side, side), dtype=np.uint8)
    r0, c0 = (side - rows) // 2, (side - cols) // 2
    canvas[r0:r0 + rows, c0:c0 + cols] = grey
    buf = io.BytesIO()
    PILImage.fromarray(canvas).resize((size, size), PILImage.BILINEAR).save(buf, format="PNG")
    return buf.getvalue()
