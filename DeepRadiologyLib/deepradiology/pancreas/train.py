"""Training a pancreas model (coarse locator + fine segmenter) with k-fold cross-validation.

Runs on one CPU, one GPU, or several GPUs/processes under ``torchrun`` (PyTorch DDP: each process samples
its own patches, gradients are averaged, process 0 validates and writes the checkpoint). The checkpoint
and its model card go through `deepradiology.models` (task "pancreas-segmentation"); the card records the
input spacing, windows, patch sizes and network configs inference needs, and the validation metrics.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..progress import ProgressCallback, report
from .checks import TASK
from .data import WINDOW_HU, PancreasCase, augment_patch, find_cases, split_folds, window_hu
from .resample import grid_size, resample_axes

__all__ = ["TrainConfig", "train_pancreas", "PreparedCase", "prepare_case", "DEFAULT_PATCH"]

DEFAULT_PATCH = {"dynunet": (64, 96, 96), "hnn-bclstm": (16, 128, 128)}


@dataclass
class TrainConfig:
    """How to train. Spacings are (i, j, k) mm; patch sizes (k, j, i) voxels.

    ``iterations`` counts optimiser steps of the fine network; the coarse locator takes
    ``coarse_iterations`` steps (default: the same number), interleaved.
    """

    arch: str = "dynunet"
    fold: int = 0
    n_folds: int = 4
    spacing_mm: tuple[float, float, float] = (1.5, 1.5, 1.5)
    coarse_spacing_mm: tuple[float, float, float] = (6.0, 6.0, 6.0)
    patch: tuple[int, int, int] | None = None
    coarse_patch: tuple[int, int, int] = (48, 48, 48)
    channels: tuple[int, ...] = (16, 32, 64, 128)
    coarse_channels: tuple[int, ...] = (8, 16, 32)
    iterations: int = 2000
    coarse_iterations: int | None = None
    batch: int = 2
    learning_rate: float = 3e-3
    positive_fraction: float = 0.67
    validate_every: int = 0
    seed: int = 0
    device: str | None = "cpu"
    name: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        from .networks import ARCHITECTURES

        if self.arch not in ARCHITECTURES:
            raise InputError("--arch", f"unknown architecture {self.arch!r}; choose {' or '.join(ARCHITECTURES)}")
        if self.patch is None:
            self.patch = DEFAULT_PATCH[self.arch]
        if self.iterations < 1 or self.batch < 1:
            raise InputError("--iterations", "iterations and batch size must be at least 1")
        if min(self.spacing_mm) <= 0 or min(self.coarse_spacing_mm) <= 0:
            raise InputError("--spacing", "voxel sizes must be positive")
        if not self.name:
            self.name = f"pancreas-{self.arch}-fold{self.fold}"


@dataclass
class PreparedCase:
    """A case resampled for training: windowed CT and 0/1 label at fine and coarse spacing, (k, j, i)."""

    case: PancreasCase
    fine: np.ndarray
    fine_label: np.ndarray
    coarse: np.ndarray
    coarse_label: np.ndarray


def _resample_to(array: np.ndarray, spacing_ijk, target_ijk) -> np.ndarray:
    own, new = tuple(spacing_ijk)[::-1], tuple(target_ijk)[::-1]
    return resample_axes(array, scale_kji=[n / o for o, n in zip(own, new)], out_shape=grid_size(array.shape, own, new))


def prepare_case(case: PancreasCase, config: TrainConfig) -> PreparedCase:
    ct, label = case.load()
    if not label.array.any():
        raise InputError(case.label_path, "the label holds no pancreas voxels")
    w = window_hu(ct.array, WINDOW_HU)
    lab = label.array.astype(np.float32)
    return PreparedCase(case, _resample_to(w, ct.spacing, config.spacing_mm),
                        (_resample_to(lab, ct.spacing, config.spacing_mm) >= 0.5).astype(np.float32),
                        _resample_to(w, ct.spacing, config.coarse_spacing_mm),
                        (_resample_to(lab, ct.spacing, config.coarse_spacing_mm) >= 0.5).astype(np.float32))


def _sample(volume, label, patch, rng, positive_fraction):
    """One (image, label) patch; centred on a pancreas voxel with probability ``positive_fraction``."""
    shape = [max(s, p) for s, p in zip(volume.shape, patch)]
    if list(volume.shape) != shape:
        v = np.full(shape, -1.0, np.float32)
        lab = np.zeros(shape, np.float32)
        v[: volume.shape[0], : volume.shape[1], : volume.shape[2]] = volume
        lab[: volume.shape[0], : volume.shape[1], : volume.shape[2]] = label
        volume, label = v, lab
    if rng.random() < positive_fraction and label.any():
        fg = np.argwhere(label > 0)
        centre = fg[rng.integers(len(fg))] + rng.integers(-np.array(patch) // 4, np.array(patch) // 4 + 1)
    else:
        centre = np.array([rng.integers(s) for s in shape])
    start = [int(np.clip(c - p // 2, 0, s - p)) for c, p, s in zip(centre, patch, shape)]
    box = tuple(slice(a, a + p) for a, p in zip(start, patch))
    return augment_patch(volume[box], rng), label[box]


def _batch(cases, which, patch, batch, rng, positive_fraction):
    import torch

    xs, ys = [], []
    for _ in range(batch):
        c = cases[rng.integers(len(cases))]
        vol, lab = (c.fine, c.fine_label) if which == "fine" else (c.coarse, c.coarse_label)
        x, y = _sample(vol, lab, patch, rng, positive_fraction)
        xs.append(x)
        ys.append(y)
    return torch.from_numpy(np.stack(xs)[:, None]), torch.from_numpy(np.stack(ys)[:, None])


def _loss(outputs, target):
    """Soft Dice + binary cross-entropy on every deeply supervised output, deeper heads weighted less."""
    import torch
    import torch.nn.functional as F

    weights = [0.5 ** n for n in range(len(outputs))]
    total = 0.0
    for w, logits in zip(weights, outputs):
        p = torch.sigmoid(logits)
        inter = (p * target).sum()
        soft_dice = 1 - (2 * inter + 1) / (p.sum() + target.sum() + 1)
        total = total + w * (soft_dice + F.binary_cross_entropy_with_logits(logits, target))
    return total / sum(weights)


class _SideOutputs:
    """Module wrapper whose forward returns all side outputs (so DDP sees one forward call)."""

    @staticmethod
    def wrap(net):
        from torch import nn

        class SideOutputs(nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, x):
                return self.inner.side_outputs(x)

        return SideOutputs(net)


def _card(config: TrainConfig, *, training_data: str, metrics: dict):
    from ..models import ModelCard
    from .networks import NetworkConfig

    fine_cfg = NetworkConfig(arch=config.arch, channels=config.channels)
    coarse_cfg = NetworkConfig(arch=config.arch, channels=config.coarse_channels)
    return ModelCard(
        name=config.name, task=TASK, version="1", architecture=f"coarse-to-fine {config.arch}",
        input_spec={"spacing_mm": list(config.spacing_mm), "coarse_spacing_mm": list(config.coarse_spacing_mm),
                    "patch": list(config.patch), "coarse_patch": list(config.coarse_patch),
                    "window_hu": list(WINDOW_HU), "channels": 1, "network": fine_cfg.to_dict(),
                    "coarse_network": coarse_cfg.to_dict(),
                    "axes": "spacing (i, j, k) mm; patch (k, j, i) voxels; CT in HU"},
        labels=["pancreas"], training_data=training_data, metrics=metrics,
        licence="weights: same terms as the training data", sha256="", url=None,
        description="Pancreas segmentation in abdominal CT: a coarse locator and a fine segmenter "
                    f"({config.arch}), trained by `deepradiology pancreas train`.",
        extra={"train_config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(config).items()}})


def _validate(nets, config, card, val_cases, device) -> dict:
    from .inference import segment_pancreas
    from .metrics import segmentation_metrics
    from .model import PancreasModel

    state = {f"{part}.{k}": v for part, net in nets.items() for k, v in net.state_dict().items()}
    model = PancreasModel.from_state(state, card, device=device)
    per_case = []
    for case in val_cases:
        ct, label = case.load()
        result = segment_pancreas(ct, model=model, check_body_region=False)
        m = segmentation_metrics(result.mask.array, label.array, ct.spacing)
        per_case.append({"case": case.case_id, **m})
    for net in nets.values():
        net.train()
    dices = [c["dice"] for c in per_case]
    return {"dice_mean": round(float(np.mean(dices)), 4), "cases": per_case}


def train_pancreas(data: str | Path | list[PancreasCase], *, config: TrainConfig, output: str | Path,
                   force: bool = False, progress: ProgressCallback | None = None) -> tuple[Path, object]:
    """Train on a dataset folder (MSD Task07 or NIH Pancreas-CT layout) and write a checkpoint.

    Args:
        data: the dataset folder, or a list of cases.
        config: what to train (architecture, fold, spacing, patch, iterations ...).
        output: checkpoint path (its card is written beside it by `deepradiology.models.save_checkpoint`).
        progress: called with (fraction, "loss ... | val Dice ..."); may raise `Cancelled` (nothing written).

    Returns:
        (checkpoint path, model card). Only process 0 writes; other processes return (path, None).
    """
    import torch
    import torch.distributed as dist

    from ..io import prepare_output
    from .model import resolve_device
    from .networks import NetworkConfig, build_network

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
    if world > 1 and torch.cuda.is_available():
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    else:
        device = resolve_device(config.device)
    output = Path(output)
    if rank == 0:
        prepare_output(output, force=force)

    cases = find_cases(data) if not isinstance(data, list) else data
    train_cases, val_cases = split_folds(cases, n_folds=config.n_folds, fold=config.fold, seed=config.seed)
    smoke = len(cases) < config.n_folds
    report(progress, 0.0, f"loading {len(train_cases)} training cases")
    prepared = [prepare_case(c, config) for c in train_cases]

    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed + 1000 * rank)
    nets = {"fine": build_network(NetworkConfig(arch=config.arch, channels=config.channels)).to(device),
            "coarse": build_network(NetworkConfig(arch=config.arch, channels=config.coarse_channels)).to(device)}
    trainers = {part: _SideOutputs.wrap(net) for part, net in nets.items()}
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        trainers = {p: DDP(t, device_ids=[device.index] if device.type == "cuda" else None)
                    for p, t in trainers.items()}
    steps = {"fine": config.iterations, "coarse": config.coarse_iterations or config.iterations}
    optim = {p: torch.optim.AdamW(trainers[p].parameters(), lr=config.learning_rate, weight_decay=1e-4)
             for p in nets}
    sched = {p: torch.optim.lr_scheduler.PolynomialLR(optim[p], total_iters=steps[p], power=0.9) for p in nets}
    patches = {"fine": tuple(config.patch), "coarse": tuple(config.coarse_patch)}
    for net in nets.values():
        net.train()

    training_data = (f"{len(train_cases)} case(s) of {cases[0].layout}: {', '.join(c.case_id for c in train_cases[:8])}"
                     f"{' ...' if len(train_cases) > 8 else ''}; fold {config.fold} of {config.n_folds}")
    card = _card(config, training_data=training_data, metrics={})
    total_steps = max(steps.values())
    losses = {"fine": float("nan"), "coarse": float("nan")}
    val_text, validation = "", None
    started = time.perf_counter()
    for it in range(total_steps):
        for part in ("fine", "coarse"):
            if it >= steps[part]:
                continue
            x, y = _batch(prepared, part, patches[part], config.batch, rng, config.positive_fraction)
            loss = _loss(trainers[part](x.to(device)), y.to(device))
            optim[part].zero_grad(set_to_none=True)
            loss.backward()
            optim[part].step()
            sched[part].step()
            losses[part] = 0.9 * losses[part] + 0.1 * float(loss.detach()) if np.isfinite(losses[part]) else float(loss.detach())
        if rank == 0 and config.validate_every and (it + 1) % config.validate_every == 0 and it + 1 < total_steps:
            validation = _validate(nets, config, card, val_cases, device)
            val_text = f" | val Dice {validation['dice_mean']:.3f}"
        report(progress, 0.95 * (it + 1) / total_steps,
               f"it {it + 1}/{total_steps} loss {losses['fine']:.3f} (locator {losses['coarse']:.3f}){val_text}")

    if world > 1:
        dist.barrier()
    if rank != 0:
        return output, None
    report(progress, 0.96, "validating")
    validation = _validate(nets, config, card, val_cases, device)
    metrics = {"validation_dice_mean": validation["dice_mean"], "validation": validation["cases"],
               "fold": config.fold, "n_folds": config.n_folds, "training_seconds": round(time.perf_counter() - started, 1),
               "final_loss": round(losses["fine"], 4)}
    if smoke:
        metrics["note"] = ("fewer cases than folds: validated on the training cases, which measures fitting, "
                           "not accuracy")
    card = _card(config, training_data=training_data, metrics=metrics)
    state = {f"{part}.{k}": v.detach().cpu() for part, net in nets.items() for k, v in net.state_dict().items()}
    from ..models import save_checkpoint

    path = save_checkpoint(output, state, card, force=force)
    report(progress, 1.0, f"done: val Dice {validation['dice_mean']:.3f}")
    return Path(path), card
