"""Chest X-rays from PNG, JPEG or DICOM, as one grey 2D image where bright means dense."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..image import Image
from .dicom import read_dicom_file
from .quiet import quiet_reader

__all__ = ["read_radiograph", "RADIOGRAPH_SUFFIXES"]

RADIOGRAPH_SUFFIXES = (".png", ".jpg", ".jpeg", ".dcm", ".dicom")


@quiet_reader
def read_radiograph(path: str | Path) -> Image:
    """Read a radiograph; returns a single-slice image of the stored grey values.

    PNG and JPEG (8- or 16-bit, colour converted to grey) have no physical spacing, so spacing is
    1 mm per pixel and ``meta['spacing_known']`` is False. DICOM keeps its pixel spacing, window and
    view position in ``meta``; MONOCHROME1 films (bright = air) are inverted so that bright always
    means dense (``meta['inverted_monochrome1']``).

    Raises:
        InputError: an unknown format, an unreadable file, a DICOM without pixel data, or a volume.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in RADIOGRAPH_SUFFIXES:
        raise InputError(path, f"unknown radiograph format {suffix!r}; use PNG, JPEG or DICOM")
    if suffix in (".dcm", ".dicom"):
        image = read_dicom_file(path)
        if image.array.shape[0] != 1:
            raise InputError(path, f"is a volume of {image.array.shape[0]} slices, not a radiograph")
        meta = dict(image.meta, spacing_known=True)
        array = image.array
        if meta.get("photometric", "").upper() == "MONOCHROME1":
            # SimpleITK's GDCM reader already returns MONOCHROME1 pixels inverted ((2^BitsStored - 1) - v),
            # so bright means dense here; inverting again would turn the film back into a negative.
            meta["inverted_monochrome1"] = True
        return replace(image, array=array, meta=meta)

    from PIL import Image as PILImage

    if not path.is_file():
        raise InputError(path, "no such file")
    try:
        with PILImage.open(path) as im:
            if im.mode in ("I;16", "I;16B", "I;16L", "I"):
                array = np.asarray(im, dtype=np.int32)
            else:
                array = np.asarray(im.convert("L"), dtype=np.uint8)
    except Exception as exc:  # PIL raises many exception types for broken files
        raise InputError(path, f"cannot be read as an image ({exc})") from None
    if array.ndim != 2:
        raise InputError(path, f"has an unexpected pixel layout {array.shape}")
    return Image(array, spacing=(1.0, 1.0, 1.0), modality="DX", source=str(path),
                 meta={"spacing_known": False, "bits": 16 if array.dtype == np.int32 else 8})
