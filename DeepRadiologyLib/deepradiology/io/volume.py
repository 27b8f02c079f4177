"""NIfTI, NRRD and MetaImage volumes through SimpleITK (geometry in LPS, as ITK reads it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError
from ..image import Image
from .checks import require_finite
from .header import check_declared, read_declared
from .quiet import itk_reason, quiet_reader

__all__ = ["read_volume"]


@quiet_reader
def read_volume(path: str | Path, *, modality: str = "") -> Image:
    """Read a NIfTI (.nii, .nii.gz), NRRD (.nrrd) or MetaImage (.mha/.mhd) file.

    Returns:
        The image with LPS geometry; NIfTI's RAS-based affine is converted by ITK on reading.

    Raises:
        InputError: the file is missing, truncated, not an image, or holds NaN voxels.
    """
    import SimpleITK as sitk

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such file")
    # the header first: refuse bad geometry and size bombs before ITK allocates anything
    declared = read_declared(path)
    check_declared(path, declared)
    try:
        img = sitk.ReadImage(str(path))
    except RuntimeError as exc:
        raise InputError(path, f"cannot be read as an image (truncated or not a volume file): {itk_reason(exc)}") from None
    _require_complete(path, img, declared)
    _require_no_nan_in_nifti(path, img)
    return require_finite(Image.from_sitk(img, modality=modality, source=str(path)))


def _require_no_nan_in_nifti(path: Path, img) -> None:
    """ITK's NIfTI reader turns NaN voxels into 0 without a word; look at the stored values instead."""
    import SimpleITK as sitk

    if not path.name.lower().endswith((".nii", ".nii.gz")) or img.GetPixelID() not in (
            sitk.sitkFloat32, sitk.sitkFloat64):
        return
    import nibabel

    raw = np.asanyarray(nibabel.load(str(path)).dataobj)
    bad = int(np.count_nonzero(~np.isfinite(raw)))
    if bad:
        raise InputError(path, f"{bad} voxels are NaN or infinite")


def _require_complete(path: Path, img, declared=None) -> None:
    """Refuse a file cut short: ITK fills missing voxels with zeros instead of failing.

    The bytes needed come from the header's *stored* type where it is known: an int16 NIfTI with
    scl_slope is returned by ITK as float32, but only 2 bytes per voxel are on disk.
    """
    import gzip
    import zlib

    if declared is not None:
        needed = declared.data_bytes
    else:
        needed = img.GetNumberOfPixels() * img.GetNumberOfComponentsPerPixel() * img.GetSizeOfPixelComponent()
    if path.name.lower().endswith(".gz"):
        total = 0
        try:
            with gzip.open(path, "rb") as fh:
                if path.name.lower().endswith(".nii.gz"):
                    fh.read(352)  # the NIfTI-1 header travels inside the stream; count only voxel data
                while chunk := fh.read(1 << 22):
                    total += len(chunk)
        except (EOFError, OSError, zlib.error):
            raise InputError(path, "is truncated or corrupt (the compressed stream ends early)") from None
    elif path.suffix.lower() in (".nii", ".mha"):
        total = path.stat().st_size
    else:  # headers with detached data (.nhdr, .mhd) or NRRD encodings: ITK checks those itself
        return
    if total < needed:
        raise InputError(path, f"is truncated: {total} bytes of image data where {needed} are needed")
