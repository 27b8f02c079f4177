"""Importing a checkpoint into the cache: verified first, copied next to its final name, then renamed."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import ModelError
from .cache import card_path, model_path, models_dir, refuse_to_replace
from .card import ModelCard, read_card, require_model_name, require_task, write_card
from .checkpoint import file_sha256, read_checkpoint, require_same_model, verify_file

__all__ = ["install_model", "place_verified"]


def install_model(path: str | Path, *, name: str | None = None, force: bool = False,
                  sha256: str | None = None) -> ModelCard:
    """Import a local checkpoint (e.g. carried into an air-gapped hospital) into the model cache.

    Where ``<path>.card.json`` exists, the file must match its sha256 before torch opens it. Without it,
    the card embedded in the checkpoint names the model, and the file is checked against ``sha256``
    when given (the published checksum) and always against the hash of its weights stored inside it.

    Args:
        path: the checkpoint file.
        name: the name in the cache (default: the card's name).
        force: replace an installed model of that name.
        sha256: the expected hex sha256 of the file, if the sender published one.

    Returns:
        the installed card (with the file's sha256 and size filled in).

    Raises:
        ModelError: missing, corrupt, truncated or mismatched file, or an unknown task.
        OutputExistsError: a model of that name is installed and ``force`` is False.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: checkpoint file not found")
    sidecar = card_path(path)
    card = read_card(sidecar) if sidecar.is_file() else None
    if card is not None:
        verify_file(path, sha256=card.sha256, size_bytes=card.extra.get("size_bytes"))
    if sha256:
        verify_file(path, sha256=sha256)
    _, embedded = read_checkpoint(path)
    if card is not None:
        require_same_model(card, embedded, path)
    return place_verified(path, card or embedded, name=name or (card or embedded).name, force=force, move=False)


def place_verified(source: Path, card: ModelCard, *, name: str, force: bool, move: bool) -> ModelCard:
    """Put an already verified checkpoint into the cache as ``name`` with its card.

    The weights go to a hidden file in the cache, are hashed again there, and are renamed into place;
    the card follows. An interrupted import never leaves a half-written model under its name.
    """
    require_model_name(name)
    require_task(card.task)
    dest = model_path(name)
    refuse_to_replace(dest, card_path(dest), force=force)
    expected = file_sha256(source)
    models_dir().mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.importing")
    try:
        if move:
            shutil.move(str(source), tmp)
        else:
            shutil.copyfile(source, tmp)
        if file_sha256(tmp) != expected:
            raise ModelError(f"{source}: the copy in {dest.parent} does not match the original; nothing was "
                             "installed (is the disk full or failing?)")
        installed = ModelCard.from_dict({**card.to_dict(), "name": name, "sha256": expected,
                                         "extra": {**card.extra, "size_bytes": tmp.stat().st_size}})
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)
    write_card(installed, card_path(dest))
    return installed
