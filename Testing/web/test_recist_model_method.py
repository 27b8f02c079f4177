"""Issue 14 in the web RECIST panel: an imported nnInteractive model is offered as a method, named with its
licence; without the nninteractive package a click with it is refused saying how to install it, and nothing
is added. In-process on a real MRML scene and trame state (`inprocess`), on the app's own default case."""

from __future__ import annotations

import importlib.util
import json

import pytest

from ..conftest import shared_data_dir
from .conftest import TEST_PHANTOM_SPACING
from .inprocess import make_workspace

pytest.importorskip("slicer", reason="the panel tests need the slicer-core wheel (pip install 'deepradiology[mrml]')")
pytest.importorskip("trame", reason="the panel tests need trame (pip install 'deepradiology[web]')")

pytestmark = pytest.mark.slow


def _an_nninteractive_folder(root):
    """A folder in nnInteractive's published layout (its files' contents do not matter until it is run)."""
    import torch

    folder = root / "nnInteractive_v1.0"
    (folder / "fold_0").mkdir(parents=True)
    for name in ("inference_session_class.json", "dataset.json"):
        (folder / name).write_text(json.dumps({}))
    (folder / "plans.json").write_text(json.dumps({"configurations": {"3d_fullres": {}}}))  # what import checks
    torch.save({"network_weights": {"w": torch.zeros(2)}}, folder / "fold_0" / "checkpoint_final.pth")
    return folder


@pytest.fixture
def a_reading_with_nninteractive(tmp_path, monkeypatch):
    from deepradiology.frames import parse_point
    from deepradiology.models.external import import_external
    from deepradiology.phantom import generate_phantom
    from deepradiology_mrml.scene import close_scene, create_scene
    from deepradiology_web.default_data import DEFAULT_PHANTOM_SEED, embedded_default_case
    from deepradiology_web.panels.recist import RECISTPanel

    monkeypatch.setenv("DEEPRADIOLOGY_MODELS", str(tmp_path / "cache"))
    import_external(_an_nninteractive_folder(tmp_path), name="nni-web")
    spacing = tuple(parse_point(TEST_PHANTOM_SPACING))
    case = embedded_default_case(tmp_path / "case", spacing=spacing, shared_data=shared_data_dir())
    scene = create_scene()
    ws, _ = make_workspace(scene, case)
    ws.state.ready()
    panel = RECISTPanel(ws)
    truth = generate_phantom(DEFAULT_PHANTOM_SEED, n_studies=1, spacing=spacing).studies[0]
    yield ws, panel, truth
    close_scene(scene)


def test_the_panel_offers_the_imported_nninteractive_model_with_its_licence(a_reading_with_nninteractive):
    ws, panel, truth = a_reading_with_nninteractive
    methods = list(ws.state.recist_methods)
    assert methods[0].startswith("adaptive") and ws.state.recist_method == methods[0]
    assert len(methods) == 2 and "nnInteractive nni-web" in methods[1] and "CC BY-NC-SA 4.0" in methods[1]

    ws.state.recist_method = methods[1]
    assert panel._method_options() == {"method": "model", "model": "nni-web"}
    if importlib.util.find_spec("nnInteractive") is not None:
        pytest.skip("nninteractive is installed here; its real session is tested in Testing/interop")
    ws.studies.show(ws.studies.studies[0])
    rows = len(ws.state.recist_rows)
    lesion = max((t for t in truth.lesions if t["organ"] == "liver"), key=lambda t: t["long_axis_mm"])
    panel._measure_at(lesion["centre_lps"])
    assert ws.state.recist_refused and "pip install nninteractive" in ws.state.recist_last
    assert len(ws.state.recist_rows) == rows
