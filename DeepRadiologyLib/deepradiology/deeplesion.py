"""DeepLesion's metadata file ``DL_info.csv``: one row per lesion, parsed into typed records.

Pixel coordinates in the file are (x, y) = (column i, row j) on the key slice, 0-based; ``Spacing_mm_px_``
is (x mm, y mm, z mm). DeepLesion gives no patient origin, so physical positions here are in a local LPS
frame whose origin is the centre of pixel (0, 0) of slice 0 of the series: x = i * sx, y = j * sy,
z = k * sz. That frame is the same for all lesions of one series, which is what matching needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InputError
from .io.paths import require_regular_file
from .io.table import csv_table
from .lesion import LESION_TYPES, Lesion

__all__ = ["DLInfoRow", "read_dl_info", "DLInfoReport"]


def _floats(text: str, n: int | None, what: str) -> tuple[float, ...]:
    values = tuple(float(v) for v in str(text).replace('"', "").split(","))
    if n is not None and len(values) != n:
        raise ValueError(f"{what} has {len(values)} numbers, expected {n}")
    if not all(np.isfinite(values)):
        raise ValueError(f"{what} is not finite")
    return values


@dataclass(frozen=True)
class DLInfoRow:
    """One lesion of ``DL_info.csv``.

    Attributes:
        file_name: the key slice's name, ``<patient>_<study>_<series>_<slice>.png``.
        patient, study, series: DeepLesion's integer indices.
        key_slice: 1-based slice number of the key slice (the PNG's file name).
        recist: 8 pixel numbers: long-axis endpoints (x1, y1, x2, y2) then short-axis (x3, y3, x4, y4).
        box: (x0, y0, x1, y1) pixels.
        diameters_px: (long, short) in pixels.
        normalized_location: (x, y, z) in [0, 1] from the self-supervised body-part regressor.
        lesion_type: 1-8 (`LESION_TYPES`), or -1 where unknown (the test split is labelled).
        noisy: DeepLesion's "possibly noisy" flag.
        slice_range: (first, last) slice numbers available around the key slice.
        spacing: (x mm, y mm, z mm).
        image_size: (width, height) pixels.
        window: (low, high) HU display window.
        split: 1 train, 2 validation, 3 test.
    """

    file_name: str
    patient: int
    study: int
    series: int
    key_slice: int
    recist: tuple[float, ...]
    box: tuple[float, ...]
    diameters_px: tuple[float, float]
    normalized_location: tuple[float, float, float]
    lesion_type: int
    noisy: bool
    slice_range: tuple[int, int]
    spacing: tuple[float, float, float]
    image_size: tuple[int, int]
    window: tuple[float, float]
    gender: str
    age: float | None
    split: int

    @property
    def series_key(self) -> str:
        """``<patient>_<study>_<series>``, the folder name of the series in ``Images_png``."""
        return f"{self.patient:06d}_{self.study:02d}_{self.series:02d}"

    @property
    def png_relpath(self) -> str:
        """The key slice's path inside ``Images_png``: ``<patient>_<study>_<series>/<slice>.png``."""
        return f"{self.series_key}/{self.key_slice:03d}.png"

    @property
    def diameters_mm(self) -> tuple[float, float]:
        """(long, short) diameters in mm (pixels times the in-plane spacing)."""
        return (self.diameters_px[0] * self.spacing[0], self.diameters_px[1] * self.spacing[0])

    @property
    def recist_centre_px(self) -> tuple[float, float]:
        """(x, y) pixel centre of the four RECIST endpoints."""
        r = np.asarray(self.recist).reshape(4, 2)
        return (float(r[:, 0].mean()), float(r[:, 1].mean()))

    def pixel_to_lps(self, x: float, y: float, slice_number: float | None = None) -> tuple[float, float, float]:
        """Pixel (x, y) on a slice (1-based number, default the key slice) -> local LPS mm (module docstring)."""
        k = (self.key_slice if slice_number is None else slice_number) - 1
        return (x * self.spacing[0], y * self.spacing[1], k * self.spacing[2])

    @property
    def type_name(self) -> str:
        """The coarse type in words ("liver", ...), "" when unknown."""
        return LESION_TYPES.get(self.lesion_type, "")

    def to_lesion(self) -> Lesion:
        """The row as a `Lesion` (axes in the local LPS frame, slice_index 0-based)."""
        r = np.asarray(self.recist).reshape(4, 2)
        pts = [self.pixel_to_lps(x, y) for x, y in r]
        long_mm, short_mm = self.diameters_mm
        return Lesion(
            lesion_id=self.file_name, patient=str(self.patient), study=str(self.study), series=str(self.series),
            slice_index=self.key_slice - 1, long_axis_lps=(pts[0], pts[1]), short_axis_lps=(pts[2], pts[3]),
            box_ijk=tuple(self.box), long_axis_mm=long_mm, short_axis_mm=short_mm,
            normalized_location=self.normalized_location, lesion_type=self.type_name,
            location=self.type_name,
            extra={"dl_info": {"spacing": list(self.spacing), "slice_range": list(self.slice_range),
                               "noisy": self.noisy, "split": self.split,
                               "measurement_coordinates": list(self.recist)}},
        )


_REQUIRED = ("File_name", "Patient_index", "Study_index", "Series_ID", "Key_slice_index",
             "Measurement_coordinates", "Bounding_boxes", "Lesion_diameters_Pixel_",
             "Normalized_lesion_location", "Coarse_lesion_type", "Possibly_noisy", "Slice_range",
             "Spacing_mm_px_", "Image_size", "DICOM_windows", "Patient_gender", "Patient_age", "Train_Val_Test")


def _parse(rec: dict) -> DLInfoRow:
    age = rec["Patient_age"].strip()
    diam = _floats(rec["Lesion_diameters_Pixel_"], 2, "Lesion_diameters_Pixel_")
    spacing = _floats(rec["Spacing_mm_px_"], 3, "Spacing_mm_px_")
    if min(spacing) <= 0:
        raise ValueError(f"Spacing_mm_px_ {spacing} is not positive")
    lesion_type = int(rec["Coarse_lesion_type"])
    if lesion_type not in LESION_TYPES and lesion_type != -1:
        raise ValueError(f"Coarse_lesion_type {lesion_type} is not one of DeepLesion's types 1-8 (or -1: unknown)")
    return DLInfoRow(
        file_name=rec["File_name"].strip(), patient=int(rec["Patient_index"]), study=int(rec["Study_index"]),
        series=int(rec["Series_ID"]), key_slice=int(rec["Key_slice_index"]),
        recist=_floats(rec["Measurement_coordinates"], 8, "Measurement_coordinates"),
        box=_floats(rec["Bounding_boxes"], 4, "Bounding_boxes"), diameters_px=(diam[0], diam[1]),
        normalized_location=_floats(rec["Normalized_lesion_location"], 3, "Normalized_lesion_location"),
        lesion_type=lesion_type, noisy=rec["Possibly_noisy"].strip() == "1",
        slice_range=tuple(int(v) for v in _floats(rec["Slice_range"], 2, "Slice_range")),
        spacing=spacing, image_size=tuple(int(v) for v in _floats(rec["Image_size"], 2, "Image_size")),
        window=_floats(rec["DICOM_windows"], 2, "DICOM_windows")[:2], gender=rec["Patient_gender"].strip(),
        age=float(age) if age and age.lower() != "nan" else None, split=int(rec["Train_Val_Test"]),
    )


@dataclass
class DLInfoReport:
    """What `read_dl_info` skipped and why: (line number, reason) pairs."""

    skipped: list[tuple[int, str]]

    @property
    def count(self) -> int:
        return len(self.skipped)


def read_dl_info(path: str | Path) -> tuple[list[DLInfoRow], DLInfoReport]:
    """Read ``DL_info.csv`` (or a subset with its columns), skipping malformed rows with a reason.

    Returns:
        The parsed rows in file order and a report of the skipped ones (line numbers are 1-based,
        counting the header as line 1).

    Raises:
        InputError: the file is missing or lacks DeepLesion's columns.
    """
    path = Path(path)
    require_regular_file(path, what="DL_info.csv")
    rows, skipped = [], []
    with csv_table(path) as reader:
        missing = [c for c in _REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(path, f"is not a DeepLesion DL_info.csv: missing columns {', '.join(missing)}")
        first_line: dict[tuple, int] = {}      # (key slice file, RECIST coordinates) -> its first line
        for line, rec in enumerate(reader, start=2):
            try:
                row = _parse(rec)
            except (ValueError, TypeError, AttributeError) as exc:
                skipped.append((line, str(exc)))
                continue
            # Several lesions may share a key slice, but not its RECIST coordinates too: that is a copied
            # row, which would otherwise be stored as a second lesion.
            key = (row.file_name, row.recist)
            if key in first_line:
                skipped.append((line, f"duplicate of line {first_line[key]} (same key slice and RECIST axes)"))
                continue
            first_line[key] = line
            rows.append(row)
    return rows, DLInfoReport(skipped)
