"""Issue 17, round 4: nnInteractive model folders a careless download leaves, and the RECIST "model"
method without a model.

Each broken folder (checkpoint missing, cut in half, empty, a folder, without network weights; plans
missing, not JSON, a list, without configurations, or of another model) is refused by `models import`
in one line naming the file, and nothing is installed in the model cache. `recist measure --method
model` without a model, or with a folder but without the nnInteractive package, exits 2 naming what to
install and writes no lesion file.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: pip install 'deepradiology[torch]'")

from deepradiology.errors import ModelError  # noqa: E402
from deepradiology.models.external import import_external  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from _cli import assert_refused, run_cli  # noqa: E402

PLANS = {"configurations": {"3d_fullres": {}}}


def make_folder(root: Path, *, plans=PLANS, checkpoint=None, cut=False, raw=None) -> Path:
    """The published layout: inference_session_class.json, plans.json, dataset.json, fold_0/checkpoint_final.pth."""
    folder = root / "nnInteractive_v1.0"
    (folder / "fold_0").mkdir(parents=True)
    (folder / "inference_session_class.json").write_text(json.dumps({"inference_class": "nnInteractiveInferenceSession"}))
    (folder / "dataset.json").write_text(json.dumps({"name": "nnInteractive"}))
    if plans is not None:
        (folder / "plans.json").write_text(plans if isinstance(plans, str) else json.dumps(plans))
    target = folder / "fold_0" / "checkpoint_final.pth"
    if raw == "folder":
        target.mkdir()
    elif raw is not None:
        target.write_bytes(raw)
    elif checkpoint is not False:
        torch.save(checkpoint if checkpoint is not None else {"network_weights": {"w": torch.zeros(2)}}, target)
        if cut:
            target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    return folder


BROKEN = [
    ("no checkpoint", dict(checkpoint=False), "download is incomplete"),
    ("checkpoint cut in half", dict(cut=True), "not a readable torch file"),
    ("empty checkpoint", dict(raw=b""), "not a readable torch file"),
    ("checkpoint is a folder", dict(raw="folder"), "is a folder"),
    ("checkpoint without network weights", dict(checkpoint={"state_dict": {}}), "no network_weights"),
    ("no plans", dict(plans=None), "no plans.json"),
    ("plans not JSON", dict(plans="{configurations: "), "not readable JSON"),
    ("plans a list", dict(plans="[1, 2]"), "JSON object"),
    ("plans without configurations", dict(plans={"dataset_name": "x"}), "configurations"),
    ("plans of another model", dict(checkpoint={"network_weights": {}, "init_args": {"configuration": "3d_lowres"}}),
     "3d_lowres"),
]


@pytest.mark.parametrize("case,kwargs,phrase", BROKEN, ids=[c[0] for c in BROKEN])
def test_a_broken_nninteractive_folder_is_refused_and_nothing_is_installed(tmp_path, monkeypatch, case, kwargs, phrase):
    cache = tmp_path / "cache"
    monkeypatch.setenv("DEEPRADIOLOGY_MODELS", str(cache))
    folder = make_folder(tmp_path, **kwargs)
    with pytest.raises(ModelError) as info:
        import_external(folder, fmt="nninteractive", name="nni")
    message = str(info.value)
    assert phrase in message and "\n" not in message, message
    assert "Error:" not in message and "This is an internal" not in message, message
    assert not cache.exists() or not any(cache.iterdir())


def test_a_complete_folder_still_installs(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPRADIOLOGY_MODELS", str(tmp_path / "cache"))
    folder = make_folder(tmp_path, checkpoint={"network_weights": {"w": torch.zeros(2)},
                                               "init_args": {"configuration": "3d_fullres"}})
    import_external(folder, fmt="nninteractive", name="nni")
    assert any((tmp_path / "cache").iterdir())


def test_models_import_of_a_cut_checkpoint_exits_2_in_one_line(tmp_path):
    folder = make_folder(tmp_path, cut=True)
    result = run_cli(["models", "import", folder, "--format", "nninteractive", "--name", "nni"], cwd=tmp_path)
    assert_refused(result, "checkpoint_final.pth", "not a readable torch file")
    assert not (tmp_path / "models").exists() or not any((tmp_path / "models").iterdir())


@pytest.fixture(scope="module")
def a_ct(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ct")
    result = run_cli(["phantom", "-o", folder, "--studies", "1", "--spacing", "1.6,1.6,4"])
    assert result.returncode == 0, result.stderr
    return folder / "S0_ct.nii.gz"


def test_recist_method_model_without_any_model_says_what_to_install(a_ct, tmp_path):
    out = tmp_path / "lesion.json"
    result = run_cli(["recist", "measure", a_ct, "--frame", "ijk", "--point", "63.5,74.2,31", "--method", "model",
                      "-o", out], cwd=tmp_path)
    assert_refused(result, "no RECIST model is installed", "models import")
    assert not out.exists()


def test_recist_method_model_with_a_folder_but_no_package_names_the_package_in_words(a_ct, tmp_path):
    if importlib.util.find_spec("nnInteractive") is not None:
        pytest.skip("nninteractive is installed here, so its absence cannot be shown; Testing/interop runs it")
    folder = make_folder(tmp_path)
    assert run_cli(["models", "import", folder, "--format", "nninteractive", "--name", "nni"],
                   cwd=tmp_path).returncode == 0
    out = tmp_path / "lesion.json"
    result = run_cli(["recist", "measure", a_ct, "--frame", "ijk", "--point", "63.5,74.2,31", "--method", "model",
                      "--model", "nni", "-o", out], cwd=tmp_path)
    line = assert_refused(result, "pip install nninteractive")
    assert "ModuleNotFoundError" not in line and "No module named" not in line, line
    assert not out.exists()
