"""Sliding-window inference with Gaussian overlap blending, cancellable window by window.

Works on numpy volumes (k, j, i) so that the large accumulators stay in host memory and only the windows
travel to the device (CPU or CUDA, mixed precision on CUDA).
"""

from __future__ import annotations

import numpy as np

from ..progress import ProgressCallback, report

__all__ = ["window_starts", "gaussian_importance", "sliding_window_probability"]


def window_starts(length: int, window: int, overlap: float) -> list[int]:
    """Start indices of windows covering ``length`` voxels with the given fractional overlap."""
    if length <= window:
        return [0]
    stride = max(1, int(round(window * (1.0 - overlap))))
    starts = list(range(0, length - window + 1, stride))
    if starts[-1] != length - window:
        starts.append(length - window)
    return starts


def gaussian_importance(patch) -> np.ndarray:
    """nnU-Net's blending weights: a Gaussian with sigma = patch/8, so window centres count most."""
    axes = [np.exp(-0.5 * ((np.arange(n) - (n - 1) / 2) / (n / 8.0)) ** 2) for n in patch]
    w = axes[0][:, None, None] * axes[1][None, :, None] * axes[2][None, None, :]
    w = w / w.max()
    return np.maximum(w, 1e-3).astype(np.float32)


def sliding_window_probability(net, volume: np.ndarray, *, patch, overlap: float = 0.5, device="cpu",
                               amp: bool = True, batch: int = 1, pad_value: float = -1.0,
                               progress: ProgressCallback | None = None, span=(0.0, 1.0),
                               message: str = "segmenting") -> np.ndarray:
    """Probability map (sigmoid of the network's logits) over a whole volume.

    Args:
        net: a `networks.PancreasNet` in eval mode.
        volume: windowed CT, float32, (k, j, i).
        patch: window size (k, j, i) in voxels.
        overlap: fraction of a window shared with its neighbour (0.5 = nnU-Net's default).
        amp: float16 autocast on CUDA (ignored on CPU, where it would be slower).
        pad_value: value used where the volume is smaller than a window (-1 = bottom of the HU window).
        progress: called after every batch of windows with a fraction within ``span``; may raise
            `deepradiology.progress.Cancelled`.

    Returns:
        float32 probabilities in [0, 1], shape of ``volume``.
    """
    import torch

    patch = tuple(int(p) for p in patch)
    shape = volume.shape
    padded_shape = tuple(max(s, p) for s, p in zip(shape, patch))
    if padded_shape != shape:
        padded = np.full(padded_shape, pad_value, dtype=np.float32)
        padded[: shape[0], : shape[1], : shape[2]] = volume
        volume = padded
    starts = [(a, b, c) for a in window_starts(padded_shape[0], patch[0], overlap)
              for b in window_starts(padded_shape[1], patch[1], overlap)
              for c in window_starts(padded_shape[2], patch[2], overlap)]
    weight = gaussian_importance(patch)
    total = np.zeros(padded_shape, dtype=np.float32)
    norm = np.zeros(padded_shape, dtype=np.float32)
    device = torch.device(device)
    use_amp = bool(amp) and device.type == "cuda"
    weight_t = torch.from_numpy(weight).to(device)
    with torch.inference_mode():
        for n in range(0, len(starts), batch):
            group = starts[n:n + batch]
            x = np.stack([volume[a:a + patch[0], b:b + patch[1], c:c + patch[2]] for a, b, c in group])
            xt = torch.from_numpy(x[:, None]).to(device)
            with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=use_amp):
                logits = net(xt)
            prob = (torch.sigmoid(logits.float())[:, 0] * weight_t).cpu().numpy()
            for (a, b, c), p in zip(group, prob):
                total[a:a + patch[0], b:b + patch[1], c:c + patch[2]] += p
                norm[a:a + patch[0], b:b + patch[1], c:c + patch[2]] += weight
            report(progress, span[0] + (span[1] - span[0]) * (n + len(group)) / len(starts),
                   f"{message}: window {n + len(group)}/{len(starts)}")
    out = total / np.maximum(norm, 1e-6)
    return out[: shape[0], : shape[1], : shape[2]]
