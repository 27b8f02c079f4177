"""RECIST axes of a lesion's outline on one axial slice: the long axis and the perpendicular short axis.

Coordinates: a 2D slice array is indexed [row j, column i]; points are (i, j) voxel positions,
fractional, on that slice. ``spacing`` is (column mm, row mm): pixels may be anisotropic, so every
length is measured after scaling to mm. The outline is the sub-pixel iso-contour of a soft mask at its
half level (the partial-volume boundary), so lengths are not quantised to whole pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError

__all__ = ["RecistAxes", "recist_axes", "recist_axes_from_contour", "lesion_contour",
           "PERPENDICULAR_TOLERANCE_DEG"]

#: Default angular tolerance of the short axis, in degrees. 0 means exactly perpendicular to the long
#: axis (to floating-point precision). A tolerance searches directions within +-tolerance in 0.5 degree
#: steps and keeps the longest chord; on a pixel outline that favours chords lengthened by the outline's
#: small wiggles (0.3 % on a 14 mm ellipse at 1 degree), so the default is exact.
PERPENDICULAR_TOLERANCE_DEG = 0.0


@dataclass(frozen=True)
class RecistAxes:
    """The two RECIST diameters of one lesion outline on one slice.

    Attributes:
        long_ij: long-axis endpoints ((i1, j1), (i2, j2)), fractional voxel positions on the slice.
        short_ij: short-axis endpoints, same frame.
        long_mm, short_mm: their lengths in mm.
        angle_deg: the angle between the two axes (90 within the tolerance used).
        contour_ij: the outline measured, (N, 2) array of (i, j) points (closed: last point == first).
        area_mm2: area enclosed by the outline in mm^2.
    """

    long_ij: tuple[tuple[float, float], tuple[float, float]]
    short_ij: tuple[tuple[float, float], tuple[float, float]]
    long_mm: float
    short_mm: float
    angle_deg: float
    contour_ij: np.ndarray
    area_mm2: float

    def endpoints_ijk(self, slice_index: int) -> dict[str, list[list[float]]]:
        """Endpoints as (i, j, k) voxel positions on slice ``slice_index``: {"long": [...], "short": [...]}."""
        return {name: [[float(p[0]), float(p[1]), float(slice_index)] for p in pts]
                for name, pts in (("long", self.long_ij), ("short", self.short_ij))}

    def endpoints_lps(self, image, slice_index: int) -> dict[str, list[list[float]]]:
        """Endpoints in LPS mm through ``image``'s geometry: {"long": [p1, p2], "short": [p3, p4]}."""
        ijk = self.endpoints_ijk(slice_index)
        return {name: image.index_to_lps(np.asarray(pts)).tolist() for name, pts in ijk.items()}

    def shifted(self, di: float, dj: float) -> RecistAxes:
        """The same axes moved by (di, dj) voxels (from a crop back to the full slice)."""
        move = lambda pts: tuple((float(p[0] + di), float(p[1] + dj)) for p in pts)  # noqa: E731
        return RecistAxes(move(self.long_ij), move(self.short_ij), self.long_mm, self.short_mm,
                          self.angle_deg, self.contour_ij + np.array([di, dj]), self.area_mm2)


def _spacing2(spacing) -> np.ndarray:
    s = np.asarray(spacing, dtype=float).reshape(-1)[:2]
    if s.shape != (2,) or not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise InputError("spacing", f"needs two positive pixel sizes (column mm, row mm), got {spacing!r}")
    return s


def _polygon_area(p: np.ndarray) -> float:
    x, y = p[:, 0], p[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _inside(point, poly: np.ndarray) -> bool:
    """Even-odd point-in-polygon test; ``poly`` (N, 2), ``point`` (2,)."""
    x, y = point
    xi, yi = poly[:, 0], poly[:, 1]
    xj, yj = np.roll(xi, 1), np.roll(yi, 1)
    crosses = ((yi > y) != (yj > y)) & (x < (xj - xi) * (y - yi) / np.where(yj == yi, 1e-12, yj - yi) + xi)
    return bool(np.count_nonzero(crosses) % 2)


def lesion_contour(mask_2d, *, level: float = 0.5, seed_ij=None) -> np.ndarray:
    """The outline of a (soft) lesion mask at ``level``, as (N, 2) points (i, j), closed.

    Args:
        mask_2d: [row j, column i] array; bool, or a soft mask in [0, 1] (partial-volume fractions).
        level: iso-level; 0.5 is the half-way (partial-volume) boundary.
        seed_ij: an (i, j) point inside the lesion; the outline enclosing it is chosen. Without it the
            outline enclosing the largest area is chosen.

    Raises:
        InputError: the mask is not 2D or holds no lesion.
    """
    from skimage.measure import find_contours

    m = np.asarray(mask_2d, dtype=float)
    if m.ndim == 3 and m.shape[0] == 1:
        m = m[0]
    if m.ndim != 2:
        raise InputError("mask", f"a 2D mask is needed, got shape {m.shape}")
    if not np.any(m > level):
        raise InputError("mask", "is empty: no pixel is inside the lesion")
    padded = np.pad(m, 1)                       # zero border so every outline closes
    best, best_area = None, -1.0
    for c in find_contours(padded, level):
        if len(c) < 3:
            continue
        pts = c[:, ::-1] - 1.0                  # (row, col) -> (i, j), undo the pad
        area = abs(_polygon_area(pts))
        if seed_ij is not None and _inside(seed_ij, pts):
            # The innermost outline around the seed would be a hole; take the largest that holds it.
            if best is None or not _inside(seed_ij, best) or area > best_area:
                best, best_area = pts, area
        elif best is None or (seed_ij is None or not _inside(seed_ij, best)) and area > best_area:
            best, best_area = pts, area
    if best is None:
        raise InputError("mask", "has no closed outline (the lesion is smaller than a pixel)")
    if not np.allclose(best[0], best[-1]):
        best = np.vstack([best, best[:1]])
    return best


def _longest_chord(poly_mm: np.ndarray, direction: np.ndarray, step_mm: float) -> tuple[float, np.ndarray, np.ndarray]:
    """Longest segment inside the polygon parallel to ``direction`` (unit, mm frame).

    Sweeps lines along the normal: each line meets the polygon's edges at sorted crossings, and the
    stretches between crossings 1-2, 3-4, ... lie inside. Coarse sweep, then a fine one around the best.
    """
    normal = np.array([-direction[1], direction[0]])
    a, b = poly_mm[:-1], poly_mm[1:]
    an, bn = a @ normal, b @ normal
    ad, bd = a @ direction, b @ direction

    def sweep(offsets: np.ndarray):
        s = offsets[:, None]
        hit = (an[None] - s) * (bn[None] - s) < 0
        denom = np.where(bn - an == 0, 1e-12, bn - an)
        t = (s - an[None]) / denom[None]
        along = np.where(hit, ad[None] + t * (bd - ad)[None], np.inf)
        along.sort(axis=1)
        n_hits = hit.sum(axis=1)
        best_len = np.zeros(len(offsets))
        best_pair = np.zeros((len(offsets), 2))
        for p in range(0, along.shape[1] - 1, 2):
            valid = n_hits >= p + 2
            if not np.any(valid):
                break
            with np.errstate(invalid="ignore"):       # inf - inf on lines with fewer crossings
                seg = np.where(valid, along[:, p + 1] - along[:, p], 0.0)
            better = seg > best_len
            best_len = np.where(better, seg, best_len)
            best_pair[better] = np.stack([along[better, p], along[better, p + 1]], axis=1)
        return best_len, best_pair

    lo, hi = float(an.min()), float(an.max())
    coarse = np.arange(lo + step_mm / 2, hi, step_mm) if hi - lo > step_mm else np.array([(lo + hi) / 2])
    lengths, pairs = sweep(coarse)
    k = int(np.argmax(lengths))
    fine = np.linspace(coarse[max(k - 1, 0)], coarse[min(k + 1, len(coarse) - 1)], 41)
    flen, fpairs = sweep(fine)
    f = int(np.argmax(flen))
    if flen[f] < lengths[k]:
        f_off, pair, length = coarse[k], pairs[k], lengths[k]
    else:
        f_off, pair, length = fine[f], fpairs[f], flen[f]
    p1 = pair[0] * direction + f_off * normal
    p2 = pair[1] * direction + f_off * normal
    return float(length), p1, p2


def recist_axes_from_contour(contour_ij, spacing, *,
                             perpendicular_tolerance_deg: float = PERPENDICULAR_TOLERANCE_DEG) -> RecistAxes:
    """RECIST axes of a closed outline given as (N, 2) points (i, j) in voxels; ``spacing`` (col mm, row mm).

    Long axis: the longest distance between two outline points (maximum Feret diameter), in mm. Short
    axis: the longest segment inside the outline whose direction is within
    ``perpendicular_tolerance_deg`` of perpendicular to the long axis.
    """
    from scipy.spatial import ConvexHull, QhullError

    s = _spacing2(spacing)
    pts = np.asarray(contour_ij, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 3:
        raise InputError("contour", "an outline needs at least three (i, j) points")
    if not np.allclose(pts[0], pts[-1]):
        pts = np.vstack([pts, pts[:1]])
    mm = pts * s
    try:
        hull = mm[ConvexHull(mm[:-1]).vertices]
    except QhullError:
        hull = mm[:-1]
    d = np.linalg.norm(hull[:, None] - hull[None], axis=-1)
    a, b = np.unravel_index(int(np.argmax(d)), d.shape)
    long_mm = float(d[a, b])
    if long_mm <= 0:
        raise InputError("contour", "the outline has no extent")
    p1, p2 = hull[a], hull[b]
    if (p1[0], p1[1]) > (p2[0], p2[1]):         # a stable order: endpoints sorted by i then j
        p1, p2 = p2, p1
    u = (p2 - p1) / long_mm
    perp = np.array([-u[1], u[0]])
    tol = abs(float(perpendicular_tolerance_deg))
    n_angles = 1 + 2 * int(np.ceil(tol / 0.5)) if tol > 0 else 1
    step = float(min(s)) / 4.0
    best = (-1.0, None, None, 0.0)
    for delta in np.linspace(-tol, tol, n_angles):
        r = np.deg2rad(delta)
        direction = np.array([perp[0] * np.cos(r) - perp[1] * np.sin(r), perp[0] * np.sin(r) + perp[1] * np.cos(r)])
        length, q1, q2 = _longest_chord(mm, direction, step)
        if length > best[0] + 1e-9:
            best = (length, q1, q2, delta)
    short_mm, q1, q2, delta = best
    angle = 90.0 + float(delta)
    to_ij = lambda p: (float(p[0] / s[0]), float(p[1] / s[1]))  # noqa: E731
    return RecistAxes(long_ij=(to_ij(p1), to_ij(p2)), short_ij=(to_ij(q1), to_ij(q2)), long_mm=long_mm,
                      short_mm=float(short_mm), angle_deg=angle, contour_ij=pts,
                      area_mm2=abs(_polygon_area(mm)))


def recist_axes(mask_2d, spacing, *, level: float = 0.5, seed_ij=None,
                perpendicular_tolerance_deg: float = PERPENDICULAR_TOLERANCE_DEG) -> RecistAxes:
    """RECIST long and short axes of a lesion mask on one slice.

    Args:
        mask_2d: [row j, column i] array, bool or soft (partial-volume fractions in [0, 1]).
        spacing: (column mm, row mm) pixel size; a third value (slice mm) is ignored.
        level: the outline is the sub-pixel iso-contour at this level (0.5 = half-way boundary).
        seed_ij: (i, j) inside the lesion, to pick its outline when the mask holds several.
        perpendicular_tolerance_deg: the short axis is within this angle of perpendicular.

    Returns:
        `RecistAxes` with endpoints as (i, j) voxels and lengths in mm; use ``endpoints_lps`` for LPS mm.

    Raises:
        InputError: an empty or non-2D mask, or a bad spacing.
    """
    contour = lesion_contour(mask_2d, level=level, seed_ij=seed_ij)
    return recist_axes_from_contour(contour, spacing, perpendicular_tolerance_deg=perpendicular_tolerance_deg)
