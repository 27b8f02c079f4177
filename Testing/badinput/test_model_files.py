"""Issue 17: model files. `models info` opens no checkpoint by torch before its sha256 is checked, and a
card (or an nnU-Net JSON file) of the wrong shape is one line naming it, for `models info` and for a
command that uses the model.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _cli import REPO, assert_refused, run_cli  # noqa: E402


@pytest.fixture(scope="module")
def a_checkpoint(tmp_path_factory) -> Path:
    """An untrained small chest X-ray network with its card sidecar, and a grey film beside it."""
    import torch
    from PIL import Image

    from deepradiology.cxr.model import save_cxr_model
    from deepradiology.cxr.network import build_network
    from deepradiology.cxr.pipeline import SMALL_NETWORK
    from deepradiology.cxr.synthetic import SYNTHETIC_FINDINGS

    folder = tmp_path_factory.mktemp("model")
    torch.manual_seed(0)
    path = folder / "cxr.pt"
    save_cxr_model(build_network(**SMALL_NETWORK, num_classes=4).eval(), path, name="cxr-test", size=64,
                   labels=SYNTHETIC_FINDINGS, operating_points={f: 0.5 for f in SYNTHETIC_FINDINGS}, metrics={},
                   training_data="none")
    Image.fromarray((np.random.default_rng(0).random((96, 96)) * 255).astype(np.uint8)).save(folder / "film.png")
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


SPY = """
import sys, torch
opened = []
real = torch.load
torch.load = lambda *a, **k: (opened.append(str(a[0])), real(*a, **k))[1]
from deepradiology.cli import main
code = main(sys.argv[1:])
print("TORCH_LOAD:" + repr(opened), file=sys.stderr)
sys.exit(code)
"""


def _info_with_spy(args, cwd) -> tuple[subprocess.CompletedProcess, str]:
    """`models info ARGS` through the CLI's main, with torch.load recorded; (result, what it opened)."""
    env = {"PYTHONPATH": str(REPO / "DeepRadiologyLib"), "PATH": "/usr/bin:/bin", "HOME": str(cwd),
           "DEEPRADIOLOGY_MODELS": str(cwd / "models")}
    result = subprocess.run([sys.executable, "-c", SPY, "models", "info", *map(str, args)], capture_output=True,
                            text=True, env=env, cwd=cwd, timeout=120)
    lines = result.stderr.strip().splitlines()
    opened = lines[-1].removeprefix("TORCH_LOAD:") if lines and lines[-1].startswith("TORCH_LOAD:") else "?"
    result.stderr = "\n".join(lines[:-1])
    return result, opened


def test_a_checkpoint_without_card_or_hash_is_refused_unopened(tmp_path, a_checkpoint):
    stray = tmp_path / "stray.pt"
    shutil.copy(a_checkpoint, stray)
    result, opened = _info_with_spy([stray], tmp_path)
    assert_refused(result, "stray.pt", "no model card", "--sha256")
    assert opened == "[]", f"torch.load ran on an unverified file: {opened}"


def test_the_published_hash_lets_it_be_read(tmp_path, a_checkpoint):
    stray = tmp_path / "stray.pt"
    shutil.copy(a_checkpoint, stray)
    result, opened = _info_with_spy([stray, "--sha256", _sha256(a_checkpoint)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["name"] == "cxr-test" and "stray.pt" in opened


def test_a_wrong_hash_is_refused_before_torch_opens_the_file(tmp_path, a_checkpoint):
    stray = tmp_path / "stray.pt"
    shutil.copy(a_checkpoint, stray)
    result, opened = _info_with_spy([stray, "--sha256", "0" * 64], tmp_path)
    assert_refused(result, "stray.pt", "does not match", "0" * 64)
    assert opened == "[]"


def test_a_text_file_named_pt_says_it_is_not_a_checkpoint_and_names_the_error_kind(tmp_path):
    # torch.load reads a few text bytes as a legacy pickle and raises KeyError(101): the line must not end
    # in a bare ": 101", which names nothing.
    text = tmp_path / "notes.pt"
    text.write_text("hello world this is not torch")
    result, _ = _info_with_spy([text, "--sha256", _sha256(text)], tmp_path)
    assert_refused(result, "notes.pt", "not a readable DeepRadiology checkpoint")
    assert not result.stderr.rstrip().split(":")[-1].strip().isdigit(), result.stderr


def test_a_file_that_is_not_the_one_its_card_describes_is_refused(tmp_path, a_checkpoint):
    for name in ("cxr.pt", "cxr.pt.card.json"):
        shutil.copy(a_checkpoint.parent / name, tmp_path / name)
    with open(tmp_path / "cxr.pt", "ab") as handle:
        handle.write(b"appended")
    result, opened = _info_with_spy([tmp_path / "cxr.pt"], tmp_path)
    assert_refused(result, "cxr.pt", "longer than its card says")
    assert opened == "[]"


def _edit(card: dict, where: str, value) -> dict:
    node = card
    *parents, last = where.split(".")
    for key in parents:
        node = node[key]
    node[last] = value
    return card


CARDS = [
    ("card-a-list", None, [1], ["not a model card", "JSON array"]),
    ("card-nested", None, "deep", ["nested too deeply"]),
    ("card-utf16", None, "utf16", ["not readable JSON", "UTF-8"]),
    ("labels-numbers", "labels", [1, 2, 3, 4], ["'labels'", "names"]),
    ("size-bytes-text", "extra.size_bytes", "x", ["extra.size_bytes", "whole number"]),
    ("operating-points-a-list", "extra.operating_points", [0.5], ["extra.operating_points", "list"]),
    ("operating-point-text", "extra.operating_points.Mass", "high", ["'Mass'", "probability"]),
    ("operating-point-above-1", "extra.operating_points.Mass", 7, ["'Mass'", "probability"]),
    ("input-size-text", "input_spec.size", "big", ["input_spec.size", "pixels"]),
    ("sha256-a-number", "sha256", 5, ["'sha256'", "text"]),
]


@pytest.mark.parametrize("case,where,value,phrases", CARDS, ids=[c[0] for c in CARDS])
@pytest.mark.parametrize("command", ["models-info", "cxr-triage"])
def test_a_card_of_the_wrong_shape_is_one_line(tmp_path, a_checkpoint, case, where, value, phrases, command):
    shutil.copy(a_checkpoint, tmp_path / "cxr.pt")
    sidecar = tmp_path / "cxr.pt.card.json"
    card = json.loads((a_checkpoint.parent / "cxr.pt.card.json").read_text())
    if where is not None:
        sidecar.write_text(json.dumps(_edit(card, where, value)))
    elif value == "deep":
        sidecar.write_text("[" * 100_000 + "]" * 100_000)
    elif value == "utf16":
        sidecar.write_bytes(json.dumps(card).encode("utf-16"))
    else:
        sidecar.write_text(json.dumps(value))
    if command == "models-info":
        args = ["models", "info", tmp_path / "cxr.pt"]
    else:
        args = ["cxr", "triage", a_checkpoint.parent / "film.png", "--model", tmp_path / "cxr.pt", "-o", "w.csv"]
    assert_refused(run_cli(args, cwd=tmp_path), "cxr.pt.card.json", *phrases)
    assert not (tmp_path / "w.csv").exists()


def test_a_network_configuration_that_builds_nothing_is_one_line(tmp_path, a_checkpoint):
    shutil.copy(a_checkpoint, tmp_path / "cxr.pt")
    card = json.loads((a_checkpoint.parent / "cxr.pt.card.json").read_text())
    (tmp_path / "cxr.pt.card.json").write_text(json.dumps(_edit(card, "extra.network.nope", 1)))
    result = run_cli(["cxr", "triage", a_checkpoint.parent / "film.png", "--model", "cxr.pt", "-o", "w.csv"],
                     cwd=tmp_path)
    assert_refused(result, "cxr.pt", "extra.network", "nope")


NNUNET_JSON = [
    ("dataset-nested", "dataset.json", "[" * 100_000 + "]" * 100_000, ["dataset.json", "nested too deeply"]),
    ("dataset-an-array", "dataset.json", "[1]", ["dataset.json", "expected a JSON object"]),
    ("plans-not-json", "plans.json", "{not json", ["plans.json", "not readable JSON"]),
    ("plans-latin1", "plans.json", b'{"name": "caf\xe9"}', ["plans.json", "UTF-8"]),
]


@pytest.mark.parametrize("case,name,content,phrases", NNUNET_JSON, ids=[c[0] for c in NNUNET_JSON])
def test_an_nnunet_folder_with_bad_json_is_one_line(tmp_path, case, name, content, phrases):
    folder = tmp_path / "Dataset007_Pancreas" / "nnUNetTrainer__nnUNetPlans__3d_fullres"
    folder.mkdir(parents=True)
    (folder / "dataset.json").write_text(json.dumps({"labels": {"background": 0, "pancreas": 1},
                                                     "channel_names": {"0": "CT"}}))
    (folder / "plans.json").write_text(json.dumps({"configurations": {"3d_fullres": {}}}))
    target = folder / name
    target.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert_refused(run_cli(["models", "info", folder], cwd=tmp_path), *phrases)
