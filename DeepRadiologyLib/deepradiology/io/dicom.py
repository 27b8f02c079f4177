"""DICOM: one series in a folder, or one file. Pixel values come out rescaled (HU for CT)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..image import Image
from .checks import require_finite
from .quiet import itk_reason, quiet_reader

__all__ = ["read_dicom_series", "read_dicom_file"]

#: DICOM tags kept in ``Image.meta`` (GDCM's "gggg|eeee" keys -> readable names).
_KEPT_TAGS = {
    "0010|0020": "patient_id",
    "0008|0020": "study_date",
    "0020|000d": "study_uid",
    "0020|000e": "series_uid",
    "0008|103e": "series_description",
    "0028|0004": "photometric",
    "0028|1050": "window_center",
    "0028|1051": "window_width",
    "0018|5101": "view_position",
    "0008|0060": "modality",
}


def _slice_positions(files: list[str]) -> np.ndarray:
    """Each file's position along the slice normal, in mm (LPS)."""
    import SimpleITK as sitk

    origins, normal = [], None
    for f in files:
        r = sitk.ImageFileReader()
        r.SetFileName(f)
        r.ReadImageInformation()
        origins.append(r.GetOrigin())
        if normal is None:
            d = np.asarray(r.GetDirection(), dtype=float).reshape(3, 3)
            normal = d[:, 2]
    return np.asarray(origins) @ normal


@quiet_reader
def read_dicom_series(folder: str | Path) -> Image:
    """Read the one DICOM series in ``folder`` as a 3D image (LPS geometry, rescaled values).

    Raises:
        InputError: no DICOM files, several series (names them), a missing slice (a gap larger than
            1.5 times the usual slice distance), unreadable pixel data, or NaN voxels.
    """
    import SimpleITK as sitk

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "no such folder")
    series_ids = sitk.ImageSeriesReader.GetGDCMSeriesIDs(str(folder))
    if not series_ids:
        raise InputError(folder, "holds no readable DICOM series")
    if len(series_ids) > 1:
        counts = ", ".join(f"{sid} ({len(sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(folder), sid))} files)"
                           for sid in series_ids)
        raise InputError(folder, f"holds {len(series_ids)} DICOM series; put one series per folder: {counts}")
    files = list(sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(folder), series_ids[0]))
    if len(files) >= 3:
        positions = np.sort(_slice_positions(files))
        gaps = np.diff(positions)
        usual = float(np.median(gaps))
        if usual <= 0:
            raise InputError(folder, "several files share one slice position (duplicate slices)")
        worst = int(np.argmax(gaps))
        if gaps[worst] > 1.5 * usual:
            raise InputError(folder, f"a slice is missing: a gap of {gaps[worst]:.2f} mm between slice positions "
                             f"{positions[worst]:.2f} and {positions[worst + 1]:.2f} mm where slices are {usual:.2f} mm apart")
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(files)
    reader.MetaDataDictionaryArrayUpdateOn()
    reader.LoadPrivateTagsOff()
    try:
        img = reader.Execute()
    except RuntimeError as exc:
        raise InputError(folder, f"the DICOM pixel data cannot be decoded: {itk_reason(exc)}") from None
    meta = {}
    for tag, name in _KEPT_TAGS.items():
        if reader.HasMetaDataKey(0, tag):
            meta[name] = reader.GetMetaData(0, tag).strip()
    image = Image.from_sitk(img, modality=meta.get("modality", ""), source=str(folder))
    return require_finite(replace(image, meta=meta))


@quiet_reader
def read_dicom_file(path: str | Path) -> Image:
    """Read one DICOM file (a single CT slice, a radiograph) with its kept tags in ``meta``.

    Raises:
        InputError: not DICOM, no pixel data, or undecodable pixel data.
    """
    import SimpleITK as sitk

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such file")
    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    reader.SetImageIO("GDCMImageIO")
    try:
        reader.ReadImageInformation()
    except RuntimeError:
        raise InputError(path, "is not a readable DICOM file") from None
    meta = {name: reader.GetMetaData(tag).strip() for tag, name in _KEPT_TAGS.items() if reader.HasMetaDataKey(tag)}
    if not reader.HasMetaDataKey("7fe0|0010") and not reader.HasMetaDataKey("0028|0010"):
        raise InputError(path, "is a DICOM file without pixel data (a report or structured document?)")
    try:
        img = reader.Execute()
    except RuntimeError as exc:
        raise InputError(path, f"the DICOM pixel data cannot be decoded: {itk_reason(exc)}") from None
    image = Image.from_sitk(img, modality=meta.get("modality", ""), source=str(path))
    return require_finite(replace(image, meta=meta))
