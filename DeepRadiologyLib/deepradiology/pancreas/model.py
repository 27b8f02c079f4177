"""A trained pancreas model: the coarse locator and the fine segmenter of one checkpoint.

One checkpoint (task "pancreas-segmentation", through `deepradiology.models`) holds both networks: the
state-dict keys start with ``coarse.`` and ``fine.``. Its card's ``input_spec`` says how to feed them:
``spacing_mm`` and ``coarse_spacing_mm`` (voxel size (i, j, k) in mm), ``patch`` and ``coarse_patch``
(window size (k, j, i) in voxels), ``window_hu`` and the two ``network`` configs.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError, ModelError
from .checks import TASK, require_pancreas_model

__all__ = ["PancreasModel", "load_pancreas_model", "resolve_device", "NO_MODEL_MESSAGE"]

NO_MODEL_MESSAGE = (
    "no pancreas segmentation model is installed, and none ships with DeepRadiology: train one with "
    "`deepradiology pancreas train DATA -o MODEL.pt --install` (DATA: an MSD Task07 or NIH Pancreas-CT folder) or "
    "import a checkpoint with `deepradiology models import FILE`, or pass one with --model PATH")


def resolve_device(device: str | None):
    """A torch device from "cpu", "cuda", "cuda:N" or None (CUDA when available, else CPU)."""
    import torch

    if device in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise InputError("--device", f"unknown device {device!r}; use cpu or cuda") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InputError("--device", "CUDA was asked for but this machine has no usable CUDA device; use --device cpu")
    if dev.type not in ("cpu", "cuda"):
        raise InputError("--device", f"unsupported device {device!r}; use cpu or cuda")
    return dev


@dataclass
class PancreasModel:
    """Both networks of a checkpoint, ready for inference (eval mode, on ``device``)."""

    card: object
    coarse: object
    fine: object
    spacing_mm: tuple[float, float, float]
    coarse_spacing_mm: tuple[float, float, float]
    patch: tuple[int, int, int]
    coarse_patch: tuple[int, int, int]
    window_hu: tuple[float, float]
    device: object

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def arch(self) -> str:
        return self.card.input_spec["network"]["arch"]

    @classmethod
    def from_state(cls, state: dict, card, *, device="cpu") -> PancreasModel:
        """Build the networks the card describes and load ``state`` into them (strictly)."""
        from .networks import NetworkConfig, build_network

        fine_spacing, coarse_spacing = require_pancreas_model(card)
        spec = card.input_spec
        dev = resolve_device(device)
        nets = {}
        for part, key in (("fine", "network"), ("coarse", "coarse_network")):
            config = NetworkConfig.from_dict(spec[key])
            net = build_network(config)
            sub = {k[len(part) + 1:]: v for k, v in state.items() if k.startswith(part + ".")}
            try:
                net.load_state_dict(sub, strict=True)
            except RuntimeError as exc:
                first = str(exc).splitlines()[0]
                raise ModelError(f"model {card.name!r}: its {part} weights do not fit the {config.arch} network its "
                                 f"card describes ({first})") from None
            nets[part] = net.to(dev).eval()
        return cls(card, nets["coarse"], nets["fine"], fine_spacing, coarse_spacing,
                   tuple(int(p) for p in spec["patch"]), tuple(int(p) for p in spec["coarse_patch"]),
                   tuple(float(w) for w in spec.get("window_hu", (-160.0, 240.0))), dev)


def _external(name_or_path, device):
    """An installed nnU-Net v2 model by name, or an nnU-Net folder given directly (verified first)."""
    from pathlib import Path

    from ..models.external import detect_format, installed_external, verified_external, verified_folder
    from ..models.external.nnunet import NnUNetPancreasModel, nnunet_card

    text = str(name_or_path)
    if "/" not in text and installed_external(text):
        folder, card = verified_external(text, task=TASK)
    elif Path(text).is_dir() and (installed := verified_folder(text)) is not None:
        folder, card = installed                    # an installed folder by its path: checked against its card
    elif Path(text).is_dir():
        if detect_format(text) != "nnunetv2":
            raise ModelError(f"{text}: not an nnU-Net v2 pancreas model folder")
        folder, _, card = nnunet_card(Path(text))   # used in place: checked now, not copied
    else:
        return None
    if card.extra.get("format") != "nnunetv2":
        raise ModelError(f"{text}: a {card.extra.get('format')} model cannot segment the pancreas")
    return NnUNetPancreasModel(card, folder, device=device)


def load_pancreas_model(name_or_path: str | None = None, *, device: str | None = "cpu") -> PancreasModel:
    """Load an installed pancreas model (by name, or the installed one when None) or a checkpoint file.

    Raises:
        ModelError: none installed (says how to train or import one); corrupt file; a checkpoint for
            another task or without its input spacing.
    """
    from .. import models

    if name_or_path is None:
        card = models.find_model(TASK)
        if card is None:
            raise ModelError(NO_MODEL_MESSAGE)
        name_or_path = card.name
    external = _external(name_or_path, device)
    if external is not None:
        return external
    state, card = models.load_checkpoint(name_or_path, task=TASK, map_location="cpu")
    return PancreasModel.from_state(state, card, device=device)
