"""Importing checkpoints into the cache ($DEEPRADIOLOGY_MODELS): verified, never overwritten without force."""

from __future__ import annotations

import pytest

from deepradiology.errors import ModelError, OutputExistsError
from deepradiology.models import (card_path, find_model, install_model, installed_models, load_checkpoint,
                                  model_path, models_dir)

torch = pytest.importorskip("torch", reason="torch is not installed: pip install 'deepradiology[torch]'")


def test_the_cache_folder_follows_the_environment_variable(a_model_cache):
    assert models_dir() == a_model_cache
    assert installed_models() == [] and find_model("pancreas-segmentation") is None


def test_an_imported_model_is_found_and_loads_by_name(a_model_cache, a_saved_checkpoint, a_small_state_dict):
    card = install_model(a_saved_checkpoint, name="pancreas-site-a")
    assert model_path("pancreas-site-a") == a_model_cache / "pancreas-site-a.pt"
    assert find_model("pancreas-segmentation").name == "pancreas-site-a"
    assert find_model("lesion-embedding") is None
    state, loaded = load_checkpoint("pancreas-site-a", task="pancreas-segmentation")
    assert loaded.sha256 == card.sha256 and torch.equal(state["conv.weight"], a_small_state_dict["conv.weight"])
    assert [p.name for p in a_model_cache.iterdir() if p.name.startswith(".")] == []


def test_importing_over_an_installed_model_needs_force(a_model_cache, a_saved_checkpoint):
    install_model(a_saved_checkpoint)
    before = model_path("pancreas-test").stat().st_mtime_ns
    with pytest.raises(OutputExistsError, match="--force"):
        install_model(a_saved_checkpoint)
    assert model_path("pancreas-test").stat().st_mtime_ns == before
    assert install_model(a_saved_checkpoint, force=True).name == "pancreas-test"


def test_a_stray_file_without_its_card_is_identified_by_the_card_inside(a_model_cache, a_saved_checkpoint):
    card_path(a_saved_checkpoint).unlink()
    card = install_model(a_saved_checkpoint)
    assert (card.name, card.task, card.version) == ("pancreas-test", "pancreas-segmentation", "0.1")
    assert load_checkpoint("pancreas-test", task="pancreas-segmentation")[1].sha256 == card.sha256


def test_a_corrupt_file_is_not_imported(a_model_cache, a_saved_checkpoint):
    data = bytearray(a_saved_checkpoint.read_bytes())
    data[len(data) // 2] ^= 0xFF
    a_saved_checkpoint.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match"):
        install_model(a_saved_checkpoint)
    assert not a_model_cache.exists() or list(a_model_cache.iterdir()) == []


def test_a_truncated_stray_file_is_not_imported(a_model_cache, a_saved_checkpoint):
    card_path(a_saved_checkpoint).unlink()
    data = a_saved_checkpoint.read_bytes()
    a_saved_checkpoint.write_bytes(data[:-200])
    with pytest.raises(ModelError, match="not a readable DeepRadiology checkpoint"):
        install_model(a_saved_checkpoint)


def test_a_published_checksum_that_does_not_match_is_refused(a_model_cache, a_saved_checkpoint):
    with pytest.raises(ModelError, match="does not match the expected 0{64}"):
        install_model(a_saved_checkpoint, sha256="0" * 64)


def test_a_broken_card_in_the_cache_is_listed_not_hidden(a_model_cache, a_saved_checkpoint):
    install_model(a_saved_checkpoint)
    card_path(model_path("pancreas-test")).write_text("{not json")
    (model,) = installed_models()
    assert model.card is None and "not readable JSON" in model.problem
    assert find_model("pancreas-segmentation") is None
