"""The model card: what a checkpoint is for, what it expects, where it came from, and its checksum."""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ..errors import ModelError

__all__ = ["ModelCard", "TASKS", "require_task", "require_model_name", "read_card", "write_card"]

#: The tasks a DeepRadiology model can do; a checkpoint is only ever loaded for its own task.
TASKS = ("recist-segmentation", "lesion-embedding", "body-part-regression", "cxr-classification",
         "pancreas-segmentation", "interactive-segmentation")

# Model names become file names in the cache, so they are kept to safe, portable characters.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def require_task(task: str) -> str:
    """Return ``task`` if it is one of `TASKS`; otherwise raise ModelError naming the known tasks."""
    if task not in TASKS:
        raise ModelError(f"unknown model task {task!r}; the tasks are {', '.join(TASKS)}")
    return task


def require_model_name(name: str) -> str:
    """Return ``name`` if it can name a model in the cache (letters, digits, '.', '_', '-')."""
    if not isinstance(name, str) or not _NAME.match(name) or name.endswith((".pt", ".json")):
        raise ModelError(f"{name!r} cannot name a model: use letters, digits, '.', '_' and '-' (at most 100), "
                         "without a .pt or .json ending")
    return name


@dataclass
class ModelCard:
    """Everything a user needs to judge and use a checkpoint.

    Attributes:
        name: the model's name in the cache (file ``<name>.pt``).
        task: one of `TASKS`.
        version: the model's own version string.
        architecture: the network, e.g. "dynunet".
        input_spec: what the network expects, e.g. ``spacing_mm`` (i, j, k order, mm), ``patch``
            (k, j, i voxels), ``window_hu`` (low, high HU), ``channels``.
        labels: output labels in channel order.
        training_data: the data set and split it was trained on.
        metrics: evaluation figures, e.g. ``{"dice": 0.81}``, with the data they were measured on.
        licence: the terms the weights may be used under.
        sha256: hex SHA-256 of the checkpoint file ("" while unknown, e.g. inside the file itself).
        url: where official weights can be downloaded, or None where none are published.
        description: one paragraph for the radiologist.
        extra: anything else (e.g. ``size_bytes`` of the file, training settings).
    """

    name: str
    task: str
    version: str = "0"
    architecture: str = ""
    input_spec: dict = field(default_factory=dict)
    labels: list = field(default_factory=list)
    training_data: str = ""
    metrics: dict = field(default_factory=dict)
    licence: str = ""
    sha256: str = ""
    url: str | None = None
    description: str = ""
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """A JSON-ready dict of every field (numpy scalars and arrays, e.g. in metrics, become numbers and lists)."""
        return json.loads(json.dumps(asdict(self), default=_plain))

    @classmethod
    def from_dict(cls, data: dict, *, source: object = "model card") -> ModelCard:
        """Build a card from a dict, refusing missing names/tasks, unknown fields and wrong types."""
        if not isinstance(data, dict):
            raise ModelError(f"{source}: a model card must be a JSON object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ModelError(f"{source}: unknown model card field(s) {', '.join(unknown)}")
        missing = [k for k in ("name", "task") if not data.get(k)]
        if missing:
            raise ModelError(f"{source}: the model card has no {' or '.join(missing)}")
        types = {"input_spec": dict, "metrics": dict, "extra": dict, "labels": list}
        for key, kind in types.items():
            if key in data and not isinstance(data[key], kind):
                raise ModelError(f"{source}: model card field {key!r} must be a {kind.__name__}")
        for key in ("name", "task", "version", "architecture", "training_data", "licence", "sha256",
                    "description"):
            if key in data and not isinstance(data[key], str):
                raise ModelError(f"{source}: model card field {key!r} must be text")
        if data.get("url") is not None and not isinstance(data["url"], str):
            raise ModelError(f"{source}: model card field 'url' must be text or null")
        _check_nested(data, source)
        return cls(**data)

    @property
    def licence_text(self) -> str:
        """The licence as the panels show it; said plainly when the card does not state one."""
        return self.licence or "not stated by the model: ask its provider before clinical or commercial use"

    def summary(self) -> str:
        """One line for a panel: which model, what it was trained on, and under which licence."""
        return (f"Model {self.name} ({self.architecture or 'architecture not stated'}); trained on: "
                f"{self.training_data or 'not stated'}; licence: {self.licence_text}")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_nested(data: dict, source: object) -> None:
    """The nested fields every consumer reads: labels are names, the file size a whole number of bytes,
    operating points probabilities per label, the input size a whole number of pixels."""
    labels = data.get("labels", [])
    if not all(isinstance(label, str) for label in labels):
        raise ModelError(f"{source}: model card field 'labels' must be a list of names (text)")
    extra = data.get("extra", {})
    size = extra.get("size_bytes")
    if size is not None and not (isinstance(size, int) and not isinstance(size, bool) and size >= 0):
        raise ModelError(f"{source}: model card field extra.size_bytes must be a whole number of bytes, got {size!r}")
    points = extra.get("operating_points")
    if points is not None:
        if not isinstance(points, dict):
            raise ModelError(f"{source}: model card field extra.operating_points must map each label to a "
                             f"probability, got {type(points).__name__}")
        for label, point in points.items():
            if not (_is_number(point) and 0.0 <= point <= 1.0):
                raise ModelError(f"{source}: operating point of {label!r} must be a probability 0-1, got {point!r}")
    pixels = data.get("input_spec", {}).get("size")
    if pixels is not None and not (isinstance(pixels, int) and not isinstance(pixels, bool) and pixels > 0):
        raise ModelError(f"{source}: model card field input_spec.size must be a whole number of pixels, "
                         f"got {pixels!r}")


def _plain(value: object) -> object:
    """JSON fallback: numpy / torch values and paths become plain numbers, lists and text."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (Path, set, frozenset)):
        return str(value) if isinstance(value, Path) else sorted(value)
    raise ModelError(f"model card value {value!r} ({type(value).__name__}) cannot be written as JSON")


def read_card(path: str | Path) -> ModelCard:
    """Read a card from a JSON file (a checkpoint's ``<file>.card.json`` sidecar)."""
    from ..errors import InputError
    from ..io.jsonfile import read_json

    path = Path(path)
    if not path.exists():
        raise ModelError(f"{path}: model card not found")
    try:
        data = read_json(path, expect=dict, what="model card")
    except InputError as exc:      # a model that cannot be used is a ModelError, in read_json's one line
        raise ModelError(str(exc)) from None
    return ModelCard.from_dict(data, source=path)


def write_card(card: ModelCard, path: str | Path) -> Path:
    """Write ``card`` as JSON, next to its final name first, so a reader never sees half a card."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(json.dumps(card.to_dict(), indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
