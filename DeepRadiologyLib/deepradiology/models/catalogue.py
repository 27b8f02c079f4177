"""The catalogue: the model slots DeepRadiology knows per task, each with its card and how to get weights.

``catalogue.json`` (validated against ``catalogue.schema.json`` on every read) is the single list. Today
no official weights are published, so every slot has ``url: null`` and a ``train_command``; a slot that
gains a URL must give the file's sha256, and `download.download_catalogue_model` fetches it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

from ..errors import ModelError
from .card import ModelCard

__all__ = ["CatalogueSlot", "load_catalogue", "catalogue_slot", "validate_catalogue", "catalogue_schema"]


@dataclass
class CatalogueSlot:
    """One model the project knows: its name, task, the command that trains it, and its card."""

    name: str
    task: str
    train_command: str | None
    card: ModelCard

    @property
    def downloadable(self) -> bool:
        return bool(self.card.url)


def _packaged_json(filename: str) -> dict:
    return json.loads(resources.files(__package__).joinpath(filename).read_text(encoding="utf-8"))


def catalogue_schema() -> dict:
    """The catalogue's JSON Schema (draft 2020-12)."""
    return _packaged_json("catalogue.schema.json")


def validate_catalogue(data: dict, *, source: object = "catalogue") -> list[CatalogueSlot]:
    """Check a catalogue against its schema and its own consistency; return its slots.

    Raises:
        ModelError: naming the first problem (with its JSON path) or a repeated / mismatched name.
    """
    import jsonschema

    try:
        jsonschema.Draft202012Validator(catalogue_schema()).validate(data)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise ModelError(f"{source}: invalid at {where}: {exc.message}") from None
    slots, seen = [], set()
    for entry in data["slots"]:
        card = ModelCard.from_dict(entry["card"], source=f"{source} slot {entry['name']!r}")
        if (card.name, card.task) != (entry["name"], entry["task"]):
            raise ModelError(f"{source}: slot {entry['name']!r} holds the card of {card.name!r} ({card.task})")
        if entry["name"] in seen:
            raise ModelError(f"{source}: the slot name {entry['name']!r} appears twice")
        seen.add(entry["name"])
        slots.append(CatalogueSlot(entry["name"], entry["task"], entry["train_command"], card))
    return slots


def load_catalogue() -> list[CatalogueSlot]:
    """The packaged catalogue's slots, in file order, validated."""
    return validate_catalogue(_packaged_json("catalogue.json"), source="catalogue.json")


def catalogue_slot(name: str) -> CatalogueSlot | None:
    """The slot named ``name``, or None."""
    return next((slot for slot in load_catalogue() if slot.name == name), None)
