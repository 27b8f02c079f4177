"""Is a lesion's 3D extent trustworthy? Evidence that the mask ran into adjacent tissue, or that the
slices are too coarse for the lesion, turned into warnings that start with "3D extent uncertain:".

A region grown by density stops where the lesion's edge stands out. Where the lesion touches tissue of
similar density (an organ wall, a vessel, a neighbouring organ) there is no edge, and the mask either
leaks into that tissue (volume too large) or is cut by the growth limit (too small) without any error.
The rule looks for seven kinds of evidence of contact (and three of a poorly defined extent, below), each
a general property of a compact lesion, not of a case:

1. **No edge on part of its border** (`CONTACT_SHARE`): a lesion bounded by a visible edge is surrounded
   by tissue outside its density band. Of the in-plane ring 1.5-4.5 mm outside the mask on each of its
   slices (past the partial-volume edge), the share whose smoothed value still lies in the band the
   lesion was segmented with (after a 3 x 3 opening, so isolated noise pixels do not count) is the
   share of its border without an edge. Above 10 % the lesion runs into similar tissue there.
   Isolated lesions inserted into the real liver score 0-1 %; one touching the kidney 18 %.
2. **Area that grows away from the largest slice** (`AREA_JUMP`): a compact (convex) lesion's area
   shrinks monotonically from its largest slice towards both ends (an ellipsoid's is A0 (1 - z^2/c^2)).
   A slice more than 25 % (and more than 4 pixels and 5 % of the largest area) larger than the
   slice before it, going outward, means another structure joined the mask there.
3. **A narrow tail** (`narrow_tail`): the same convex lesion narrows ever faster towards its ends, so
   three or more consecutive slices under 40 % of its largest area with nearly the same area (each
   within 25 % of the last) are a strand of constant section, a vessel or a duct, that the mask followed.
4. **A cut profile** (`truncated_end`): a mask of three or more slices that is largest on its first or last
   slice stops where the lesion is still wide: it holds part of a larger structure.
5. **A protrusion on the key slice** (`elongation_jump`): long axis / sqrt(area) is the same on every slice
   of an ellipsoid; a key slice > 25 % more elongated than its neighbours has a leak the neighbours lack,
   so its long axis is not the lesion's.
6. **Two organs** (with an organ map): >= 10 % of the mask in a second organ of the map. A lesion
   seldom crosses an organ's capsule; a mask leaking into the neighbouring organ does.
7. **Search limits** (raised by `propagate_3d` itself, with the same prefix): the mask reaching the edge
   of its in-plane search window or the through-plane search limit, or propagation stopped because the
   mask merged with its surroundings or its boundary faded.

Low contrast (`MIN_CNR`): the outline is drawn at the level half-way between lesion and surroundings, so
each tissue lies contrast / 2 from it. With a contrast under 2.5x the noise SD of the surroundings (raw
values, robust SD, in the ring 1.5-4.5 mm outside the largest slice; a ring holding two tissues, as when
the mask is only part of the lesion, has a large SD too) that is under 1.25 SD: over 10 % of each tissue's
pixels fall on the wrong side, and the outline, axes and volume follow the noise.

A notched outline (`MIN_SOLIDITY`): a convex lesion's digital outline fills its convex hull but for a few
per cent at its stair-stepped edge (0.89-0.99 for the inserted ellipsoids of 12-32 mm at 1 mm pixels). A
key-slice mask filling under 85 % of its hull has a notch: a part of the lesion the threshold missed, or
two structures joined; its axes and volume are uncertain.

Coarse slices (`COARSE_DEPTH_FRACTION`): the largest slice may lie up to half a slice spacing s off the
lesion's equator, where its diameter is short by 1 - sqrt(1 - (s / D)^2), D the lesion's depth along z.
For s <= D / 3 that is under 6 %, inside the 7 % RECIST tolerance; beyond it the long axis, the choice
of the largest slice and the partial-volume volume are all uncertain, so a lesion spanning fewer than 3
slices, or with s > D / 3, is flagged. D is estimated as 1.5 V / A_max (exact for an ellipsoid, whose
volume is 2/3 of its largest cross-section times its depth), V the volume and A_max the largest area.

The rule warns rather than cuts the mask: where an edge is missing the image cannot tell which side is
lesion, so a cut would be one more confident guess. The radiologist sees the warning with the numbers.
(The one cut made, by `separate` before this rule runs, is at a clear neck or an organ map's label, and
is stated in a note.)

Arrays are [k, j, i]; spacings (i, j, k) in mm; areas in mm^2; volumes in mL.
"""

from __future__ import annotations

import numpy as np

__all__ = ["extent_warnings", "border_contact_share", "area_jumps", "contrast_to_noise", "solidity", "narrow_tail",
           "truncated_end", "elongation_jump", "MIN_CNR", "MIN_SOLIDITY", "CONTACT_SHARE", "AREA_JUMP",
           "ELONGATION_JUMP", "ORGAN_SPILL_SHARE", "COARSE_DEPTH_FRACTION", "PREFIX"]

MIN_SOLIDITY = 0.85           # key slice's area / convex hull: a notch > 15 % of the hull
MIN_CNR = 2.5                 # contrast < 2.5x the surroundings' noise SD: the outline is noise
CONTACT_SHARE = 0.10          # > 10 % of the border without an edge: runs into similar tissue
AREA_JUMP = 1.25              # a slice > 25 % larger than the one before it, going outward
ORGAN_SPILL_SHARE = 0.10      # >= 10 % of the mask in a second organ of the map
ELONGATION_JUMP = 1.25        # key slice's long axis / sqrt(area) > 1.25x its neighbours'
COARSE_DEPTH_FRACTION = 1.0 / 3.0   # slice spacing > 1/3 of the lesion's depth: coarse
PREFIX = "3D extent uncertain: "


def border_contact_share(image_array: np.ndarray, mask: np.ndarray, levels_hu, spacing,
                         smoothing_mm: float = 0.8, exclude: np.ndarray | None = None) -> float:
    """Share (0-1) of the in-plane ring 1.5-4.5 mm outside ``mask`` whose smoothed value lies within
    ``levels_hu`` (low, high HU), pooled over the mask's slices; isolated in-band pixels are removed
    by a 3 x 3 opening. Ring pixels in ``exclude`` (bool [k, j, i], a structure the lesion was separated
    from at a neck or an organ boundary, `separate`) are not counted: that contact is accounted for."""
    from scipy import ndimage

    sx, sy = float(spacing[0]), float(spacing[1])
    px = min(sx, sy)
    inner = max(1, int(round(1.5 / px)))
    outer = max(inner + 1, int(round(4.5 / px)))
    sigma = np.clip(smoothing_mm / np.array([sy, sx]), 0.5, 1.5)
    low, high = float(levels_hu[0]), float(levels_hu[1])
    ks = np.nonzero(mask.any(axis=(1, 2)))[0]
    if not ks.size:
        return 0.0
    jj, ii = np.nonzero(mask.any(axis=0))
    pad = outer + 3
    ja, jb = max(0, jj.min() - pad), min(mask.shape[1], jj.max() + pad + 1)
    ia, ib = max(0, ii.min() - pad), min(mask.shape[2], ii.max() + pad + 1)
    in_band = ring_n = 0
    for k in ks:
        region = mask[k, ja:jb, ia:ib]
        ring = ndimage.binary_dilation(region, iterations=outer) & ~ndimage.binary_dilation(region, iterations=inner)
        smooth = ndimage.gaussian_filter(np.asarray(image_array[k, ja:jb, ia:ib], dtype=np.float32), sigma=sigma,
                                         mode="nearest")
        band = ndimage.binary_opening((smooth >= low) & (smooth <= high), structure=np.ones((3, 3), bool))
        if exclude is not None:
            ring &= ~exclude[k, ja:jb, ia:ib]
        in_band += int(np.count_nonzero(ring & band))
        ring_n += int(np.count_nonzero(ring))
    return in_band / max(ring_n, 1)


def contrast_to_noise(image_array: np.ndarray, mask: np.ndarray, lesion_hu: float, surround_hu: float,
                      spacing) -> float | None:
    """|lesion - surroundings| (HU) over the robust SD (1.4826 MAD, HU) of the raw values in the ring
    1.5-4.5 mm outside ``mask`` on its largest slice; None when the ring is too small to tell."""
    from scipy import ndimage

    px = min(float(spacing[0]), float(spacing[1]))
    inner = max(1, int(round(1.5 / px)))
    outer = max(inner + 1, int(round(4.5 / px)))
    areas = mask.sum(axis=(1, 2))
    k = int(np.argmax(areas))
    if areas[k] == 0:
        return None
    region = mask[k]
    ring = ndimage.binary_dilation(region, iterations=outer) & ~ndimage.binary_dilation(region, iterations=inner)
    values = np.asarray(image_array[k], dtype=np.float64)[ring]
    if values.size < 20:
        return None
    sd = 1.4826 * float(np.median(np.abs(values - np.median(values))))
    return abs(float(lesion_hu) - float(surround_hu)) / max(sd, 1e-6)


def solidity(mask_2d: np.ndarray) -> float | None:
    """Area / convex-hull area of a slice mask (1 for a convex outline); None for under 10 pixels."""
    from skimage.morphology import convex_hull_image

    mask_2d = np.asarray(mask_2d, dtype=bool)
    if np.count_nonzero(mask_2d) < 10:
        return None
    return float(np.count_nonzero(mask_2d)) / float(np.count_nonzero(convex_hull_image(mask_2d)))


def area_jumps(areas_mm2: dict[int, float], pixel_mm2: float) -> list[int]:
    """Slices k whose area is > 25 % (and > 4 pixels and > 5 % of the largest area) above that of the
    slice before them, walking outward from the slice of largest area."""
    if len(areas_mm2) < 3:
        return []
    ks = sorted(areas_mm2)
    top_k = max(ks, key=lambda k: areas_mm2[k])
    top = areas_mm2[top_k]
    floor = max(4.0 * pixel_mm2, 0.05 * top)
    jumps = []
    for step in (1, -1):
        k = top_k
        while (k + step) in areas_mm2:
            prev, here = areas_mm2[k], areas_mm2[k + step]
            if here > AREA_JUMP * prev and here - prev > floor:
                jumps.append(k + step)
            k += step
    return sorted(jumps)


def narrow_tail(areas_mm2: dict[int, float]) -> list[int]:
    """Slices of a narrow tail of near-constant section: >= 3 consecutive slices, walking outward from the
    slice of largest area, each under 40 % of that area and within 25 % of the slice before it."""
    if len(areas_mm2) < 4:
        return []
    top_k = max(areas_mm2, key=areas_mm2.get)
    top = areas_mm2[top_k]
    tail: list[int] = []
    for step in (1, -1):
        run: list[int] = []
        k = top_k
        while (k + step) in areas_mm2:
            prev, here = areas_mm2[k], areas_mm2[k + step]
            if here < 0.4 * top and abs(here - prev) <= 0.25 * prev:
                run.append(k + step)
            else:
                tail.extend(run if len(run) >= 2 else [])
                run = []
            k += step
        # Each slice of a run pairs with the one before it: two in a run are >= 3 slices of one section.
        tail.extend(run if len(run) >= 2 else [])
    return sorted(tail)


def truncated_end(areas_mm2: dict[int, float]) -> int | None:
    """The end slice k of a mask of >= 3 slices that is also its largest: the lesion's profile is cut
    there (a lesion narrows towards both of its ends), so the mask holds only part of what was clicked."""
    if len(areas_mm2) < 3:
        return None
    ks = sorted(areas_mm2)
    top_k = max(ks, key=lambda k: areas_mm2[k])
    return top_k if top_k in (ks[0], ks[-1]) else None


def elongation_jump(mask: np.ndarray, key: int, key_long_mm: float, key_area_mm2: float, spacing) -> float | None:
    """How much more elongated the key slice's outline is than its neighbours' (None when < 10 % more, or
    no neighbour to compare). Elongation = long axis / sqrt(area): every cross-section of an ellipsoid (or of
    any lesion whose slices are similar shapes) has the same; a key slice whose long axis crosses a
    protrusion its neighbours lack (a leak on that slice) is far more elongated."""
    from .axes import recist_axes

    if key_area_mm2 <= 0:
        return None
    top = key_area_mm2
    ratios = []
    for k in (key - 1, key + 1):
        if not 0 <= k < mask.shape[0]:
            continue
        area = float(np.count_nonzero(mask[k])) * spacing[0] * spacing[1]
        if area < 0.4 * top:
            continue
        try:
            long_mm = recist_axes(mask[k].astype(float), spacing[:2]).long_mm
        except Exception:       # a sliver without a closed outline: no comparison
            continue
        ratios.append(long_mm / np.sqrt(area))
    if not ratios:
        return None
    jump = (key_long_mm / np.sqrt(key_area_mm2)) / max(ratios)
    return float(jump) if jump > 1.1 else None


def _organ_spill(mask: np.ndarray, labels: np.ndarray, names: dict[int, str]) -> tuple[str, str, float] | None:
    """(main organ, second organ, share of the mask in the second) when >= 10 % lies in a second organ."""
    inside = labels[mask]
    inside = inside[inside > 0]
    if not inside.size:
        return None
    values, counts = np.unique(inside, return_counts=True)
    if len(values) < 2:
        return None
    order = np.argsort(counts)[::-1]
    share = counts[order[1]] / max(int(np.count_nonzero(mask)), 1)
    if share < ORGAN_SPILL_SHARE:
        return None
    name = lambda v: names.get(int(v), f"label {int(v)}")  # noqa: E731
    return name(values[order[0]]), name(values[order[1]]), float(share)


def extent_warnings(image, volume, levels_hu, *, organ_labels: np.ndarray | None = None,
                    label_names: dict[int, str] | None = None, key_slice: int | None = None,
                    key_long_mm: float | None = None, key_area_mm2: float | None = None,
                    key_mask: np.ndarray | None = None, exclude: np.ndarray | None = None) -> list[str]:
    """The warnings (each starting "3D extent uncertain:") that the rule in this module's docstring
    raises for ``volume`` (a `LesionVolume`) on ``image`` (HU), the lesion segmented within
    ``levels_hu`` (low, high HU); ``organ_labels`` [k, j, i] on the same grid with {label: name};
    ``key_slice``, ``key_long_mm``, ``key_area_mm2``, ``key_mask``: the measured slice, its long axis, area
    and mask [j, i]; ``exclude``: bool [k, j, i], structures the lesion was separated from (`separate`), whose
    contact is not counted as missing edge."""
    warnings: list[str] = []
    sx, sy, sz = (float(v) for v in image.spacing)
    mask = volume.mask
    # Coarse slices
    top = max(volume.areas_mm2.values()) if volume.areas_mm2 else 0.0
    depth_mm = 1.5 * volume.volume_ml * 1000.0 / top if top > 0 else 0.0
    n = volume.n_slices
    if n < 3 or sz > COARSE_DEPTH_FRACTION * depth_mm:
        warnings.append(f"{PREFIX}slices of {sz:.1f} mm are coarse for a lesion about {depth_mm:.0f} mm deep "
                        f"(it spans {n} slice(s); spacing over 1/3 of its depth): its volume and the choice of its "
                        "largest slice are uncertain (slices coarse for its size)")
    # Contrast against the surroundings' noise
    cnr = contrast_to_noise(image.array, mask, volume.lesion_hu, volume.surround_hu, (sx, sy))
    if cnr is not None and cnr < MIN_CNR:
        warnings.append(f"{PREFIX}the lesion stands out by only {cnr:.1f}x the noise of its surroundings "
                        f"(< {MIN_CNR:g}): its outline, axes and volume are decided by noise")
    if key_mask is not None:
        sol = solidity(key_mask)
        if sol is not None and sol < MIN_SOLIDITY:
            warnings.append(f"{PREFIX}the outline on slice {key_slice} is notched ({100 * (1 - sol):.0f} % of its "
                            "convex hull is outside it): part of the lesion may be missing from the mask, or the mask "
                            "holds two structures")
    # Contact with tissue of similar density
    if levels_hu is not None:
        share = border_contact_share(image.array, mask, levels_hu, (sx, sy), exclude=exclude)
        if share > CONTACT_SHARE:
            warnings.append(f"{PREFIX}the lesion runs into adjacent tissue of similar density ({100 * share:.0f} % of "
                            "its border shows no edge): its volume may include that tissue or miss part of the lesion")
    jumps = area_jumps(volume.areas_mm2, sx * sy)
    if jumps:
        where = ", ".join(map(str, jumps))
        warnings.append(f"{PREFIX}the mask's area jumps up at slice(s) {where} going away from its largest slice: "
                        "another structure joins the lesion there")
    tail = narrow_tail(volume.areas_mm2)
    if tail:
        runs = ", ".join(f"{g[0]}-{g[-1]}" for g in np.split(np.asarray(tail), np.nonzero(np.diff(tail) > 1)[0] + 1))
        warnings.append(f"{PREFIX}the mask runs on through slices {runs} as a narrow strand of nearly "
                        "constant section (a vessel or duct, not the lesion's rounded end): it may have followed it")
    cut = truncated_end(volume.areas_mm2)
    if cut is not None:
        warnings.append(f"{PREFIX}the mask is largest on its end slice {cut}: it stops where the lesion is still "
                        "wide, so it holds only part of it")
    if key_slice is not None and key_long_mm and key_area_mm2:
        jump = elongation_jump(mask, key_slice, key_long_mm, key_area_mm2, (sx, sy))
        if jump is not None and jump > ELONGATION_JUMP:
            warnings.append(f"{PREFIX}the long axis on slice {key_slice} is {100 * (jump - 1):.0f} % more elongated "
                            "than the lesion's outline on the next slices: it crosses a protrusion (adjacent tissue) "
                            "they lack")
    if organ_labels is not None:
        spill = _organ_spill(mask, np.asarray(organ_labels).reshape(mask.shape), label_names or {})
        if spill is not None:
            main, other, share = spill
            warnings.append(f"{PREFIX}the lesion runs into the {other} ({100 * share:.0f} % of the mask lies in it, "
                            f"the rest mostly in the {main})")
    return warnings
