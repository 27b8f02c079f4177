"""Saving a whole scene as a Slicer bundle (``.mrb``) and loading one back.

An ``.mrb`` is a zip of the scene file (``.mrml``) and each node's data (volumes as ``.nrrd``,
segmentations as ``.seg.nrrd``, markups as ``.mrk.json``, tables as ``.tsv``); it opens in Slicer with
File > Add Data or by drag and drop. Markups are only written when the scene was set up with the
Markups logic (`deepradiology_mrml.scene.create_scene`, or Slicer itself).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from deepradiology.errors import DeepRadiologyError, InputError
from deepradiology.io.write import prepare_output

__all__ = ["save_mrb", "load_mrb"]


def save_mrb(scene, path: str | Path, *, force: bool = False) -> Path:
    """Write every storable node of ``scene`` into one ``.mrb`` file.

    Args:
        scene: the ``vtkMRMLScene``.
        path: the bundle to write; must end in ``.mrb``. Missing parent folders are made.
        force: replace an existing file; without it an existing file is never overwritten.

    Returns:
        the written path.

    Raises:
        InputError: when ``path`` does not end in ``.mrb``.
        OutputExistsError: when ``path`` exists and ``force`` is False.
        DeepRadiologyError: when Slicer fails to write the bundle (disk full, unwritable folder).
    """
    path = Path(path)
    if path.suffix.lower() != ".mrb":
        raise InputError(path, "a Slicer scene bundle must end in .mrb")
    path = prepare_output(path, force=force).resolve()
    # WriteToMRB changes the scene's URL and root directory to the bundle; put them back afterwards so
    # saving a copy does not move where the user's scene thinks it lives.
    url, root = scene.GetURL(), scene.GetRootDirectory()
    try:
        ok = scene.WriteToMRB(str(path))
    finally:
        scene.SetURL(url)
        scene.SetRootDirectory(root)
    if not ok or not path.is_file():
        raise DeepRadiologyError(f"{path}: Slicer could not write the scene bundle")
    return path


def load_mrb(path: str | Path, *, scene=None):
    """Read a ``.mrb`` bundle into a new scene (or add its nodes to ``scene``).

    Args:
        path: the bundle.
        scene: a scene to add the nodes to; a new `create_scene` scene when None.

    Returns:
        the scene holding the loaded nodes.

    Raises:
        InputError: when the file is missing, not a zip, holds no ``.mrml`` scene, or Slicer cannot read it.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such file")
    if not zipfile.is_zipfile(path):
        raise InputError(path, "not a Slicer scene bundle (.mrb files are zip archives)")
    with zipfile.ZipFile(path) as bundle:
        if not any(name.endswith(".mrml") for name in bundle.namelist()):
            raise InputError(path, "the archive holds no .mrml scene file")
    if scene is None:
        from .scene import create_scene

        scene = create_scene()
    if not scene.ReadFromMRB(str(path.resolve())):
        raise InputError(path, "Slicer could not read this scene bundle")
    return scene
