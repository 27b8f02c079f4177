"""A radiologist dragged an endpoint of a lesion's RECIST lines: what follows, in every front end.

While the drag goes on only the axes and diameters follow the endpoints (cheap, at every mouse move).
When it is released the mask and volume are made again from the new endpoints (`masks_from_recist`,
in 3D when the lesion's first measurement was), so the volume never disagrees with the lines.
"""

from __future__ import annotations

import numpy as np

from ..image import Image
from ..lesion import Lesion
from .from_endpoints import masks_from_recist

__all__ = ["follow_edited_endpoints", "OFF_SLICE_WARNING"]

#: The warning of endpoints that are not on one axial slice: the mask cannot be made from them.
OFF_SLICE_WARNING = ("edited endpoints are not on one axial slice of the volume: "
                     "the mask and volume were not made again")

#: Warnings about a mask's outline and 3D extent (recist/extent.py, outline_uncertainty.py) and an earlier
#: edit's `OFF_SLICE_WARNING`: they describe the mask an edit replaces, so they go with it.
MASK_WARNING_PREFIXES = ("3D extent uncertain", "2D outline uncertain", "no lesion boundary found",
                         "edited endpoints")


def follow_edited_endpoints(lesion: Lesion, long_lps, short_lps, *, image: Image | None = None,
                            propagate: bool = False) -> np.ndarray | None:
    """Update ``lesion`` (in place) to its edited RECIST endpoints.

    Args:
        lesion: its axes (LPS mm), diameters (mm, to 0.001) and ``extra["edited"]`` follow the endpoints;
            when the mask is made again, also ``slice_index`` (k), ``volume_ml`` (3D only) and
            ``extra["warnings"]`` (the new mask's, or `OFF_SLICE_WARNING`).
        long_lps, short_lps: the two lines' endpoints, each (2, 3) LPS mm; the long axis is the line
            that was the long one, even if dragged shorter.
        image: the CT the lesion was measured on, given when the drag is released: the mask is made again.
        propagate: make the new mask in 3D (with a volume) rather than on the key slice only.

    Returns:
        the new mask, bool (k, j, i) over the whole image, or None: no ``image`` (mid-drag), or the
        endpoints are not on one axial slice (the old mask stays, with `OFF_SLICE_WARNING`).
    """
    long_lps, short_lps = np.asarray(long_lps, dtype=float), np.asarray(short_lps, dtype=float)
    lesion.long_axis_lps = tuple(map(tuple, long_lps.tolist()))
    lesion.short_axis_lps = tuple(map(tuple, short_lps.tolist()))
    lesion.long_axis_mm = round(float(np.linalg.norm(long_lps[1] - long_lps[0])), 3)
    lesion.short_axis_mm = round(float(np.linalg.norm(short_lps[1] - short_lps[0])), 3)
    lesion.extra["edited"] = True
    if image is None:
        return None
    ijk = np.asarray(image.lps_to_index(np.vstack([long_lps, short_lps])), dtype=float)
    k = int(round(float(np.mean(ijk[:, 2]))))
    # What described the mask being replaced goes: the last edit's mask warnings and the first
    # measurement's outline/extent ones (the new mask says its own); the rest (location, names) stays.
    stale = set(lesion.extra.get("edit_mask_warnings", []))
    warnings = [w for w in lesion.extra.get("warnings", [])
                if w not in stale and not w.startswith(MASK_WARNING_PREFIXES)]
    if np.ptp(ijk[:, 2]) > 0.5 or not 0 <= k < image.array.shape[0]:
        lesion.extra["warnings"] = warnings + [OFF_SLICE_WARNING]
        return None
    masks = masks_from_recist(image, ijk[:2, :2], ijk[2:, :2], slice_index=k, propagate=propagate)
    if masks.volume is not None:
        mask = masks.volume.mask
        lesion.volume_ml = round(float(masks.volume.volume_ml), 4)
    else:
        mask = np.zeros(image.array.shape, dtype=bool)
        mask[k] = masks.lesion.mask
    lesion.slice_index = k
    fresh = list(masks.lesion.warnings) + (list(masks.volume.warnings) if masks.volume is not None else [])
    fresh = [w for i, w in enumerate(fresh) if w not in fresh[:i] and w not in warnings]
    lesion.extra["edit_mask_warnings"] = fresh
    lesion.extra["warnings"] = warnings + fresh
    return mask
