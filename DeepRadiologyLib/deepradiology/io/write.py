"""Writing outputs without ever overwriting what the user made."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import IO, Iterator

from ..errors import InputError, OutputExistsError
from ..image import Image

__all__ = ["prepare_output", "write_image", "atomic_open"]

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


@contextlib.contextmanager
def atomic_open(path: str | Path, *, newline: str | None = None) -> Iterator[IO[str]]:
    """Open ``path`` for writing UTF-8 text through a hidden partial file renamed into place on success.

    If the block raises (bad input found half way, Ctrl+C), the partial file is removed and ``path``
    is left as it was: nothing half-written under the user's name, nothing of theirs replaced.
    Call `prepare_output` first for the ``--force`` rule.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        with open(tmp, "w", newline=newline, encoding="utf-8") as handle:
            yield handle
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(path)
