"""Separate a lesion from an adjacent structure its 3D mask has merged with.

A density-grown mask cannot stop where a lesion touches tissue of its own density (a second lesion, an
enhanced vessel, the kidney): there is no edge. Two general facts still tell the structures apart:

1. **A neck** (`split_at_neck`): two compact bodies in contact meet over a constriction much narrower
   than either. The 3D distance to the mask's border (mm, on the anisotropic grid) has one maximum per
   body and, between two bodies, a saddle at the neck whose height is the neck's half-width. The mask is
   flooded from its distance maxima (a watershed on minus the distance); neighbouring basins whose saddle
   is at least `SAME_BODY` (80 %) of the lower of their two peaks are one body (a bump or a noisy edge, not
   a constriction) and are merged. The body holding the click is separated from a neighbour when their
   neck is at most `CLEAR_NECK` (half) of the clicked body's own depth: a constriction the lesion's own
   convex shape cannot have. A neck in between (wider than half the lesion's depth, yet a constriction
   of the neighbour) is *not* cut: it is reported as uncertain.
   Two touching 9 mm spheres meet over a neck of 1-2 mm (ratio about 0.2); a 7 mm tube along a lesion's
   side about 2 mm (0.2-0.3 of the lesion's 8-10 mm depth).
2. **A different organ** (`organ_exclusion`, with an organ map): a lesion seldom crosses an organ's
   capsule; when >= `ORGAN_CUT_SHARE` of the mask lies in an organ other than the one the click's lesion
   lies in, that organ's voxels are excluded and the mask stops at its label.

The result is an exclusion mask (voxels that are known to belong to the other structure) that
`propagate_3d` and the slice outline then respect, and a note saying where the cut was made. The watershed
line runs mid-neck, so the half of the bridge left on the lesion is trimmed by an in-plane opening as wide
as the neck, next to the cut only. A neck cut's place is still the method's guess: a long axis ending
within 2 mm of it is warned (`long_axis_at_cut`), and contact with the cut-off structure no longer counts
as missing edge in `extent`; contact with an organ cut off at its label still does (the label may be a
voxel or two off the organ's edge).

Arrays are [k, j, i]; spacings (i, j, k) in mm; the click (i, j, k) voxels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Separation", "split_at_neck", "organ_exclusion", "SAME_BODY", "CLEAR_NECK", "ORGAN_CUT_SHARE"]

SAME_BODY = 0.8        # saddle >= 80 % of the lower peak: the same body (a bump, not a neck)
CLEAR_NECK = 0.5       # neck <= half the clicked body's depth: a constriction, cut there
ORGAN_CUT_SHARE = 0.05  # >= 5 % of the mask in another organ of the map: stop at that organ's label
MIN_PEAK_MM = 1.5      # basins shallower than this (a partial-volume rim) are never bodies of their own


@dataclass
class Separation:
    """Where a mask was separated from an adjacent structure.

    Attributes:
        exclude: bool [k, j, i]: voxels of the other structure(s); None when nothing was separated.
        notes: what was done, for the user ("separated from an adjacent structure at slice k ...").
        uncertain: warnings for a neck too wide to cut with confidence.
        cut_slices: slices k where the kept part borders the removed one.
    """

    exclude: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    cut_slices: list[int] = field(default_factory=list)


def _nearest_inside(mask: np.ndarray, point_kji) -> tuple[int, int, int]:
    """``point_kji`` when it is in ``mask``, else the nearest mask voxel (in voxel units)."""
    from scipy import ndimage

    p = tuple(int(np.clip(v, 0, s - 1)) for v, s in zip(point_kji, mask.shape))
    if mask[p]:
        return p
    _, idx = ndimage.distance_transform_edt(~mask, return_indices=True)
    return tuple(int(idx[d][p]) for d in range(3))


def _pair_saddles(labels: np.ndarray, depth: np.ndarray) -> dict[tuple[int, int], float]:
    """{(a, b): saddle} for basins a < b sharing a face: the highest min(depth) over their shared faces."""
    saddles: dict[tuple[int, int], float] = {}
    for axis in range(3):
        a = np.moveaxis(labels, axis, 0)
        d = np.moveaxis(depth, axis, 0)
        la, lb, da, db = a[:-1], a[1:], d[:-1], d[1:]
        touch = (la > 0) & (lb > 0) & (la != lb)
        if not touch.any():
            continue
        lo = np.minimum(la[touch], lb[touch])
        hi = np.maximum(la[touch], lb[touch])
        val = np.minimum(da[touch], db[touch])
        for x, y, v in zip(lo.tolist(), hi.tolist(), val.tolist()):
            if v > saddles.get((x, y), -1.0):
                saddles[(x, y)] = v
    return saddles


def _merge_same_bodies(labels: np.ndarray, depth: np.ndarray) -> tuple[np.ndarray, dict, dict]:
    """Merge neighbouring basins whose saddle is >= `SAME_BODY` of the lower peak (or whose lower peak is
    under `MIN_PEAK_MM`), highest saddle first. Returns (labels, {label: peak mm}, {(a, b): saddle mm})."""
    from scipy import ndimage

    n = int(labels.max())
    peaks = dict(zip(range(1, n + 1), (float(v) for v in ndimage.maximum(depth, labels, np.arange(1, n + 1)))))
    parent = list(range(n + 1))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    saddles = _pair_saddles(labels, depth)
    for (a, b), s in sorted(saddles.items(), key=lambda kv: -kv[1]):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        low = min(peaks[ra], peaks[rb])
        if s >= SAME_BODY * low or low < MIN_PEAK_MM:
            parent[rb] = ra
            peaks[ra] = max(peaks[ra], peaks[rb])
    lut = np.array([find(x) for x in range(n + 1)])
    merged = lut[labels]
    out: dict[tuple[int, int], float] = {}
    for (a, b), s in saddles.items():
        ra, rb = lut[a], lut[b]
        if ra != rb:
            key = (min(ra, rb), max(ra, rb))
            out[key] = max(out.get(key, -1.0), s)
    return merged, {r: peaks[r] for r in set(lut[1:].tolist())}, out


def split_at_neck(mask: np.ndarray, spacing, click_ijk) -> Separation:
    """Separate the body of ``mask`` (bool [k, j, i]) that holds ``click_ijk`` from bodies joined to it at a
    clear neck (module docstring, 1). ``spacing`` (i, j, k) mm."""
    from scipy import ndimage
    from skimage.segmentation import watershed

    mask = np.asarray(mask, dtype=bool)
    if np.count_nonzero(mask) < 20:
        return Separation()
    kk, jj, ii = np.nonzero(mask)
    lo = np.array([kk.min(), jj.min(), ii.min()]) - 1
    hi = np.array([kk.max(), jj.max(), ii.max()]) + 2
    box = tuple(slice(max(0, a), b) for a, b in zip(lo, hi))
    crop = np.pad(mask[box], 1)               # the crop's faces count as outside
    sx, sy, sz = (float(v) for v in spacing)
    depth = ndimage.distance_transform_edt(crop, sampling=(sz, sy, sx))
    # Distance maxima as markers: plateaus and noisy ridges give several, merged below when not a neck.
    peaks = (depth == ndimage.maximum_filter(depth, size=3)) & crop & (depth >= MIN_PEAK_MM)
    markers, n = ndimage.label(peaks, structure=np.ones((3, 3, 3), bool))
    if n < 2:
        return Separation()
    labels = watershed(-depth, markers, mask=crop)
    labels, body_peak, saddles = _merge_same_bodies(labels, depth)
    offset = np.array([max(0, a) for a in lo]) - 1
    click_kji = tuple(int(round(float(click_ijk[2 - d]))) - offset[d] for d in range(3))   # rounded, as in measure
    here = labels[_nearest_inside(crop, click_kji)]
    others = {(b if a == here else a): s for (a, b), s in saddles.items() if here in (a, b)}
    if not others:
        return Separation()
    own = body_peak[here]
    cut = {o for o, s in others.items() if s <= CLEAR_NECK * own}
    result = Separation()
    for o, s in others.items():
        if o in cut:
            continue
        result.uncertain.append(
            f"3D extent uncertain: the mask holds a second structure joined to the lesion over a neck {2 * s:.1f} mm "
            f"wide, too wide (over half the lesion's {2 * own:.0f} mm depth) to separate them with confidence")
    if not cut:
        return result
    exclude_crop = np.isin(labels, list(cut))
    kept = labels == here
    # The watershed line runs through the middle of the neck, so half of the bridge between the two bodies
    # stays on the lesion as a bump; an in-plane opening as wide as the neck, only next to the cut, trims it
    # (the lesion's own outline, curved on a far larger radius, is left as it is).
    neck = max(others[o] for o in cut)
    radius = max(1, int(round((neck + 0.5) / min(sx, sy))))
    disk = np.zeros((1, 2 * radius + 1, 2 * radius + 1), dtype=bool)
    yy, xx = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    disk[0] = yy ** 2 + xx ** 2 <= radius ** 2
    near_cut = ndimage.distance_transform_edt(~exclude_crop, sampling=(sz, sy, sx)) <= 2.0 * neck + 1.0
    trim = kept & ~ndimage.binary_opening(kept, structure=disk) & near_cut
    exclude_crop |= trim
    kept &= ~trim
    touch = ndimage.binary_dilation(kept, structure=ndimage.generate_binary_structure(3, 1)) & exclude_crop
    cut_k = sorted(set((np.nonzero(touch.any(axis=(1, 2)))[0] + offset[0]).tolist()))
    exclude = np.zeros(mask.shape, dtype=bool)
    exclude[box] = exclude_crop[1:-1, 1:-1, 1:-1]
    result.exclude = exclude
    result.cut_slices = [int(k) for k in cut_k]
    widths = ", ".join(f"{2 * others[o]:.1f}" for o in sorted(cut))
    result.notes.append(f"separated from an adjacent structure of similar density at slice(s) {_ranges(cut_k)}: "
                        f"they meet over a neck {widths} mm wide, against the lesion's {2 * own:.0f} mm depth")
    return result


def organ_exclusion(mask: np.ndarray, organ_labels: np.ndarray, names: dict[int, str], click_ijk) -> Separation:
    """With an organ map: the voxels of other organs, when >= `ORGAN_CUT_SHARE` of ``mask`` lies in one
    (module docstring, 2). The lesion's own organ is the label most of the mask holds within 3 voxels of
    the click; a lesion outside every organ of the map (label 0 there) is not cut by the map."""
    from scipy import ndimage

    mask = np.asarray(mask, dtype=bool)
    labels = np.asarray(organ_labels).reshape(mask.shape)
    k, j, i = _nearest_inside(mask, (click_ijk[2], click_ijk[1], click_ijk[0]))
    box = tuple(slice(max(0, c - 3), c + 4) for c in (k, j, i))
    near = labels[box][mask[box]]
    values, counts = np.unique(near, return_counts=True)
    home = int(values[np.argmax(counts)])
    if home <= 0:   # outside every organ (0), or where a cropped map does not reach (OUTSIDE_MAP, -1)
        return Separation()
    inside = labels[mask]
    n_mask = max(int(np.count_nonzero(mask)), 1)
    # only organs cut: 0 is no organ, and OUTSIDE_MAP (-1) is the map's crop edge, not a structure
    spill = {int(v): int(np.count_nonzero(inside == v)) for v in np.unique(inside) if v > 0 and v != home}
    cut = [v for v, c in spill.items() if c >= ORGAN_CUT_SHARE * n_mask]
    if not cut:
        return Separation()
    exclude = np.isin(labels, cut)
    touch = ndimage.binary_dilation(mask & ~exclude) & exclude & ndimage.binary_dilation(mask)
    cut_k = sorted(set(np.nonzero(touch.any(axis=(1, 2)))[0].tolist()))
    name = lambda v: names.get(v, f"label {v}")  # noqa: E731
    others = ", ".join(f"the {name(v)} ({100 * spill[v] / n_mask:.0f} % of the first mask)" for v in cut)
    return Separation(exclude=exclude, cut_slices=cut_k,
                      notes=[f"stopped at the boundary of {others} by the organ map, at slice(s) {_ranges(cut_k)}: "
                             f"the lesion lies in the {name(home)}"])


def _ranges(ks) -> str:
    ks = sorted(int(k) for k in ks)
    if not ks:
        return "none"
    runs, start, prev = [], ks[0], ks[0]
    for k in ks[1:] + [None]:
        if k is not None and k == prev + 1:
            prev = k
            continue
        runs.append(str(start) if start == prev else f"{start}-{prev}")
        if k is not None:
            start = prev = k
    return ", ".join(runs)


def long_axis_at_cut(exclude_slice: np.ndarray, endpoints_ij, spacing, within_mm: float = 2.0) -> bool:
    """Does an end of the long axis ((i, j) voxels, two points) lie within ``within_mm`` of the structure cut
    off on that slice (bool [j, i])? Then the measured length depends on where the cut was made."""
    from scipy import ndimage

    exclude_slice = np.asarray(exclude_slice, dtype=bool)
    if not exclude_slice.any():
        return False
    sx, sy = float(spacing[0]), float(spacing[1])
    dist = ndimage.distance_transform_edt(~exclude_slice, sampling=(sy, sx))
    for i, j in endpoints_ij:
        jj = int(np.clip(round(float(j)), 0, dist.shape[0] - 1))
        ii = int(np.clip(round(float(i)), 0, dist.shape[1] - 1))
        if dist[jj, ii] <= within_mm:
            return True
    return False
