"""Small, fast pancreas models for tests and the Slicer module's self-test (not for patients).

`write_msd_folder` lays cases out as the Medical Segmentation Decathlon does, so the tests exercise the
real dataset reader; `train_small_phantom_model` trains a tiny coarse-to-fine model on the phantom;
`constant_probability_checkpoint` writes, without training, a checkpoint whose networks answer one known
probability everywhere, for tests of the plumbing around the networks (files, subprocess, scene nodes).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

__all__ = ["write_msd_folder", "train_small_phantom_model", "constant_probability_checkpoint", "SMALL_PHANTOM_CONFIG"]

#: A tiny model for the phantom at 3.2 x 3.2 x 4 mm: trains in about a minute on two CPU cores.
SMALL_PHANTOM_CONFIG = dict(arch="dynunet", spacing_mm=(3.2, 3.2, 4.0), coarse_spacing_mm=(6.4, 6.4, 8.0),
                            patch=(16, 32, 48), coarse_patch=(16, 24, 32), channels=(4, 8, 16, 32),
                            coarse_channels=(4, 8, 16), iterations=60, batch=2, learning_rate=1e-2,
                            positive_fraction=0.8)


def write_msd_folder(folder: str | Path, cases: dict[str, tuple[object, object]]) -> Path:
    """An MSD Task07-style folder: ``dataset.json``, ``imagesTr/<name>.nii.gz``, ``labelsTr/<name>.nii.gz``.

    Args:
        cases: name -> (CT, label), each an `Image` (written) or a path (linked, never copied).
    """
    from ..image import Image
    from ..io import write_image

    folder = Path(folder)
    (folder / "imagesTr").mkdir(parents=True, exist_ok=True)
    (folder / "labelsTr").mkdir(parents=True, exist_ok=True)
    training = []
    for name, (ct, label) in cases.items():
        for kind, item in (("imagesTr", ct), ("labelsTr", label)):
            target = folder / kind / f"{name}.nii.gz"
            if isinstance(item, Image):
                write_image(item, target, force=True)
            else:
                if target.exists() or target.is_symlink():
                    target.unlink()
                os.symlink(Path(item).resolve(), target)
        training.append({"image": f"./imagesTr/{name}.nii.gz", "label": f"./labelsTr/{name}.nii.gz"})
    spec = {"name": "Pancreas", "modality": {"0": "CT"}, "labels": {"0": "background", "1": "pancreas",
                                                                  "2": "cancer"},
            "numTraining": len(training), "training": training, "test": []}
    (folder / "dataset.json").write_text(json.dumps(spec, indent=2), encoding="utf-8")
    return folder


def train_small_phantom_model(folder: str | Path, *, seed: int = 0, progress=None, **overrides):
    """Train `SMALL_PHANTOM_CONFIG` on one phantom study written under ``folder``.

    Args:
        progress: passed to `train_pancreas` (fraction, "it ... loss ..." messages).
        overrides: `TrainConfig` fields to change (arch, iterations ...).

    Returns:
        (checkpoint path, the phantom study) — the study's ``ct`` and ``organs`` (pancreas = 5).
    """
    from ..phantom import ORGAN_LABELS, generate_phantom
    from .train import TrainConfig, train_pancreas

    folder = Path(folder)
    study = generate_phantom(seed, n_studies=1, spacing=(1.6, 1.6, 4.0)).studies[0]
    label = study.organs.with_array((study.organs.array == ORGAN_LABELS["pancreas"]).astype(np.uint8))
    data = write_msd_folder(folder / "Task07_Phantom", {"phantom_000": (study.ct, label)})
    config = TrainConfig(**{**SMALL_PHANTOM_CONFIG, "name": "pancreas-phantom-test", **overrides})
    path, _ = train_pancreas(data, config=config, output=folder / "pancreas-phantom-test.pt", force=True,
                             progress=progress)
    return path, study


def constant_probability_checkpoint(path: str | Path, *, probability: float = 0.9, **overrides) -> Path:
    """A pancreas checkpoint, built in a second without training, whose locator and segmenter both give
    ``probability`` at every voxel (not for patients: it sees nothing).

    Every weight and bias of both `SMALL_PHANTOM_CONFIG` networks is zero except the main output's bias,
    set to logit(``probability``): the features are then zero everywhere (instance norm of zeros is
    zero), so the output is that bias at every voxel, and its sigmoid is ``probability``. A test can
    therefore know the answer without the code: with ``probability`` >= 0.5 the mask is the whole CT, its
    volume is the CT's voxel count times the voxel volume, and the probability map is ``probability``.

    Args:
        path: where the checkpoint (and its card beside it) is written; an existing one is replaced.
        overrides: `TrainConfig` fields to change (spacing_mm, patch ...).
    """
    import math

    import torch

    from ..models import save_checkpoint
    from .networks import NetworkConfig, build_network
    from .train import TrainConfig, _card

    if not 0.0 < probability < 1.0:
        raise ValueError(f"probability must lie strictly between 0 and 1, got {probability}")
    config = TrainConfig(**{**SMALL_PHANTOM_CONFIG, "name": "pancreas-constant-test", **overrides})
    if config.arch != "dynunet":
        raise ValueError(f"a constant checkpoint is built for the dynunet networks only, not {config.arch!r}")
    logit = math.log(probability / (1.0 - probability))
    state = {}
    for part, channels in (("fine", config.channels), ("coarse", config.coarse_channels)):
        net = build_network(NetworkConfig(arch=config.arch, channels=channels))
        with torch.no_grad():
            for tensor in net.parameters():
                tensor.zero_()
            net.net.output_block.conv.conv.bias.fill_(logit)
        state.update({f"{part}.{k}": v.detach().cpu() for k, v in net.state_dict().items()})
    card = _card(config, training_data=f"none: every voxel answers {probability} (plumbing tests only)",
                 metrics={"note": "untrained: a constant answer, for tests of the plumbing only"})
    return Path(save_checkpoint(path, state, card, force=True))
