"""nnInteractive model folders (promptable 3D segmentation, Isensee et al. 2025): import and card.

The published folder (huggingface.co/nnInteractive/nnInteractive, e.g. ``nnInteractive_v1.0/``) holds
``inference_session_class.json``, ``plans.json``, ``dataset.json`` and ``fold_0/checkpoint_final.pth``.
Its weights are licensed CC BY-NC-SA 4.0 (non-commercial). Running it needs the ``nninteractive``
package (a GPU is strongly advised); DeepRadiology installs and verifies the folder, and
`deepradiology.recist.nninteractive` runs it for RECIST (method "model").
"""

from __future__ import annotations

from pathlib import Path

from ...errors import InputError, ModelError
from ...io.jsonfile import read_json
from ..card import ModelCard

__all__ = ["FORMAT", "is_nninteractive_folder", "nninteractive_files", "nninteractive_card", "LICENCE"]

FORMAT = "nninteractive"
TASK = "interactive-segmentation"
LICENCE = ("nnInteractive weights: CC BY-NC-SA 4.0 - non-commercial use only, share alike "
           "(huggingface.co/nnInteractive/nnInteractive); code Apache-2.0")
CHECKPOINT = "checkpoint_final.pth"


def is_nninteractive_folder(path: Path) -> bool:
    return (Path(path) / "inference_session_class.json").is_file()


def nninteractive_files(path: Path) -> tuple[Path, list[str]]:
    """(folder, the model's files relative to it), from names alone (no file is opened); a missing one is left
    out here and refused by `nninteractive_card` with its name."""
    root = Path(path)
    folds = sorted(p.parent.name for p in root.glob(f"fold_*/{CHECKPOINT}"))
    names = ["inference_session_class.json", "plans.json", "dataset.json"] + [f"{f}/{CHECKPOINT}" for f in folds]
    return root, [n for n in names if (root / n).is_file()]


def nninteractive_card(path: Path, *, licence: str | None = None):
    """(folder, files, card) of an nnInteractive folder; refuses one without a readable checkpoint."""
    from .safe_pickle import safe_torch_load

    root = Path(path)
    try:
        session = read_json(root / "inference_session_class.json", what="nnInteractive session file")
    except InputError as exc:
        raise ModelError(str(exc)) from None
    described = {}
    for name in ("plans.json", "dataset.json"):
        if not (root / name).is_file():
            raise ModelError(f"{root}: no {name}; not a complete nnInteractive model folder")
        try:
            described[name] = read_json(root / name, what=f"nnInteractive {name}")
        except InputError as exc:
            raise ModelError(str(exc)) from None
        if not isinstance(described[name], dict):
            raise ModelError(f"{root / name}: not an nnU-Net {name} (a JSON object is expected, found "
                             f"{type(described[name]).__name__ if described[name] is not None else 'null'})")
    configurations = described["plans.json"].get("configurations")
    if not isinstance(configurations, dict):
        raise ModelError(f"{root / 'plans.json'}: no \"configurations\" in it, so it is not an nnU-Net plans file")
    folds = sorted(p.parent.name for p in root.glob(f"fold_*/{CHECKPOINT}"))
    if not folds:
        raise ModelError(f"{root}: no fold_*/{CHECKPOINT}; the download is incomplete")
    for fold in folds:
        blob = safe_torch_load(root / fold / CHECKPOINT)
        if not isinstance(blob, dict) or not isinstance(blob.get("network_weights"), dict):
            raise ModelError(f"{root / fold / CHECKPOINT}: not an nnInteractive checkpoint (no network_weights)")
        # the network is built from the plans' configuration the checkpoint was trained with: plans of
        # another model would build another network, or none
        wanted = blob.get("init_args", {}).get("configuration") if isinstance(blob.get("init_args"), dict) else None
        if wanted is not None and wanted not in configurations:
            raise ModelError(f"{root / 'plans.json'}: has no configuration {str(wanted)[:60]!r}, which "
                             f"{fold}/{CHECKPOINT} was trained with (plans of another model?); it has "
                             f"{', '.join(map(str, list(configurations)[:5])) or 'none'}")
    session_class = session.get("inference_class", session) if isinstance(session, dict) else session
    files = nninteractive_files(root)[1]
    card = ModelCard(
        name=f"nninteractive-{root.name}".replace(" ", "-")[:100], task=TASK, version=root.name,
        architecture="nninteractive", input_spec={"prompts": ["point", "box", "scribble", "lasso"], "channels": 1},
        labels=["object"], training_data="nnInteractive training collection (120+ 3D data sets)",
        licence=licence or LICENCE,
        url="https://huggingface.co/nnInteractive/nnInteractive",
        description="nnInteractive promptable 3D segmentation; a click gives a 3D mask. GPU strongly advised.",
        extra={"format": FORMAT, "folds": folds, "session_class": str(session_class),
               "needs": "nninteractive==2.6.0 (see requirements/interop.txt)"})
    return root, files, card
