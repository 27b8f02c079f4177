"""Training the ChestX-ray8 network: one loop for CPU, one GPU, or several under ``torchrun`` (DDP).

Run as ``torchrun --nproc_per_node=N -m deepradiology cxr train ...``: each process reads
``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` from the environment, trains on its shard of the data
(`DistributedSampler`) with gradients averaged by DDP (NCCL on GPUs, Gloo on CPUs), and only rank 0
evaluates and writes the checkpoint.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import numpy as np

from ..progress import report

__all__ = ["TrainingResult", "train_network", "predict_dataset", "choose_operating_points", "distributed_context"]


@dataclass
class TrainingResult:
    """The trained network (unwrapped from DDP), loss per epoch, and seconds spent."""

    network: object
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0
    rank: int = 0
    world_size: int = 1


def distributed_context():
    """(rank, world_size, local_rank, device) from torchrun's environment; initialises the process group."""
    import torch
    import torch.distributed as dist

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return rank, world, local, device


def train_network(network, dataset, *, epochs: int = 10, batch_size: int = 32, lr: float = 1e-3,
                  weight_decay: float = 1e-4, seed: int = 0, device=None, workers: int = 0,
                  progress=None) -> TrainingResult:
    """Train with Adam and the balanced cross-entropy; cosine learning-rate decay over the epochs.

    Args:
        network: a `CXRNet`. dataset: yields (film (1, H, W), labels (C,)).
        device: a torch device; None uses torchrun's context (CPU when there is no GPU).
    """
    import torch
    from torch.utils.data import DataLoader
    from torch.utils.data.distributed import DistributedSampler

    from .network import balanced_cross_entropy

    rank, world, _, auto_device = distributed_context()
    device = device or auto_device
    torch.manual_seed(seed)
    network = network.to(device)
    model = network
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(network, device_ids=[device.index] if device.type == "cuda" else None)
    sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=True, seed=seed) if world > 1 else None
    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=sampler is None, sampler=sampler, drop_last=len(dataset) > batch_size,
                        num_workers=workers, generator=generator, pin_memory=device.type == "cuda")
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=lr, total_steps=max(1, epochs * len(loader)),
                                                   pct_start=0.15)
    result = TrainingResult(network, rank=rank, world_size=world)
    start = time.perf_counter()
    for epoch in range(epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        model.train()
        total, count = 0.0, 0
        for films, labels in loader:
            films, labels = films.to(device, non_blocking=True), labels.to(device, non_blocking=True)
            loss = balanced_cross_entropy(model(films), labels)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss.detach()) * len(films)
            count += len(films)
        result.losses.append(total / max(1, count))
        report(progress, (epoch + 1) / epochs, f"epoch {epoch + 1}/{epochs}: loss {result.losses[-1]:.4f}")
    result.seconds = time.perf_counter() - start
    network.eval()
    return result


def predict_dataset(network, dataset, *, batch_size: int = 64, device=None, with_maps: bool = False):
    """Probabilities (N, C) (and class activation maps (N, C, S, S) with ``with_maps``) for a dataset."""
    import torch
    from torch.utils.data import DataLoader

    device = device or next(network.parameters()).device
    network.eval()
    probs, maps = [], []
    with torch.inference_mode():
        for films, _ in DataLoader(dataset, batch_size=batch_size, shuffle=False):
            films = films.to(device)
            if with_maps:
                logits, act = network.forward_with_activations(films)
                maps.append(act.cpu().numpy())
            else:
                logits = network(films)
            probs.append(torch.sigmoid(logits).cpu().numpy())
    probs = np.concatenate(probs) if probs else np.zeros((0, 0), np.float32)
    return (probs, np.concatenate(maps)) if with_maps else probs


def choose_operating_points(probs: np.ndarray, labels: np.ndarray, names) -> dict[str, float]:
    """Per-finding probability thresholds maximising Youden's J (sensitivity + specificity - 1) on
    validation data; 0.5 where a finding has no positives or no negatives there."""
    from sklearn.metrics import roc_curve

    points = {}
    for c, name in enumerate(names):
        y = labels[:, c]
        if y.min() == y.max():
            points[name] = 0.5
            continue
        fpr, tpr, thresholds = roc_curve(y, probs[:, c])
        best = int(np.argmax(tpr - fpr))
        points[name] = float(min(1.0, max(0.0, thresholds[best])))
    return points
