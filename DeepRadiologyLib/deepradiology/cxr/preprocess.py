"""From a radiograph file to the network's input, with the checks a radiologist would make first.

`prepare_film` reads PNG, JPEG or DICOM through `deepradiology.io.read_radiograph` (MONOCHROME1
inverted there, so bright always means dense), applies the file's own window (DICOM Window
Center/Width) or, for 16-bit PNGs without one, the 0.5-99.5 percentile range, and checks that the
film is a frontal chest radiograph:

* refused (`InputError`): CT or MR DICOMs, images whose grey values look like a CT slice (a round
  body on black on all four sides, or Hounsfield-like values in a 16-bit PNG), a blank image,
  one smaller than 64 pixels, or an aspect ratio no chest film has;
* flagged (kept, with a warning): a lateral view (DICOM View Position LL/RL/LATERAL, or a film whose
  left and right halves do not mirror each other the way a frontal chest does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = ["PreparedFilm", "prepare_film", "film_to_unit_range", "standardise", "resize_film", "check_chest_film"]

_LATERAL_VIEWS = ("LL", "RL", "LAT", "LATERAL", "LLD", "RLD")


@dataclass
class PreparedFilm:
    """A film ready for the network.

    Attributes:
        array: (rows, cols) float32 grey values in [0, 1], bright = dense, at the file's own size.
        source: the file it came from.
        warnings: checks that did not pass but do not stop reading (e.g. "lateral view").
        meta: what the reader found (bits, window, view position, spacing_known ...).
    """

    array: np.ndarray
    source: str
    warnings: list[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)


def _number(value) -> float | None:
    try:
        return float(str(value).split("\\")[0])
    except (TypeError, ValueError):
        return None


def film_to_unit_range(array: np.ndarray, meta: dict) -> np.ndarray:
    """Grey values -> [0, 1] with the file's window, else 8-bit /255, else the 0.5-99.5 percentiles."""
    array = np.asarray(array, np.float32)
    centre, width = _number(meta.get("window_center")), _number(meta.get("window_width"))
    if centre is not None and width is not None and width > 1:
        low, high = centre - width / 2, centre + width / 2
        if meta.get("inverted_monochrome1"):
            # The window is given in stored values; the reader delivers (2^BitsStored - 1) - stored.
            top = float(2 ** int(meta.get("bits_stored") or 16) - 1)
            low, high = top - high, top - low
    elif meta.get("bits") == 8:
        low, high = 0.0, 255.0
    else:
        low, high = (float(v) for v in np.percentile(array, (0.5, 99.5)))
    if high - low < 1e-6:
        return np.zeros_like(array)
    return np.clip((array - low) / (high - low), 0, 1)


def standardise(unit: np.ndarray) -> np.ndarray:
    """[0, 1] grey values -> the network's input scale (centred, about unit spread)."""
    return (np.asarray(unit, np.float32) - 0.5) / 0.25


def resize_film(unit: np.ndarray, size: int) -> np.ndarray:
    """Resize a (rows, cols) [0, 1] film to ``size`` x ``size`` (area-averaging when shrinking)."""
    import torch
    import torch.nn.functional as F

    t = torch.as_tensor(np.ascontiguousarray(unit, np.float32))[None, None]
    mode = "area" if min(unit.shape) >= size else "bilinear"
    kwargs = {} if mode == "area" else {"align_corners": False}
    return F.interpolate(t, size=(size, size), mode=mode, **kwargs)[0, 0].numpy()


def check_chest_film(unit: np.ndarray, meta: dict, *, source: str = "") -> list[str]:
    """Refuse what is not a chest radiograph; return warnings for what may be one but is doubtful.

    Raises:
        InputError: CT/MR modality, a CT-like image, a blank or tiny image, an odd aspect ratio.
    """
    modality = str(meta.get("modality", "")).upper()
    if modality in ("CT", "MR", "PT", "NM", "US"):
        raise InputError(source, f"is a {modality} image (DICOM Modality {modality}), not a chest radiograph")
    rows, cols = unit.shape
    if min(rows, cols) < 64:
        raise InputError(source, f"is {cols} x {rows} pixels, too small for a chest radiograph")
    if not 0.5 <= cols / rows <= 2.0:
        raise InputError(source, f"has an aspect ratio of {cols / rows:.2f}; chest films are about square")
    if float(unit.std()) < 0.02:
        raise InputError(source, "is blank (almost one grey value)")
    raw_low, raw_high = meta.get("_raw_p1"), meta.get("_raw_max")
    if meta.get("bits") == 16 and raw_low is not None:
        # Hounsfield units stored with an offset of 32768 (DeepLesion's PNGs) or signed: air at -1024 HU,
        # outside the scan circle -2048.
        for offset in (0.0, 32768.0):
            if -2100 <= raw_low - offset <= -900 and raw_high - offset < 4000:
                raise InputError(source, "holds Hounsfield units (air at -1000): a CT slice, not a chest radiograph")
    # A CT slice shows a round body on black: all four corners are dark. A chest film's lower corners
    # (abdomen, shoulders when rotated) are not.
    dark = unit < 0.08
    k = max(4, min(rows, cols) // 6)
    corners = [dark[:k, :k].mean(), dark[:k, -k:].mean(), dark[-k:, :k].mean(), dark[-k:, -k:].mean()]
    if min(corners) > 0.85 and dark.mean() > 0.25:
        raise InputError(source, "looks like a CT slice (a round body on black, all four corners dark), "
                                 "not a chest radiograph")
    warnings = []
    view = str(meta.get("view_position", "")).upper()
    if view in _LATERAL_VIEWS:
        warnings.append(f"lateral view (DICOM View Position {view}); the model reads frontal films, scores are unreliable")
    elif not view:
        # A frontal chest mirrors about its vertical midline; a film that mirrors better about the
        # horizontal one is rotated by 90 degrees; one that mirrors about neither is likely lateral.
        small = resize_film(unit, 64)
        left_right = float(np.corrcoef(small.ravel(), small[:, ::-1].ravel())[0, 1])
        up_down = float(np.corrcoef(small.ravel(), small[::-1, :].ravel())[0, 1])
        if up_down > left_right + 0.15:
            warnings.append(f"looks rotated by 90 degrees (mirror symmetry up-down {up_down:.2f} > left-right "
                            f"{left_right:.2f}); scores are unreliable until it is rotated upright")
        elif left_right < 0.4:
            warnings.append(f"looks like a lateral view (left-right symmetry {left_right:.2f}); "
                            "the model reads frontal films, scores are unreliable")
    return warnings


def _dicom_facts(path: str | Path) -> dict | None:
    """For a DICOM file: whether it has pixel data and its Bits Stored; None for other files."""
    path = Path(path)
    if path.suffix.lower() not in (".dcm", ".dicom") or not path.is_file():
        return None
    import pydicom

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=False, defer_size=1024)
    except Exception:  # not DICOM at all: the reader says so in its own words
        return None
    return {"has_pixels": "PixelData" in ds or "FloatPixelData" in ds or "DoubleFloatPixelData" in ds,
            "bits_stored": int(ds.get("BitsStored", 16) or 16)}


def prepare_film(path: str | Path) -> PreparedFilm:
    """Read and check one film; see the module docstring.

    Raises:
        InputError: unreadable, no pixel data, or not a chest radiograph (with the reason).
    """
    from ..io import read_radiograph

    facts = _dicom_facts(path)
    if facts is not None and not facts["has_pixels"]:
        raise InputError(path, "is a DICOM file without pixel data (a report or structured document?), not a film")
    image = read_radiograph(path)
    array = np.asarray(image.array[0], np.float32)
    meta = dict(image.meta)
    meta["modality"] = meta.get("modality") or image.modality
    if facts is not None:
        meta["bits_stored"] = facts["bits_stored"]
    meta["_raw_p1"], meta["_raw_max"] = float(np.percentile(array, 1)), float(array.max())
    unit = film_to_unit_range(array, meta)
    warnings = check_chest_film(unit, meta, source=str(path))
    if meta.get("bits") == 16 and meta.get("window_center") is None:
        warnings.append("16-bit film without a window; grey values scaled to their 0.5-99.5 percentiles")
    return PreparedFilm(unit.astype(np.float32), str(path), warnings,
                        {k: v for k, v in meta.items() if not k.startswith("_")})
