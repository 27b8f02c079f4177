"""Model choices follow the model cache while the app runs (issue 14): a model imported after the panels were
built is offered when its panel's tab is opened (and when its list opens), and a removed one is withdrawn, the
choice falling back to what is still installed. In-process on a real MRML scene and trame state."""

from __future__ import annotations

import json
import shutil

import pytest

from .conftest import TEST_PHANTOM_SPACING
from .inprocess import make_workspace

pytest.importorskip("slicer", reason="the panel tests need the slicer-core wheel (pip install 'deepradiology[mrml]')")
pytest.importorskip("trame", reason="the panel tests need trame (pip install 'deepradiology[web]')")
torch = pytest.importorskip("torch", reason="importing a model needs torch (pip install -e 'DeepRadiologyLib[torch]')")


def _an_nninteractive_folder(root):
    """A folder in nnInteractive's published layout (its files' contents do not matter until it is run)."""
    folder = root / "nnInteractive_v1.0"
    (folder / "fold_0").mkdir(parents=True)
    for name in ("inference_session_class.json", "dataset.json"):
        (folder / name).write_text(json.dumps({}))
    (folder / "plans.json").write_text(json.dumps({"configurations": {"3d_fullres": {}}}))  # what import checks
    torch.save({"network_weights": {"w": torch.zeros(2)}}, folder / "fold_0" / "checkpoint_final.pth")
    return folder


def _remove_installed(cache, name):
    """What a user does to remove a model: delete its folder and card from the cache."""
    shutil.rmtree(cache / f"{name}.ext")
    (cache / f"{name}.ext.card.json").unlink()


@pytest.fixture
def a_workspace(tmp_path, monkeypatch):
    from deepradiology.frames import parse_point
    from deepradiology_mrml.scene import close_scene, create_scene
    from deepradiology_web.default_data import embedded_default_case

    monkeypatch.setenv("DEEPRADIOLOGY_MODELS", str(tmp_path / "cache"))
    case = embedded_default_case(tmp_path / "case", spacing=tuple(parse_point(TEST_PHANTOM_SPACING)))
    scene = create_scene()
    ws, _ = make_workspace(scene, case)
    ws.state.ready()
    yield ws, tmp_path / "cache"
    close_scene(scene)


def test_an_nninteractive_model_imported_while_the_app_runs_is_offered_when_the_recist_tab_opens(a_workspace,
                                                                                                tmp_path):
    from deepradiology.models.external import import_external
    from deepradiology_web.panels.recist import RECISTPanel

    ws, cache = a_workspace
    panel = RECISTPanel(ws)
    assert len(ws.state.recist_methods) == 1 and ws.state.recist_methods[0].startswith("adaptive")
    import_external(_an_nninteractive_folder(tmp_path), name="nni-late")
    panel.on_show()                                   # the app calls it when the RECIST tab is opened
    assert len(ws.state.recist_methods) == 2 and "nnInteractive nni-late" in ws.state.recist_methods[1]
    ws.state.recist_method = ws.state.recist_methods[1]
    assert panel._method_options() == {"method": "model", "model": "nni-late"}
    _remove_installed(cache, "nni-late")
    panel._on_method_menu(True)                       # the method list opened
    assert len(ws.state.recist_methods) == 1 and ws.state.recist_method.startswith("adaptive")
    assert panel._method_options()["method"] != "model"


def test_a_pancreas_model_imported_while_the_app_runs_gives_the_button_when_the_pancreas_tab_opens(a_workspace):
    from deepradiology.models.cache import card_path, model_path
    from deepradiology.models.card import ModelCard, write_card
    from deepradiology_web.panels.pancreas import PancreasPanel

    ws, cache = a_workspace
    panel = PancreasPanel(ws)
    assert ws.state.pancreas_models == [] and ws.state.pancreas_model is None
    model_path("late").parent.mkdir(parents=True, exist_ok=True)
    model_path("late").write_bytes(b"checkpoint bytes are not read to list the model")
    write_card(ModelCard(name="late", task="pancreas-segmentation", training_data="late training data",
                         licence="Apache-2.0"), card_path(model_path("late")))
    panel.on_show()
    assert ws.state.pancreas_models == ["late"] and ws.state.pancreas_model == "late"
    assert "licence: Apache-2.0" in ws.state.pancreas_model_info
    model_path("late").unlink()
    card_path(model_path("late")).unlink()
    panel._on_menu(True)
    assert ws.state.pancreas_models == [] and ws.state.pancreas_model is None and ws.state.pancreas_model_info == ""

