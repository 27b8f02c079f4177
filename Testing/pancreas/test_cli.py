"""The pancreas CLI without a model, with a wrong model, and its eval JSON."""

from __future__ import annotations

import json

import pytest

from deepradiology.cli import main

from ..conftest import shared_file

ORGANS = "ct/totalsegmentator/example_ct_organs"


@pytest.fixture
def no_installed_models(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPRADIOLOGY_MODELS", str(tmp_path / "no_models"))


def test_without_a_model_segment_says_how_to_train_or_import_one_and_writes_no_mask(tmp_path, capsys,
                                                                                     no_installed_models):
    ct = shared_file("ct/totalsegmentator/example_ct.nii.gz")
    mask = tmp_path / "mask.nii.gz"
    assert main(["pancreas", "segment", str(ct), "-o", str(mask)]) == 2
    err = capsys.readouterr().err
    assert "no pancreas segmentation model is installed" in err
    assert "deepradiology pancreas train" in err and "deepradiology models import" in err
    assert not mask.exists() and list(tmp_path.iterdir()) == []


def test_a_checkpoint_made_for_another_task_is_refused(tmp_path, capsys, no_installed_models):
    torch = pytest.importorskip("torch", reason="torch is not installed: pip install 'deepradiology[torch]'")
    from deepradiology.models import ModelCard, save_checkpoint

    other = save_checkpoint(tmp_path / "recist.pt", {"w": torch.zeros(2)},
                            ModelCard(name="recist-net", task="recist-segmentation"))
    ct = shared_file("ct/totalsegmentator/example_ct.nii.gz")
    assert main(["pancreas", "segment", str(ct), "-o", str(tmp_path / "m.nii.gz"), "--model", str(other)]) == 2
    assert "made for 'recist-segmentation', not 'pancreas-segmentation'" in capsys.readouterr().err
    assert not (tmp_path / "m.nii.gz").exists()


def test_asking_for_cuda_without_a_gpu_is_refused_before_any_work(tmp_path, capsys, no_installed_models):
    torch = pytest.importorskip("torch", reason="torch is not installed: pip install 'deepradiology[torch]'")
    if torch.cuda.is_available():
        pytest.skip("this test checks the refusal on a machine without a GPU, and this one has a CUDA GPU")
    from deepradiology.pancreas.model import resolve_device
    from deepradiology.errors import InputError

    with pytest.raises(InputError, match="no usable CUDA device"):
        resolve_device("cuda")


def test_eval_prints_one_json_object_with_dice_and_distances_in_mm(capsys):
    pancreas = shared_file(f"{ORGANS}/pancreas.nii.gz")
    spleen = shared_file(f"{ORGANS}/spleen.nii.gz")
    assert main(["pancreas", "eval", str(pancreas), str(pancreas)]) == 0
    same = json.loads(capsys.readouterr().out)
    assert same["dice"] == 1.0 and same["asd_mm"] == 0.0 and same["hd95_mm"] == 0.0
    assert same["gold_ml"] == pytest.approx(22.086, abs=0.01)   # 818 voxels of 27 mm^3
    assert main(["pancreas", "eval", str(spleen), str(pancreas)]) == 0
    apart = json.loads(capsys.readouterr().out)
    assert apart["dice"] == 0.0 and apart["asd_mm"] > 20 and apart["hd95_mm"] > apart["asd_mm"]
