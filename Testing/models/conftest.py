"""Fixtures for the model manager: an empty model cache of its own, a tiny state dict and its card."""

from __future__ import annotations

import pytest


@pytest.fixture
def a_model_cache(tmp_path, monkeypatch):
    """An empty cache folder that $DEEPRADIOLOGY_MODELS points at (it does not exist yet)."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("DEEPRADIOLOGY_MODELS", str(cache))
    return cache


@pytest.fixture
def a_small_state_dict():
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(0)
    return {"conv.weight": torch.randn(4, 1, 3, 3, 3, generator=g), "conv.bias": torch.zeros(4),
            "norm.num_batches_tracked": torch.tensor(7), "half.weight": torch.randn(2, 2).to(torch.bfloat16)}


@pytest.fixture
def a_pancreas_card():
    from deepradiology.models import ModelCard

    return ModelCard(name="pancreas-test", task="pancreas-segmentation", version="0.1", architecture="dynunet",
                     input_spec={"spacing_mm": [1.0, 1.0, 1.0], "patch": [32, 64, 64], "window_hu": [-160, 240]},
                     labels=["pancreas"], training_data="synthetic phantom (test)", metrics={"dice": 0.5},
                     licence="Apache-2.0", description="a test model")


@pytest.fixture
def a_saved_checkpoint(tmp_path, a_small_state_dict, a_pancreas_card):
    from deepradiology.models import save_checkpoint

    return save_checkpoint(tmp_path / "made" / "pancreas.pt", a_small_state_dict, a_pancreas_card)
