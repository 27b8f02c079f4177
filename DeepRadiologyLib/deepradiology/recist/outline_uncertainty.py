"""How far a lesion's 2D outline can be off, from its edge against the texture around it.

`segment_lesion_2d` draws the outline at a level half-way between the lesion's value and its
surroundings', both medians of the textured tissue it selected. The level is therefore itself uncertain
by a fraction of the tissue's texture: on a small lesion the selected region and its medians feed each
other, and in the real kidney levels 5-10 HU off were seen (about one texture SD). A level off by
``e`` HU moves the outline by ``e / g`` mm, ``g`` the mean gradient (HU / mm) across the outline, and
changes the area of a lesion of equivalent radius ``R`` mm by ``2 e / (g R)``, its volume (three
dimensions, each slice's outline moving the same way) by about ``3 e / (g R)``.

The rule takes a typical level error of half the texture SD (robust SD of the tissue on the contrast side
in the ring 3-5 pixels outside the outline) and warns when the volume error that implies exceeds the
15 % volume tolerance of RECIST click measurements (issue 11). It depends only on the image around the
outline: a big lesion, or a steep edge against smooth tissue, is not flagged; a 12-16 mm lesion in the
textured non-contrast kidney is. The warning starts "2D outline uncertain:" and says by how much.

Slices are indexed [row j, column i]; spacing (column mm, row mm); values in HU.
"""

from __future__ import annotations

import numpy as np

__all__ = ["outline_uncertainty", "outline_warning", "LEVEL_ERROR_SDS", "MAX_VOLUME_SHARE", "PREFIX"]

#: The typical error of the half-way level, in texture SDs of the tissue beyond the edge.
LEVEL_ERROR_SDS = 0.5
#: The volume tolerance of a click measurement (issue 11): a larger implied error is warned.
MAX_VOLUME_SHARE = 0.15
PREFIX = "2D outline uncertain: "


def outline_uncertainty(smooth: np.ndarray, region: np.ndarray, lesion_hu: float, surround_hu: float,
                        spacing) -> dict | None:
    """{"texture_sd_hu", "edge_hu_per_mm", "radius_mm", "shift_mm", "volume_share"} for ``region`` (bool
    [j, i]) on the smoothed slice ``smooth`` (HU); None when the ring or the outline is too small to tell.

    texture_sd_hu: robust SD (1.4826 MAD) of the ring 3-5 pixels outside the region, on the surroundings'
    side of the lesion's value; edge_hu_per_mm: mean gradient magnitude on the pixels just inside and just
    outside the outline; shift_mm: how far a level error of `LEVEL_ERROR_SDS` texture SDs moves the
    outline; volume_share: the share of the volume that shift implies (3 shift / radius)."""
    from scipy import ndimage

    sx, sy = float(spacing[0]), float(spacing[1])
    area = int(np.count_nonzero(region))
    if area < 4:
        return None
    rows = np.nonzero(region.any(axis=1))[0]
    cols = np.nonzero(region.any(axis=0))[0]
    win = (slice(max(rows[0] - 7, 0), rows[-1] + 8), slice(max(cols[0] - 7, 0), cols[-1] + 8))
    sub, values = region[win], smooth[win]
    ring = ndimage.binary_dilation(sub, iterations=5) & ~ndimage.binary_dilation(sub, iterations=2)
    ring_values = values[ring]
    side = ring_values[ring_values < lesion_hu] if surround_hu < lesion_hu else ring_values[ring_values > lesion_hu]
    if side.size < 10:
        return None
    texture = 1.4826 * float(np.median(np.abs(side - np.median(side))))
    gx = ndimage.sobel(values, axis=1) / (8.0 * sx)
    gy = ndimage.sobel(values, axis=0) / (8.0 * sy)
    edge = (sub & ~ndimage.binary_erosion(sub)) | (ndimage.binary_dilation(sub) & ~sub)
    gradient = float(np.hypot(gx, gy)[edge].mean())
    if gradient <= 1e-6:
        return None
    radius = float(np.sqrt(area * sx * sy / np.pi))
    shift = LEVEL_ERROR_SDS * texture / gradient
    return {"texture_sd_hu": texture, "edge_hu_per_mm": gradient, "radius_mm": radius, "shift_mm": shift,
            "volume_share": 3.0 * shift / radius}


def outline_warning(facts: dict | None) -> str | None:
    """The warning for `outline_uncertainty`'s facts, or None when the implied volume error is within
    the tolerance."""
    if facts is None or facts["volume_share"] <= MAX_VOLUME_SHARE:
        return None
    return (f"{PREFIX}the lesion's edge ({facts['edge_hu_per_mm']:.0f} HU/mm) is weak against the texture around "
            f"it (SD {facts['texture_sd_hu']:.0f} HU) for a lesion of {facts['radius_mm']:.1f} mm radius: its outline "
            f"may be off by about {facts['shift_mm']:.1f} mm, about {100 * facts['volume_share']:.0f} % of its "
            "volume, and its axes by as much; check the outline")
