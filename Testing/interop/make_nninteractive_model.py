"""Make an nnInteractive model folder with random weights by nnInteractive's own network code (in .venv-interop).

    python Testing/interop/make_nninteractive_model.py OUT [--real-size] [--seed N]

The folder has the published layout (``inference_session_class.json``, ``plans.json``, ``dataset.json``,
``fold_0/checkpoint_final.pth``; no LICENSE file, which nnInteractive reads as a legacy folder). The plans
describe a ResidualEncoderUNet (the architecture nnInteractive's paper names); nnInteractive's
``nnInteractiveTrainer_stub`` builds it from them with 1 image channel + 7 interaction channels (its legacy
channel mapping: prev_seg and pairs for bbox/lasso, points, scribble) and 2 outputs, and the checkpoint holds
the keys its session reads (``network_weights``, ``init_args.configuration``, ``trainer_name``), as
nnInteractive's own release cleansing leaves them. The tiny default (patch 64^3, 4 stages of 4-16 features) runs
on CPU in seconds; ``--real-size`` is the scale of the released model (a ResEnc-L U-Net as its paper describes:
patch 192^3, six stages of 32-320 features, residual blocks 1, 3, 4, 6, 6, 6; our reading, not its plans file).
The network's object bias is set so that about 2 % of a random patch (0.2 % at the real size) is object: masks
are neither empty nor full, and too few object voxels reach the patch's faces to trigger the session's autozoom,
so every mask lies inside the one patch centred on the click (which checks the axis order). Prints the folder.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

CONFIGURATION = "3d_fullres_test"
TRAINER = "nnInteractiveTrainer_stub"
INTERACTION_CHANNELS = 7      # prev_seg + (bbox, lasso) pair + points pair + scribble pair (legacy mapping)


def _plans(real_size: bool) -> dict:
    if real_size:
        patch, features, blocks = [192, 192, 192], [32, 64, 128, 256, 320, 320], [1, 3, 4, 6, 6, 6]
        strides = [[1, 1, 1]] + [[2, 2, 2]] * 5
    else:
        # 64^3: the session's refinement keeps a 24-voxel margin inside each patch, so a patch needs > 48.
        patch, features, blocks = [64, 64, 64], [4, 8, 16, 16], [1, 1, 1, 1]
        strides = [[1, 1, 1], [2, 2, 2], [2, 2, 2], [2, 2, 2]]
    n = len(features)
    arch = {"network_class_name": "dynamic_network_architectures.architectures.unet.ResidualEncoderUNet",
            "arch_kwargs": {"n_stages": n, "features_per_stage": features, "conv_op": "torch.nn.modules.conv.Conv3d",
                            "kernel_sizes": [[3, 3, 3]] * n, "strides": strides, "n_blocks_per_stage": blocks,
                            "n_conv_per_stage_decoder": [1] * (n - 1), "conv_bias": True,
                            "norm_op": "torch.nn.modules.instancenorm.InstanceNorm3d",
                            "norm_op_kwargs": {"eps": 1e-05, "affine": True}, "dropout_op": None,
                            "dropout_op_kwargs": None, "nonlin": "torch.nn.LeakyReLU",
                            "nonlin_kwargs": {"inplace": True}},
            "_kw_requires_import": ["conv_op", "norm_op", "dropout_op", "nonlin"]}
    config = {"data_identifier": "nnInteractiveTest_" + CONFIGURATION, "preprocessor_name": "DefaultPreprocessor",
              "batch_size": 2, "patch_size": patch, "median_image_size_in_voxels": patch, "spacing": [1.0, 1.0, 1.0],
              "normalization_schemes": ["ZScoreNormalization"], "use_mask_for_norm": [False],
              "resampling_fn_data": "resample_data_or_seg_to_shape",
              "resampling_fn_data_kwargs": {"is_seg": False, "order": 3, "order_z": 0, "force_separate_z": None},
              "resampling_fn_seg": "resample_data_or_seg_to_shape",
              "resampling_fn_seg_kwargs": {"is_seg": True, "order": 1, "order_z": 0, "force_separate_z": None},
              "resampling_fn_probabilities": "resample_data_or_seg_to_shape",
              "resampling_fn_probabilities_kwargs": {"is_seg": False, "order": 1, "order_z": 0,
                                                     "force_separate_z": None},
              "architecture": arch, "batch_dice": False}
    return {"dataset_name": "Dataset999_nnInteractiveRandomTest", "plans_name": "nnInteractivePlans",
            "original_median_spacing_after_transp": [1.0, 1.0, 1.0],
            "original_median_shape_after_transp": patch, "image_reader_writer": "SimpleITKIO",
            "transpose_forward": [0, 1, 2], "transpose_backward": [0, 1, 2],
            "configurations": {CONFIGURATION: config}, "experiment_planner_used": "hand-written test plans",
            "label_manager": "LabelManager",
            "foreground_intensity_properties_per_channel": {"0": {"mean": 0.0, "std": 1.0, "median": 0.0,
                                                                  "min": -1024.0, "max": 3000.0,
                                                                  "percentile_00_5": -1000.0,
                                                                  "percentile_99_5": 1500.0}}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--real-size", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    import torch
    from nnInteractive.trainer.nnInteractiveTrainer import nnInteractiveTrainer_stub
    from nnunetv2.utilities.plans_handling.plans_handler import PlansManager

    folder = Path(args.out).resolve() / ("nnInteractive_random_real" if args.real_size else "nnInteractive_random")
    (folder / "fold_0").mkdir(parents=True, exist_ok=True)
    plans = _plans(args.real_size)
    dataset_json = {"channel_names": {"0": "image"}, "labels": {"background": 0, "object": 1},
                    "numTraining": 0, "file_ending": ".nii.gz", "name": "nnInteractiveRandomTest"}
    session_info = {"inference_class": "nnInteractiveInferenceSession", "point_radius": 4,
                    "preferred_scribble_thickness": [2, 2, 2], "interaction_decay": 0.9, "pad_mode_image": "constant"}
    (folder / "plans.json").write_text(json.dumps(plans, indent=2))
    (folder / "dataset.json").write_text(json.dumps(dataset_json, indent=2))
    (folder / "inference_session_class.json").write_text(json.dumps(session_info, indent=2))

    manager = PlansManager(plans)
    config = manager.get_configuration(CONFIGURATION)
    torch.manual_seed(args.seed)
    network = nnInteractiveTrainer_stub.build_network_architecture(
        manager, config, 1 + INTERACTION_CHANNELS, 2, enable_deep_supervision=False)
    with torch.no_grad():   # shift the object logit: about 2 % of a random patch is object
        network.eval()          # (fully convolutional: a 64^3 probe stands for the real-size patch too)
        logits = network(torch.randn(1, 1 + INTERACTION_CHANNELS, 64, 64, 64))
        # 2 % of 64^3 (0.2 % of 192^3) leaves under 100 object voxels on a patch face: no autozoom.
        gap = (logits[0, 1] - logits[0, 0]).quantile(0.998 if args.real_size else 0.98)
        network.decoder.seg_layers[-1].bias[1] -= gap
    checkpoint = {"network_weights": network.state_dict(), "init_args": {"configuration": CONFIGURATION, "fold": 0,
                                                                         "plans": plans},
                  "trainer_name": TRAINER, "current_epoch": 0}
    torch.save(checkpoint, folder / "fold_0" / "checkpoint_final.pth")
    print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
