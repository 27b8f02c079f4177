"""The two pancreas networks, behind one interface.

Both take a CT patch of shape (batch, 1, slices, rows, columns) = (B, 1, k, j, i), HU already windowed
and scaled (`data.window_hu`), and return one logit map of the same shape (sigmoid = probability of
pancreas). ``side_outputs(x)`` returns the deeply supervised maps used for training (main output
first), all at the input's size.

- ``"dynunet"`` (default): a 3D U-Net with deep supervision (MONAI ``DynUNet``), the nnU-Net design that
  sets today's bar for organ segmentation.
- ``"hnn-bclstm"``: the talk's line of work: a 2.5D holistically-nested network (each slice sees its
  neighbours as channels; side outputs at every depth are deeply supervised and fused by learned
  weights) followed by a bidirectional convolutional LSTM that runs along the slice sequence, so that
  the mask of one slice is informed by the slices above and below (shape continuity, Cai et al. 2017).

torch and MONAI are imported here, so import this module only inside functions that need it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ModelError

__all__ = ["NetworkConfig", "ARCHITECTURES", "build_network", "PancreasNet", "HolisticallyNestedNet",
           "BidirectionalConvLSTM", "DeepSupervisedUNet"]

ARCHITECTURES = ("dynunet", "hnn-bclstm")

#: Output logits start at this bias (probability ~2 %), the pancreas' share of an abdominal patch, so that
#: early training is not spent unlearning a 50 % guess everywhere (the focal-loss prior trick).
PRIOR_LOGIT = -4.0


@dataclass
class NetworkConfig:
    """What a network looks like; stored in the model card (``input_spec["network"]``).

    Attributes:
        arch: "dynunet" or "hnn-bclstm".
        channels: feature channels at each depth, shallow to deep (also sets the depth).
        context_slices: hnn-bclstm only: neighbouring slices on each side given as extra channels (2.5D).
        lstm_channels: hnn-bclstm only: hidden channels of each direction of the convolutional LSTM.
    """

    arch: str = "dynunet"
    channels: tuple[int, ...] = (16, 32, 64, 128)
    context_slices: int = 1
    lstm_channels: int = 8
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.arch not in ARCHITECTURES:
            raise ModelError(f"unknown pancreas network {self.arch!r}; choose one of {', '.join(ARCHITECTURES)}")
        self.channels = tuple(int(c) for c in self.channels)
        if len(self.channels) < 2 or min(self.channels) < 1:
            raise ModelError(f"a network needs at least two depths of positive channels, got {self.channels}")
        if self.arch == "dynunet" and len(self.channels) < 3:
            raise ModelError(f"the 3D U-Net needs at least three depths of channels, got {self.channels}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["channels"] = list(self.channels)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> NetworkConfig:
        known = {k: d[k] for k in ("arch", "channels", "context_slices", "lstm_channels", "extra") if k in d}
        return cls(**known)

    @property
    def divisor(self) -> tuple[int, int, int]:
        """Patch sizes (k, j, i) must be multiples of these (the pooling factors)."""
        f = 2 ** (len(self.channels) - 1)
        return (1, f, f) if self.arch == "hnn-bclstm" else (f, f, f)


class PancreasNet(nn.Module):
    """The shared interface: ``forward(x) -> logits`` and ``side_outputs(x) -> [logits, ...]``."""

    def side_outputs(self, x: torch.Tensor) -> list[torch.Tensor]:  # pragma: no cover - abstract
        raise NotImplementedError


class DeepSupervisedUNet(PancreasNet):
    """MONAI's DynUNet (3D U-Net, instance norm, leaky ReLU) with two deep-supervision heads."""

    def __init__(self, channels: tuple[int, ...]) -> None:
        super().__init__()
        from monai.networks.nets import DynUNet

        depth = len(channels)
        # MONAI needs fewer heads than upsampling layers: one head at depth 3, two from depth 4.
        self.deep_supervision_heads = min(2, depth - 2)
        self.net = DynUNet(spatial_dims=3, in_channels=1, out_channels=1, kernel_size=[3] * depth,
                           strides=[1] + [2] * (depth - 1), upsample_kernel_size=[2] * (depth - 1),
                           filters=list(channels), norm_name="instance", deep_supervision=True,
                           deep_supr_num=self.deep_supervision_heads, res_block=False)
        heads = [self.net.output_block] + list(self.net.deep_supervision_heads)
        for head in heads:
            nn.init.constant_(head.conv.conv.bias, PRIOR_LOGIT)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.net(x)
        # In training mode DynUNet stacks the heads along dim 1: keep the main output.
        return out[:, 0] if out.dim() == 6 else out

    def side_outputs(self, x: torch.Tensor) -> list[torch.Tensor]:
        out = self.net(x)
        if out.dim() != 6:  # eval mode: no heads
            return [out]
        return [out[:, n] for n in range(out.shape[1])]


def _conv_block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.InstanceNorm2d(cout, affine=True), nn.LeakyReLU(0.01, True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.InstanceNorm2d(cout, affine=True), nn.LeakyReLU(0.01, True))


class HolisticallyNestedNet(nn.Module):
    """2D holistically-nested network: one side output per depth, fused by learned 1x1 weights.

    Input (N, C, rows, cols) with C = 2 * context + 1 neighbouring slices; returns (fused, [sides]) logits
    at the input's size.
    """

    def __init__(self, in_channels: int, channels: tuple[int, ...]) -> None:
        super().__init__()
        self.stages = nn.ModuleList()
        cin = in_channels
        for c in channels:
            self.stages.append(_conv_block(cin, c))
            cin = c
        self.sides = nn.ModuleList(nn.Conv2d(c, 1, 1) for c in channels)
        for side in self.sides:
            nn.init.constant_(side.bias, PRIOR_LOGIT)
        self.fuse = nn.Conv2d(len(channels), 1, 1)
        # Start as a plain average of the side outputs; training learns the weights.
        nn.init.constant_(self.fuse.weight, 1.0 / len(channels))
        nn.init.zeros_(self.fuse.bias)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        size = x.shape[-2:]
        sides = []
        h = x
        for n, (stage, side) in enumerate(zip(self.stages, self.sides)):
            if n:
                h = F.max_pool2d(h, 2)
            h = stage(h)
            s = side(h)
            sides.append(s if n == 0 else F.interpolate(s, size=size, mode="bilinear", align_corners=False))
        fused = self.fuse(torch.cat(sides, dim=1))
        return fused, sides


class _ConvLSTMCell(nn.Module):
    def __init__(self, cin: int, hidden: int) -> None:
        super().__init__()
        self.hidden = hidden
        self.gates = nn.Conv2d(cin + hidden, 4 * hidden, 3, padding=1)

    def forward(self, x, state):
        h, c = state
        i, f, o, g = torch.chunk(self.gates(torch.cat([x, h], dim=1)), 4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, c


class BidirectionalConvLSTM(nn.Module):
    """A convolutional LSTM run along the slice axis both ways; input and output (B, C, k, rows, cols)."""

    def __init__(self, cin: int, hidden: int) -> None:
        super().__init__()
        self.forward_cell = _ConvLSTMCell(cin, hidden)
        self.backward_cell = _ConvLSTMCell(cin, hidden)
        self.hidden = hidden

    def _run(self, cell: _ConvLSTMCell, x: torch.Tensor, order) -> list[torch.Tensor]:
        b, _, k, r, c = x.shape
        h = x.new_zeros(b, self.hidden, r, c)
        state = (h, h)
        out = [None] * k
        for t in order:
            state = cell(x[:, :, t], state)
            out[t] = state[0]
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = x.shape[2]
        fwd = self._run(self.forward_cell, x, range(k))
        bwd = self._run(self.backward_cell, x, range(k - 1, -1, -1))
        return torch.stack([torch.cat([f, b], dim=1) for f, b in zip(fwd, bwd)], dim=2)


class HNNWithSliceLSTM(PancreasNet):
    """2.5D HNN on every slice, then a bidirectional ConvLSTM over the slice sequence."""

    def __init__(self, channels: tuple[int, ...], *, context_slices: int = 1, lstm_channels: int = 8) -> None:
        super().__init__()
        self.context = int(context_slices)
        self.hnn = HolisticallyNestedNet(2 * self.context + 1, channels)
        n_maps = len(channels) + 1  # every side output plus the fused map feed the LSTM
        self.lstm = BidirectionalConvLSTM(n_maps, lstm_channels)
        self.head = nn.Conv2d(2 * lstm_channels, 1, 1)
        nn.init.zeros_(self.head.bias)  # the final map starts as the fused HNN map (head + fused)

    def _slices(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, k, r, c) -> (B*k, 2*context+1, r, c): each slice with its neighbours (edge slices repeated)."""
        b, _, k, r, c = x.shape
        if self.context == 0:
            return x[:, 0].reshape(b * k, 1, r, c)
        padded = F.pad(x, (0, 0, 0, 0, self.context, self.context), mode="replicate")[:, 0]
        stack = torch.stack([padded[:, t:t + k] for t in range(2 * self.context + 1)], dim=2)
        return stack.reshape(b * k, 2 * self.context + 1, r, c)

    def _all(self, x: torch.Tensor) -> list[torch.Tensor]:
        b, _, k, r, c = x.shape
        fused, sides = self.hnn(self._slices(x))
        maps = torch.cat([fused] + sides, dim=1)  # (B*k, n_maps, r, c)
        seq = maps.reshape(b, k, -1, r, c).transpose(1, 2)  # (B, n_maps, k, r, c)
        lstm = self.lstm(seq)  # (B, 2*hidden, k, r, c)
        head = self.head(lstm.transpose(1, 2).reshape(b * k, -1, r, c))
        final = (head + fused).reshape(b, k, 1, r, c).transpose(1, 2)
        per_slice = [m.reshape(b, k, 1, r, c).transpose(1, 2) for m in [fused] + sides]
        return [final] + per_slice

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._all(x)[0]

    def side_outputs(self, x: torch.Tensor) -> list[torch.Tensor]:
        return self._all(x)


def build_network(config: NetworkConfig) -> PancreasNet:
    """Build the network a config describes (weights freshly initialised)."""
    if config.arch == "dynunet":
        return DeepSupervisedUNet(config.channels)
    return HNNWithSliceLSTM(config.channels, context_slices=config.context_slices,
                            lstm_channels=config.lstm_channels)
