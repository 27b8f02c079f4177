"""An nnU-Net model whose network class cannot be built here is refused in one line before nnunetv2 runs
(issue 14): the main venv has dynamic_network_architectures without timm, so its Primus transformer does not
import there, while the U-Nets nnU-Net plans do."""

from __future__ import annotations

import sys

import pytest

from deepradiology.errors import ModelError
from deepradiology.models.card import ModelCard
from deepradiology.models.external.nnunet import require_network_importable

pytest.importorskip("dynamic_network_architectures", reason="dynamic_network_architectures is not installed here")


@pytest.fixture
def without_timm(monkeypatch):
    """dynamic_network_architectures imported afresh with timm unimportable (as in the main venv), and
    afterwards exactly the modules of before: a submodule imported under the fresh package but left in
    sys.modules would be unreachable from the restored one (pydoc.locate then fails, and nnunetv2 falls back
    to importing every architecture, Primus among them)."""
    before = {name: mod for name, mod in sys.modules.items() if name.startswith("dynamic_network_architectures")}
    monkeypatch.setitem(sys.modules, "timm", None)
    for name in before:
        del sys.modules[name]
    yield
    for name in [m for m in sys.modules if m.startswith("dynamic_network_architectures")]:
        del sys.modules[name]
    sys.modules.update(before)


def _card(class_path: str) -> ModelCard:
    return ModelCard(name="nn-net", task="pancreas-segmentation", architecture=f"nnunetv2:{class_path}")


def test_the_unets_nnunet_plans_import_without_timm(without_timm):
    require_network_importable(_card("dynamic_network_architectures.architectures.unet.PlainConvUNet"))
    require_network_importable(_card("dynamic_network_architectures.architectures.unet.ResidualEncoderUNet"))


def test_a_primus_model_without_timm_is_refused_naming_the_network_and_where_it_runs(without_timm):
    with pytest.raises(ModelError) as caught:
        require_network_importable(_card("dynamic_network_architectures.architectures.primus.Primus"))
    message = str(caught.value)
    assert "primus.Primus" in message and "timm" in message and ".venv-interop" in message
    assert "\n" not in message


def test_a_network_class_this_version_lacks_is_refused():
    with pytest.raises(ModelError, match="does not have"):
        require_network_importable(_card("dynamic_network_architectures.architectures.unet.NoSuchUNet"))
