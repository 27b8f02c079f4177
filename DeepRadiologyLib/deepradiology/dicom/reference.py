"""Read a reference DICOM series with pydicom: its datasets in slice order and its LPS geometry."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError

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
    """Read the one series in ``folder`` (pixel data not decoded until needed)."""
    import pydicom

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "no such folder (expected a DICOM series)")
    datasets = []
    for f in sorted(folder.iterdir()):
        if f.is_file():
            try:
                ds = pydicom.dcmread(f)
            except Exception:  # noqa: BLE001 - non-DICOM files in a series folder are skipped
                continue
            if "ImagePositionPatient" in ds:
                datasets.append(ds)
    if not datasets:
        raise InputError(folder, "no DICOM images with a position in this folder")
    series = {ds.SeriesInstanceUID for ds in datasets}
    if len(series) > 1:
        raise InputError(folder, f"{len(series)} series in one folder; give one series")
    iop = np.asarray(datasets[0].ImageOrientationPatient, dtype=float)
    normal = np.cross(iop[:3], iop[3:])
    datasets.sort(key=lambda ds: float(np.dot(np.asarray(ds.ImagePositionPatient, dtype=float), normal)))
    pos = np.array([np.asarray(ds.ImagePositionPatient, dtype=float) for ds in datasets])
    sk = float(np.median(np.diff(pos @ normal))) if len(datasets) > 1 else float(datasets[0].SliceThickness)
    row_sp, col_sp = (float(v) for v in datasets[0].PixelSpacing)
    direction = np.column_stack([iop[:3], iop[3:], normal])
    return ReferenceSeries(folder, datasets, pos[0], direction, (col_sp, row_sp, sk))
