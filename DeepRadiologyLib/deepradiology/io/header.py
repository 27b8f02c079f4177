"""What a volume file declares, read from its header before any voxel is allocated.

One place for two checks every reader needs (issue 17 items 1-3):

* geometry: the voxel spacing (mm) must be stated, finite and positive. ITK substitutes 1 mm for a
  zero, NaN or missing spacing without a word, which turns a 28.8 mm lesion into 17.5 mm;
* size: the declared voxel count times the *stored* bytes per voxel (int16 stays 2 bytes even when
  scl_slope makes ITK return float32) must fit in the file, and must stay under a cap
  (``DEEPRADIOLOGY_MAX_VOXELS``, default 1024^3), so a 1 KB header cannot claim 1200^3 voxels.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = ["Declared", "read_declared", "check_declared", "max_voxels"]

_DEFAULT_MAX_VOXELS = 1024 ** 3

_NRRD_TYPES = {
    "signed char": 1, "int8": 1, "int8_t": 1, "uchar": 1, "unsigned char": 1, "uint8": 1, "uint8_t": 1,
    "short": 2, "short int": 2, "signed short": 2, "signed short int": 2, "int16": 2, "int16_t": 2,
    "ushort": 2, "unsigned short": 2, "unsigned short int": 2, "uint16": 2, "uint16_t": 2,
    "int": 4, "signed int": 4, "int32": 4, "int32_t": 4, "uint": 4, "unsigned int": 4, "uint32": 4,
    "uint32_t": 4, "longlong": 8, "long long": 8, "int64": 8, "int64_t": 8, "ulonglong": 8,
    "unsigned long long": 8, "uint64": 8, "uint64_t": 8, "float": 4, "double": 8,
}
_MET_TYPES = {"MET_CHAR": 1, "MET_UCHAR": 1, "MET_SHORT": 2, "MET_USHORT": 2, "MET_INT": 4, "MET_UINT": 4,
              "MET_LONG": 4, "MET_ULONG": 4, "MET_LONG_LONG": 8, "MET_ULONG_LONG": 8, "MET_FLOAT": 4,
              "MET_DOUBLE": 8}


@dataclass(frozen=True)
class Declared:
    """A header's claims. ``spacing`` is (i, j, k) mm or None where the header states none;
    ``data_bytes_in_file`` is None when the data are compressed or detached (not checkable by size)."""

    shape: tuple[int, ...]
    bytes_per_voxel: int
    spacing: tuple[float, ...] | None
    data_bytes_in_file: int | None

    @property
    def voxels(self) -> int:
        return math.prod(self.shape) if self.shape else 0

    @property
    def data_bytes(self) -> int:
        return self.voxels * self.bytes_per_voxel


def max_voxels() -> int:
    """The voxel-count cap: ``DEEPRADIOLOGY_MAX_VOXELS`` (a positive integer) or 1024^3."""
    raw = os.environ.get("DEEPRADIOLOGY_MAX_VOXELS", "").strip()
    if not raw:
        return _DEFAULT_MAX_VOXELS
    try:
        value = int(float(raw))
    except ValueError:
        raise InputError("DEEPRADIOLOGY_MAX_VOXELS", f"must be a positive integer, got {raw!r}") from None
    if value <= 0:
        raise InputError("DEEPRADIOLOGY_MAX_VOXELS", f"must be a positive integer, got {raw!r}")
    return value


def read_declared(path: Path) -> Declared | None:
    """The header's claims for NIfTI, NRRD or MetaImage; None for a format not parsed here."""
    name = path.name.lower()
    if name.endswith((".nii", ".nii.gz")):
        return _nifti(path)
    if name.endswith((".nrrd", ".nhdr")):
        return _text_header(path, nrrd=True)
    if name.endswith((".mha", ".mhd")):
        return _text_header(path, nrrd=False)
    return None


def check_declared(path: Path, declared: Declared | None) -> None:
    """Refuse missing/zero/NaN spacing, a size over the cap, or data bigger than the file holds."""
    if declared is None:
        return
    if any(n <= 0 for n in declared.shape):
        raise InputError(path, f"the header declares an empty or negative size {declared.shape}")
    cap = max_voxels()
    if declared.voxels > cap:
        raise InputError(path, f"the header declares {'x'.join(map(str, declared.shape))} = {declared.voxels} "
                               f"voxels, over the limit of {cap} (raise DEEPRADIOLOGY_MAX_VOXELS to allow it)")
    if declared.data_bytes_in_file is not None and declared.data_bytes_in_file < declared.data_bytes:
        raise InputError(path, f"is truncated: {declared.data_bytes_in_file} bytes of image data where "
                               f"{declared.data_bytes} are needed")
    if declared.spacing is None:
        raise InputError(path, "the header states no voxel spacing; refusing to assume 1 mm")
    spatial = declared.spacing[:3]
    if not all(math.isfinite(s) and s > 0 for s in spatial):
        raise InputError(path, f"voxel spacing {tuple(spatial)} mm is zero, negative or not a number; "
                               "refusing to assume 1 mm")


def _nifti(path: Path) -> Declared:
    import nibabel

    try:
        img = nibabel.load(str(path))
    except Exception as exc:  # nibabel raises many types for a bad header; all mean "not NIfTI"
        raise InputError(path, f"cannot be read as NIfTI: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    header = img.header
    shape = tuple(int(n) for n in header.get_data_shape())
    dims = len(shape)
    raw = _raw_header(path, type(header))
    pixdim = [float(v) for v in np.asarray(raw["pixdim"], dtype=float)[1:1 + min(dims, 3)]]
    # a 2D NIfTI has no slice spacing to check; pixdim[3] of 0 or 1 there is harmless
    spacing = tuple(pixdim) if pixdim else None
    if dims == 2:
        spacing = tuple(pixdim[:2]) + (1.0,)
    stored = np.dtype(header.get_data_dtype()).itemsize  # the stored type, before scl_slope/inter
    in_file = None
    if not path.name.lower().endswith(".gz"):
        # the loaded image's header has vox_offset reset to 0; the offset on disk is the raw header's
        in_file = max(0, path.stat().st_size - max(int(raw.get_data_offset()), raw.sizeof_hdr))
    return Declared(shape, stored, spacing, in_file)


def _raw_header(path: Path, header_class):
    """The header as stored (pixdim, vox_offset): nibabel's checked load silently replaces a zero pixdim by 1, which is the
    very default this module exists to refuse."""
    import gzip

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as fh:
        return header_class.from_fileobj(fh, check=False)


def _text_header(path: Path, *, nrrd: bool) -> Declared:
    fields: dict[str, str] = {}
    offset = 0
    with open(path, "rb") as fh:
        first = fh.readline(256)
        offset += len(first)
        if nrrd and not first.startswith(b"NRRD"):
            raise InputError(path, "not a NRRD file (it does not start with 'NRRD')")
        if not nrrd:
            fh.seek(0)
            offset = 0
        for _ in range(400):  # headers are short; a binary file with no header ends here
            line = fh.readline(4096)
            offset += len(line)
            if not line or line in (b"\n", b"\r\n"):
                break
            text = line.decode("latin-1").strip()
            if text.startswith("#"):
                continue
            key, sep, value = text.partition(":=" if ":=" in text and nrrd else ("=" if not nrrd else ":"))
            if not sep:
                continue
            fields[key.strip().lower()] = value.strip()
            if not nrrd and key.strip().lower() == "elementdatafile":
                break
    try:
        if nrrd:
            shape = tuple(int(v) for v in fields["sizes"].split())
            kind = fields.get("type", "").lower()
            nbytes = _NRRD_TYPES.get(kind, 1)
            spacing = _nrrd_spacing(fields)
            detached = "data file" in fields or "datafile" in fields
            raw = fields.get("encoding", "raw").lower() == "raw"
            in_file = None if detached or not raw else max(0, path.stat().st_size - offset)
            # vector pixels: the first axis is the component axis when its kind says so
            if spacing is not None and len(spacing) > 3:
                spacing = spacing[-3:]
        else:
            shape = tuple(int(v) for v in fields["dimsize"].split())
            nbytes = _MET_TYPES.get(fields.get("elementtype", "").upper(), 1)
            nbytes *= int(fields.get("elementnumberofchannels", "1") or 1)
            sp = fields.get("elementspacing") or fields.get("elementsize")
            spacing = tuple(float(v) for v in sp.split()) if sp else None
            local = fields.get("elementdatafile", "").upper() == "LOCAL"
            compressed = fields.get("compresseddata", "false").lower() == "true"
            in_file = max(0, path.stat().st_size - offset) if local and not compressed else None
    except (KeyError, ValueError) as exc:
        raise InputError(path, f"the header is incomplete or malformed ({exc})") from None
    if spacing is not None and len(shape) == 2 and len(spacing) == 2:
        spacing = spacing + (1.0,)
    return Declared(shape, nbytes, spacing, in_file)


def _nrrd_spacing(fields: dict[str, str]) -> tuple[float, ...] | None:
    if "spacings" in fields:
        values = [v for v in fields["spacings"].split()]
        return tuple(float(v) if v.lower() != "nan" else float("nan") for v in values)
    if "space directions" in fields:
        vectors = re.findall(r"\(([^)]*)\)", fields["space directions"])
        if not vectors:
            return None
        return tuple(float(np.linalg.norm([float(x) for x in v.split(",")])) for v in vectors)
    return None
