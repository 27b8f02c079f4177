"""Checkpoints: weights and card round-trip; a damaged, truncated or foreign file is refused before use."""

from __future__ import annotations

import json

import pytest

from deepradiology.errors import ModelError, OutputExistsError
from deepradiology.models import card_path, load_checkpoint, read_card, save_checkpoint

torch = pytest.importorskip("torch", reason="torch is not installed: pip install 'deepradiology[torch]'")


def test_weights_and_card_come_back_exactly(a_saved_checkpoint, a_small_state_dict, a_pancreas_card):
    state, card = load_checkpoint(a_saved_checkpoint, task="pancreas-segmentation")
    assert set(state) == set(a_small_state_dict)
    for key, tensor in a_small_state_dict.items():
        assert state[key].dtype == tensor.dtype and torch.equal(state[key], tensor)
    assert card.input_spec == a_pancreas_card.input_spec and card.labels == ["pancreas"]
    assert len(card.sha256) == 64 and card.extra["size_bytes"] == a_saved_checkpoint.stat().st_size


def test_the_file_loads_with_weights_only_and_carries_its_card(a_saved_checkpoint):
    blob = torch.load(a_saved_checkpoint, weights_only=True)
    embedded = json.loads(blob["card"])
    assert embedded["name"] == "pancreas-test" and embedded["task"] == "pancreas-segmentation"


def test_saving_never_overwrites_without_force(a_saved_checkpoint, a_small_state_dict, a_pancreas_card):
    before = a_saved_checkpoint.read_bytes()
    with pytest.raises(OutputExistsError):
        save_checkpoint(a_saved_checkpoint, a_small_state_dict, a_pancreas_card)
    assert a_saved_checkpoint.read_bytes() == before
    save_checkpoint(a_saved_checkpoint, {"w": torch.ones(3)}, a_pancreas_card, force=True)
    assert load_checkpoint(a_saved_checkpoint, task="pancreas-segmentation")[0].keys() == {"w"}


def test_a_flipped_byte_is_refused_by_sha256_before_loading(a_saved_checkpoint, monkeypatch):
    data = bytearray(a_saved_checkpoint.read_bytes())
    data[len(data) // 2] ^= 0xFF
    a_saved_checkpoint.write_bytes(bytes(data))
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load ran on an unverified file"))
    with pytest.raises(ModelError, match="sha256 .* does not match") as err:
        load_checkpoint(a_saved_checkpoint, task="pancreas-segmentation")
    assert str(a_saved_checkpoint) in str(err.value)


def test_a_truncated_file_is_refused_and_called_truncated(a_saved_checkpoint):
    data = a_saved_checkpoint.read_bytes()
    a_saved_checkpoint.write_bytes(data[: len(data) // 3])
    with pytest.raises(ModelError, match="truncated"):
        load_checkpoint(a_saved_checkpoint, task="pancreas-segmentation")


def test_a_checkpoint_for_another_task_is_refused(a_saved_checkpoint):
    with pytest.raises(ModelError, match="made for 'pancreas-segmentation', not 'lesion-embedding'"):
        load_checkpoint(a_saved_checkpoint, task="lesion-embedding")


def test_an_unknown_task_is_refused(a_saved_checkpoint):
    with pytest.raises(ModelError, match="unknown model task"):
        load_checkpoint(a_saved_checkpoint, task="liver")


def test_a_card_that_belongs_to_another_file_is_refused(tmp_path, a_saved_checkpoint, a_small_state_dict):
    from deepradiology.models import ModelCard

    other = save_checkpoint(tmp_path / "other.pt", a_small_state_dict,
                            ModelCard(name="other", task="pancreas-segmentation", version="9"))
    card_path(a_saved_checkpoint).write_text(card_path(other).read_text(encoding="utf-8"), encoding="utf-8")
    # The sidecar's size and sha256 now describe the other file: refused before loading.
    with pytest.raises(ModelError, match="it was not loaded"):
        load_checkpoint(a_saved_checkpoint, task="pancreas-segmentation")


def test_a_card_edited_to_another_version_disagrees_with_the_card_inside(a_saved_checkpoint):
    from deepradiology.models import write_card

    card = read_card(card_path(a_saved_checkpoint))
    card.version = "2.0"
    write_card(card, card_path(a_saved_checkpoint))
    with pytest.raises(ModelError, match="do not belong together"):
        load_checkpoint(a_saved_checkpoint, task="pancreas-segmentation")


def test_a_checkpoint_without_its_card_is_refused_with_how_to_import(a_saved_checkpoint):
    card_path(a_saved_checkpoint).unlink()
    with pytest.raises(ModelError, match="models import"):
        load_checkpoint(a_saved_checkpoint, task="pancreas-segmentation")


def test_a_plain_torch_file_is_refused_as_not_a_deepradiology_checkpoint(tmp_path, a_pancreas_card):
    from deepradiology.models import file_sha256, write_card

    path = tmp_path / "plain.pt"
    torch.save({"w": torch.ones(2)}, path)
    write_card(type(a_pancreas_card)(**{**a_pancreas_card.to_dict(), "sha256": file_sha256(path)}), card_path(path))
    with pytest.raises(ModelError, match="not a DeepRadiology checkpoint"):
        load_checkpoint(path, task="pancreas-segmentation")


def test_a_missing_model_name_says_how_to_get_one(a_model_cache):
    with pytest.raises(ModelError, match="no model named 'nothing' is installed"):
        load_checkpoint("nothing", task="pancreas-segmentation")


def test_the_sidecar_card_is_plain_json_with_the_files_hash(a_saved_checkpoint):
    from deepradiology.models import file_sha256

    assert read_card(card_path(a_saved_checkpoint)).sha256 == file_sha256(a_saved_checkpoint)


def test_numpy_figures_in_the_card_are_saved_as_plain_numbers(tmp_path, a_small_state_dict, a_pancreas_card):
    import numpy as np

    a_pancreas_card.metrics = {"dice": np.float64(0.8125), "per_case": np.array([0.75, 0.875])}
    path = save_checkpoint(tmp_path / "np.pt", a_small_state_dict, a_pancreas_card)
    card = load_checkpoint(path, task="pancreas-segmentation")[1]
    assert card.metrics == {"dice": 0.8125, "per_case": [0.75, 0.875]}
