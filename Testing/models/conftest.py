"""Fixtures for the model manager: an empty model cache of its own, a tiny state dict and its card."""

from __future__ import annotations

import pytest


@pytest.fixture
def a_model_cache(tmp_path, monkeypatch):
    """An empty cache folder that $DEEPRADIOLOGY_MODELS points at (it does not exist yet)."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("DEEPRADIOLOGY_MODELS", str(cache))
    return cache


@pytest.fixture
def a_small_state_dict():
    torch = pytest.importorskip("torch", reason="torch is not installed: pip install 'deepradiology[torch]'")
    g = torch.Generator().manual_seed(0)
    return {"conv.weight": torch.randn(4, 1, 3, 3, 3, generator=g), "conv.bias": torch.zeros(4),
            "norm.num_batches_tracked": torch.tensor(7), "half.weight": torch.randn(2, 2).to(torch.bfloat16)}


@pytest.fixture
def a_pancreas_card():
    from deepradiology.models import ModelCard

    return ModelCard(name="pancreas-test", task="pancreas-segmentation", version="0.1", architecture="dynunet",
                     input_spec={"spacing_mm": [1.0, 1.0, 1.0], "patch": [32, 64, 64], "window_hu": [-160, 240]},
                     labels=["pancreas"], training_data="synthetic phantom (test)", metrics={"dice": 0.5},
                     licence="Apache-2.0", description="a test model")


@pytest.fixture
def a_saved_checkpoint(tmp_path, a_small_state_dict, a_pancreas_card):
    from deepradiology.models import save_checkpoint

    return save_checkpoint(tmp_path / "made" / "pancreas.pt", a_small_state_dict, a_pancreas_card)


# --- models in published formats, written by hand in those formats (the interop suite uses the real packages) --
def write_nnunet_folder(root, *, labels=None, dataset_name="Dataset007_Pancreas", config="3d_fullres",
                        trainer="nnUNetTrainer", folds=(0,)):
    """An nnU-Net v2 result folder ``root/<Trainer>__nnUNetPlans__<config>/`` with small random weights."""
    import json

    import torch

    folder = root / dataset_name / f"{trainer}__nnUNetPlans__{config}"
    folder.mkdir(parents=True)
    labels = labels or {"background": 0, "pancreas": 1, "cancer": 2}
    (folder / "dataset.json").write_text(json.dumps({
        "channel_names": {"0": "CT"}, "labels": labels, "numTraining": 281, "file_ending": ".nii.gz"}))
    (folder / "plans.json").write_text(json.dumps({
        "dataset_name": dataset_name, "plans_name": "nnUNetPlans", "image_reader_writer": "SimpleITKIO",
        "configurations": {config: {"spacing": [2.5, 0.8, 0.8], "patch_size": [40, 192, 160],
                                    "normalization_schemes": ["CTNormalization"],
                                    "architecture": {"network_class_name": "dynamic_network_architectures."
                                                     "architectures.unet.PlainConvUNet"}}}}))
    for f in folds:
        (folder / f"fold_{f}").mkdir()
        torch.save({"network_weights": {"conv.weight": torch.randn(4, 1, 3, 3, 3)},
                    "init_args": {"configuration": config, "fold": f}, "trainer_name": trainer,
                    "inference_allowed_mirroring_axes": [0, 1, 2]}, folder / f"fold_{f}" / "checkpoint_final.pth")
    return folder


def write_xrv_file(path, *, num_classes=18, seed=0):
    """A torchxrayvision-layout DenseNet-121 state dict with random weights (the layout of the published files)."""
    import torch

    from deepradiology.models.external.xrv_network import build_densenet121

    torch.manual_seed(seed)
    net = build_densenet121(num_classes)
    torch.save(net.state_dict(), path)
    return path


@pytest.fixture
def an_nnunet_folder(tmp_path):
    return write_nnunet_folder(tmp_path / "nnUNet_results")


@pytest.fixture
def an_xrv_file(tmp_path):
    return write_xrv_file(tmp_path / "nih-densenet121-d121-tw-lr001-rot45-tr15-sc15-seed0-best.pt")
