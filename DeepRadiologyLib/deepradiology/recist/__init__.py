"""RECISTAssist's core: click a lesion, get its RECIST long and short axes and a 3D mask.

- `recist_axes`: long axis (maximum Feret diameter) and perpendicular short axis of a lesion outline.
- `segment_lesion_2d`: the lesion under a click or in a box on one CT slice (no weights needed).
- `propagate_3d`: extend a slice's mask through neighbouring slices: 3D mask, volume, slice range.
- `masks_from_recist`: 2D and 3D masks from a radiologist's RECIST endpoints (as in DeepLesion).
- `measure_lesion`: all of the above from a click, as a `Lesion` record.

Positions are voxels (i, j, k) or LPS mm as stated; lengths are mm and volumes mL. Nothing here
imports torch: the learned cascade (`network`, `train`) loads it when used.
"""

from __future__ import annotations

from .axes import RecistAxes, lesion_contour, recist_axes, recist_axes_from_contour
from .from_endpoints import RecistMasks, masks_from_recist, recist_ellipse_mask
from .measure import RecistMeasurement, lesion_location, measure_lesion
from .organs import NotALesionError, load_organ_map
from .propagate import LesionVolume, propagate_3d
from .segment2d import MAX_DIAMETER_MM, LesionSlice, NoLesionError, segment_lesion_2d

__all__ = ["RecistAxes", "recist_axes", "recist_axes_from_contour", "lesion_contour", "LesionSlice",
           "NoLesionError", "segment_lesion_2d", "MAX_DIAMETER_MM", "LesionVolume", "propagate_3d",
           "RecistMasks", "masks_from_recist", "recist_ellipse_mask", "RecistMeasurement", "measure_lesion",
           "lesion_location", "NotALesionError", "load_organ_map"]
