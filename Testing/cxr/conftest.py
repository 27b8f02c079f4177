"""Fixtures for the chest X-ray tests: a model trained once per session on synthetic films."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def a_synthetic_cxr_model(tmp_path_factory):
    """(checkpoint path, held-out metrics): the small network trained on 320 synthetic 96-pixel films.

    About 40 s of CPU; the one training run of the suite, shared by the tests that need a trained model.
    """
    import torch

    from deepradiology.cxr.model import save_cxr_model
    from deepradiology.cxr.pipeline import train_synthetic
    from deepradiology.cxr.synthetic import SYNTHETIC_FINDINGS

    torch.manual_seed(0)
    network, points, metrics = train_synthetic(n_train=320, n_val=100, n_test=100, size=96, epochs=8, seed=0)
    path = tmp_path_factory.mktemp("cxr_model") / "synthetic-cxr.pt"
    save_cxr_model(network, path, name="synthetic-cxr", size=96, labels=SYNTHETIC_FINDINGS, operating_points=points,
                   metrics=metrics, training_data="320 synthetic films (test fixture)")
    return path, metrics


@pytest.fixture
def an_untrained_cxr_model(tmp_path):
    """A checkpoint of the small network with random weights: for plumbing tests, not for accuracy."""
    import torch

    from deepradiology.cxr.model import save_cxr_model
    from deepradiology.cxr.network import build_network
    from deepradiology.cxr.pipeline import SMALL_NETWORK
    from deepradiology.cxr.synthetic import SYNTHETIC_FINDINGS

    torch.manual_seed(0)
    network = build_network(**SMALL_NETWORK, num_classes=4).eval()
    path = tmp_path / "untrained.pt"
    save_cxr_model(network, path, name="untrained", size=64, labels=SYNTHETIC_FINDINGS,
                   operating_points={f: 0.5 for f in SYNTHETIC_FINDINGS}, metrics={}, training_data="none")
    return path
