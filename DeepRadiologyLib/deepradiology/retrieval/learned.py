"""A trained lesion-embedding network as an embedder, and saving one through the model manager.

Checkpoints are written and read only through `deepradiology.models` (task "lesion-embedding"): the
card records the architecture and input spec so the same network is rebuilt, and the sha256 is checked
before ``torch.load(weights_only=True)``. No weights ship with DeepRadiology: train one with
``deepradiology retrieval train`` (or ``deepradiology train lesion-embedding``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..image import Image
from ..lesion import Lesion

__all__ = ["LearnedEmbedder", "save_lesion_embedding", "TASK"]

TASK = "lesion-embedding"


def save_lesion_embedding(result, path: str | Path, *, name: str, training_data: str, force: bool = False) -> Path:
    """Write a `train.TrainResult`'s network as a checkpoint with its model card."""
    from ..models import ModelCard, save_checkpoint
    from .network import WINDOW_HU

    net = result.net
    card = ModelCard(
        name=name, task=TASK, version="1", architecture="lesion-triplet-multiscale",
        input_spec={"pixel_mm": 1.0, "padding_mm": 50.0, "slices": 3, "slice_gap_mm": 2.0,
                    "window_hu": list(WINDOW_HU), "patch_px": net.arch["patch_px"], "arch": net.arch},
        labels=[], training_data=training_data,
        metrics={"retrieval_before": result.before, "retrieval_after": result.after,
                 "final_loss": float(np.mean(result.losses[-10:])) if result.losses else None},
        licence="as the training data", description="Lesion embedding of the talk's triplet network (Yan et al., "
        "CVPR 2018): multi-scale multi-crop features, sequential A-E sampling, joint loss with margins 0.1/0.2/0.4.",
        extra={"iterations": result.config.iterations, "refinement_rounds": result.config.refinement_rounds,
               "seconds": round(result.seconds, 1)})
    state = {k: v.detach().cpu() for k, v in net.state_dict().items()}
    return save_checkpoint(path, state, card, force=force)


class LearnedEmbedder:
    """Embeds lesions with a trained network (needs the lesion's image).

    Args:
        name_or_path: an installed model's name or a checkpoint file.
        device: "cpu" or "cuda".

    Raises:
        ModelError: no such model, a corrupt file, or a checkpoint made for another task.
    """

    needs_image = True

    def __init__(self, name_or_path: str, *, device: str = "cpu") -> None:
        import torch

        from ..models import load_checkpoint
        from .network import LesionEmbeddingNet

        state, card = load_checkpoint(name_or_path, task=TASK, map_location=device)
        arch = card.input_spec.get("arch")
        if not arch:
            raise ModelError(f"{name_or_path}: the model card has no network architecture (input_spec.arch)")
        self.card = card
        self.net = LesionEmbeddingNet(**arch)
        try:
            self.net.load_state_dict(state)
        except RuntimeError as exc:
            raise ModelError(f"{name_or_path}: the weights do not fit the network in its card ({exc})") from None
        self.net.eval().to(device)
        self.device = torch.device(device)
        self.name = f"model:{card.name}:{card.sha256[:12]}"

    @property
    def dim(self) -> int:
        return self.net.dim

    def embed(self, lesion: Lesion, image: Image | None = None) -> np.ndarray:
        """The lesion's unit vector (float32)."""
        import torch

        from ..errors import InputError
        from .network import network_input
        from .patch import lesion_patch

        if image is None:
            raise InputError(lesion.lesion_id, f"model {self.card.name} needs the lesion's image to embed it")
        x, box, mm = network_input(lesion_patch(image, lesion), patch_px=self.net.arch["patch_px"])
        with torch.no_grad():
            out = self.net(torch.from_numpy(x[None]).to(self.device), torch.from_numpy(box[None]).to(self.device),
                           torch.tensor([mm], device=self.device))
        return out[0].cpu().numpy().astype(np.float32)
