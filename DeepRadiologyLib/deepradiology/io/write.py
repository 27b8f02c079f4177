"""Writing outputs without ever overwriting what the user made."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import IO, Iterator

from ..errors import InputError, OutputExistsError
from ..image import Image

__all__ = ["prepare_output", "check_outputs", "check_output_folder", "write_image", "atomic_open"]

VOLUME_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".seg.nrrd", ".mha", ".mhd")


def _writable_folder(path: Path, *, named: Path | None = None) -> None:
    """Refuse, in one line naming ``named`` (default ``path``), a path whose folder cannot be made or
    written (checked before any work)."""
    named = path if named is None else named
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise InputError(named, f"cannot be written: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(named, f"cannot be written: no permission to write in {folder}")


def prepare_output(path: str | Path, *, force: bool = False) -> Path:
    """Check that ``path`` may be written, create its folder, and return it as a Path.

    Raises:
        OutputExistsError: the file exists and ``force`` is False.
        InputError: the path is a folder, or its folder cannot be created or written.
    """
    path = Path(path)
    if path.exists() and not force:
        raise OutputExistsError(path)
    if path.is_dir():
        raise InputError(path, "is a folder; give a file name to write")
    _writable_folder(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def check_output_folder(folder: str | Path) -> Path:
    """Refuse, before any work, an output folder that is a file or cannot be created or written in."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(folder, "is a file; give a folder to write into")
    _writable_folder(folder / "probe", named=folder)     # "probe": any name inside it
    return folder


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)   # hard links and symlinks too
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):         # a symbolic-link loop: it is no file, so not the same one
        return False


def check_outputs(outputs: dict, *, inputs=(), volumes=(), force: bool = False) -> dict:
    """Check every output a command will write, before it reads, computes or writes anything.

    One rule for all commands, so that a refusal never comes after a first file was written:
    each output may be written (`prepare_output`'s rules: not existing unless ``force``, not a folder,
    its folder writable); those named in ``volumes`` have a volume file's suffix; no two outputs are
    the same file; and no output is one of the ``inputs``, even with ``force`` (the user's image is
    never replaced by a result computed from it).

    Args:
        outputs: option name (``"-o"``, ``"--mask"``) -> path, or None when the option was not given.
        inputs: paths the command reads.
        volumes: option names whose output is a volume file.

    Returns:
        The given outputs as Paths (None ones left out). Nothing is created.

    Raises:
        InputError, OutputExistsError: naming the option and the path.
    """
    checked: dict = {}
    for option, value in outputs.items():
        if value is None or value == "":
            continue
        path = Path(value)
        for source in inputs:
            if source is not None and str(source) != "" and _same_file(path, Path(source)):
                raise InputError(path, f"{option} names an input of this command; "
                                       "refusing to overwrite it (choose another file)")
        for other_option, other in checked.items():
            if _same_file(path, other):
                raise InputError(path, f"given as both {other_option} and {option}; give two different files")
        if option in volumes and not path.name.lower().endswith(VOLUME_SUFFIXES):
            raise InputError(path, f"{option}: unknown volume format; use one of {', '.join(VOLUME_SUFFIXES)}")
        if path.exists() and not force:
            raise OutputExistsError(path)
        if path.is_dir():
            raise InputError(path, f"{option} is a folder; give a file name to write")
        _writable_folder(path)
        checked[option] = path
    return checked


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
