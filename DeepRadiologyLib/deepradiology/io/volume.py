"""NIfTI, NRRD and MetaImage volumes through SimpleITK (geometry in LPS, as ITK reads it)."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..image import Image
from .checks import require_finite

__all__ = ["read_volume"]


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
    try:
        img = sitk.ReadImage(str(path))
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        detail = next((line for line in first if "rror" in line or "annot" in line), first[-1] if first else "")
        raise InputError(path, f"cannot be read as an image (truncated or not a volume file): {detail.strip()}") from None
    return require_finite(Image.from_sitk(img, modality=modality, source=str(path)))
