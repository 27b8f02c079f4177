"""Self-supervised body-part regression (SSBR; Yan, Lu, Summers, ISBI 2018): a z coordinate from the image.

A 2D network gives every axial slice one score; trained without labels, the score grows steadily
from the feet to the head, so it places a slice (and a lesion on it) along the body whatever the
scanner's table position. Training draws ``m`` equidistant slices (random start and gap in mm) from
unlabelled CT volumes and combines two losses on their scores s_1 < ... < s_m (ordered from inferior
to superior, LPS +z):

* order loss ``-sum log sigmoid(s_{i+1} - s_i)``: a higher slice scores higher;
* distance loss ``sum smoothL1(d_{i+1} - d_i)`` with ``d_i = s_{i+1} - s_i``: equal gaps in mm give
  equal score steps, so the score is a (body-relative) distance.

API for other modules (LesionRetrieval uses it for its z location)::

    regressor = load_body_part_regressor("my-ssbr")         # or a checkpoint path; ModelError if none
    scores = regressor.slice_scores(ct)                      # one float per slice k of an Image
    z = regressor.normalized_z(ct, k)                        # in [0, 1] over the training range

    model, history = train_body_part_regressor(volumes, steps=2000)   # unlabelled CT Images
    save_body_part_regressor(model, "ssbr.pt", history=history)       # model card, task body-part-regression

No weights ship; the checkpoint goes through `deepradiology.models` (task "body-part-regression").
torch and MONAI are imported only inside these functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError, ModelError
from ..image import Image
from ..progress import ProgressCallback, report

__all__ = ["SSBRSettings", "build_slice_scorer", "ssbr_losses", "sample_equidistant_slices",
           "train_body_part_regressor", "BodyPartRegressor", "save_body_part_regressor",
           "load_body_part_regressor", "TASK"]

TASK = "body-part-regression"


@dataclass(frozen=True)
class SSBRSettings:
    """Network input and training recipe.

    ``size``: slices are resized to size x size pixels; ``window_hu``: HU clipped to this range and
    scaled to [0, 1]; ``slices``: m equidistant slices per sample; ``gap_mm``: range of the gap
    between them; ``batch``: volumes sampled per step; ``channels``: feature maps per stage.
    """

    size: int = 128
    window_hu: tuple[float, float] = (-1000.0, 1000.0)
    slices: int = 8
    gap_mm: tuple[float, float] = (5.0, 25.0)
    batch: int = 4
    channels: tuple[int, ...] = (16, 32, 64, 128)
    learning_rate: float = 1e-3
    seed: int = 0
    extra: dict = field(default_factory=dict)


def build_slice_scorer(settings: SSBRSettings = SSBRSettings()):
    """The network: strided 2D conv stages (MONAI blocks), global average pooling, one linear score.

    Input (N, 1, size, size) slices in [0, 1]; output (N,) scores.
    """
    import torch
    from monai.networks.blocks import Convolution

    class SliceScorer(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            layers, cin = [], 1
            for cout in settings.channels:
                layers += [Convolution(2, cin, cout, strides=2, kernel_size=3, norm="batch", act="relu"),
                           Convolution(2, cout, cout, strides=1, kernel_size=3, norm="batch", act="relu")]
                cin = cout
            self.features = torch.nn.Sequential(*layers)
            self.score = torch.nn.Linear(cin, 1)

        def forward(self, x):
            return self.score(self.features(x).mean(dim=(2, 3))).squeeze(1)

    return SliceScorer()


def ssbr_losses(scores):
    """Order and distance losses for scores of shape (batch, m), slices ordered inferior -> superior.

    Returns:
        (order loss, distance loss), scalar tensors (means over the batch).
    """
    import torch

    steps = scores[:, 1:] - scores[:, :-1]
    order = -torch.nn.functional.logsigmoid(steps).sum(dim=1).mean()
    distance = torch.nn.functional.smooth_l1_loss(steps[:, 1:], steps[:, :-1], reduction="none").sum(dim=1).mean()
    return order, distance


def _superior_order(image: Image) -> np.ndarray:
    """Slice indices k sorted from inferior to superior (LPS +z) and their z positions in mm."""
    z = image.index_to_lps(np.stack([np.zeros(image.size[2]), np.zeros(image.size[2]),
                                     np.arange(image.size[2])], axis=1))[:, 2]
    order = np.argsort(z)
    return order, z[order]


def _prepare(slices: np.ndarray, settings: SSBRSettings):
    """(n, rows, cols) HU -> (n, 1, size, size) float tensor in [0, 1]."""
    import torch

    lo, hi = settings.window_hu
    x = torch.as_tensor(np.clip((slices.astype(np.float32) - lo) / (hi - lo), 0.0, 1.0))[:, None]
    return torch.nn.functional.interpolate(x, size=(settings.size, settings.size), mode="bilinear",
                                           align_corners=False, antialias=True)


def sample_equidistant_slices(image: Image, rng: np.random.Generator, settings: SSBRSettings) -> np.ndarray:
    """Slice indices k of ``settings.slices`` slices equally spaced in mm (nearest slice), inferior first."""
    order, z = _superior_order(image)
    extent = z[-1] - z[0]
    m = settings.slices
    gap_hi = min(settings.gap_mm[1], extent / max(1, m - 1))
    if gap_hi <= 0:
        raise InputError(image.source, "the volume is too short along z to draw slices from")
    gap = rng.uniform(min(settings.gap_mm[0], gap_hi), gap_hi)
    start = rng.uniform(z[0], z[-1] - gap * (m - 1))
    wanted = start + gap * np.arange(m)
    return order[np.abs(z[None, :] - wanted[:, None]).argmin(axis=1)]


def train_body_part_regressor(volumes: list[Image], *, steps: int = 2000, settings: SSBRSettings = SSBRSettings(),
                              device: str = "cpu", progress: ProgressCallback | None = None):
    """Train SSBR on unlabelled CT volumes (each at least ``slices`` slices spanning some cm).

    Returns:
        (model in eval mode, history dict with per-step "loss", "order", "distance" and the training
        score range "score_range" used to normalise z to [0, 1]).
    """
    import torch

    volumes = [v for v in volumes if not v.is_2d]
    if not volumes:
        raise InputError("volumes", "SSBR training needs 3D CT volumes")
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    model = build_slice_scorer(settings).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=settings.learning_rate)
    history: dict = {"loss": [], "order": [], "distance": []}
    model.train()
    for step in range(steps):
        picks = [volumes[int(rng.integers(len(volumes)))] for _ in range(settings.batch)]
        x = torch.cat([_prepare(v.array[sample_equidistant_slices(v, rng, settings)], settings) for v in picks])
        scores = model(x.to(device)).view(settings.batch, settings.slices)
        order, distance = ssbr_losses(scores)
        loss = order + distance
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        for key, value in (("loss", loss), ("order", order), ("distance", distance)):
            history[key].append(float(value.detach()))
        report(progress, (step + 1) / steps, f"step {step + 1}/{steps} loss {history['loss'][-1]:.3f}")
    model.eval()
    regressor = BodyPartRegressor(model, settings)
    all_scores = np.concatenate([regressor.slice_scores(v) for v in volumes])
    history["score_range"] = [float(np.percentile(all_scores, 1)), float(np.percentile(all_scores, 99))]
    return model, history


class BodyPartRegressor:
    """A trained slice scorer with its input settings; the z cue for matching and retrieval."""

    def __init__(self, model, settings: SSBRSettings = SSBRSettings(), score_range: tuple[float, float] | None = None):
        self.model = model.eval()
        self.settings = settings
        self.score_range = score_range

    def slice_scores(self, image: Image, *, batch: int = 32) -> np.ndarray:
        """One score per slice k of ``image`` (array index order), higher = more superior."""
        import torch

        out = []
        with torch.no_grad():
            for k0 in range(0, image.array.shape[0], batch):
                out.append(self.model(_prepare(image.array[k0:k0 + batch], self.settings)).cpu().numpy())
        return np.concatenate(out)

    def normalized_z(self, image: Image, k: int) -> float:
        """Slice k's score mapped to [0, 1] over the training score range (clipped)."""
        if self.score_range is None:
            raise ModelError("this body-part regressor has no training score range; cannot normalise z")
        lo, hi = self.score_range
        s = float(self.slice_scores(image.with_array(image.array[k:k + 1]))[0])
        return float(np.clip((s - lo) / (hi - lo), 0.0, 1.0))


def save_body_part_regressor(model, path: str | Path, *, settings: SSBRSettings = SSBRSettings(),
                             history: dict | None = None, name: str = "ssbr", training_data: str = "",
                             force: bool = False) -> Path:
    """Write the checkpoint and its model card (task "body-part-regression") via `deepradiology.models`."""
    from ..models import ModelCard, save_checkpoint

    card = ModelCard(
        name=name, task=TASK, version="1", architecture="ssbr-slice-scorer",
        input_spec={"size": settings.size, "window_hu": list(settings.window_hu), "channels": list(settings.channels),
                    "orientation": "axial slices; score increases inferior -> superior (LPS +z)"},
        training_data=training_data or "unlabelled CT volumes", licence="same as the training data",
        description="Self-supervised body-part regressor (Yan et al., ISBI 2018): one score per axial slice.",
        extra={"score_range": (history or {}).get("score_range"), "slices": settings.slices,
               "gap_mm": list(settings.gap_mm), "final_loss": ((history or {}).get("loss") or [None])[-1]})
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return save_checkpoint(path, state, card, force=force)


def load_body_part_regressor(name_or_path: str | Path) -> BodyPartRegressor:
    """Load a body-part regressor by cache name or checkpoint path (sha256 checked by the model manager).

    Raises:
        ModelError: no such model, a corrupt file, or a checkpoint for another task.
    """
    from ..models import load_checkpoint

    state, card = load_checkpoint(name_or_path, task=TASK)
    spec = card.input_spec
    settings = SSBRSettings(size=int(spec.get("size", 128)), window_hu=tuple(spec.get("window_hu", (-1000, 1000))),
                            channels=tuple(spec.get("channels", (16, 32, 64, 128))))
    model = build_slice_scorer(settings)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise ModelError(f"{name_or_path}: the checkpoint does not fit the SSBR network ({str(exc)[:200]})") from None
    rng = card.extra.get("score_range")
    return BodyPartRegressor(model, settings, tuple(rng) if rng else None)
