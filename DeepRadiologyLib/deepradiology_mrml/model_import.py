"""The modules' "Load model..." action: a checkpoint file chosen in a dialog goes through the model
manager's verified import (`deepradiology.models.install_model`: sha256 against its card, weights hash,
task) into the model cache, and the user is told the model's name, training data and licence.

A checkpoint of another task (a chest X-ray model offered to PancreasSegment) is refused before
anything is copied; an installed model of the same name is replaced only with ``replace=True`` (the
Widget asks first). No Qt here: the Widget shows the file dialog and the returned sentence.
"""

from __future__ import annotations

from pathlib import Path

from deepradiology.errors import ModelError

__all__ = ["import_model_file", "describe_card"]


def describe_card(card) -> str:
    """One paragraph for the panel: name, task, training data and licence (said plainly when unknown)."""
    return (f"Model {card.name} ({card.task}) installed. Trained on: {card.training_data or 'not stated'}. "
            f"Licence: {card.licence_text}.")


def import_model_file(path: str | Path, *, task: str, replace: bool = False):
    """Verify and install the checkpoint at ``path`` for ``task``; return (card, sentence for the panel).

    Raises:
        ModelError: not a readable DeepRadiology checkpoint, corrupt, or made for another task.
        OutputExistsError: a model of that name is installed and ``replace`` is False.
    """
    from deepradiology.models.cache import card_path
    from deepradiology.models.card import read_card
    from deepradiology.models.checkpoint import read_checkpoint
    from deepradiology.models.install import install_model

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: checkpoint file not found")
    # The task is read from the sidecar card when there is one, so torch never opens an unverified file
    # that has a card; otherwise from the checkpoint itself (weights-only load), as install_model does.
    sidecar = card_path(path)
    found = read_card(sidecar).task if sidecar.is_file() else read_checkpoint(path)[1].task
    if found != task:
        raise ModelError(f"{path.name}: a {found} model, not a {task} model; nothing was installed")
    card = install_model(path, force=replace)
    return card, describe_card(card)
