"""The ChestX-ray8 network (Wang et al., CVPR 2017): backbone -> transition layer -> global pooling -> head.

* backbone: a DenseNet-121 or ResNet-50 built with MONAI (torchvision does not load beside the pinned
  CPU torch), or a small DenseNet for tests; it maps a (B, 1, H, W) film to (B, F, S, S) with
  S = H/32 (DenseNet-121: 32 for a 1024-pixel film), H/16 (MONAI's ResNet-50, the small DenseNet);
* transition layer: a 3x3 convolution + batch norm + ReLU to S x S x D, the activations the
  heatmaps are made from;
* global pooling over S x S, selectable: ``max``, ``avg``, or log-sum-exp (``lse``) with sharpness r
  (r -> 0: average, r -> inf: max), computed in its numerically stable form;
* a linear multi-label head, one logit per finding (sigmoid, not softmax: findings co-occur);
* the loss: cross-entropy with positive/negative balancing, beta_P = (|P|+|N|)/|P|,
  beta_N = (|P|+|N|)/|N| over the batch, because positives are rare.

Because pooling comes before the linear head, the class activation of finding c at each transition
position is ``sum_d W[c, d] * T[d, y, x] + b[c]``: `CXRNet.class_activations`.
"""

from __future__ import annotations

__all__ = ["CXRNet", "build_network", "balanced_cross_entropy", "global_pool", "BACKBONES", "POOLINGS"]

BACKBONES = ("densenet121", "resnet50", "small")
POOLINGS = ("max", "avg", "lse")


def global_pool(x, *, pooling: str = "lse", r: float = 10.0):
    """Pool (B, D, S, S) activations to (B, D).

    LSE: x* + (1/r) log( (1/S^2) sum exp(r (x - x*)) ), with x* the per-map maximum (stable form).
    """
    import math

    import torch

    if pooling == "max":
        return x.amax(dim=(2, 3))
    if pooling == "avg":
        return x.mean(dim=(2, 3))
    if pooling == "lse":
        flat = x.flatten(2)
        top = flat.amax(dim=2, keepdim=True)
        return (top + torch.logsumexp(r * (flat - top), dim=2, keepdim=True).sub(math.log(flat.shape[2])) / r).squeeze(2)
    raise ValueError(f"unknown pooling {pooling!r}; use one of {POOLINGS}")


def balanced_cross_entropy(logits, targets):
    """Positive/negative-balanced binary cross-entropy (Wang et al. 2017, W-CEL), mean over the batch.

    Args:
        logits: (B, C) raw scores. targets: (B, C) 0/1.
    """
    import torch
    import torch.nn.functional as F

    targets = targets.float()
    n_pos = targets.sum()
    n_all = torch.tensor(float(targets.numel()), device=targets.device)
    n_neg = n_all - n_pos
    beta_p = torch.where(n_pos > 0, n_all / n_pos.clamp(min=1), torch.zeros_like(n_all))
    beta_n = torch.where(n_neg > 0, n_all / n_neg.clamp(min=1), torch.zeros_like(n_all))
    weights = torch.where(targets > 0.5, beta_p, beta_n)
    return F.binary_cross_entropy_with_logits(logits, targets, weight=weights, reduction="sum") / targets.shape[0]


def _backbone(name: str, in_channels: int):
    import torch.nn as nn
    from monai.networks.nets import DenseNet, resnet50

    if name == "densenet121":
        net = DenseNet(spatial_dims=2, in_channels=in_channels, out_channels=1)
        return net.features, 1024
    if name == "small":
        # Same DenseNet family, 2 thin blocks (so /8: a 16 x 16 transition map on a 128-pixel film),
        # for tests and demonstrations on a CPU.
        net = DenseNet(spatial_dims=2, in_channels=in_channels, out_channels=1, init_features=16,
                       growth_rate=12, block_config=(3, 3), bn_size=2)
        return net.features, net.class_layers.out.in_features
    if name == "resnet50":
        net = resnet50(spatial_dims=2, n_input_channels=in_channels, num_classes=1)
        body = nn.Sequential(net.conv1, net.bn1, net.act, net.maxpool, net.layer1, net.layer2, net.layer3, net.layer4)
        return body, 2048
    raise ValueError(f"unknown backbone {name!r}; use one of {BACKBONES}")


def _module_base():
    import torch.nn as nn

    return nn.Module


class CXRNet(_module_base()):
    """Backbone + transition layer + global pooling + multi-label head. Input (B, 1, H, W), H, W multiples of 32.

    The input is a film scaled to the network's size with grey values standardised by
    `deepradiology.cxr.preprocess.standardise` (bright = dense).

    ``forward`` returns logits (B, C); ``class_activations`` the (B, C, S, S) maps at the transition layer.
    """

    def __init__(self, *, backbone: str = "densenet121", num_classes: int = 14, transition_channels: int = 512,
                 pooling: str = "lse", lse_r: float = 10.0, in_channels: int = 1) -> None:
        import torch.nn as nn

        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {pooling!r}; use one of {POOLINGS}")
        self.backbone, features = _backbone(backbone, in_channels)
        self.transition = nn.Sequential(
            nn.Conv2d(features, transition_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(transition_channels), nn.ReLU(inplace=True))
        self.head = nn.Linear(transition_channels, num_classes)
        self.pooling, self.lse_r = pooling, float(lse_r)
        self.config = {"backbone": backbone, "num_classes": num_classes, "transition_channels": transition_channels,
                       "pooling": pooling, "lse_r": float(lse_r), "in_channels": in_channels}

    def transition_maps(self, x):
        """(B, D, S, S) transition-layer activations."""
        return self.transition(self.backbone(x))

    def forward(self, x):
        return self.head(global_pool(self.transition_maps(x), pooling=self.pooling, r=self.lse_r))

    def forward_with_activations(self, x):
        """(logits (B, C), class activations (B, C, S, S)) from one pass."""
        import torch

        maps = self.transition_maps(x)
        logits = self.head(global_pool(maps, pooling=self.pooling, r=self.lse_r))
        activations = torch.einsum("cd,bdyx->bcyx", self.head.weight, maps) + self.head.bias[None, :, None, None]
        return logits, activations

    def class_activations(self, x):
        return self.forward_with_activations(x)[1]


def build_network(**config) -> CXRNet:
    """A `CXRNet` from its config dict (as stored in a model card's ``extra['network']``)."""
    return CXRNet(**config)
