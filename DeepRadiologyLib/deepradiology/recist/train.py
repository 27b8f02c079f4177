"""Training recipe for the cascaded RECIST network on DeepLesion's own layout.

Data: ``DL_info.csv`` rows whose key slice is in ``Images_png/<patient>_<study>_<series>/<slice>.png``.
The radiologist's four RECIST endpoints are the weak labels: they give the keypoint heatmaps, the
STN's target transform (lesion centred, long axis horizontal, length fixed) and, through the RECIST
ellipse, a mask label (Cai et al.'s weak mask). Crops are square, 2.5 times the long axis, centred on
the lesion with random rotation, scale and shift, windowed to [-175, 275] HU (DeepLesion's soft-tissue
window) and resampled to ``patch`` pixels.

Runs on CPU or CUDA; under ``torchrun`` (WORLD_SIZE > 1) it trains with DistributedDataParallel.
Writes a checkpoint with its model card through `deepradiology.models.save_checkpoint`.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = ["TrainConfig", "RecistCropDataset", "train_recist_network", "cascade_loss", "WINDOW_HU", "CROP_SCALE"]

#: Display window the crops are scaled from (HU), DeepLesion's soft-tissue window.
WINDOW_HU = (-175.0, 275.0)
#: Crop side over the lesion's long axis.
CROP_SCALE = 2.5


@dataclass
class TrainConfig:
    """Training settings (crop ``patch`` in pixels; ``lr`` for AdamW)."""

    epochs: int = 20
    max_steps: int | None = None
    batch_size: int = 16
    lr: float = 1e-3
    patch: int = 128
    channels: int = 32
    stacks: int = 2
    depth: int = 3
    device: str = "auto"
    seed: int = 0
    split: str = "train"
    augment: bool = True
    num_workers: int = 0


def window(hu: np.ndarray) -> np.ndarray:
    lo, hi = WINDOW_HU
    return np.clip((hu - lo) / (hi - lo), 0.0, 1.0).astype(np.float32)


def crop_around(slice_hu: np.ndarray, centre_ij, side_px: float, angle: float, patch: int) -> np.ndarray:
    """A ``patch`` x ``patch`` crop of ``slice_hu`` [j, i], centred at (i, j), ``side_px`` wide, turned by
    ``angle`` radians; normalised crop point (u, v) in [-1, 1] sits at centre + side/2 * R(angle) (u, v)."""
    from scipy import ndimage

    u = np.linspace(-1.0, 1.0, patch)
    uu, vv = np.meshgrid(u, u)
    c, s = math.cos(angle), math.sin(angle)
    half = side_px / 2.0
    ii = centre_ij[0] + half * (c * uu - s * vv)
    jj = centre_ij[1] + half * (s * uu + c * vv)
    return ndimage.map_coordinates(slice_hu.astype(np.float32), [jj, ii], order=1, mode="constant", cval=-1000.0)


def to_crop_frame(points_ij: np.ndarray, centre_ij, side_px: float, angle: float) -> np.ndarray:
    """Slice (i, j) points -> the crop's normalised (u, v) frame of `crop_around`."""
    c, s = math.cos(angle), math.sin(angle)
    d = (np.asarray(points_ij, dtype=float) - np.asarray(centre_ij, dtype=float)) / (side_px / 2.0)
    return np.stack([c * d[:, 0] + s * d[:, 1], -s * d[:, 0] + c * d[:, 1]], axis=1)


def canonical_order(points: np.ndarray) -> np.ndarray:
    """Long-axis ends left to right, short-axis ends top to bottom (in the crop frame), so labels are
    stable under rotation."""
    long_p, short_p = points[:2], points[2:]
    if long_p[0, 0] > long_p[1, 0]:
        long_p = long_p[::-1]
    if short_p[0, 1] > short_p[1, 1]:
        short_p = short_p[::-1]
    return np.concatenate([long_p, short_p])


def stn_target(points: np.ndarray) -> np.ndarray:
    """(a, b, tx, ty) putting the long axis horizontal, centred, length 1 in the STN's output frame."""
    p1, p2 = points[0], points[1]
    d = p2 - p1
    return np.array([d[0], d[1], (p1[0] + p2[0]) / 2.0, (p1[1] + p2[1]) / 2.0], dtype=np.float32)


class RecistCropDataset:
    """DeepLesion key-slice crops with RECIST endpoints (torch Dataset protocol: len and getitem).

    Each item: crop (1, P, P) float32 in [0, 1], keypoints (4, 2) in the crop's normalised frame,
    mask (1, P, P) the RECIST ellipse, stn (4,) the target similarity parameters.
    """

    def __init__(self, dl_info: str | Path, images: str | Path, *, split: str = "train", patch: int = 128,
                 augment: bool = True, seed: int = 0) -> None:
        from ..deeplesion import read_dl_info

        splits = {"train": 1, "val": 2, "test": 3}
        rows, _ = read_dl_info(dl_info)
        images = Path(images)
        if not images.is_dir():
            raise InputError(images, "no such folder (expected DeepLesion's Images_png layout)")
        self.rows = [r for r in rows if (split == "all" or r.split == splits[split])
                     and (images / r.png_relpath).is_file() and r.diameters_px[0] > 0]
        if not self.rows:
            raise InputError(images, f"holds no key slice of a {split!r} row of {dl_info}; nothing to train on")
        self.images, self.patch, self.augment = images, patch, augment
        self.rng = np.random.default_rng(seed)
        self._cache: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def _slice(self, row) -> np.ndarray:
        from ..io import read_deeplesion_slice

        key = row.png_relpath
        if key not in self._cache:
            self._cache[key] = read_deeplesion_slice(self.images / key, spacing=row.spacing).array[0]
        return self._cache[key]

    def __getitem__(self, index: int):
        import torch

        from .from_endpoints import recist_ellipse_mask

        row = self.rows[index]
        pts = np.asarray(row.recist, dtype=float).reshape(4, 2)
        long_px = float(np.linalg.norm(pts[1] - pts[0]))
        centre = pts.mean(axis=0)
        side = float(np.clip(CROP_SCALE * long_px, 24.0, 480.0))
        angle = 0.0
        if self.augment:
            side *= float(self.rng.uniform(0.8, 1.25))
            angle = float(self.rng.uniform(-math.pi, math.pi))
            centre = centre + self.rng.uniform(-0.1, 0.1, size=2) * long_px
        crop = window(crop_around(self._slice(row), centre, side, angle, self.patch))
        points = canonical_order(to_crop_frame(pts, centre, side, angle))
        px = (points + 1.0) / 2.0 * (self.patch - 1)
        mask = recist_ellipse_mask((self.patch, self.patch), px[:2], px[2:], supersample=2)
        return (torch.from_numpy(crop[None]), torch.from_numpy(points.astype(np.float32)),
                torch.from_numpy(mask[None].astype(np.float32)), torch.from_numpy(stn_target(points)))


def _heatmap_targets(points, size: int, sigma: float):
    """(B, 4, 2) normalised points -> (B, 4, size, size) Gaussian heatmaps (sigma in heatmap pixels)."""
    import torch

    coords = torch.linspace(-1.0, 1.0, size, device=points.device)
    px = (points + 1.0) / 2.0 * (size - 1)
    grid = (coords + 1.0) / 2.0 * (size - 1)
    dx = grid[None, None, None, :] - px[..., 0][..., None, None]
    dy = grid[None, None, :, None] - px[..., 1][..., None, None]
    return torch.exp(-(dx ** 2 + dy ** 2) / (2 * sigma ** 2))


def cascade_loss(out: dict, points, mask, stn, *, stn_weight: float = 1.0, heat_weight: float = 10.0):
    """STN parameter loss + per-stack heatmap MSE + mask BCE, targets mapped into the STN's own frame."""
    import torch
    from torch.nn import functional as F

    from .network import map_points, similarity_matrix

    theta = out["theta"]
    target_theta = similarity_matrix(stn)
    loss = stn_weight * F.mse_loss(theta, target_theta)
    frame_points = map_points(theta.detach(), points, inverse=True)
    grid = F.affine_grid(theta.detach(), list(mask.shape), align_corners=True)
    frame_mask = F.grid_sample(mask, grid, align_corners=True)
    for maps in out["stacks"]:
        size = maps.shape[-1]
        heat = _heatmap_targets(frame_points, size, sigma=max(1.0, size / 32))
        small_mask = F.interpolate(frame_mask, size=maps.shape[-2:], mode="bilinear", align_corners=True)
        loss = loss + heat_weight * F.mse_loss(torch.sigmoid(maps[:, :4]), heat)
        loss = loss + F.binary_cross_entropy_with_logits(maps[:, 4:5], small_mask)
    return loss


def train_recist_network(dl_info: str | Path, images: str | Path, output: str | Path, *,
                         config: TrainConfig | None = None, force: bool = False, log=print) -> dict:
    """Train `RecistCascade` and save it with its card; returns a summary (losses, steps, paths).

    Raises:
        InputError: no usable rows, or an output that exists without ``force``.
    """
    import torch

    from ..errors import OutputExistsError
    from ..models import ModelCard, card_path, save_checkpoint
    from .network import ARCHITECTURE, OUTPUT_LABELS, RecistCascade

    cfg = config or TrainConfig()
    output = Path(output)
    if not force and (output.exists() or card_path(output).exists()):
        raise OutputExistsError(output if output.exists() else card_path(output))
    if cfg.patch % (2 ** (cfg.depth + 1)):
        raise InputError("--patch", f"must be divisible by {2 ** (cfg.depth + 1)}, got {cfg.patch}")
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    rank = 0
    if distributed:
        torch.distributed.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        rank = torch.distributed.get_rank()
    device = ("cuda" if torch.cuda.is_available() else "cpu") if cfg.device == "auto" else cfg.device
    if device == "cuda" and distributed:
        device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
    torch.manual_seed(cfg.seed + rank)
    data = RecistCropDataset(dl_info, images, split=cfg.split, patch=cfg.patch, augment=cfg.augment,
                             seed=cfg.seed + rank)
    sampler = torch.utils.data.distributed.DistributedSampler(data) if distributed else None
    loader = torch.utils.data.DataLoader(data, batch_size=cfg.batch_size, shuffle=sampler is None,
                                         sampler=sampler, num_workers=cfg.num_workers, drop_last=False)
    model = RecistCascade(channels=cfg.channels, stacks=cfg.stacks, depth=cfg.depth).to(device)
    net = torch.nn.parallel.DistributedDataParallel(model) if distributed else model
    optimiser = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=1e-4)
    losses, step, start = [], 0, time.perf_counter()
    for epoch in range(cfg.epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        for crop, points, mask, stn in loader:
            crop, points, mask, stn = (t.to(device) for t in (crop, points, mask, stn))
            loss = cascade_loss(net(crop), points, mask, stn)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(float(loss.detach()))
            step += 1
            if rank == 0 and (step == 1 or step % 50 == 0):
                log(f"epoch {epoch + 1} step {step}: loss {losses[-1]:.4f}")
            if cfg.max_steps is not None and step >= cfg.max_steps:
                break
        if cfg.max_steps is not None and step >= cfg.max_steps:
            break
    summary = {"steps": step, "lesions": len(data), "loss_first": losses[0] if losses else None,
               "loss_last": losses[-1] if losses else None, "losses": [round(v, 5) for v in losses],
               "seconds": round(time.perf_counter() - start, 2), "device": device}
    if rank == 0:
        name = output.stem if output.stem.replace("-", "").replace("_", "").replace(".", "").isalnum() else "recist-cascade"
        card = ModelCard(
            name=name, task="recist-segmentation", version="1", architecture=ARCHITECTURE,
            input_spec={"patch": [cfg.patch, cfg.patch], "window_hu": list(WINDOW_HU), "channels": 1,
                        "crop_scale": CROP_SCALE, "frame": "crop normalised (x=i, y=j) in [-1, 1]",
                        "network": {"channels": cfg.channels, "stacks": cfg.stacks, "depth": cfg.depth}},
            labels=list(OUTPUT_LABELS),
            training_data=f"DeepLesion DL_info.csv split={cfg.split}: {len(data)} key slices with RECIST endpoints "
                          f"({Path(dl_info).name})",
            metrics={"train_loss_first": summary["loss_first"], "train_loss_last": summary["loss_last"]},
            licence="Weights follow their training data's terms (DeepLesion: research use).",
            description="Places the four RECIST endpoints of a lesion and its mask from a lesion-centred crop "
                        "(Tang et al. MICCAI 2018 cascade). Not evaluated until `recist eval-deeplesion` "
                        "is run with it on held-out rows.",
            extra={"train_config": asdict(cfg), "steps": step})
        model_cpu = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        save_checkpoint(output, model_cpu, card, force=force)
        summary.update({"checkpoint": str(output), "card": str(card_path(output))})
    if distributed:
        torch.distributed.destroy_process_group()
    return summary
