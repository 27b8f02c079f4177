"""A chest X-ray checkpoint for tests of the plumbing around the network (not for patients).

`untrained_checkpoint` writes, in a second and without training, a small ChestX-ray8 network whose
answers a test knows beforehand: every finding in ``fixed`` gets exactly its probability on every film
(zero head weights, bias = its logit), the others keep their seeded random weights (so their heatmaps
have peaks and boxes). Operating points are given, not chosen on data.
"""

from __future__ import annotations

import math
from pathlib import Path

__all__ = ["untrained_checkpoint"]


def untrained_checkpoint(path: str | Path, *, fixed: dict, operating_points: dict, size: int = 96,
                         seed: int = 0) -> Path:
    """Write the checkpoint (and its card) to ``path``, replacing one that is there.

    Args:
        fixed: finding -> the probability (strictly between 0 and 1) it gets on every film.
        operating_points: finding -> the probability at or above which it is flagged (every
            synthetic finding needs one).
        size: the film size (pixels) the network is fed.
        seed: the seed of the random weights (the same seed gives the same checkpoint).
    """
    import torch

    from .model import save_cxr_model
    from .network import build_network
    from .pipeline import SMALL_NETWORK
    from .synthetic import SYNTHETIC_FINDINGS

    labels = list(SYNTHETIC_FINDINGS)
    unknown = sorted(set(fixed) - set(labels))
    if unknown:
        raise ValueError(f"{', '.join(unknown)}: not one of the synthetic findings {', '.join(labels)}")
    if set(operating_points) != set(labels):
        raise ValueError(f"operating points are needed for exactly {', '.join(labels)}")
    torch.manual_seed(seed)
    network = build_network(**SMALL_NETWORK, num_classes=len(labels)).eval()
    with torch.no_grad():
        for name, probability in fixed.items():
            if not 0.0 < probability < 1.0:
                raise ValueError(f"{name}: probability must lie strictly between 0 and 1, got {probability}")
            row = labels.index(name)
            network.head.weight[row].zero_()
            network.head.bias[row] = math.log(probability / (1.0 - probability))
    return Path(save_cxr_model(network, path, name="cxr-untrained-test", size=size, labels=labels,
                               operating_points=operating_points,
                               metrics={"note": "untrained: for tests of the plumbing only"},
                               training_data="none: untrained (plumbing tests only)", force=True))
