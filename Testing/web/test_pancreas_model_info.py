"""The web pancreas panel names the chosen model's training data and licence before it is run
(issue 12 item 2 / issue 14: "licence shown"). In-process on a real MRML scene and trame state."""

from __future__ import annotations

import pytest

from .conftest import TEST_PHANTOM_SPACING
from .inprocess import make_workspace

pytest.importorskip("slicer", reason="the panel tests need the slicer-core wheel (pip install 'deepradiology[mrml]')")
pytest.importorskip("trame", reason="the panel tests need trame (pip install 'deepradiology[web]')")


def _install_card_only(name: str, licence: str) -> None:
    """A model as the cache lists it: a checkpoint file and its card (the panel reads only the card)."""
    from deepradiology.models.cache import card_path, model_path
    from deepradiology.models.card import ModelCard, write_card

    model_path(name).parent.mkdir(parents=True, exist_ok=True)
    model_path(name).write_bytes(b"checkpoint bytes are not read to describe the model")
    write_card(ModelCard(name=name, task="pancreas-segmentation", training_data=f"{name} training data",
                         licence=licence), card_path(model_path(name)))


def test_the_panel_shows_each_chosen_models_licence(tmp_path, monkeypatch):
    from deepradiology.frames import parse_point
    from deepradiology_mrml.scene import create_scene
    from deepradiology_web.default_data import embedded_default_case
    from deepradiology_web.panels.pancreas import PancreasPanel

    monkeypatch.setenv("DEEPRADIOLOGY_MODELS", str(tmp_path / "models"))
    _install_card_only("alpha", "Apache-2.0")
    _install_card_only("beta", "CC BY-NC 4.0 (non-commercial use only)")
    case = embedded_default_case(tmp_path / "case", spacing=tuple(parse_point(TEST_PHANTOM_SPACING)))
    ws, _ = make_workspace(create_scene(), case)
    PancreasPanel(ws)
    ws.state.ready()   # as when a browser connects: from now on changes reach the panel's callbacks
    assert ws.state.pancreas_model == "alpha"
    assert "alpha training data" in ws.state.pancreas_model_info and "licence: Apache-2.0" in ws.state.pancreas_model_info
    with ws.state:
        ws.state.pancreas_model = "beta"
    assert "licence: CC BY-NC 4.0 (non-commercial use only)" in ws.state.pancreas_model_info
