"""DICOM: one series in a folder, or one file. Pixel values come out rescaled (HU for CT)."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..image import Image
from .checks import require_finite
from .quiet import ReaderWarning, itk_reason, quiet_reader
from .series_geometry import (SeriesGeometry, check_series_geometry, read_slice_headers, refuse_unread_dicom_files,
                              series_name)

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


@quiet_reader
def read_dicom_series(folder: str | Path) -> Image:
    """Read the one DICOM series in ``folder`` as a 3D image (LPS geometry, rescaled values).

    Raises:
        InputError: no DICOM files, several series (names them), slices that do not form one complete
            volume (`series_geometry.check_series_geometry`: a missing, duplicated or displaced slice,
            mixed orientations, sizes or pixel spacings; a DICOM file the reader leaves out, as a
            truncated one), unreadable pixel data, or NaN voxels.
    Warns (`ReaderWarning`): what leaves the volume right but is worth knowing (a SliceThickness
        unlike the spacing between slice positions, InstanceNumbers that skip values).
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
    headers = read_slice_headers(folder, files)
    # a file left out first: a truncated slice in the middle would otherwise be reported as the gap it leaves
    refuse_unread_dicom_files(folder, files, series_name(headers[0], len(files)))
    # one file (a multi-frame image, a single slice) holds its geometry itself: nothing to stack
    geometry = check_series_geometry(folder, headers, files) if len(files) >= 2 else None
    if geometry is not None:
        files = [str(f) for f in geometry.files]
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
    if geometry is not None:
        _require_header_geometry(folder, image, geometry, series_name(headers[0], len(files)))
        for sentence in geometry.warnings:
            warnings.warn(f"{folder}: {sentence}", ReaderWarning, stacklevel=3)
    return require_finite(replace(image, meta=meta))


def _require_header_geometry(folder: Path, image: Image, geometry: SeriesGeometry, name: str) -> None:
    """The volume the reader built must be the one the headers describe (slice count, z spacing, origin,
    axes): a reader that skipped a file or took another spacing would give wrong mm and mL."""
    n = len(geometry.files)
    if image.array.ndim != 3 or image.array.shape[0] != n:
        raise InputError(folder, f"{name}: the DICOM reader stacked {image.array.shape[0]} slices of the {n} "
                                 "files, so the volume would be incomplete")
    if n >= 2 and (abs(float(image.spacing[2]) - geometry.spacing[2]) > max(0.01, 0.01 * geometry.spacing[2])
                   or np.max(np.abs(np.asarray(image.origin, float) - geometry.origin)) > 0.01
                   or not np.allclose(np.asarray(image.direction, float), geometry.direction, atol=1e-3)):
        raise InputError(folder, f"{name}: the DICOM reader placed the slices {float(image.spacing[2]):.2f} mm "
                                 f"apart from {tuple(round(float(v), 2) for v in image.origin)} where the headers "
                                 f"say {geometry.spacing[2]:.2f} mm from "
                                 f"{tuple(round(float(v), 2) for v in geometry.origin)} (LPS mm)")


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
