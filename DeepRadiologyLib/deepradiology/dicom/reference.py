"""Read a reference DICOM series with pydicom: its datasets in slice order and its LPS geometry."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..io.quiet import ReaderWarning
from ..io.series_geometry import check_series_geometry, refuse_unread_dicom_files, series_name

__all__ = ["ReferenceSeries", "read_reference"]


@dataclass
class ReferenceSeries:
    """One image series, slice k = datasets[k] (sorted along the slice normal, LPS mm)."""

    folder: Path
    datasets: list
    origin: np.ndarray      # LPS mm centre of voxel (0, 0, 0)
    direction: np.ndarray   # columns: i, j, k unit vectors (LPS)
    spacing: tuple          # (i, j, k) mm

    @property
    def shape(self) -> tuple[int, int, int]:
        """(slices, rows, columns), the [k, j, i] order of our arrays."""
        ds = self.datasets[0]
        return (len(self.datasets), int(ds.Rows), int(ds.Columns))

    def lps_to_pixel(self, point) -> tuple[float, float, int]:
        """LPS mm -> (column, row) SCOORD (pixel (0,0)'s top-left corner is 0,0) and slice k."""
        ijk = np.linalg.solve(self.direction * np.asarray(self.spacing), np.asarray(point) - self.origin)
        return float(ijk[0] + 0.5), float(ijk[1] + 0.5), int(round(ijk[2]))

    def pixel_to_lps(self, column: float, row: float, k: int) -> tuple[float, float, float]:
        """Inverse of `lps_to_pixel`."""
        ijk = np.array([column - 0.5, row - 0.5, k], dtype=float)
        return tuple(float(v) for v in self.origin + (self.direction * np.asarray(self.spacing)) @ ijk)


def read_reference(folder: str | Path) -> ReferenceSeries:
    """Read the one series in ``folder`` (pixel data not decoded until needed).

    Raises:
        InputError: no images, several series, or slices that do not form one complete volume
            (`deepradiology.io.series_geometry.check_series_geometry`, `refuse_unread_dicom_files`).
    """
    import pydicom

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "no such folder (expected a DICOM series)")
    datasets, paths = [], []
    for f in sorted(folder.iterdir()):
        if f.is_file():
            try:
                with warnings.catch_warnings():  # a damaged file is refused below in one line, not warned of
                    warnings.simplefilter("ignore")
                    ds = pydicom.dcmread(f)
            except Exception:  # noqa: BLE001 - non-DICOM files in a series folder are skipped
                continue
            if "ImagePositionPatient" in ds and "PixelData" in ds:
                datasets.append(ds)
                paths.append(f)
    if not datasets:
        raise InputError(folder, "no DICOM images with a position in this folder")
    series = {ds.SeriesInstanceUID for ds in datasets}
    if len(series) > 1:
        raise InputError(folder, f"{len(series)} series in one folder; give one series")
    # the same completeness and geometry checks as the volume reader's, so that SEG frames and SR
    # coordinates land on the slices the volume shows (a truncated slice file is refused, not skipped)
    refuse_unread_dicom_files(folder, paths, series_name(datasets[0], len(paths)))
    geometry = check_series_geometry(folder, datasets, paths)
    for sentence in geometry.warnings:
        warnings.warn(f"{folder}: {sentence}", ReaderWarning, stacklevel=2)
    by_path = dict(zip(paths, datasets))
    return ReferenceSeries(folder, [by_path[f] for f in geometry.files], geometry.origin, geometry.direction,
                           geometry.spacing)
