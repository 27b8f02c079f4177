"""A DICOM series' completeness and geometry, checked from its headers before any pixel is read.

A reader stacks a series' slices into one volume with one slice spacing. A slice missing in the middle,
a duplicated or displaced slice, a slice of another orientation or size, or a truncated file that the
reader skips would give a volume one slice short or with wrong z geometry, hence wrong mm and mL, and
no reader says so. Here the headers decide: ImagePositionPatient (LPS mm) projected on the slice normal
(the cross product of ImageOrientationPatient's row and column cosines), Rows/Columns, PixelSpacing,
InstanceNumber. What would make the volume wrong is refused in one sentence naming the series; what
leaves it right but is worth knowing (slices thinner than their spacing, a SpacingBetweenSlices unlike it,
skipped InstanceNumbers) becomes a warning sentence.

Slices are numbered 1..N in the order they are stacked: by position along the normal, lowest first,
as ITK stacks them (slice n is voxel index k = n - 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = ["SeriesGeometry", "read_slice_headers", "check_series_geometry", "refuse_unread_dicom_files",
           "series_name"]

#: Two slices closer than this share of the usual spacing are one position (a duplicated slice).
DUPLICATE_SHARE = 0.1
#: A gap more than this many usual spacings long means a slice is missing.
MISSING_FACTOR = 1.5
#: Gaps may differ from the usual one by this share of it (DS rounding is far smaller) ...
UNEVEN_SHARE = 0.02
#: ... or by this many mm, whichever is larger.
UNEVEN_MM = 0.01
#: Direction cosines of two slices may differ by this much (DS strings hold 6+ digits).
ORIENTATION_TOL = 1e-3
#: A slice's in-plane offset from the first slice's (shear, gantry tilt) may be this share of a pixel.
SHEAR_SHARE = 0.1


@dataclass
class SeriesGeometry:
    """The series as the headers describe it, slices in stacking order.

    Attributes:
        files: the slice files, slice 1 first.
        origin: LPS mm centre of voxel (0, 0, 0), the first slice's ImagePositionPatient.
        direction: 3x3, columns are the i (row cosine), j (column cosine) and k (normal) unit vectors, LPS.
        spacing: (i, j, k) mm: PixelSpacing's column and row spacing, then the distance between positions.
        warnings: sentences about what leaves the volume right but is worth knowing.
    """

    files: list[Path]
    origin: np.ndarray
    direction: np.ndarray
    spacing: tuple[float, float, float]
    warnings: list[str] = field(default_factory=list)


def series_name(ds, count: int) -> str:
    """"series 3 (CT Body), 20 files": how messages name a series (number and description where present)."""
    number = str(ds.get("SeriesNumber", "") or "").strip()
    description = str(ds.get("SeriesDescription", "") or "").strip()
    name = "series" + (f" {number}" if number else "") + (f" ({description})" if description else "")
    return f"{name}, {count} file{'s' if count != 1 else ''}"


def read_slice_headers(folder: Path, files: list[str | Path]) -> list:
    """Each file's pydicom header (no pixel data); InputError naming the first unreadable file."""
    import pydicom

    headers = []
    for f in files:
        try:
            headers.append(pydicom.dcmread(f, stop_before_pixels=True))
        except Exception as exc:  # noqa: BLE001 - pydicom raises many types on damaged files
            raise InputError(folder, f"file {Path(f).name} of the series cannot be read ({type(exc).__name__}: "
                                     "truncated or damaged?)") from None
    return headers


def _floats(ds, keyword: str, n: int):
    value = ds.get(keyword)
    try:
        out = np.asarray([float(v) for v in value], dtype=float)
    except (TypeError, ValueError):
        return None
    return out if out.size == n and np.all(np.isfinite(out)) else None


def check_series_geometry(folder: str | Path, headers: list, files: list[str | Path]) -> SeriesGeometry:
    """The geometry of one series' slices (``headers[n]`` read from ``files[n]``), or InputError.

    Refused: a slice without position or orientation, slices of different orientation, size (Rows x
    Columns) or PixelSpacing, slices sheared in-plane (gantry tilt), two slices at one position, a gap
    over `MISSING_FACTOR` times the usual spacing (a slice missing), gaps differing from the usual one
    by more than `UNEVEN_SHARE` of it (and `UNEVEN_MM`). Warned: a SliceThickness below the spacing between
    positions (unimaged gaps; a thicker one is an overlapping reconstruction, not warned), a
    SpacingBetweenSlices unlike it, InstanceNumbers that skip values although positions are even.
    """
    folder = Path(folder)
    files = [Path(f) for f in files]
    name = series_name(headers[0], len(headers))

    def refuse(problem: str):
        raise InputError(folder, f"{name}: {problem}")

    first = headers[0]
    iop = _floats(first, "ImageOrientationPatient", 6)
    spacing_rc = _floats(first, "PixelSpacing", 2)
    positions = []
    for ds, f in zip(headers, files):
        position = _floats(ds, "ImagePositionPatient", 3)
        orientation = _floats(ds, "ImageOrientationPatient", 6)
        if position is None or orientation is None:
            refuse(f"file {f.name} has no usable ImagePositionPatient/ImageOrientationPatient, so where its "
                   "slice lies is unknown")
        if np.max(np.abs(orientation - iop)) > ORIENTATION_TOL:
            refuse(f"file {f.name} has another orientation ({_cosines(orientation)}) than the first slice "
                   f"({_cosines(iop)}): the slices do not form one volume")
        if (int(ds.get("Rows", 0)), int(ds.get("Columns", 0))) != (int(first.get("Rows", 0)), int(first.get("Columns", 0))):
            refuse(f"file {f.name} is {ds.get('Rows')} x {ds.get('Columns')} pixels where the first slice is "
                   f"{first.get('Rows')} x {first.get('Columns')}: the slices do not form one volume")
        pixel = _floats(ds, "PixelSpacing", 2)
        if spacing_rc is not None and (pixel is None or np.max(np.abs(pixel - spacing_rc)) > 1e-3):
            refuse(f"file {f.name} has PixelSpacing {_mm(pixel)} mm where the first slice has "
                   f"{_mm(spacing_rc)} mm: the slices do not form one volume")
        positions.append(position)
    if spacing_rc is None:
        refuse("its first slice has no usable PixelSpacing, so no distance in it is known in mm")
    row, col = iop[:3], iop[3:]
    normal = np.cross(row, col)
    positions = np.asarray(positions)
    along = positions @ normal
    order = np.argsort(along, kind="stable")
    along, positions = along[order], positions[order]
    headers = [headers[n] for n in order]
    files = [files[n] for n in order]
    in_plane = (positions - positions[0]) - np.outer((positions - positions[0]) @ normal, normal)
    drift = np.linalg.norm(in_plane, axis=1)
    if drift.max() > SHEAR_SHARE * float(spacing_rc.min()):
        n = int(np.argmax(drift))
        refuse(f"slice {n + 1} (file {files[n].name}) is shifted {drift[n]:.2f} mm sideways from slice 1 "
               "(sheared slices, e.g. a gantry tilt), which one volume grid cannot hold")
    warnings: list[str] = []
    if len(headers) >= 2:
        gaps = np.diff(along)
        usual = float(np.median(gaps))
        close = np.flatnonzero(gaps < DUPLICATE_SHARE * max(usual, 0.0) + 1e-6)
        if close.size:
            n = int(close[0])
            refuse(f"slices {n + 1} and {n + 2} (files {files[n].name} and {files[n + 1].name}) lie at one "
                   f"position ({along[n]:.2f} mm along the slice normal): a duplicated slice")
        worst = int(np.argmax(np.abs(gaps - usual)))
        gap = float(gaps[worst])
        where = f"between slices {worst + 1} and {worst + 2} ({along[worst]:.2f} and {along[worst + 1]:.2f} mm)"
        others = "the others are" if len(gaps) > 2 else "slices are"
        if gap > MISSING_FACTOR * usual:
            refuse(f"slice gap of {gap:.2f} mm {where} where {others} {usual:.2f} mm apart: a slice is missing")
        if abs(gap - usual) > max(UNEVEN_SHARE * usual, UNEVEN_MM):
            refuse(f"uneven slice spacing: {gap:.2f} mm {where} where {others} {usual:.2f} mm apart "
                   "(a displaced slice?); one volume grid cannot hold it")
        # the mean spacing (first to last) is the one that puts every slice where its header says
        step = float((along[-1] - along[0]) / (len(along) - 1))
        warnings += _spacing_tags(headers[0], step)
        warnings += _instance_gaps(headers)
    else:
        step = float(first.get("SpacingBetweenSlices", 0) or first.get("SliceThickness", 0) or 0) or 1.0
    direction = np.column_stack([row, col, normal])
    return SeriesGeometry(files, positions[0], direction,
                          (float(spacing_rc[1]), float(spacing_rc[0]), step), [f"{name}: {w}" for w in warnings])


def _spacing_tags(ds, step: float) -> list[str]:
    """Warnings where the spacing tags disagree with the slice positions (whose spacing is the one used).

    A SliceThickness larger than the spacing is an overlapping reconstruction (3 mm slices every 2 mm), a
    routine CT choice: no warning. A thinner one leaves gaps between the slices that were never imaged,
    which a small lesion can fall into: warned. SpacingBetweenSlices must equal the spacing."""
    out = []
    tolerance = max(UNEVEN_SHARE * step, UNEVEN_MM)
    for keyword in ("SliceThickness", "SpacingBetweenSlices"):
        try:
            value = abs(float(ds.get(keyword)))
        except (TypeError, ValueError):
            continue
        if keyword == "SliceThickness" and step - value > tolerance:
            out.append(f"its slices are {value:.2f} mm thick but {step:.2f} mm apart: {step - value:.2f} mm between "
                       "slices is not imaged, where a small lesion can be missed or cut short")
        elif keyword == "SpacingBetweenSlices" and abs(value - step) > tolerance:
            out.append(f"its slices are {step:.2f} mm apart but its SpacingBetweenSlices is {value:.2f} mm; the "
                       f"{step:.2f} mm between slice positions is used for mm and mL")
    return out


def _instance_gaps(headers) -> list[str]:
    try:
        numbers = sorted(int(ds.InstanceNumber) for ds in headers)
    except (AttributeError, TypeError, ValueError):
        return []
    missing = sorted(set(range(numbers[0], numbers[-1] + 1)) - set(numbers))
    if not missing:
        return []
    shown = ", ".join(str(n) for n in missing[:5]) + (" ..." if len(missing) > 5 else "")
    return [f"its InstanceNumbers skip {shown} although the slice positions are evenly spaced; the slices "
            "are stacked by position"]


def refuse_unread_dicom_files(folder: str | Path, used: list[str | Path], name: str) -> None:
    """InputError when ``folder`` holds a DICOM file (the "DICM" mark at byte 128) that the series read
    leaves out: a truncated or damaged slice that a reader skips would make the volume a slice short."""
    folder = Path(folder)
    used_names = {Path(f).resolve() for f in used}
    for path in sorted(folder.iterdir()):
        if path.name.upper() == "DICOMDIR" or not path.is_file() or path.resolve() in used_names:
            continue
        try:
            with path.open("rb") as handle:
                handle.seek(128)
                mark = handle.read(4)
        except OSError:
            continue
        if mark == b"DICM":
            raise InputError(folder, f"{name}: file {path.name} is a DICOM file that cannot be read with the "
                                     "others (truncated or damaged?), so the series would be read without it")


def _cosines(values) -> str:
    return "(" + ", ".join(f"{float(v):.3f}" for v in values) + ")"


def _mm(values) -> str:
    return "none" if values is None else "(" + ", ".join(f"{float(v):.3f}" for v in values) + ")"
