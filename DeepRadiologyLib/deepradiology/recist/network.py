"""The talk's cascaded CNN for semi-automatic RECIST (Tang et al., MICCAI 2018), built from MONAI blocks.

Stage 1, a spatial transformer (STN), turns a lesion crop so that the lesion lies centred with its long
axis horizontal at a fixed size (a similarity transform: scale, rotation, shift). Stage 2, a stacked
hourglass network (SHN), reads the normalised crop and outputs, per stack, four keypoint heatmaps
(long-axis ends 1 and 2, short-axis ends 1 and 2) and one lesion-mask logit map. Keypoints are the
soft-argmax of the heatmaps, mapped back through the STN's transform to the input crop.

Coordinates: crops are [batch, 1, H, W] with values windowed to [0, 1]; points are in torch's
normalised frame (x, y) in [-1, 1] (x along columns i, y along rows j) unless said otherwise.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["RecistCascade", "similarity_matrix", "map_points", "soft_argmax", "ARCHITECTURE", "OUTPUT_LABELS"]

ARCHITECTURE = "cascaded CNN: spatial transformer + 2-stack hourglass (Tang et al. MICCAI 2018), MONAI blocks"
#: Output channels of each hourglass stack, in order.
OUTPUT_LABELS = ["long_end_1", "long_end_2", "short_end_1", "short_end_2", "lesion"]


def similarity_matrix(params: torch.Tensor) -> torch.Tensor:
    """(B, 4) = (a, b, tx, ty) -> (B, 2, 3) affine [[a, -b, tx], [b, a, ty]] taking output-frame points to
    input-frame points (torch's ``affine_grid`` convention): scale sqrt(a^2 + b^2), angle atan2(b, a)."""
    a, b, tx, ty = params.unbind(dim=1)
    return torch.stack([torch.stack([a, -b, tx], dim=1), torch.stack([b, a, ty], dim=1)], dim=1)


def map_points(theta: torch.Tensor, points: torch.Tensor, *, inverse: bool = False) -> torch.Tensor:
    """Apply (B, 2, 3) ``theta`` to (B, N, 2) points; ``inverse`` maps input-frame points to the output frame."""
    lin, shift = theta[:, :, :2], theta[:, :, 2]
    if inverse:
        return torch.linalg.solve(lin, (points - shift[:, None, :]).transpose(1, 2)).transpose(1, 2)
    return points @ lin.transpose(1, 2) + shift[:, None, :]


def soft_argmax(heatmaps: torch.Tensor, *, temperature: float = 1.0) -> torch.Tensor:
    """(B, K, H, W) heatmaps -> (B, K, 2) expected (x, y) in [-1, 1] under a softmax over each map."""
    b, k, h, w = heatmaps.shape
    prob = F.softmax(heatmaps.reshape(b, k, -1) / temperature, dim=-1).reshape(b, k, h, w)
    ys = torch.linspace(-1.0, 1.0, h, device=heatmaps.device, dtype=heatmaps.dtype)
    xs = torch.linspace(-1.0, 1.0, w, device=heatmaps.device, dtype=heatmaps.dtype)
    return torch.stack([(prob.sum(dim=2) * xs).sum(-1), (prob.sum(dim=3) * ys).sum(-1)], dim=-1)


class _Localisation(nn.Module):
    """The STN's localisation net: strided convolutions, global pooling, 4 similarity parameters."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        from monai.networks.blocks import Convolution

        c = channels
        self.features = nn.Sequential(
            Convolution(2, 1, c, strides=2, kernel_size=3, norm="batch", act="relu"),
            Convolution(2, c, 2 * c, strides=2, kernel_size=3, norm="batch", act="relu"),
            Convolution(2, 2 * c, 4 * c, strides=2, kernel_size=3, norm="batch", act="relu"),
            Convolution(2, 4 * c, 4 * c, strides=2, kernel_size=3, norm="batch", act="relu"),
        )
        self.head = nn.Linear(4 * c, 4)
        nn.init.zeros_(self.head.weight)                       # start at the identity transform
        with torch.no_grad():
            self.head.bias.copy_(torch.tensor([1.0, 0.0, 0.0, 0.0]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=(2, 3)))


class _Hourglass(nn.Module):
    """One hourglass: residual units down ``depth`` times and back up, with skip connections."""

    def __init__(self, channels: int, depth: int) -> None:
        super().__init__()
        from monai.networks.blocks import ResidualUnit

        unit = lambda: ResidualUnit(2, channels, channels, subunits=1, norm="batch", act="relu")  # noqa: E731
        self.depth = depth
        self.skip = nn.ModuleList([unit() for _ in range(depth)])
        self.down = nn.ModuleList([unit() for _ in range(depth)])
        self.up = nn.ModuleList([unit() for _ in range(depth)])
        self.bottom = unit()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for n in range(self.depth):
            skips.append(self.skip[n](x))
            x = self.down[n](F.max_pool2d(x, 2))
        x = self.bottom(x)
        for n in reversed(range(self.depth)):
            x = self.up[n](F.interpolate(x, scale_factor=2, mode="nearest")) + skips[n]
        return x


class RecistCascade(nn.Module):
    """STN + stacked hourglass network for the four RECIST endpoints and a lesion mask.

    Args:
        channels: feature width of the hourglasses.
        stacks: number of hourglasses (each supervised).
        depth: down-samplings per hourglass (the crop size must be divisible by 2 ** (depth + 1)).

    ``forward(x)`` returns a dict: ``theta`` (B, 2, 3) the STN transform, ``normalised`` the warped crop,
    ``stacks`` a list of (B, 5, H/2, W/2) maps (4 heatmaps, 1 mask logit) in the normalised frame.
    """

    def __init__(self, *, channels: int = 32, stacks: int = 2, depth: int = 3) -> None:
        super().__init__()
        from monai.networks.blocks import Convolution, ResidualUnit

        self.localisation = _Localisation(max(8, channels // 2))
        self.stem = nn.Sequential(Convolution(2, 1, channels, strides=2, kernel_size=5, norm="batch", act="relu"),
                                  ResidualUnit(2, channels, channels, subunits=2, norm="batch", act="relu"))
        self.hourglasses = nn.ModuleList([_Hourglass(channels, depth) for _ in range(stacks)])
        self.heads = nn.ModuleList([nn.Conv2d(channels, len(OUTPUT_LABELS), 1) for _ in range(stacks)])
        self.remap = nn.ModuleList([nn.Conv2d(len(OUTPUT_LABELS), channels, 1) for _ in range(stacks - 1)])

    def forward(self, x: torch.Tensor, *, theta: torch.Tensor | None = None) -> dict:
        if theta is None:
            theta = similarity_matrix(self.localisation(x))
        grid = F.affine_grid(theta, list(x.shape), align_corners=True)
        normalised = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=True)
        feats = self.stem(normalised)
        outputs = []
        for n, hourglass in enumerate(self.hourglasses):
            feats_out = hourglass(feats)
            out = self.heads[n](feats_out)
            outputs.append(out)
            if n < len(self.remap):
                feats = feats + feats_out + self.remap[n](out)
        return {"theta": theta, "normalised": normalised, "stacks": outputs}

    def keypoints(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 4, 2) endpoints in the input crop's normalised frame, and the (B, 1, H, W) mask probability
        in the input frame."""
        out = self(x)
        last = out["stacks"][-1]
        points = map_points(out["theta"], soft_argmax(last[:, :4]))
        # Mask back to the input frame: sample the normalised-frame logits at inverse-mapped positions.
        inv = _inverse_theta(out["theta"])
        mask = torch.sigmoid(F.grid_sample(F.interpolate(last[:, 4:5], size=x.shape[-2:], mode="bilinear",
                                                         align_corners=True),
                                           F.affine_grid(inv, list(x.shape), align_corners=True),
                                           align_corners=True, padding_mode="zeros"))
        return points, mask


def _inverse_theta(theta: torch.Tensor) -> torch.Tensor:
    lin = torch.linalg.inv(theta[:, :, :2])
    return torch.cat([lin, -(lin @ theta[:, :, 2:])], dim=2)
