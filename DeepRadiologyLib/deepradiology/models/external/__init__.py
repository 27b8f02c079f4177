"""Models in the field's published formats, imported as they are and run through DeepRadiology's pipelines.

Formats (`detect_format`):

- ``nnunetv2``: an nnU-Net v2 result folder (``dataset.json``, ``plans.json``, ``fold_*/checkpoint_final.pth``),
  or the Dataset / TotalSegmentator task folder holding one; task ``pancreas-segmentation`` (its label
  named "pancreas"). Runs with the ``nnunetv2`` package (`nnunet`).
- ``torchxrayvision``: a torchxrayvision DenseNet-121 weights file (``*.pt``, a pickled module or a state dict);
  task ``cxr-classification``. Runs on DeepRadiology's own DenseNet, no torchxrayvision needed (`xrv`).
- ``nninteractive``: an nnInteractive model folder (``inference_session_class.json``, ``plans.json``,
  ``fold_*/checkpoint_final.pth``); task ``interactive-segmentation``. Runs with the ``nninteractive``
  package (`nninteractive`).

Installed, each is a folder ``<name>.ext/`` in the model cache with ``<name>.ext.card.json`` (see `store`).
Nothing here imports torch or the reference packages at import time.
"""

from __future__ import annotations

from pathlib import Path

from ...errors import ModelError
from ..cache import card_path
from ..card import ModelCard, read_card, require_task
from .store import EXT_SUFFIX, check_manifest, external_path, hash_files, manifest_sha256, place_tree, verify_tree

__all__ = ["FORMATS", "detect_format", "external_files", "external_card", "hashed_card", "import_external",
           "installed_external", "verified_external", "verified_folder", "EXT_SUFFIX"]

FORMATS = ("nnunetv2", "torchxrayvision", "nninteractive")
#: Formats that are folders of several files, identified by one manifest hash (`manifest_sha256`).
FOLDER_FORMATS = ("nnunetv2", "nninteractive")


def detect_format(path: str | Path) -> str | None:
    """The external format of ``path``, or None (a DeepRadiology checkpoint or something unknown)."""
    from .nninteractive import is_nninteractive_folder
    from .nnunet import is_nnunet_folder
    from .xrv import is_xrv_file

    path = Path(path)
    if path.is_dir():
        if is_nninteractive_folder(path):
            return "nninteractive"
        if is_nnunet_folder(path):
            return "nnunetv2"
        return None
    if path.is_file() and is_xrv_file(path):
        return "torchxrayvision"
    return None


def external_files(path: str | Path, fmt: str) -> tuple[Path, list[str]]:
    """(root folder, the model's files relative to it) of a folder format, found without opening any file."""
    if fmt == "nnunetv2":
        from .nnunet import nnunet_files

        return nnunet_files(Path(path))
    if fmt == "nninteractive":
        from .nninteractive import nninteractive_files

        return nninteractive_files(Path(path))
    raise ModelError(f"{path}: {fmt!r} is not a folder format; the folder formats are nnunetv2 and nninteractive")


def verified_folder(path: str | Path) -> tuple[Path, ModelCard] | None:
    """(folder, card) of an installed external model's folder given by its path (its card beside it), every
    file checked against the card (`verify_tree`); None for a folder without a card beside it."""
    folder = Path(path)
    sidecar = card_path(folder)
    if not (folder.is_dir() and sidecar.is_file()):
        return None
    card = read_card(sidecar)
    verify_tree(folder, card)
    return folder, card


def external_card(path: str | Path, fmt: str, *, licence: str | None = None, weights: str | None = None):
    """(root folder, files relative to it, card without hashes) for ``path`` in format ``fmt``."""
    path = Path(path)
    if fmt == "nnunetv2":
        from .nnunet import nnunet_card

        return nnunet_card(path, licence=licence)
    if fmt == "torchxrayvision":
        from .xrv import xrv_card

        return xrv_card(path, licence=licence, weights=weights)
    if fmt == "nninteractive":
        from .nninteractive import nninteractive_card

        return nninteractive_card(path, licence=licence)
    raise ModelError(f"{path}: unknown model format {fmt!r}; the formats are {', '.join(FORMATS)}")


def hashed_card(path: str | Path, fmt: str, *, sha256: str | None = None, licence: str | None = None,
                weights: str | None = None) -> tuple[Path, dict, ModelCard]:
    """(root folder, {file: its sha256 and size}, card) for ``path`` in format ``fmt``.

    A folder's files are hashed, and with ``sha256`` its manifest hash (`manifest_sha256`) is checked,
    before any checkpoint is opened: building the card opens them (weights only, no code runs), and a
    tampered folder should be refused before that.
    """
    early = None
    if fmt in FOLDER_FORMATS:
        early_root, early_files = external_files(path, fmt)
        early = hash_files(early_root, early_files)
        if sha256:
            check_manifest(early_root, early, sha256)
    root, files, card = external_card(path, fmt, licence=licence, weights=weights)
    # the card's file list is normally the one hashed above; hash again only if building it changed that
    hashed = early if early is not None and sorted(early) == sorted(files) else hash_files(root, files)
    if sha256 and fmt in FOLDER_FORMATS:
        check_manifest(root, hashed, sha256)
    return root, hashed, card


def import_external(path: str | Path, *, fmt: str | None = None, name: str | None = None, force: bool = False,
                    sha256: str | None = None, licence: str | None = None, weights: str | None = None) -> ModelCard:
    """Verify and install a published model (folder or file) into the cache; return its card.

    ``sha256`` (for a single-file format: of the file; for a folder: of its file list, as `manifest_sha256`)
    is checked before anything is installed.

    Raises:
        ModelError: unknown format, a model for another task, a truncated or unreadable file, a checksum
            that does not match.
        OutputExistsError: a model of that name is installed and ``force`` is False.
    """
    path = Path(path)
    if not path.exists():
        raise ModelError(f"{path}: no such file or folder")
    fmt = fmt or detect_format(path)
    if fmt is None:
        raise ModelError(f"{path}: not a model format DeepRadiology knows (a DeepRadiology checkpoint, an nnU-Net "
                         "v2 result folder, a torchxrayvision weights file or an nnInteractive folder)")
    if sha256 and fmt not in FOLDER_FORMATS:
        from ..checkpoint import file_sha256

        got = file_sha256(path)
        if got != sha256.strip().lower():
            raise ModelError(f"{path}: sha256 {got} does not match the expected {sha256.strip().lower()}; nothing "
                             "was installed")
    root, hashed, card = hashed_card(path, fmt, sha256=sha256, licence=licence, weights=weights)
    return place_tree(root, hashed, card, name=name or card.name, force=force)


def installed_external(name: str) -> tuple[Path, ModelCard] | None:
    """(folder, card) of the installed external model ``name``, or None."""
    try:
        folder = external_path(name)
    except ModelError:
        return None
    if folder.is_dir() and card_path(folder).is_file():
        return folder, read_card(card_path(folder))
    return None


def verified_external(name: str, *, task: str) -> tuple[Path, ModelCard]:
    """The installed external model ``name`` for ``task``, every file re-hashed against its card.

    Raises:
        ModelError: not installed, for another task, or any file missing, truncated or altered.
    """
    require_task(task)
    found = installed_external(name)
    if found is None:
        raise ModelError(f"no external model named {name!r} is installed; see `deepradiology models list`")
    folder, card = found
    if card.task != task:
        raise ModelError(f"{folder}: model {card.name!r} was made for {card.task!r}, not {task!r}")
    verify_tree(folder, card)
    return folder, card
