"""DenseNet-121 with torchxrayvision's parameter names, written for DeepRadiology (plain torch, no torchvision).

The layout is the standard DenseNet-BC of Huang et al. (growth 32, blocks 6/12/24/16, 64 initial
features, bottleneck 4x) on one grey input channel; state-dict names ``features.conv0``,
``features.denseblockN.denselayerM.{norm1,conv1,norm2,conv2}``, ``features.transitionN.{norm,conv}``,
``features.norm5`` and ``classifier`` are those of torchxrayvision's published weights, so they load
strictly. `forward_with_activations` also returns class activation maps (Zhou et al. 2016): the
classifier applied at every position of the last feature map, whose spatial mean is the logit.
"""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["build_densenet121", "op_norm"]


def build_densenet121(num_classes: int = 18, *, growth: int = 32, blocks=(6, 12, 24, 16), init_features: int = 64,
                      bottleneck: int = 4):
    """A DenseNet-121 classifier (eval mode not set); see the module docstring for names."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    class DenseLayer(nn.Sequential):
        def __init__(self, cin):
            super().__init__(OrderedDict([
                ("norm1", nn.BatchNorm2d(cin)), ("relu1", nn.ReLU(inplace=True)),
                ("conv1", nn.Conv2d(cin, bottleneck * growth, 1, bias=False)),
                ("norm2", nn.BatchNorm2d(bottleneck * growth)), ("relu2", nn.ReLU(inplace=True)),
                ("conv2", nn.Conv2d(bottleneck * growth, growth, 3, padding=1, bias=False))]))

        def forward(self, x):
            return torch.cat([x, super().forward(x)], 1)

    layers = OrderedDict([("conv0", nn.Conv2d(1, init_features, 7, stride=2, padding=3, bias=False)),
                          ("norm0", nn.BatchNorm2d(init_features)), ("relu0", nn.ReLU(inplace=True)),
                          ("pool0", nn.MaxPool2d(3, stride=2, padding=1))])
    width = init_features
    for b, n in enumerate(blocks, start=1):
        block = nn.Sequential(OrderedDict((f"denselayer{m}", DenseLayer(width + (m - 1) * growth))
                                          for m in range(1, n + 1)))
        layers[f"denseblock{b}"] = block
        width += n * growth
        if b < len(blocks):
            layers[f"transition{b}"] = nn.Sequential(OrderedDict([
                ("norm", nn.BatchNorm2d(width)), ("relu", nn.ReLU(inplace=True)),
                ("conv", nn.Conv2d(width, width // 2, 1, bias=False)), ("pool", nn.AvgPool2d(2, stride=2))]))
            width //= 2
    layers["norm5"] = nn.BatchNorm2d(width)

    class DenseNet121(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(layers)
            self.classifier = nn.Linear(width, num_classes)

        def forward_with_activations(self, x):
            """(logits (N, C), class activation maps (N, C, S, S)) for x (N, 1, H, W)."""
            f = F.relu(self.features(x))
            maps = torch.einsum("nkyx,ck->ncyx", f, self.classifier.weight) + self.classifier.bias[None, :, None, None]
            return maps.mean(dim=(2, 3)), maps

        def forward(self, x):
            f = F.relu(self.features(x))
            return self.classifier(F.adaptive_avg_pool2d(f, 1).flatten(1))

    return DenseNet121()


def op_norm(probabilities, thresholds):
    """torchxrayvision's operating-point calibration: each probability p with threshold t maps piecewise
    linearly so that t -> 0.5 (p < t: p / 2t; else 1 - (1 - p) / 2(1 - t)); a NaN threshold gives 0.5."""
    import torch

    t = thresholds.expand_as(probabilities)
    known = ~torch.isnan(t)
    low = (probabilities < t) & known
    high = ~(probabilities < t) & known
    out = torch.full_like(probabilities, 0.5)
    out[low] = probabilities[low] / (t[low] * 2)
    out[high] = 1.0 - (1.0 - probabilities[high]) / ((1.0 - t[high]) * 2)
    return out
