"""The modules' "Load model..." action: verified import, task check, licence shown (issue 12 item 2)."""

from __future__ import annotations

import pytest

from deepradiology.errors import ModelError, OutputExistsError


@pytest.fixture
def a_models_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPRADIOLOGY_MODELS", str(tmp_path / "models"))
    return tmp_path / "models"


@pytest.fixture
def a_cxr_checkpoint(tmp_path):
    torch = pytest.importorskip("torch", reason="torch is not installed: pip install 'deepradiology[torch]'")
    from deepradiology.cxr.model import save_cxr_model
    from deepradiology.cxr.network import build_network
    from deepradiology.cxr.pipeline import SMALL_NETWORK
    from deepradiology.cxr.synthetic import SYNTHETIC_FINDINGS

    torch.manual_seed(0)
    network = build_network(**SMALL_NETWORK, num_classes=4).eval()
    path = tmp_path / "film-model.pt"
    save_cxr_model(network, path, name="film-model", size=64, labels=SYNTHETIC_FINDINGS,
                   operating_points={f: 0.5 for f in SYNTHETIC_FINDINGS}, metrics={}, training_data="synthetic films")
    return path


def test_a_checkpoint_is_installed_verified_and_its_licence_is_shown(a_models_dir, a_cxr_checkpoint):
    from deepradiology.models.cache import installed_models
    from deepradiology_mrml.model_import import import_model_file

    card, sentence = import_model_file(a_cxr_checkpoint, task="cxr-classification")
    assert card.name == "film-model" and "Licence:" in sentence and "synthetic films" in sentence
    assert "film-model" in [m.name for m in installed_models()]
    with pytest.raises(OutputExistsError):
        import_model_file(a_cxr_checkpoint, task="cxr-classification")
    import_model_file(a_cxr_checkpoint, task="cxr-classification", replace=True)


def test_a_model_of_another_task_or_a_corrupt_file_is_refused_and_nothing_is_installed(a_models_dir, a_cxr_checkpoint, tmp_path):
    from deepradiology_mrml.model_import import import_model_file

    with pytest.raises(ModelError, match="not a pancreas-segmentation model"):
        import_model_file(a_cxr_checkpoint, task="pancreas-segmentation")
    broken = tmp_path / "broken.pt"
    broken.write_bytes(a_cxr_checkpoint.read_bytes()[:1000])
    with pytest.raises(ModelError):
        import_model_file(broken, task="cxr-classification")
    assert not a_models_dir.exists() or not any(a_models_dir.rglob("*.pt"))


def test_the_cxr_panel_line_names_the_models_training_data_and_licence(a_models_dir, a_cxr_checkpoint):
    from deepradiology_mrml.logic.cxr import CXRTriageLogic
    from deepradiology_mrml.model_import import import_model_file
    from deepradiology_mrml.scene import create_scene

    card, _ = import_model_file(a_cxr_checkpoint, task="cxr-classification")
    usable, line = CXRTriageLogic(create_scene()).model_status()
    assert usable and card.licence
    assert "film-model" in line and "trained on: synthetic films" in line and f"licence: {card.licence}" in line


def test_the_pancreas_panel_line_shows_the_licence_the_card_states(a_models_dir):
    from deepradiology.models.cache import card_path, model_path
    from deepradiology.models.card import ModelCard, write_card
    from deepradiology_mrml.logic.pancreas import PancreasSegmentLogic

    a_models_dir.mkdir(parents=True)
    checkpoint = model_path("pancreas-nc")
    checkpoint.write_bytes(b"not read by the summary")
    write_card(ModelCard(name="pancreas-nc", task="pancreas-segmentation", architecture="nnunetv2:PlainConvUNet",
                         training_data="TotalSegmentator v2 training set", licence="CC BY-NC-SA 4.0 (non-commercial)"),
               card_path(checkpoint))
    line = PancreasSegmentLogic.model_summary("pancreas-nc")
    assert "TotalSegmentator v2 training set" in line and "licence: CC BY-NC-SA 4.0 (non-commercial)" in line
    assert PancreasSegmentLogic.model_summary("no-such-model") == ""
    write_card(ModelCard(name="pancreas-nc", task="pancreas-segmentation"), card_path(checkpoint))
    assert "licence: not stated by the model" in PancreasSegmentLogic.model_summary("pancreas-nc")


def test_slicer_installs_nnunetv2_only_for_an_nnunet_model(a_models_dir):
    from deepradiology.models.cache import card_path, model_path
    from deepradiology.models.card import ModelCard, write_card
    from deepradiology_mrml.logic.pancreas import PancreasSegmentLogic

    a_models_dir.mkdir(parents=True)
    for name, extra in (("ts-pancreas", {"format": "nnunetv2"}), ("own-pancreas", {})):
        model_path(name).write_bytes(b"x")
        write_card(ModelCard(name=name, task="pancreas-segmentation", extra=extra), card_path(model_path(name)))
    assert PancreasSegmentLogic.needs_nnunet("ts-pancreas")
    assert not PancreasSegmentLogic.needs_nnunet("own-pancreas")
    assert not PancreasSegmentLogic.needs_nnunet("no-such-model")
