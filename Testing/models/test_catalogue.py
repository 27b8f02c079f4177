"""The catalogue: valid against its JSON Schema, one slot per task, no URL without a sha256."""

from __future__ import annotations

import copy
import json
from importlib import resources

import pytest

from deepradiology.errors import ModelError
from deepradiology.models import TASKS, load_catalogue, validate_catalogue


def _raw() -> dict:
    return json.loads(resources.files("deepradiology.models").joinpath("catalogue.json").read_text(encoding="utf-8"))


def test_the_catalogue_validates_against_its_schema_and_covers_every_task():
    import jsonschema

    schema = json.loads(resources.files("deepradiology.models").joinpath("catalogue.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(_raw())
    assert sorted(slot.task for slot in load_catalogue()) == sorted(TASKS)


def test_no_slot_claims_official_weights_that_do_not_exist():
    for slot in load_catalogue():
        assert slot.card.url is None and slot.card.sha256 == ""
        # A slot is either trained here or imported in its published format (the card says how to get it).
        external = slot.card.extra.get("format")
        assert (slot.train_command or (external and "models import" in slot.card.description)) and slot.card.licence


def test_a_url_without_a_sha256_is_rejected_by_the_schema():
    data = copy.deepcopy(_raw())
    data["slots"][0]["card"]["url"] = "https://example.org/model.pt"
    with pytest.raises(ModelError, match="slots/0/card"):
        validate_catalogue(data)
    data["slots"][0]["card"]["sha256"] = "a" * 64
    assert validate_catalogue(data)[0].downloadable


def test_an_unknown_task_and_a_repeated_name_are_rejected():
    data = copy.deepcopy(_raw())
    data["slots"][0]["task"] = "liver"
    with pytest.raises(ModelError, match="slots/0/task"):
        validate_catalogue(data)
    data = copy.deepcopy(_raw())
    data["slots"].append(copy.deepcopy(data["slots"][0]))
    with pytest.raises(ModelError, match="appears twice"):
        validate_catalogue(data)
