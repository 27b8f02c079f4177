"""The one folder where installed models live: ``$DEEPRADIOLOGY_MODELS`` or ``~/.cache/deepradiology/models``.

Each installed model is two files: ``<name>.pt`` (the checkpoint) and ``<name>.pt.card.json`` (its card,
with the checkpoint's sha256). Nothing here writes; listing a cache that does not exist yet is not an error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelError, OutputExistsError
from .card import ModelCard, read_card, require_model_name, require_task

__all__ = ["ENV_VAR", "models_dir", "model_path", "card_path", "refuse_to_replace", "InstalledModel",
           "installed_models", "find_model"]

ENV_VAR = "DEEPRADIOLOGY_MODELS"
CARD_SUFFIX = ".card.json"


def models_dir() -> Path:
    """The model cache folder (it may not exist yet)."""
    override = os.environ.get(ENV_VAR, "").strip()
    if override:
        return Path(override).expanduser()
    return Path.home() / ".cache" / "deepradiology" / "models"


def model_path(name: str) -> Path:
    """Where the installed model ``name`` has its checkpoint."""
    return models_dir() / f"{require_model_name(name)}.pt"


def card_path(checkpoint: str | Path) -> Path:
    """The card sidecar of a checkpoint file: ``<checkpoint>.card.json``."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.name + CARD_SUFFIX)


def refuse_to_replace(*paths: Path, force: bool) -> None:
    """A model's files (its weights, its card) are replaced only when asked: raise `OutputExistsError`
    naming the first of ``paths`` that exists, unless ``force``. Checked before anything is written."""
    if force:
        return
    for path in paths:
        if path.exists():
            raise OutputExistsError(path)


@dataclass
class InstalledModel:
    """One model in the cache: its checkpoint path, and its card or why the card cannot be read."""

    name: str
    path: Path
    card: ModelCard | None
    problem: str = ""


def installed_models() -> list[InstalledModel]:
    """Every model in the cache, sorted by name; a checkpoint with a missing or broken card is listed
    with its problem rather than hidden, so the user can see and remove it."""
    folder = models_dir()
    if not folder.is_dir():
        return []
    found = []
    # "<name>.pt" checkpoints and "<name>.ext" folders of models in published formats (models.external).
    for path in sorted([*folder.glob("*.pt"), *(p for p in folder.glob("*.ext") if p.is_dir())]):
        if path.name.startswith("."):      # partial writes and downloads
            continue
        try:
            card = read_card(card_path(path))
        except ModelError as exc:
            found.append(InstalledModel(path.stem, path, None, str(exc)))
            continue
        found.append(InstalledModel(path.stem, path, card))
    return found


def find_model(task: str) -> ModelCard | None:
    """The installed model for ``task``, or None when there is none.

    Where several are installed, the catalogue's model for the task wins, then the most recently
    installed one. The file is not verified here; `load_checkpoint` verifies it.
    """
    from .catalogue import load_catalogue

    require_task(task)
    usable = [m for m in installed_models() if m.card is not None and m.card.task == task]
    if not usable:
        return None
    preferred = {slot.name for slot in load_catalogue() if slot.task == task}
    usable.sort(key=lambda m: (m.name in preferred, m.path.stat().st_mtime_ns), reverse=True)
    return usable[0].card
