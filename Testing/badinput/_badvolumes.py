"""Bad volume files made from scratch: each is (name, bytes-writer, what the message must say).

Written by hand from the NIfTI-1 / NRRD / MetaImage header layouts, not with the code under test.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

SHAPE = (16, 16, 8)  # i, j, k voxels


def _nifti_header(shape, *, datatype=4, bitpix=16, pixdim=(1.0, 1.0, 1.0), slope=0.0, inter=0.0) -> bytes:
    """A 348-byte little-endian NIfTI-1 header (field offsets from the NIfTI-1 standard)."""
    h = bytearray(348)
    struct.pack_into("<i", h, 0, 348)
    dims = [len(shape), *shape] + [1] * (7 - len(shape))
    struct.pack_into("<8h", h, 40, *dims)
    struct.pack_into("<hh", h, 70, datatype, bitpix)
    struct.pack_into("<8f", h, 76, 1.0, *pixdim, 1.0, 1.0, 1.0, 1.0)
    struct.pack_into("<f", h, 108, 352.0)  # vox_offset
    struct.pack_into("<ff", h, 112, slope, inter)
    struct.pack_into("<hh", h, 252, 0, 1)  # qform_code 0, sform_code 1
    struct.pack_into("<4f", h, 280, pixdim[0], 0, 0, 0)
    struct.pack_into("<4f", h, 296, 0, pixdim[1], 0, 0)
    struct.pack_into("<4f", h, 312, 0, 0, pixdim[2], 0)
    h[344:348] = b"n+1\0"
    return bytes(h) + b"\0" * 4


def _voxels(shape=SHAPE) -> bytes:
    rng = np.random.default_rng(0)
    return rng.integers(-1000, 200, size=int(np.prod(shape)), dtype=np.int16).tobytes()


def _nrrd(spacing_line: str, shape=SHAPE, *, data: bool = True) -> bytes:
    head = (f"NRRD0004\ntype: short\ndimension: 3\nsizes: {' '.join(map(str, shape))}\n{spacing_line}"
            "encoding: raw\nendian: little\n\n")
    return head.encode() + (_voxels(shape) if data else b"\0" * 1000)


def bad_volumes() -> list[tuple[str, bytes, str]]:
    """(file name, content, a phrase the one-line error must contain)."""
    cases = []
    for label, pixdim in (("zero", (0.0, 0.0, 0.0)), ("zero-k", (1.0, 1.0, 0.0)),
                          ("nan", (float("nan"), 1.0, 1.0)), ("neg", (-1.0, 1.0, 1.0)),
                          ("inf", (1.0, float("inf"), 1.0))):
        data = _nifti_header(SHAPE, pixdim=pixdim) + _voxels()
        cases.append((f"pixdim-{label}.nii", data, "spacing"))
        cases.append((f"pixdim-{label}.nii.gz", gzip.compress(data), "spacing"))
    for label, line in (("nan", "spacings: nan 1 1\n"), ("zero", "spacings: 1 0 1\n"), ("missing", ""),
                        ("dir-zero", "space: left-posterior-superior\nspace directions: (0,0,0) (0,1,0) (0,0,1)\n")):
        cases.append((f"spacing-{label}.nrrd", _nrrd(line), "spacing"))
    for n in (1200, 2048, 30000):
        cases.append((f"bomb-{n}.nii", _nifti_header((n, n, min(n, 32767))) + b"\0" * 1000, "voxels"))
        cases.append((f"bomb-{n}.nrrd", _nrrd("spacings: 1 1 1\n", (n, n, n), data=False), "voxels"))
    cases.append(("bomb-small-truncated.nii", _nifti_header((256, 256, 64)) + b"\0" * 1000, "truncated"))
    cases.append(("truncated.nii", (_nifti_header(SHAPE) + _voxels())[:-100], "truncated"))
    cases.append(("truncated.nii.gz", gzip.compress(_nifti_header(SHAPE) + _voxels())[:-50], "truncated"))
    cases.append(("garbage.nii", b"\x00\x01garbage" * 10, "NIfTI"))
    cases.append(("garbage.nrrd", b"not a nrrd\n" * 10, "NRRD"))
    return cases


def scaled_int16() -> tuple[bytes, np.ndarray]:
    """An int16 NIfTI with scl_slope 0.5, scl_inter -1024, and the HU values it must read as (k, j, i)."""
    stored = np.arange(np.prod(SHAPE), dtype=np.int16) % 3000
    data = _nifti_header(SHAPE, pixdim=(0.7, 0.7, 2.5), slope=0.5, inter=-1024.0) + stored.tobytes()
    expected = (stored.astype(np.float64) * 0.5 - 1024.0).reshape(SHAPE[::-1])
    return data, expected


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path
