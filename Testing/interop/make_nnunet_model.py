"""Make an nnU-Net v2 result folder with random weights, entirely by nnunetv2's own code (main venv or interop venv).

    python Testing/interop/make_nnunet_model.py OUT [--real-size | --quick] [--seed N] [--labels background,pancreas]

nnunetv2 fingerprints and plans a tiny synthetic CT data set (two 24 x 48 x 40 volumes at 0.8 x 0.8 x 2.5 mm),
its trainer class builds the network the plans describe, and the checkpoint is saved with the keys
nnUNetTrainer.save_checkpoint writes. ``--real-size`` replaces the 3d_fullres plan by the size nnU-Net plans
for large CTs: 1.5 mm isotropic, patch 128^3, six stages of 32-320 features (the scale of TotalSegmentator's
1.5 mm models). ``--quick`` replaces it by a plan small enough to segment a whole CT in seconds on two CPU
cores, for the CLI and web tests: 3 x 3 x 5 mm voxels, one patch of 80 x 112 x 128 (z, y, x) covering an
abdomen at that spacing, four stages of 8-64 features, and no test-time mirroring (as TotalSegmentator's
nnUNetTrainerNoMirroring models). The last layer's pancreas bias is set so that about half the voxels of a
random input are pancreas, so masks are neither empty nor full. Prints the result folder. A script (not a test
module) because nnunetv2's planning starts worker processes, which must be able to import their parent's main
module.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    size = ap.add_mutually_exclusive_group()
    size.add_argument("--real-size", action="store_true")
    size.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--labels", default="background,pancreas")
    args = ap.parse_args(argv)
    out = Path(args.out).resolve()
    for key in ("nnUNet_raw", "nnUNet_preprocessed", "nnUNet_results"):
        os.environ[key] = str(out / key)
        (out / key).mkdir(parents=True, exist_ok=True)
    import numpy as np
    import SimpleITK as sitk
    import torch

    raw = out / "nnUNet_raw" / "Dataset991_PancreasTest"
    (raw / "imagesTr").mkdir(parents=True, exist_ok=True)
    (raw / "labelsTr").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    for case in range(2):
        ct = rng.normal(40, 100, (24, 48, 40)).astype(np.float32)
        seg = np.zeros(ct.shape, np.uint8)
        seg[8:16, 10:30, 10:30] = 1
        for array, path in ((ct, raw / "imagesTr" / f"case_{case:03d}_0000.nii.gz"),
                            (seg, raw / "labelsTr" / f"case_{case:03d}.nii.gz")):
            img = sitk.GetImageFromArray(array)
            img.SetSpacing((0.8, 0.8, 2.5))
            sitk.WriteImage(img, str(path))
    labels = {name: i for i, name in enumerate(args.labels.split(","))}
    (raw / "dataset.json").write_text(json.dumps({"channel_names": {"0": "CT"}, "labels": labels, "numTraining": 2,
                                                  "file_ending": ".nii.gz", "name": "PancreasTest"}))

    from nnunetv2.experiment_planning.plan_and_preprocess_api import extract_fingerprints, plan_experiments
    from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer
    from nnunetv2.utilities.plans_handling.plans_handler import PlansManager

    extract_fingerprints([991], num_processes=1, check_dataset_integrity=True, verbose=False, show_progress_bar=False)
    plan_experiments([991])
    pre = out / "nnUNet_preprocessed" / "Dataset991_PancreasTest"
    plans = json.loads((pre / "nnUNetPlans.json").read_text())
    if args.real_size:
        cfg = plans["configurations"]["3d_fullres"]
        cfg["spacing"], cfg["patch_size"] = [1.5, 1.5, 1.5], [128, 128, 128]
        cfg["architecture"]["arch_kwargs"].update(
            n_stages=6, features_per_stage=[32, 64, 128, 256, 320, 320], kernel_sizes=[[3, 3, 3]] * 6,
            strides=[[1, 1, 1]] + [[2, 2, 2]] * 5, n_conv_per_stage=[2] * 6, n_conv_per_stage_decoder=[2] * 5)
    if args.quick:
        cfg = plans["configurations"]["3d_fullres"]
        cfg["spacing"], cfg["patch_size"] = [5.0, 3.0, 3.0], [80, 112, 128]        # (z, y, x), as nnU-Net writes
        cfg["architecture"]["arch_kwargs"].update(
            n_stages=4, features_per_stage=[8, 16, 32, 64], kernel_sizes=[[3, 3, 3]] * 4,
            strides=[[1, 1, 1]] + [[2, 2, 2]] * 3, n_conv_per_stage=[2] * 4, n_conv_per_stage_decoder=[2] * 3)
    dataset_json = json.loads((pre / "dataset.json").read_text())
    result = out / "nnUNet_results" / "Dataset991_PancreasTest" / "nnUNetTrainer__nnUNetPlans__3d_fullres"
    (result / "fold_0").mkdir(parents=True, exist_ok=True)
    (result / "plans.json").write_text(json.dumps(plans, indent=2))
    (result / "dataset.json").write_text(json.dumps(dataset_json, indent=2))
    (result / "dataset_fingerprint.json").write_text((pre / "dataset_fingerprint.json").read_text())

    manager = PlansManager(plans)
    config = manager.get_configuration("3d_fullres")
    torch.manual_seed(args.seed)
    network = nnUNetTrainer.build_network_architecture(
        manager, config, 1, manager.get_label_manager(dataset_json).num_segmentation_heads,
        enable_deep_supervision=True)
    with torch.no_grad():   # centre the pancreas logit on a random CT-like patch: masks neither empty nor full
        network.eval()
        network.decoder.deep_supervision = False
        x = torch.randn(1, 1, *config.patch_size)
        logits = network(x)
        gap = (logits[0, 1] - logits[0, 0]).median()
        network.decoder.seg_layers[-1].bias[1] -= gap
        network.decoder.deep_supervision = True
    checkpoint = {"network_weights": network.state_dict(), "optimizer_state": {}, "grad_scaler_state": None,
                  "logging": {}, "_best_ema": None, "current_epoch": 1000,
                  "init_args": {"plans": plans, "configuration": "3d_fullres", "fold": 0, "dataset_json": dataset_json,
                                "device": torch.device("cpu")},
                  "trainer_name": "nnUNetTrainer",
                  "inference_allowed_mirroring_axes": None if args.quick else (0, 1, 2)}
    torch.save(checkpoint, result / "fold_0" / "checkpoint_final.pth")
    print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
