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


def _card(class_path: str) -> ModelCard:
    return ModelCard(name="nn-net", task="pancreas-segmentation", architecture=f"nnunetv2:{class_path}")


def test_the_unets_nnunet_plans_import_without_timm(monkeypatch):
    monkeypatch.setitem(sys.modules, "timm", None)          # as in the main venv: timm cannot be imported
    for name in [m for m in sys.modules if m.startswith("dynamic_network_architectures")]:
        monkeypatch.delitem(sys.modules, name)
    require_network_importable(_card("dynamic_network_architectures.architectures.unet.PlainConvUNet"))
    require_network_importable(_card("dynamic_network_architectures.architectures.unet.ResidualEncoderUNet"))


def test_a_primus_model_without_timm_is_refused_naming_the_network_and_where_it_runs(monkeypatch):
    monkeypatch.setitem(sys.modules, "timm", None)
    for name in [m for m in sys.modules if m.startswith("dynamic_network_architectures")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(ModelError) as caught:
        require_network_importable(_card("dynamic_network_architectures.architectures.primus.Primus"))
    message = str(caught.value)
    assert "primus.Primus" in message and "timm" in message and ".venv-interop" in message
    assert "\n" not in message


def test_a_network_class_this_version_lacks_is_refused():
    with pytest.raises(ModelError, match="does not have"):
        require_network_importable(_card("dynamic_network_architectures.architectures.unet.NoSuchUNet"))
