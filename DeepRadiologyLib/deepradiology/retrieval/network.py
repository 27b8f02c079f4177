"""The talk's triplet embedding network (Yan et al., CVPR 2018), built from MONAI/torch blocks.

A VGG-like 2D backbone of five stages (two 3x3 convolutions each, MONAI ``Convolution`` blocks with
batch norm and ReLU, 2x2 max-pooling between stages) reads a lesion patch: 3 neighbouring slices as
channels, 1 mm/pixel around the lesion with 50 mm padding, resampled to ``patch_px`` square (the real
mm per pixel is an input too, so size is not lost in the resampling). From each of stages 2-5
(conv2..conv5) two crops are pooled (multi-crop): the lesion's box (ROI max-pooling on the feature map)
and the whole patch (context). Each stage's pooled features go through a linear layer, are L2-normalised
and concatenated (multi-scale fusion, as the talk's Fig. 4); the concatenation is L2-normalised again.

torch and MONAI are imported when this module is imported; import it only where a network is needed.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from monai.networks.blocks import Convolution
from torch import nn

from .patch import LesionPatch

__all__ = ["LesionEmbeddingNet", "network_input", "DEFAULT_ARCH", "WINDOW_HU"]

#: Architecture options saved in the model card, so a checkpoint rebuilds the same network.
DEFAULT_ARCH = {"widths": [16, 32, 64, 96, 128], "embed_per_scale": 64, "patch_px": 64, "fused_stages": [2, 3, 4, 5]}
#: The talk rescales HU with one window, -1024 to 3071 HU.
WINDOW_HU = (-1024.0, 3071.0)


class LesionEmbeddingNet(nn.Module):
    """Multi-scale, multi-crop lesion embedding.

    Args:
        widths: channels of stages 1-5.
        embed_per_scale: output length contributed by each fused stage.
        fused_stages: which stages (1-5) feed the embedding; the talk fuses conv2-conv5.
        patch_px: input side in pixels.

    Forward:
        x: (B, 3, patch_px, patch_px) windowed patches (`network_input`); boxes: (B, 4) lesion box
        (x0, y0, x1, y1) as fractions of the patch side; pixel_mm: (B,) mm per input pixel.
        Returns (B, embed_per_scale * len(fused_stages)) unit vectors.
    """

    def __init__(self, *, widths=tuple(DEFAULT_ARCH["widths"]), embed_per_scale: int = DEFAULT_ARCH["embed_per_scale"],
                 fused_stages=tuple(DEFAULT_ARCH["fused_stages"]), patch_px: int = DEFAULT_ARCH["patch_px"]) -> None:
        super().__init__()
        self.arch = {"widths": list(widths), "embed_per_scale": int(embed_per_scale),
                     "fused_stages": list(fused_stages), "patch_px": int(patch_px)}
        stages, channels = [], 3
        for width in widths:
            stages.append(nn.Sequential(
                Convolution(2, channels, width, kernel_size=3, norm="batch", act="relu"),
                Convolution(2, width, width, kernel_size=3, norm="batch", act="relu")))
            channels = width
        self.stages = nn.ModuleList(stages)
        self.fused = [int(s) for s in fused_stages]
        # roi max (c) + context mean (c) + context max (c) + log mm/pixel (1)
        self.heads = nn.ModuleList(nn.Linear(3 * widths[s - 1] + 1, embed_per_scale) for s in self.fused)

    @property
    def dim(self) -> int:
        return self.arch["embed_per_scale"] * len(self.fused)

    @staticmethod
    def _roi_max(fmap: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
        """Max over each sample's box on its feature map (at least one cell)."""
        _, _, h, w = fmap.shape
        out = []
        for b in range(fmap.shape[0]):
            x0 = int(torch.clamp(torch.floor(boxes[b, 0] * w), 0, w - 1))
            y0 = int(torch.clamp(torch.floor(boxes[b, 1] * h), 0, h - 1))
            x1 = int(torch.clamp(torch.ceil(boxes[b, 2] * w), x0 + 1, w))
            y1 = int(torch.clamp(torch.ceil(boxes[b, 3] * h), y0 + 1, h))
            out.append(fmap[b, :, y0:y1, x0:x1].amax(dim=(1, 2)))
        return torch.stack(out)

    def forward(self, x: torch.Tensor, boxes: torch.Tensor, pixel_mm: torch.Tensor) -> torch.Tensor:
        feats, scale = [], torch.log(pixel_mm.float()).reshape(-1, 1)
        for n, stage in enumerate(self.stages, start=1):
            x = stage(x)
            if n in self.fused:
                pooled = torch.cat([self._roi_max(x, boxes), x.mean(dim=(2, 3)), x.amax(dim=(2, 3)), scale], dim=1)
                feats.append(F.normalize(self.heads[self.fused.index(n)](pooled), dim=1))
            if n < len(self.stages):
                x = F.max_pool2d(x, 2)
        return F.normalize(torch.cat(feats, dim=1), dim=1) if feats else x.mean(dim=(2, 3))


def network_input(patch: LesionPatch, *, patch_px: int = DEFAULT_ARCH["patch_px"],
                  window=WINDOW_HU) -> tuple[np.ndarray, np.ndarray, float]:
    """A `LesionPatch` as the network reads it: (3, patch_px, patch_px) in [0, 1] after the window,
    the box as fractions of the side, and the mm per input pixel.

    The patch is padded with air to a square around its centre (the lesion stays centred) and resampled.
    """
    hu = patch.hu
    _, rows, cols = hu.shape
    side = max(rows, cols)
    square = np.full((3, side, side), -1024.0, dtype=np.float32)
    r0, c0 = (side - rows) // 2, (side - cols) // 2
    square[:, r0:r0 + rows, c0:c0 + cols] = hu
    lo, hi = window
    t = torch.from_numpy(np.clip((square - lo) / (hi - lo), 0, 1))[None]
    resized = F.interpolate(t, size=(patch_px, patch_px), mode="bilinear", align_corners=False)[0].numpy()
    x0, y0, x1, y1 = patch.box
    box = np.array([(x0 + c0) / side, (y0 + r0) / side, (x1 + c0 + 1) / side, (y1 + r0 + 1) / side], dtype=np.float32)
    return resized.astype(np.float32), np.clip(box, 0, 1), float(side * patch.pixel_mm / patch_px)


def count_parameters(net: nn.Module) -> int:
    return int(sum(math.prod(p.shape) for p in net.parameters()))
