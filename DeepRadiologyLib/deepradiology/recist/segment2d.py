"""Segment a lesion on one axial CT slice from a click or a box, without learned weights.

The method adapts to the lesion's own contrast against its surroundings:

1. Smooth the slice lightly (about 0.8 mm Gaussian) and take the lesion's value at the click.
2. Sweep a tolerance t upward; at each t the candidate is the connected region of pixels within t HU
   of that value that holds the click. The first candidate whose surrounding ring is clearly different
   (by more than the noise allows) and either lies on one side of it (darker or brighter all round: a
   hypo- or hyperdense lesion) or is far off on both sides (an organ on one side, fat on the other) is
   the lesion; a noise blob's ring sits just past t on both sides and fails.
3. Refine the thresholds to the half-way levels between the lesion's value and the tissue below and
   above it (an iterative, local ISODATA), which is where the partial-volume boundary lies.
4. The soft mask (fraction of each border pixel that is lesion) gives a sub-pixel outline; the RECIST
   axes are measured on it.

The search is bounded: a region that reaches ``max_diameter_mm`` (a whole organ), a click in air or
outside the body, and a click with no visible boundary raise `NoLesionError`, so a caller never gets
a mask of the whole liver.

Coordinates: a slice is indexed [row j, column i]; clicks and boxes are (i, j) voxels on slice k.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..image import Image
from .axes import RecistAxes, recist_axes
from .outline_uncertainty import outline_uncertainty, outline_warning

__all__ = ["LesionSlice", "NoLesionError", "segment_lesion_2d", "MAX_DIAMETER_MM", "check_ct_image",
           "soft_lesion_fraction"]

#: Default size limit: a region wider than this is taken for an organ, not a lesion (RECIST target
#: lesions are mostly 10-100 mm; DeepLesion's median long axis is 15.6 mm).
MAX_DIAMETER_MM = 100.0
#: Smallest contrast (HU) between a lesion and its surroundings that counts as a visible boundary.
MIN_CONTRAST_HU = 10.0
#: Values below this (HU) at the click are air or aerated lung, never a measurable lesion.
AIR_HU = -400.0


class NoLesionError(InputError):
    """The click or box holds no measurable lesion (air, outside the body, an organ, no boundary)."""


@dataclass
class LesionSlice:
    """A lesion segmented on one slice.

    Attributes:
        slice_index: k of the slice (0 for a single-slice image).
        mask: bool [row j, column i], the whole slice: pixels at least half lesion.
        soft: float32 [j, i], the fraction of each pixel that is lesion (partial volume), 0 far away.
        axes: RECIST axes on the slice, endpoints in (i, j) voxels, lengths in mm.
        seed_ij: the click (or box centre) used, (i, j) voxels.
        lesion_hu, surround_hu: the lesion's typical value and that of the tissue around it (HU).
        spacing: (column mm, row mm).
        method: how it was made ("adaptive-threshold", "recist-ellipse", a model name...).
        warnings: things the user should know (e.g. "the lesion touches the search limit").
        levels_hu: (low, high) HU: the lesion is the pixels between these half-way levels; each side
            sits half-way to the tissue on that side (a liver lesion against liver on one side and fat
            on the other gets two levels). None for masks not made by thresholding.
    """

    slice_index: int
    mask: np.ndarray
    soft: np.ndarray
    axes: RecistAxes
    seed_ij: tuple[int, int]
    lesion_hu: float
    surround_hu: float
    spacing: tuple[float, float]
    method: str = "adaptive-threshold"
    warnings: list[str] = field(default_factory=list)
    levels_hu: tuple[float, float] | None = None

    @property
    def contrast_hu(self) -> float:
        """Surroundings minus lesion, HU (positive: the lesion is darker, hypodense)."""
        return float(self.surround_hu - self.lesion_hu)

    @property
    def area_mm2(self) -> float:
        """Area inside the sub-pixel outline, mm^2."""
        return self.axes.area_mm2

    @property
    def box_ij(self) -> tuple[int, int, int, int]:
        """Bounding box of the mask (i0, j0, i1, j1), inclusive voxels."""
        jj, ii = np.nonzero(self.mask)
        return (int(ii.min()), int(jj.min()), int(ii.max()), int(jj.max()))


def check_ct_image(image: Image) -> None:
    """Refuse images that are not CT in Hounsfield units (MR, radiographs), with the reason."""
    from ..io.checks import looks_like_ct

    if np.iscomplexobj(image.array) or not np.issubdtype(image.array.dtype, np.number):
        raise InputError(image.source or "volume", f"has {image.array.dtype} voxels; RECIST measurement needs "
                         "real-valued CT in Hounsfield units (a complex or non-numeric image is not CT)")
    # Every 4th voxel in-plane on up to 16 slices is plenty for the HU percentiles and ~20x faster
    # than the full check on a volume (a click must answer in well under a second).
    arr = image.array
    sample = arr[:: max(1, arr.shape[0] // 16), ::4, ::4] if arr.shape[1] >= 64 and arr.shape[2] >= 64 else arr
    ok, why = looks_like_ct(Image(sample, modality=image.modality, source=image.source))
    if not ok:
        raise InputError(image.source or "volume",
                         f"RECIST measurement needs a CT in Hounsfield units, but {why}")


def _noise_sigma(crop: np.ndarray) -> float:
    """Robust noise estimate (HU) from neighbouring-pixel differences in soft tissue."""
    d = np.diff(crop, axis=1)
    tissue = (crop[:, 1:] > -300) & (crop[:, :-1] > -300)
    d = d[tissue] if np.count_nonzero(tissue) > 50 else d.ravel()
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2.0))


def _body_mask(slice_hu: np.ndarray) -> np.ndarray:
    """The body on a slice (tissue above -400 HU, lungs included as filled holes), at half resolution."""
    from scipy import ndimage

    small = slice_hu[::2, ::2] > AIR_HU
    labels, n = ndimage.label(small)
    if n == 0:
        return np.zeros_like(slice_hu, dtype=bool)
    sizes = ndimage.sum_labels(small, labels, index=np.arange(1, n + 1))
    body = ndimage.binary_fill_holes(labels == (1 + int(np.argmax(sizes))))
    return np.repeat(np.repeat(body, 2, axis=0), 2, axis=1)[: slice_hu.shape[0], : slice_hu.shape[1]]


def _component(inside: np.ndarray, seed: tuple[int, int]) -> np.ndarray:
    """The 4-connected component of ``inside`` holding ``seed`` (row, col); empty if the seed is out."""
    from scipy import ndimage

    if not inside[seed]:
        return np.zeros_like(inside)
    labels, _ = ndimage.label(inside)
    return labels == labels[seed]


def _window(region: np.ndarray, margin: int) -> tuple[slice, slice]:
    """The region's bounding box grown by ``margin`` pixels (clipped): morphology there, not on the crop."""
    rows = np.nonzero(region.any(axis=1))[0]
    cols = np.nonzero(region.any(axis=0))[0]
    return (slice(max(rows[0] - margin, 0), rows[-1] + margin + 1),
            slice(max(cols[0] - margin, 0), cols[-1] + margin + 1))


def _ring(region: np.ndarray, inner: int, outer: int) -> np.ndarray:
    from scipy import ndimage

    out = np.zeros_like(region)
    win = _window(region, outer + 1)
    sub = region[win]
    grow = ndimage.binary_dilation(sub, iterations=outer)
    keep = ndimage.binary_dilation(sub, iterations=inner) if inner > 0 else sub
    out[win] = grow & ~keep
    return out


def _fill_holes(region: np.ndarray) -> np.ndarray:
    from scipy import ndimage

    out = np.zeros_like(region)
    win = _window(region, 1)
    out[win] = ndimage.binary_fill_holes(region[win])
    return out


def _lesion_value(smooth: np.ndarray, region: np.ndarray, surround: float) -> float:
    """Typical lesion value: the median of its core, or its extreme for lesions a few pixels wide
    (whose core is blurred by partial volume)."""
    from scipy import ndimage

    win = _window(region, 1)
    core = ndimage.binary_erosion(region[win], iterations=1)
    if np.count_nonzero(core) >= 30:
        return float(np.median(smooth[win][core]))
    values = smooth[region]
    return float(values.min() if np.median(values) < surround else values.max())


def soft_lesion_fraction(smooth: np.ndarray, lesion_hu: float, surround_hu: float, *,
                         levels_hu: tuple[float, float] | None = None) -> np.ndarray:
    """Fraction of each pixel that is lesion, from where its value sits between the lesion's and the
    surroundings'.

    Two-sided: a pixel darker than the lesion is measured against the tissue darker than it, a brighter
    one against the brighter tissue, with the half-way ``levels_hu`` (low, high) giving fraction 0.5
    (1 - |v - lesion| / |surround - lesion| on both sides when no levels are given), so fat beyond a
    hypodense liver lesion is never taken for lesion.
    """
    if levels_hu is None:
        half = abs(surround_hu - lesion_hu) / 2.0
        levels_hu = (lesion_hu - half, lesion_hu + half)
    span_low = max(2.0 * (lesion_hu - levels_hu[0]), 1e-6)
    span_high = max(2.0 * (levels_hu[1] - lesion_hu), 1e-6)
    dist = np.where(smooth >= lesion_hu, (smooth - lesion_hu) / span_high, (lesion_hu - smooth) / span_low)
    return np.clip(1.0 - dist, 0.0, 1.0).astype(np.float32)


def _soft_mask(smooth: np.ndarray, region: np.ndarray, lesion_hu: float, surround_hu: float,
               levels_hu: tuple[float, float] | None = None) -> np.ndarray:
    """Soft mask consistent with the binary ``region``: >= 0.5 inside it, < 0.5 in a 1-pixel band
    outside, 1 in its core, 0 beyond; the border pixels keep their partial-volume fraction.

    (Measuring each border pixel against the nearest tissue outside it instead was tried: it helps a
    hyperdense lesion against fat but hurts lesions lying along an organ's own partial-volume edge.)
    """
    from scipy import ndimage

    frac = soft_lesion_fraction(smooth, lesion_hu, surround_hu, levels_hu=levels_hu)
    filled = ndimage.binary_fill_holes(region)
    band = ndimage.binary_dilation(filled) & ~filled
    soft = np.zeros_like(frac)
    soft[filled] = np.maximum(frac[filled], 0.5)
    soft[band] = np.minimum(frac[band], 0.499)
    soft[ndimage.binary_erosion(filled)] = 1.0
    return soft


def _half_way_levels(values: np.ndarray, lesion_hu: float, need: float) -> tuple[float, float, float]:
    """(low, high, contrast): half-way levels to the tissue below and above the lesion in its ring.

    A side holding under 15 % of the ring, or differing by less than ``need``, is no boundary: it takes
    the other side's distance (a symmetric threshold). ``contrast`` is the larger side's difference.
    """
    sides = {}
    for name, part in (("low", values[values < lesion_hu]), ("high", values[values > lesion_hu])):
        if part.size >= 0.15 * values.size:
            diff = abs(float(np.median(part)) - lesion_hu)
            if diff >= need:
                sides[name] = diff
    if not sides:
        diff = abs(float(np.median(values)) - lesion_hu)
        sides = {"low": diff, "high": diff}
    low = sides.get("low", sides.get("high"))
    high = sides.get("high", sides.get("low"))
    return lesion_hu - low / 2.0, lesion_hu + high / 2.0, max(sides.values())


def _parse_click(image: Image, click, slice_index) -> tuple[int, float, float]:
    c = np.asarray(click, dtype=float).reshape(-1)
    if c.size not in (2, 3) or not np.all(np.isfinite(c)):
        raise InputError("click", f"a click is (i, j) or (i, j, k) voxels, got {click!r}")
    if c.size == 3:
        k = int(round(c[2]))
    elif slice_index is not None:
        k = int(slice_index)
    elif image.is_2d:
        k = 0
    else:
        raise InputError("click", "give the slice: (i, j, k) or slice_index= for a 3D volume")
    return k, float(c[0]), float(c[1])


def segment_lesion_2d(image: Image, *, click=None, box=None, slice_index: int | None = None,
                      max_diameter_mm: float = MAX_DIAMETER_MM, min_contrast_hu: float = MIN_CONTRAST_HU,
                      smoothing_mm: float = 0.8, check_ct: bool = True) -> LesionSlice:
    """Segment the lesion under a click (or inside a box) on one axial slice and measure its RECIST axes.

    Args:
        image: a CT image in HU (a volume, or one slice such as a DeepLesion key slice).
        click: (i, j) or (i, j, k) voxel position inside the lesion.
        box: (i0, j0, i1, j1) voxels on the slice, inclusive, around the lesion (instead of a click).
        slice_index: k, for a 3D image when the click has no k (or with a box).
        max_diameter_mm: a region reaching this size is an organ, not a lesion: refused.
        min_contrast_hu: the smallest lesion-to-surroundings difference accepted as a boundary.
        smoothing_mm: Gaussian smoothing before thresholding (mm), to quiet the noise.
        check_ct: refuse images whose values are not CT Hounsfield units.

    Returns:
        `LesionSlice`: full-slice masks, RECIST axes in (i, j) voxels and mm, the HU it found.

    Raises:
        InputError: no click or box, a zero-area box, a point outside the image, a non-CT image.
        NoLesionError: the click is in air or outside the body, on a structure larger than
            ``max_diameter_mm``, or where no lesion boundary stands out from the noise.
    """
    from scipy import ndimage

    if (click is None) == (box is None):
        raise InputError("click/box", "give either a click inside the lesion or a box around it")
    if check_ct:
        check_ct_image(image)
    sx, sy = image.spacing[0], image.spacing[1]
    if box is not None:
        b = np.asarray(box, dtype=float).reshape(-1)
        if b.size != 4 or not np.all(np.isfinite(b)):
            raise InputError("box", f"a box is (i0, j0, i1, j1) voxels, got {box!r}")
        i0, i1 = sorted((b[0], b[2]))
        j0, j1 = sorted((b[1], b[3]))
        if (i1 - i0) * sx < 1e-6 or (j1 - j0) * sy < 1e-6:
            raise InputError("box", f"has zero area ({box!r}); drag a box around the lesion")
        k = int(slice_index) if slice_index is not None else (0 if image.is_2d else None)
        if k is None:
            raise InputError("box", "give slice_index= for a box on a 3D volume")
        ci, cj = (i0 + i1) / 2.0, (j0 + j1) / 2.0
        max_diameter_mm = min(max_diameter_mm, 1.5 * float(np.hypot((i1 - i0) * sx, (j1 - j0) * sy)) + 4 * max(sx, sy))
    else:
        k, ci, cj = _parse_click(image, click, slice_index)
    ni, nj, nk = image.size
    if not (0 <= k < nk and -0.5 <= ci < ni - 0.5 and -0.5 <= cj < nj - 0.5):
        raise InputError("click" if box is None else "box",
                         f"({ci:.1f}, {cj:.1f}, {k}) is outside the image ({ni} x {nj} x {nk} voxels)")
    seed_i, seed_j = int(round(ci)), int(round(cj))
    slice_hu = image.array[k].astype(np.float32)

    # A crop reaching max_diameter_mm on every side: a region touching its edge is too big to be a lesion.
    ri, rj = int(np.ceil(max_diameter_mm / sx)) + 2, int(np.ceil(max_diameter_mm / sy)) + 2
    ja, jb = max(0, seed_j - rj), min(nj, seed_j + rj + 1)
    ia, ib = max(0, seed_i - ri), min(ni, seed_i + ri + 1)
    crop = slice_hu[ja:jb, ia:ib]
    seed = (seed_j - ja, seed_i - ia)
    sigma = np.clip(smoothing_mm / np.array([sy, sx]), 0.5, 1.5)
    smooth = ndimage.gaussian_filter(crop, sigma=sigma, mode="nearest")
    # Noise left after smoothing (white-noise reduction of a Gaussian); the raw estimate already errs
    # high on textured or thick-pixel CT, so three of it is a safe floor for a real boundary.
    s_noise = _noise_sigma(crop) / (2.0 * np.sqrt(np.pi) * float(np.sqrt(sigma[0] * sigma[1])))
    need = max(float(min_contrast_hu), 3.0 * s_noise)

    where = f"({seed_i}, {seed_j}, {k})"
    if box is not None:
        bi0, bi1 = int(np.floor(i0)) - ia, int(np.ceil(i1)) - ia + 1
        bj0, bj1 = int(np.floor(j0)) - ja, int(np.ceil(j1)) - ja + 1
        wi, wj = max(1, (bi1 - bi0) // 6), max(1, (bj1 - bj0) // 6)
        core = smooth[max(seed[0] - wj, 0): seed[0] + wj + 1, max(seed[1] - wi, 0): seed[1] + wi + 1]
        value = float(np.median(core))
    else:
        value = float(np.median(smooth[max(seed[0] - 1, 0): seed[0] + 2, max(seed[1] - 1, 0): seed[1] + 2]))
    if value < AIR_HU:
        body = _body_mask(slice_hu)
        if not body[seed_j, seed_i]:
            raise NoLesionError("click", f"{where} is outside the body ({value:.0f} HU); click inside a lesion")
        raise NoLesionError("click", f"{where} is on air or aerated lung ({value:.0f} HU), not on a lesion")

    limit_px = (max_diameter_mm / sx, max_diameter_mm / sy)

    def too_big(region: np.ndarray) -> bool:
        rows = np.nonzero(region.any(axis=1))[0]
        cols = np.nonzero(region.any(axis=0))[0]
        if rows[0] == 0 or cols[0] == 0 or rows[-1] == region.shape[0] - 1 or cols[-1] == region.shape[1] - 1:
            return True
        return (cols[-1] - cols[0] + 1) >= limit_px[0] or (rows[-1] - rows[0] + 1) >= limit_px[1]

    # 2. the tolerance sweep: the first candidate with a clear, one-sided boundary.
    distance = np.abs(smooth - value)
    found = None
    organ_like = None
    for t in need / 4.0 * 1.12 ** np.arange(60):
        region = _component(distance <= t, seed)
        area = int(np.count_nonzero(region))
        if area < 3:
            continue
        if too_big(region):
            organ_like = (t, float(np.median(smooth[region])))
            break
        ring = _ring(region, 0, 2)
        values = smooth[ring]
        above, below = np.count_nonzero(values > value + t), np.count_nonzero(values < value - t)
        if above + below == 0:
            continue
        sided = max(above, below) / (above + below)
        contrast = abs(float(np.median(values)) - float(np.median(smooth[region])))
        # A lesion's ring lies on one side (hypo- or hyperdense), or clearly off on both sides (against
        # an organ on one side and fat on the other); a noise blob's ring sits just past t on both.
        off = float(np.median(np.abs(values - value)))
        if (contrast >= need and sided >= 0.7) or off >= max(need, 2.0 * t):
            found = region
            break
    if found is None:
        if organ_like is not None:
            raise NoLesionError("click", f"no lesion boundary found at {where}: the tissue there "
                                f"({organ_like[1]:.0f} HU) reaches {max_diameter_mm:.0f} mm before any edge "
                                "stands out (an organ or a slice without a visible lesion)")
        raise NoLesionError("click", f"no lesion boundary stands out from the noise at {where} "
                            f"(needs {need:.0f} HU of contrast)")

    # 3. local ISODATA: thresholds half-way between the lesion and the tissue on each side, until stable.
    region = found
    lesion_hu = surround_hu = value
    levels = (value, value)
    contrast = 0.0
    for _ in range(6):
        ring_values = smooth[_ring(region, 1, 4)]
        surround_hu = float(np.median(ring_values))
        lesion_hu = _lesion_value(smooth, region, surround_hu)
        low, high, contrast = _half_way_levels(ring_values, lesion_hu, need)
        levels = (low, high)
        inside = (smooth >= low) & (smooth <= high)
        if np.count_nonzero(region) > 60:       # cut one-pixel bridges into touching structures
            opened = ndimage.binary_opening(inside, structure=np.ones((3, 3), bool))
            inside = opened if opened[seed] else inside
        new = _component(inside, seed)
        if not new.any():
            new = ndimage.binary_dilation(region) & inside
            labels, n = ndimage.label(new)
            if n == 0:
                break
            new = labels == (1 + int(np.argmax(ndimage.sum_labels(region, labels, np.arange(1, n + 1)))))
        if too_big(new):
            raise NoLesionError("click", f"the region at {where} ({lesion_hu:.0f} HU) merges into the tissue "
                                f"around it ({surround_hu:.0f} HU) beyond {max_diameter_mm:.0f} mm: no "
                                "closed lesion boundary")
        new = _fill_holes(new)
        if np.array_equal(new, region):
            break
        region = new
    if contrast < need:
        raise NoLesionError("click", f"no lesion stands out at {where}: it differs from its surroundings "
                            f"by {contrast:.0f} HU (needs {need:.0f} HU)")

    soft_crop = _soft_mask(smooth, region, lesion_hu, surround_hu, levels)
    axes = recist_axes(soft_crop, (sx, sy), seed_ij=(seed[1], seed[0]) if region[seed] else None)
    mask = np.zeros(slice_hu.shape, dtype=bool)
    mask[ja:jb, ia:ib] = region
    soft = np.zeros(slice_hu.shape, dtype=np.float32)
    soft[ja:jb, ia:ib] = soft_crop
    warnings = []
    if axes.long_mm > 0.6 * max_diameter_mm:
        warnings.append(f"the region is {axes.long_mm:.0f} mm long, near the {max_diameter_mm:.0f} mm limit: check "
                        "that it is a lesion and not the end of an organ")
    if axes.long_mm < 3 * max(sx, sy):
        warnings.append(f"the lesion is only {axes.long_mm:.1f} mm long, about "
                        f"{axes.long_mm / max(sx, sy):.0f} pixels: its size is uncertain by about a pixel")
    # A small lesion whose edge is weak against the tissue's texture: its half-way level, and so its
    # outline and volume, are uncertain beyond the tolerance (`outline_uncertainty`).
    weak = outline_warning(outline_uncertainty(smooth, region, lesion_hu, surround_hu, (sx, sy)))
    if weak is not None:
        warnings.append(weak)
    return LesionSlice(slice_index=k, mask=mask, soft=soft, axes=axes.shifted(ia, ja), seed_ij=(seed_i, seed_j),
                       lesion_hu=lesion_hu, surround_hu=surround_hu, spacing=(sx, sy), warnings=warnings,
                       levels_hu=(float(levels[0]), float(levels[1])))
