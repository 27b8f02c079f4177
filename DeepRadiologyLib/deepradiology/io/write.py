"""Writing outputs without ever overwriting what the user made."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError, OutputExistsError
from ..image import Image

__all__ = ["prepare_output", "write_image"]

VOLUME_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".seg.nrrd", ".mha", ".mhd")


def prepare_output(path: str | Path, *, force: bool = False) -> Path:
    """Check that ``path`` may be written, create its folder, and return it as a Path.

    Raises:
        OutputExistsError: the file exists and ``force`` is False.
    """
    path = Path(path)
    if path.exists() and not force:
        raise OutputExistsError(path)
    if path.is_dir():
        raise InputError(path, "is a folder; give a file name to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_image(image: Image, path: str | Path, *, force: bool = False, compress: bool = True) -> Path:
    """Write an image to NIfTI (.nii/.nii.gz), NRRD (.nrrd) or MetaImage (.mha), geometry in LPS.

    The file is written next to its final name and renamed into place, so an interrupted write never
    leaves a truncated file under the user's name.
    """
    import SimpleITK as sitk

    path = Path(path)
    if not path.name.lower().endswith(VOLUME_SUFFIXES):
        raise InputError(path, f"unknown volume format; use one of {', '.join(VOLUME_SUFFIXES)}")
    path = prepare_output(path, force=force)
    suffix = ".nii.gz" if path.name.lower().endswith(".nii.gz") else path.suffix
    tmp = path.with_name(f".{path.name}.partial{suffix}")
    sitk.WriteImage(image.to_sitk(), str(tmp), compress)
    tmp.replace(path)
    return path
