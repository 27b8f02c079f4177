"""Checkpoint files: a dict of tensors plus the model card, verified before a single weight is used.

A checkpoint is one ``torch.save`` of::

    {"format": "deepradiology-checkpoint", "format_version": 1,
     "card": "<the card as JSON text>", "payload_sha256": "<hash of the tensors>",
     "state_dict": {name: tensor, ...}}

which loads with ``torch.load(..., weights_only=True)`` (no pickled code can run). Beside it,
``<file>.card.json`` holds the same card with the file's sha256 and size filled in; the sha256 is
checked before the file is handed to torch. The embedded card identifies a stray file without its
sidecar; the payload hash lets such a file be checked after a safe load.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..errors import ModelError
from .cache import card_path, model_path, refuse_to_replace
from .card import ModelCard, read_card, require_model_name, require_task, write_card

__all__ = ["save_checkpoint", "load_checkpoint", "read_checkpoint", "verify_file", "file_sha256",
           "FORMAT"]

FORMAT = "deepradiology-checkpoint"
FORMAT_VERSION = 1
_CHUNK = 1 << 20


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _payload_sha256(state_dict: dict) -> str:
    """Hash of the tensors' names, dtypes, shapes and bytes, in name order (independent of the zip)."""
    import torch

    digest = hashlib.sha256()
    for key in sorted(state_dict):
        t = state_dict[key].detach().cpu().contiguous()
        digest.update(f"{key}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _require_tensors(state_dict: object, source: object) -> dict:
    import torch

    if not isinstance(state_dict, dict) or not state_dict:
        raise ModelError(f"{source}: the weights must be a non-empty dict of tensors")
    bad = [k for k, v in state_dict.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)]
    if bad:
        raise ModelError(f"{source}: the weights hold entries that are not named tensors: {bad[:5]}")
    return state_dict


def save_checkpoint(path: str | Path, state_dict: dict, card: ModelCard, *, force: bool = False) -> Path:
    """Write ``state_dict`` (tensors, moved to the CPU) and ``card`` to ``path``, and the card with the
    file's sha256 and size to ``<path>.card.json``.

    Returns:
        the checkpoint path. Read the filled-in card with `read_card(card_path(path))`.

    Raises:
        OutputExistsError: the file or its card exists and ``force`` is False.
        ModelError: the card's task or name is invalid, or the weights are not a dict of tensors.
    """
    import torch

    path = Path(path)
    require_task(card.task)
    require_model_name(card.name)
    _require_tensors(state_dict, path)
    sidecar = card_path(path)
    refuse_to_replace(path, sidecar, force=force)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in state_dict.items()}
    embedded = ModelCard.from_dict({**card.to_dict(), "sha256": ""})   # a file cannot hold its own hash
    blob = {"format": FORMAT, "format_version": FORMAT_VERSION, "card": json.dumps(embedded.to_dict()),
            "payload_sha256": _payload_sha256(tensors), "state_dict": tensors}
    tmp = path.with_name(f".{path.name}.partial")
    try:
        torch.save(blob, tmp)
        final = ModelCard.from_dict({**card.to_dict(), "sha256": file_sha256(tmp),
                                     "extra": {**card.extra, "size_bytes": tmp.stat().st_size}})
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    write_card(final, sidecar)
    return path


def verify_file(path: str | Path, *, sha256: str, size_bytes: int | None = None) -> None:
    """Refuse a file whose size or sha256 is not the expected one (checked before it is opened by torch)."""
    path = Path(path)
    if not sha256:
        raise ModelError(f"{path}: its card has no sha256, so the file cannot be verified")
    size = path.stat().st_size
    if size_bytes is not None and size != int(size_bytes):
        what = "truncated" if size < int(size_bytes) else "longer than its card says"
        raise ModelError(f"{path}: the file is {what} ({size} bytes, its card says {int(size_bytes)}); "
                         "it was not loaded")
    actual = file_sha256(path)
    if actual != sha256.lower():
        raise ModelError(f"{path}: sha256 {actual} does not match the expected {sha256.lower()}; the file is "
                         "corrupt or is not the model its card describes; it was not loaded")


def read_checkpoint(path: str | Path, *, map_location: str = "cpu") -> tuple[dict, ModelCard]:
    """Load a checkpoint with ``weights_only=True`` and check its layout and payload hash.

    This does NOT check the file's sha256 (use `load_checkpoint` or `verify_file` first); it is how a
    stray file without its card sidecar is identified.

    Returns:
        (state_dict, the embedded card).
    """
    import torch

    path = Path(path)
    try:
        blob = torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise ModelError(f"{path}: checkpoint file not found") from None
    except Exception as exc:  # torch raises many kinds for a damaged zip or a pickle it refuses
        # a KeyError's text is the bare key (": 105"): name the kind of error when the text alone says nothing
        text = str(exc).strip()
        first = (text.splitlines() or [""])[0]
        if isinstance(exc, (KeyError, IndexError)) or not first:
            first = f"{type(exc).__name__} {first}".strip()
        raise ModelError(f"{path}: not a readable DeepRadiology checkpoint (corrupt, truncated or not made "
                         f"by DeepRadiology): {first}") from None
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise ModelError(f"{path}: not a DeepRadiology checkpoint (no '{FORMAT}' marker); save models with "
                         "deepradiology.models.save_checkpoint")
    if blob.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{path}: checkpoint format version {blob.get('format_version')!r} is not supported "
                         f"(this DeepRadiology reads version {FORMAT_VERSION})")
    try:
        card = ModelCard.from_dict(json.loads(blob["card"]), source=f"{path} (embedded card)")
    except (KeyError, TypeError, json.JSONDecodeError):
        raise ModelError(f"{path}: the checkpoint's embedded model card is missing or not JSON") from None
    state_dict = _require_tensors(blob.get("state_dict"), path)
    if _payload_sha256(state_dict) != blob.get("payload_sha256"):
        raise ModelError(f"{path}: the weights do not match the hash recorded inside the checkpoint; the file is "
                         "corrupt; it was not loaded")
    return state_dict, card


def _resolve(name_or_path: str | Path) -> Path:
    candidate = Path(name_or_path)
    if candidate.is_file():
        return candidate
    text = str(name_or_path)
    if "/" in text or "\\" in text or text.endswith(".pt"):
        raise ModelError(f"{text}: checkpoint file not found")
    path = model_path(text)
    if not path.is_file():
        raise ModelError(f"no model named {text!r} is installed in {path.parent}; see `deepradiology models "
                         "list`, or import one with `deepradiology models import FILE`")
    return path


def require_same_model(card: ModelCard, embedded: ModelCard, path: Path) -> None:
    """Refuse a checkpoint whose embedded card is not the model its sidecar describes."""
    for key in ("task", "version", "architecture"):
        if getattr(card, key) != getattr(embedded, key):
            raise ModelError(f"{path}: its card says {key} {getattr(card, key)!r} but the checkpoint itself "
                             f"says {getattr(embedded, key)!r}; the card and the file do not belong together")


def load_checkpoint(name_or_path: str | Path, *, task: str, map_location: str = "cpu") -> tuple[dict, ModelCard]:
    """Load an installed model (by name) or a checkpoint file with its ``.card.json``, for ``task``.

    Order of checks: the card exists and is for ``task``; the file's size and sha256 match the card;
    only then ``torch.load(..., weights_only=True)``; then the layout, the payload hash and the embedded
    card must agree.

    Returns:
        (state_dict of CPU tensors unless ``map_location`` says otherwise, the card).

    Raises:
        ModelError: not installed, no card, another task, corrupt, truncated or mismatched.
    """
    require_task(task)
    path = _resolve(name_or_path)
    sidecar = card_path(path)
    if not sidecar.is_file():
        raise ModelError(f"{path}: no model card beside it ({sidecar.name}), so its sha256 cannot be checked; "
                         f"import it with `deepradiology models import {path}`")
    card = read_card(sidecar)
    if card.task != task:
        raise ModelError(f"{path}: model {card.name!r} was made for {card.task!r}, not {task!r}; choose a "
                         f"{task} model")
    verify_file(path, sha256=card.sha256, size_bytes=card.extra.get("size_bytes"))
    state_dict, embedded = read_checkpoint(path, map_location=map_location)
    require_same_model(card, embedded, path)
    return state_dict, card
