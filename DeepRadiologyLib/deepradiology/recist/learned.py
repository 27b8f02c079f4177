"""The learned cascade as a plug-in: when a ``recist-segmentation`` model is installed, measure with it.

None ships: `find_recist_model` returns None until one is trained (``deepradiology recist train``) and
imported (``deepradiology models import``). The model reads a lesion-centred crop (`train.crop_around`)
and places the four RECIST endpoints; two passes (a first guess at a 60 mm crop, then a crop 2.5 times
the predicted long axis) follow the cascade's coarse-to-fine reading.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError, ModelError
from ..image import Image
from .axes import recist_axes_from_contour
from .segment2d import LesionSlice, check_ct_image

__all__ = ["find_recist_model", "load_recist_model", "measure_with_model", "NO_MODEL_MESSAGE"]

NO_MODEL_MESSAGE = ("no RECIST model is installed: train one with `deepradiology recist train` and import it "
                    "with `deepradiology models import`; the default measurement needs no model")


def find_recist_model():
    """The installed ``recist-segmentation`` model card, or None."""
    from ..models import find_model

    return find_model("recist-segmentation")


def load_recist_model(name_or_path=None, *, device: str = "cpu"):
    """(network in eval mode, card) for an installed model name or a checkpoint path (sha256 checked)."""
    from ..models import load_checkpoint
    from .network import RecistCascade

    if name_or_path is None:
        card = find_recist_model()
        if card is None:
            raise ModelError(NO_MODEL_MESSAGE)
        name_or_path = card.name
    state, card = load_checkpoint(name_or_path, task="recist-segmentation", map_location=device)
    net_spec = card.input_spec.get("network", {})
    model = RecistCascade(channels=int(net_spec.get("channels", 32)), stacks=int(net_spec.get("stacks", 2)),
                          depth=int(net_spec.get("depth", 3)))
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise ModelError(f"{card.name}: the weights do not fit the cascade its card describes ({exc})") from None
    return model.to(device).eval(), card


def measure_with_model(image: Image, *, click, slice_index: int | None = None, model=None, card=None,
                       first_crop_mm: float = 60.0) -> LesionSlice:
    """RECIST endpoints from the learned cascade at a click ((i, j) or (i, j, k) voxels).

    Raises:
        ModelError: no model installed (with how to get one).
        InputError: a non-CT image or a click outside it.
    """
    import torch

    from .from_endpoints import recist_ellipse_mask
    from .train import crop_around, window

    check_ct_image(image)
    if model is None:
        model, card = load_recist_model()
    c = np.asarray(click, dtype=float).reshape(-1)
    k = int(round(c[2])) if c.size == 3 else (slice_index if slice_index is not None else 0)
    ni, nj, nk = image.size
    if not (0 <= k < nk and 0 <= c[0] < ni and 0 <= c[1] < nj):
        raise InputError("click", f"({c[0]:.1f}, {c[1]:.1f}, {k}) is outside the image")
    sx, sy = image.spacing[:2]
    patch = int(card.input_spec.get("patch", [128, 128])[0])
    scale = float(card.input_spec.get("crop_scale", 2.5))
    slice_hu = image.array[k]
    centre = c[:2].copy()
    side = first_crop_mm / sx
    for _ in range(2):
        crop = window(crop_around(slice_hu, centre, side, 0.0, patch))
        with torch.no_grad():
            points, _ = model.keypoints(torch.from_numpy(crop[None, None]))
        uv = points[0].numpy()
        ij = centre + uv * side / 2.0
        long_px = float(np.linalg.norm((ij[1] - ij[0]) * (sx, sy))) / sx
        centre = ij.mean(axis=0)
        side = float(np.clip(scale * long_px, 16.0, 4 * first_crop_mm / sx))
    mask = recist_ellipse_mask(slice_hu.shape, ij[:2], ij[2:], spacing=(sx, sy))
    if not mask.any():
        raise InputError("click", "the model placed no lesion there")
    from .axes import lesion_contour

    axes = recist_axes_from_contour(lesion_contour(mask), (sx, sy))
    return LesionSlice(slice_index=k, mask=mask, soft=mask.astype(np.float32), axes=axes,
                       seed_ij=(int(round(c[0])), int(round(c[1]))), lesion_hu=float("nan"),
                       surround_hu=float("nan"), spacing=(sx, sy), method=f"model:{card.name}",
                       warnings=[])
