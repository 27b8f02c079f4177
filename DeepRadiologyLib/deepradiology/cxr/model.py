"""A trained chest X-ray model: the network plus what its card says (labels, input size, operating points).

Checkpoints go through `deepradiology.models` (sha256-checked, ``weights_only`` loading) with task
``cxr-classification``. The card's ``input_spec`` holds ``size`` (pixels, square) and ``grey``
("unit range by window, standardised"); ``extra`` holds ``network`` (the `CXRNet` config) and
``operating_points`` (per-finding probability thresholds chosen on validation data).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ModelError

__all__ = ["CXRModel", "TASK", "load_cxr_model", "save_cxr_model", "no_model_message"]

TASK = "cxr-classification"


def no_model_message() -> str:
    """What to tell a user who has no chest X-ray model installed."""
    return ("no chest X-ray model is installed: train one with `deepradiology cxr train --data CHESTXRAY14_FOLDER "
            "-o model.pt` (or `--synthetic 600` to check the pipeline) and import it with `deepradiology models "
            "import model.pt`, or pass --model FILE")


@dataclass
class CXRModel:
    """A network ready for inference with its card (``labels``, ``size``, ``operating_points``)."""

    network: object
    card: object

    @property
    def labels(self) -> list[str]:
        return list(self.card.labels)

    @property
    def size(self) -> int:
        return int(self.card.input_spec.get("size", 512))

    @property
    def operating_points(self) -> dict[str, float]:
        points = self.card.extra.get("operating_points") or {}
        return {label: float(points.get(label, 0.5)) for label in self.labels}

    def predict(self, batch: np.ndarray, *, with_maps: bool = True):
        """Probabilities (N, C) and class activation maps (N, C, S, S) for standardised films (N, size, size)."""
        import torch

        x = torch.as_tensor(np.asarray(batch, np.float32))[:, None]
        with torch.inference_mode():
            if with_maps:
                logits, maps = self.network.forward_with_activations(x)
                return torch.sigmoid(logits).numpy(), maps.numpy()
            return torch.sigmoid(self.network(x)).numpy(), None


def save_cxr_model(network, path: str | Path, *, name: str, size: int, labels, operating_points: dict,
                   metrics: dict, training_data: str, force: bool = False, description: str = "") -> Path:
    """Write the network's weights and card through `deepradiology.models.save_checkpoint`."""
    from ..models import ModelCard, save_checkpoint

    card = ModelCard(
        name=name, task=TASK, version="1", architecture=f"chestxray8-{network.config['backbone']}",
        input_spec={"size": int(size), "channels": 1, "grey": "window or percentiles to [0,1], then (v-0.5)/0.25"},
        labels=list(labels), training_data=training_data, metrics=metrics,
        licence="trained locally; the licence of its training data applies",
        description=description or "ChestX-ray8-style multi-label classifier with transition-layer heatmaps "
                                   "(Wang et al. CVPR 2017).",
        extra={"network": dict(network.config), "operating_points": {k: float(v) for k, v in operating_points.items()}})
    return save_checkpoint(path, network.state_dict(), card, force=force)


def _external(name_or_path):
    """A torchxrayvision model: installed by name (every file re-hashed), or a weights file given directly."""
    from ..models.external import detect_format, installed_external, verified_external
    from ..models.external.xrv import load_xrv_model, xrv_card

    text = str(name_or_path)
    if "/" not in text and installed_external(text):
        folder, card = verified_external(text, task=TASK)
    elif Path(text).is_file() and not Path(text + ".card.json").is_file() and detect_format(text) == "torchxrayvision":
        folder, _, card = xrv_card(Path(text))
    else:
        return None
    if card.extra.get("format") != "torchxrayvision":
        raise ModelError(f"{text}: a {card.extra.get('format')} model cannot classify chest X-rays")
    return load_xrv_model(folder, card)


def load_cxr_model(name_or_path: str | Path | None = None) -> CXRModel:
    """Load a chest X-ray model by installed name or file; None picks the installed one.

    Raises:
        ModelError: none installed (with how to get one), or the checkpoint does not fit its card.
    """
    from ..models import find_model, load_checkpoint
    from .network import build_network

    if name_or_path is None:
        card = find_model(TASK)
        if card is None:
            raise ModelError(no_model_message())
        name_or_path = card.name
    external = _external(name_or_path)
    if external is not None:
        return external
    state, card = load_checkpoint(name_or_path, task=TASK)
    config = card.extra.get("network")
    if not isinstance(config, dict):
        raise ModelError(f"{name_or_path}: its card has no network configuration (extra.network)")
    try:
        network = build_network(**config)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"{name_or_path}: its card's network configuration (extra.network) does not describe a "
                         f"network ({exc})") from None
    try:
        network.load_state_dict(state)
    except RuntimeError as exc:
        raise ModelError(f"{name_or_path}: the weights do not fit the network its card describes ({exc})") from None
    network.eval()
    return CXRModel(network, card)
