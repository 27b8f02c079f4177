"""Lesion or not: organ context for a measured 3D region.

With an organ label map on the CT's grid (voxel [k, j, i], integer labels, {label: name}; a map on another
grid is resampled onto it, `deepradiology.io.label_grid`, and -1 marks voxels it does not reach) the region's
location is the organ holding most of it, and a region that *is* most of an organ is refused: a click
on a normal kidney must not become a "lesion". Without a map the location is "unknown" (flagged), and
only shape/size/contrast evidence can refuse a region.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError
from ..image import Image
from .segment2d import NoLesionError

__all__ = ["NotALesionError", "load_organ_map", "organ_context", "plausibility_refusal"]

ORGAN_SHARE_LIMIT = 0.5      # a region covering > 50 % of an organ is that organ, not a lesion in it
MASK_SHARE_LIMIT = 0.5       # ... or > 50 % of the region lies in an organ ...
ORGAN_SIZE_RATIO = 3.0       # ... whose volume is less than 3x the region's (not much larger)
SPHERE_VOLUME_FACTOR = 2.0   # without a map: a region over 2x the --max-diameter sphere is no lesion
MIN_CONTRAST_HU = 10.0       # without a map: a region within 10 HU of its surroundings is no lesion


class NotALesionError(NoLesionError):
    """The region is (most of) a normal organ or implausible as a lesion; ``refusal`` says why."""

    def __init__(self, source: object, problem: str, refusal: dict) -> None:
        super().__init__(source, problem)
        self.refusal = refusal


def load_organ_map(path, ct: Image, names=None) -> tuple[Image, dict[int, str]]:
    """An organ label map for ``ct``: one label-map file, or a folder of binary masks (one organ a file,
    named by its file name, e.g. TotalSegmentator's ``liver.nii.gz``). A map on another grid (another
    spacing, a crop, flipped axes) is resampled onto the CT's grid by nearest neighbour in LPS mm
    (`deepradiology.io.label_grid.labels_on_grid`); one that does not overlap the CT, covers too little
    of it or lies off the patient is refused (InputError).

    ``names`` (``--organ-names``) names a label-map file's values: a colour table or JSON file, a known
    atlas ("totalsegmentator") or a {value: name} dict; without it a colour table or JSON beside the map
    is used (`deepradiology.io.organ_names`), else "label N".

    Returns (label Image [k, j, i] int32 on the CT's grid, {label: organ name}). The labels' meta says
    where the names came from (``meta["organ_names_source"]``) and, when some are unknown,
    ``meta["organ_names_warning"]``. A resampled map has ``meta["resampled_from"]`` (a sentence naming its
    spacing) and `OUTSIDE_MAP` (-1) where it does not cover the CT.
    """
    from ..io import read_image
    from ..io.label_grid import OUTSIDE_MAP, labels_on_grid

    path = Path(path)
    if not path.exists():
        raise InputError(path, "does not exist (--organs needs a label map file or a folder of organ masks)")
    if path.is_dir():
        if names:
            raise InputError("--organ-names", f"names the values of one label-map file; {path.name} is a folder of "
                                              "organ masks, named by their file names")
        files = sorted(p for p in path.iterdir() if p.name.endswith((".nii.gz", ".nii", ".nrrd", ".mha", ".mhd")))
        if not files:
            raise InputError(path, "holds no organ mask files (.nii.gz, .nii, .nrrd, .mha)")
        labels = np.zeros(ct.array.shape, dtype=np.int32)
        uncovered = np.zeros(ct.array.shape, dtype=bool)
        names: dict[int, str] = {}
        meta: dict = {}
        for n, f in enumerate(files, start=1):
            raw = read_image(f)
            binary = raw.with_array(_binary_mask(f, np.asarray(raw.array)).astype(np.uint8))
            mask = labels_on_grid(binary, ct, what=f"the organ mask {f.name}")
            values = np.asarray(mask.array)
            labels[(values > 0) & (labels == 0)] = n
            uncovered |= values == OUTSIDE_MAP     # a voxel one mask does not cover may be in its organ
            names[n] = f.name.split(".")[0]
            if mask.meta.get("resampled_from") and not meta:
                meta = dict(mask.meta)
                meta["resampled_from"] = meta["resampled_from"].replace(
                    f"the organ mask {f.name} was", f"the organ masks of {path.name} were")
        if not (labels > 0).any():
            raise InputError(path, "every organ mask in it is empty (all voxels 0), so it names no organ")
        labels[uncovered & (labels == 0)] = OUTSIDE_MAP
        meta["organ_names_source"] = "organ masks named by their file names"
        return ct.with_array(labels, modality="", meta=meta, source=str(path)), names
    from ..io.organ_names import organ_names_for

    raw = read_image(path)
    arr = _label_values(path, np.asarray(raw.array))
    # names checked against the file's own values: a crop onto the CT may drop an organ, not make its name wrong
    found, source, warning = organ_names_for(path, np.unique(arr), names)
    lab = labels_on_grid(raw.with_array(arr), ct, what=f"the organ map {path.name}")
    meta = {**(lab.meta or {}), "organ_names_source": source}
    if warning:
        meta["organ_names_warning"] = warning
    lab = lab.with_array(lab.array, meta=meta)
    values = {int(v) for v in np.unique(lab.array) if v > 0}
    return lab, {v: name for v, name in found.items() if v in values}


#: More distinct values than any organ atlas has (TotalSegmentator: 117): such a file is an image, not labels.
MAX_ORGAN_LABELS = 1000


def _label_values(path: Path, arr: np.ndarray) -> np.ndarray:
    """The label map's values as int32, refusing what is not a label map: fractions (a probability map),
    negative values or thousands of distinct values (a CT), or no label at all (an empty map would call
    every lesion "outside the organ map" with the confidence of a map)."""
    if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
        raise InputError(path, "is not a label map (values must be whole numbers)")
    if arr.size and float(arr.min()) < 0:
        raise InputError(path, f"is not a label map: it holds negative values (down to {float(arr.min()):.0f}); "
                               "organ labels are 0 (background) and positive whole numbers (is it a CT?)")
    values = np.unique(arr)
    if len(values) > MAX_ORGAN_LABELS + 1:
        raise InputError(path, f"is not a label map: it holds {len(values)} distinct values, more than any organ "
                               f"atlas ({MAX_ORGAN_LABELS}); is it an image rather than organ labels?")
    if not np.any(values > 0):
        raise InputError(path, "holds no organ label (every voxel is 0), so it names no organ")
    return arr.astype(np.int32)


def _binary_mask(path: Path, arr: np.ndarray) -> np.ndarray:
    """One organ mask as booleans, refusing values other than 0 and one positive number: ``> 0`` on a
    probability map (0.05 in the background) would make the whole volume that organ."""
    values = np.unique(arr)
    if not np.all(np.isfinite(values)) or len(values) > 2 or (values.size and float(values.min()) < 0) \
            or (len(values) == 2 and float(values[0]) != 0):
        shown = ", ".join(f"{float(v):g}" for v in values[:4]) + (", ..." if len(values) > 4 else "")
        raise InputError(path, f"is not a binary organ mask (values {shown}; expected 0 and one positive value): "
                               "threshold a probability map first")
    return arr > 0


def organ_context(mask_3d: np.ndarray, labels: np.ndarray, names: dict[int, str]) -> dict:
    """Where a 3D region lies in an organ map, and whether it is most of one organ.

    Returns {"location", "location_source": "organ_map", "organ_shares": {name: {"of_mask", "of_organ"}},
    "refusal": None or {"organ", "of_mask", "of_organ", "reason"}, "outside_map": share of the region
    where a resampled map does not reach (`OUTSIDE_MAP` voxels, 0-1)}.
    """
    from ..io.label_grid import OUTSIDE_MAP

    mask_3d = np.asarray(mask_3d, dtype=bool)
    n_mask = int(np.count_nonzero(mask_3d))
    inside = labels[mask_3d]
    outside_map = int(np.count_nonzero(inside == OUTSIDE_MAP)) / max(n_mask, 1)
    shares: dict[str, dict] = {}
    refusal = None
    best, best_count = "outside the organ map", 0
    for value in np.unique(inside[inside > 0]):
        overlap = int(np.count_nonzero(inside == value))
        organ_n = int(np.count_nonzero(labels == value))
        name = names.get(int(value), f"label {int(value)}")
        of_mask, of_organ = overlap / max(n_mask, 1), overlap / max(organ_n, 1)
        shares[name] = {"of_mask": round(of_mask, 3), "of_organ": round(of_organ, 3)}
        if overlap > best_count:
            best, best_count = name, overlap
        if refusal is None and (of_organ > ORGAN_SHARE_LIMIT
                                or (of_mask > MASK_SHARE_LIMIT and organ_n < ORGAN_SIZE_RATIO * n_mask)):
            refusal = {"organ": name, "of_mask": round(of_mask, 3), "of_organ": round(of_organ, 3),
                       "reason": f"the region covers {100 * of_organ:.0f} % of the {name} ({100 * of_mask:.0f} % of "
                                 f"the region lies in it): it is the organ, not a lesion in it"}
    return {"location": best, "location_source": "organ_map", "organ_shares": shares, "refusal": refusal,
            "outside_map": round(outside_map, 3)}


def plausibility_refusal(volume_ml: float | None, max_diameter_mm: float, contrast_hu: float,
                         long_axis_mm: float | None = None) -> dict | None:
    """Without an organ map: refuse a region far larger than a --max-diameter sphere, one far larger than
    the sphere of its own long axis (it runs on through many slices: an organ or a leak, since a lesion's
    volume is at most about that of the sphere on its longest diameter), or one that hardly differs from
    its surroundings (HU). None when plausible."""
    sphere_ml = np.pi / 6.0 * max_diameter_mm ** 3 / 1000.0
    if volume_ml is not None and long_axis_mm:
        own_ml = np.pi / 6.0 * long_axis_mm ** 3 / 1000.0
        if volume_ml > SPHERE_VOLUME_FACTOR * own_ml:
            return {"reason": f"the region's volume {volume_ml:.1f} mL is over {SPHERE_VOLUME_FACTOR:g}x that of a "
                              f"sphere on its {long_axis_mm:.0f} mm long axis ({own_ml:.1f} mL): it runs on through "
                              "the slices like an organ or a leak, not a lesion"}
    if volume_ml is not None and volume_ml > SPHERE_VOLUME_FACTOR * sphere_ml:
        return {"reason": f"the region's volume {volume_ml:.1f} mL is over {SPHERE_VOLUME_FACTOR:g}x that of a "
                          f"{max_diameter_mm:g} mm sphere ({sphere_ml:.1f} mL): an organ or a leak, not a lesion"}
    if np.isfinite(contrast_hu) and abs(contrast_hu) < MIN_CONTRAST_HU:
        return {"reason": f"the region differs from its surroundings by only {abs(contrast_hu):.0f} HU "
                          f"(< {MIN_CONTRAST_HU:g} HU): no lesion stands out"}
    return None
