"""External models in the cache: a folder ``<name>.ext/`` of the published files as they came, and its card
``<name>.ext.card.json`` listing every file with its size and sha256.

The card's ``sha256`` is the folder's manifest hash: the sha256 of its file list (relative paths in sorted order,
each with its size and sha256), so one value identifies the whole folder. It is recorded at import and
`verify_tree` checks it before the folder is handed to a loader (and `deepradiology models info`): every file
re-hashed, a changed, missing or added file refused in one line naming it. `check_manifest` checks a folder that
has no card (not yet imported) against a published manifest hash before any of its files is opened.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from ...errors import ModelError
from ..cache import card_path, models_dir, refuse_to_replace
from ..card import ModelCard, require_model_name, require_task, write_card
from ..checkpoint import file_sha256

__all__ = ["EXT_SUFFIX", "external_path", "hash_files", "manifest_sha256", "verify_tree", "check_manifest",
           "place_tree"]

EXT_SUFFIX = ".ext"


def external_path(name: str) -> Path:
    """Where the installed external model ``name`` has its folder."""
    return models_dir() / f"{require_model_name(name)}{EXT_SUFFIX}"


def hash_files(root: Path, relpaths: list[str]) -> dict:
    """{relative path: {"sha256", "size_bytes"}} for the given files under ``root``."""
    return {rel: {"sha256": file_sha256(root / rel), "size_bytes": (root / rel).stat().st_size}
            for rel in sorted(relpaths)}


def manifest_sha256(files: dict) -> str:
    """One hash for a file list: sha256 of its canonical JSON (sorted names, their sizes and hashes)."""
    text = json.dumps({k: [files[k]["size_bytes"], files[k]["sha256"]] for k in sorted(files)}, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def verify_tree(root: Path, card: ModelCard) -> None:
    """Refuse a model folder whose files differ from its card (missing, truncated, altered), before loading."""
    files = card.extra.get("files")
    if not isinstance(files, dict) or not files:
        raise ModelError(f"{root}: its card lists no files, so the model cannot be verified")
    if manifest_sha256(files) != card.sha256:
        raise ModelError(f"{root}: the card's file list does not match its sha256; the card was altered")
    for rel, want in files.items():
        path = root / rel
        if not path.is_file():
            raise ModelError(f"{path}: missing from the installed model {card.name!r}; re-import it")
        size = path.stat().st_size
        if size != want["size_bytes"]:
            what = "truncated" if size < want["size_bytes"] else "longer than its card says"
            raise ModelError(f"{path}: the file is {what} ({size} bytes, its card says {want['size_bytes']}); "
                             "it was not loaded")
        if file_sha256(path) != want["sha256"]:
            raise ModelError(f"{path}: sha256 does not match its card; the file is corrupt or was replaced; "
                             "it was not loaded")
    # A file added after import (a fold, a plans variant) could change what a loader picks up.
    for path in sorted(p for p in Path(root).rglob("*") if not p.is_dir()):
        if path.relative_to(root).as_posix() not in files:
            raise ModelError(f"{path}: not in the card of the installed model {card.name!r} (added after it was "
                             "imported); remove it or re-import the model")


def check_manifest(root: Path, files: dict, sha256: str) -> None:
    """Refuse a folder whose manifest hash (`manifest_sha256` of ``files``, hashed by `hash_files`) is not the
    expected ``sha256``; the message lists the files it covers, since which one differs cannot be told."""
    got = manifest_sha256(files)
    if got != sha256.strip().lower():
        raise ModelError(f"{root}: manifest sha256 {got} (over {', '.join(sorted(files))}) does not match the "
                         f"expected {sha256.strip().lower()}; a file was changed, removed or added")


def place_tree(source_root: Path, files: dict, card: ModelCard, *, name: str, force: bool) -> ModelCard:
    """Copy the listed files into the cache as ``<name>.ext/`` with the card, all or nothing.

    The files go to a hidden folder first, are hashed again there, and the folder is renamed into place;
    the card follows, so an interrupted import never leaves a half-made model under its name.
    """
    require_model_name(name)
    require_task(card.task)
    dest = external_path(name)
    sidecar = card_path(dest)
    refuse_to_replace(dest, sidecar, models_dir() / f"{name}.pt", force=force)   # nor a .pt model of that name
    models_dir().mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.importing")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        for rel in files:
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source_root / rel, target)
        copied = hash_files(tmp, list(files))
        if copied != files:
            raise ModelError(f"{source_root}: the copy in {dest.parent} does not match the original; nothing was "
                             "installed (is the disk full or failing?)")
        installed = ModelCard.from_dict({**card.to_dict(), "name": name, "sha256": manifest_sha256(files),
                                         "extra": {**card.extra, "files": files}})
        if dest.exists():
            shutil.rmtree(dest)
        tmp.replace(dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for stale in (models_dir() / f"{name}.pt", card_path(models_dir() / f"{name}.pt")):
        stale.unlink(missing_ok=True)   # only reached with force: the new model replaces the old one
    write_card(installed, sidecar)
    return installed
