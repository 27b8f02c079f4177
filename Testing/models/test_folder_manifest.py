"""Model folders (nnU-Net v2, nnInteractive) have one manifest hash (issue 17, item of issue 14): recorded at
import, checked by `models info` and before loading; a file changed, removed or added after import is refused
in one line naming it, and a folder's published manifest is checked before any checkpoint in it is opened."""

from __future__ import annotations

import hashlib
import json

import pytest

from deepradiology.cli import main
from deepradiology.errors import ModelError
from deepradiology.models.external import import_external, verified_external

from ..conftest import shared_file
from .conftest import write_nnunet_folder

pytest.importorskip("torch", reason="loading a model needs torch: pip install -e 'DeepRadiologyLib[torch]'")


def _manifest_by_hand(folder, names) -> str:
    """sha256 of the canonical JSON {relative path: [size, sha256]} in sorted path order (the documented rule)."""
    rows = {n: [(folder / n).stat().st_size, hashlib.sha256((folder / n).read_bytes()).hexdigest()]
            for n in sorted(names)}
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()


@pytest.fixture
def an_installed_nnunet(tmp_path, a_model_cache):
    folder = write_nnunet_folder(tmp_path / "src")
    card = import_external(folder, name="nn-manifest", licence="test")
    return a_model_cache / "nn-manifest.ext", card, folder


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


def test_the_card_records_the_folders_manifest_hash_as_the_documented_rule_gives_it(an_installed_nnunet, capsys):
    installed, card, source = an_installed_nnunet
    names = ["dataset.json", "plans.json", "fold_0/checkpoint_final.pth"]
    assert card.sha256 == _manifest_by_hand(source, names) == _manifest_by_hand(installed, names)
    assert main(["models", "info", "nn-manifest"]) == 0
    assert json.loads(capsys.readouterr().out)["sha256"] == card.sha256
    assert main(["models", "info", str(source), "--sha256", card.sha256]) == 0   # the folder before import
    assert main(["models", "info", "nn-manifest", "--sha256", card.sha256]) == 0


@pytest.mark.parametrize("change,named,phrase", [
    ("altered", "plans.json", "sha256 does not match"),
    ("removed", "fold_0/checkpoint_final.pth", "missing"),
    ("added", "fold_1/checkpoint_final.pth", "added after it was imported"),
])
def test_a_file_changed_removed_or_added_after_import_is_named_by_info_and_refused_at_load(
        an_installed_nnunet, capsys, tmp_path, change, named, phrase):
    installed, card, _ = an_installed_nnunet
    target = installed / named
    if change == "altered":
        target.write_text(target.read_text().replace("nnUNetPlans", "nnUNetPlanz"))   # same size, other bytes
    elif change == "removed":
        target.unlink()
    else:
        target.parent.mkdir()
        target.write_bytes((installed / "fold_0" / "checkpoint_final.pth").read_bytes())
    capsys.readouterr()
    assert main(["models", "info", "nn-manifest"]) == 2
    err = _one_line_error(capsys)
    assert named in err and phrase in err
    assert main(["models", "info", str(installed)]) == 2                  # the installed folder by its path
    assert named in _one_line_error(capsys)
    with pytest.raises(ModelError, match=phrase):
        verified_external("nn-manifest", task="pancreas-segmentation")
    out = tmp_path / "never.nii.gz"
    ct = shared_file("ct/totalsegmentator/example_ct_sm.nii.gz")
    assert main(["pancreas", "segment", str(ct), "--model", "nn-manifest", "-o", str(out)]) == 2
    assert named in _one_line_error(capsys) and not out.exists()


def test_a_folders_published_manifest_is_checked_before_any_checkpoint_is_opened(tmp_path, a_model_cache,
                                                                                 monkeypatch, capsys):
    import deepradiology.models.external.safe_pickle as safe_pickle

    folder = write_nnunet_folder(tmp_path / "src", folds=(0, 1))
    good = _manifest_by_hand(folder, ["dataset.json", "plans.json", "fold_0/checkpoint_final.pth",
                                      "fold_1/checkpoint_final.pth"])
    (folder / "fold_1" / "checkpoint_final.pth").unlink()                 # a download that lost a fold
    opened = []
    real = safe_pickle.safe_torch_load
    monkeypatch.setattr(safe_pickle, "safe_torch_load", lambda path: (opened.append(path), real(path))[1])
    assert main(["models", "info", str(folder), "--sha256", good]) == 2
    err = _one_line_error(capsys)
    assert "manifest sha256" in err and f"does not match the expected {good}" in err
    assert main(["models", "import", str(folder), "--sha256", good]) == 2
    assert "manifest sha256" in _one_line_error(capsys)
    assert opened == [] and not a_model_cache.exists()


def test_an_nninteractive_folder_has_a_manifest_too(tmp_path, a_model_cache, capsys):
    import torch

    folder = tmp_path / "nnInteractive_v1.0"
    (folder / "fold_0").mkdir(parents=True)
    for name in ("inference_session_class.json", "dataset.json"):
        (folder / name).write_text(json.dumps({}))
    (folder / "plans.json").write_text(json.dumps({"configurations": {"3d_fullres": {}}}))  # what import checks
    torch.save({"network_weights": {"w": torch.zeros(2)}}, folder / "fold_0" / "checkpoint_final.pth")
    card = import_external(folder, name="nni-manifest")
    assert card.sha256 == _manifest_by_hand(folder, ["inference_session_class.json", "plans.json", "dataset.json",
                                                     "fold_0/checkpoint_final.pth"])
    (a_model_cache / "nni-manifest.ext" / "dataset.json").write_text(json.dumps({"changed": 1}))
    capsys.readouterr()
    assert main(["models", "info", "nni-manifest"]) == 2
    err = _one_line_error(capsys)
    assert "dataset.json" in err and "longer than its card says" in err
