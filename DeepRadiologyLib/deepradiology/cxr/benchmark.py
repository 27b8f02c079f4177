"""CPU inference speed of the ChestX-ray8 network, against peers timed in the same run.

Peers: the same network without the heatmap path (``forward`` only), and MONAI's stock DenseNet121
(global average pooling + linear head, no transition layer). Random weights: speed does not depend
on them. Reported: seconds for one film (median of ``repeats``) and films per second in a batch.
"""

from __future__ import annotations

import platform
import statistics
import time

__all__ = ["inference_benchmark"]


def _interleaved(runs: dict, x, repeats: int) -> dict[str, float]:
    """Median seconds of each run on ``x``, the runs taken in turn (A, B, C, A, B, C ...) so that load
    from other jobs on a shared machine falls on all of them alike."""
    for fn in runs.values():
        fn(x)  # warm-up: first-call allocations
    times = {name: [] for name in runs}
    for _ in range(repeats):
        for name, fn in runs.items():
            start = time.perf_counter()
            fn(x)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def inference_benchmark(*, size: int = 1024, batch: int = 4, repeats: int = 3, threads: int = 1,
                        backbone: str = "densenet121") -> dict:
    """One JSON-ready dict of timings; see the module docstring."""
    import torch
    from monai.networks.nets import DenseNet121

    from .network import build_network

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    ours = build_network(backbone=backbone, num_classes=14, transition_channels=1024, pooling="lse", lse_r=10.0).eval()
    stock = DenseNet121(spatial_dims=2, in_channels=1, out_channels=14).eval()
    one = torch.randn(1, 1, size, size)
    many = torch.randn(batch, 1, size, size)
    runs = {
        "chestxray8_with_heatmaps": lambda x: ours.forward_with_activations(x),
        "chestxray8_scores_only": lambda x: ours(x),
        "monai_densenet121": lambda x: stock(x),
    }
    out = {"benchmark": "cxr_inference", "size": size, "batch": batch, "threads": threads, "backbone": backbone,
           "machine": f"{platform.machine()} {platform.processor() or ''}".strip(), "torch": torch.__version__}
    with torch.inference_mode():
        single = _interleaved(runs, one, repeats)
        batched = _interleaved(runs, many, max(1, repeats - 1))
    for name in runs:
        out[name] = {"seconds_per_film": round(single[name], 3), "films_per_second_batch": round(batch / batched[name], 3)}
    ref = out["chestxray8_with_heatmaps"]
    for peer in ("chestxray8_scores_only", "monai_densenet121"):
        out[f"ratio_time_vs_{peer}"] = round(ref["seconds_per_film"] / out[peer]["seconds_per_film"], 3)
    return out
