"""A click (or box) to a 3D lesion mask with an installed nnInteractive model, through its own inference session.

nnInteractive (Isensee et al. 2025) works purely in voxel space on a ``(c, x, y, z)`` array whose axis order is
the caller's: its examples pass SimpleITK's ``GetArrayFromImage`` order, i.e. (slice k, row j, column i),
which is exactly `Image.array`'s order. So the CT goes in as ``array[None]``, a click as (k, j, i) voxels,
a box on slice k as [[k, k+1], [j0, j1+1], [i0, i1+1]] (half-open), and the target buffer it fills is
[k, j, i] on the CT's grid. Nothing is resampled: the session normalises the intensities itself.

The ``nninteractive`` package is imported only when a model is run (``pip install nninteractive``; see
requirements/interop.txt). A GPU is strongly advised; on CPU a warning says so. The weights of the released
model are non-commercial (CC BY-NC-SA 4.0): every result carries the model's name and licence.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, ModelError
from ..image import Image

__all__ = ["TASK", "CPU_WARNING", "NnInteractiveModel", "NnInteractiveMask", "load_nninteractive",
           "loaded_nninteractive", "find_nninteractive", "is_nninteractive_model", "segment_with_nninteractive"]

TASK = "interactive-segmentation"
CPU_WARNING = "nnInteractive on CPU: slow, a GPU is strongly advised"
MISSING = ("the nnInteractive package is not installed: `pip install nninteractive` (the pinned set is "
           "requirements/interop.txt, installed by Testing/install-interop.sh); the default measurement needs no model")


@dataclass
class NnInteractiveModel:
    """An installed, verified nnInteractive model with its session ready (network loaded once)."""

    card: object
    folder: object
    session: object
    device: str


@dataclass
class NnInteractiveMask:
    """The 3D mask (bool [k, j, i] on the CT's grid), which model made it, and what the user should know."""

    mask: np.ndarray
    model: str
    licence: str
    device: str
    warnings: list[str] = field(default_factory=list)


def _session_class():
    try:
        from nnInteractive.inference.inference_session import nnInteractiveInferenceSession
    except ImportError as exc:
        missing = getattr(exc, "name", None) or ""
        if missing.split(".")[0].lower() in ("nninteractive", ""):
            raise ModelError(MISSING) from None
        # the package is there but one of its own needs is not: say which, in words
        raise ModelError(f"the nnInteractive package is installed but cannot be imported: it needs {missing}, which "
                         "is missing (reinstall with `pip install nninteractive`); the default measurement needs no "
                         "model") from None
    return nnInteractiveInferenceSession


def is_nninteractive_model(name) -> bool:
    """True when ``name`` is a loaded `NnInteractiveModel` or names an installed model in nnInteractive's format."""
    from ..models.external import installed_external

    if isinstance(name, NnInteractiveModel):
        return True
    found = installed_external(name) if name else None
    return found is not None and found[1].extra.get("format") == "nninteractive"


def find_nninteractive():
    """The card of the installed nnInteractive model, or None."""
    from ..models import find_model

    return find_model(TASK)


def load_nninteractive(name: str | None = None, *, device: str | None = None) -> NnInteractiveModel:
    """Verify the installed model ``name`` (every file re-hashed) and build its nnInteractive session.

    Args:
        name: an installed model of task "interactive-segmentation"; None: the installed one.
        device: "cuda", "cpu" or None (CUDA when available).

    Raises:
        ModelError: none installed, another task, a file missing or altered, or nninteractive absent.
    """
    from ..models.external import verified_external

    if name is None:
        card = find_nninteractive()
        if card is None:
            raise ModelError("no nnInteractive model is installed: download nnInteractive_v1.0 from "
                             "huggingface.co/nnInteractive/nnInteractive and `deepradiology models import` it")
        name = card.name
    folder, card = verified_external(name, task=TASK)
    if card.extra.get("format") != "nninteractive":
        raise ModelError(f"{name}: a {card.extra.get('format')} model, not an nnInteractive one")
    session_class = _session_class()
    import torch

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    folds = card.extra.get("folds") or ["fold_0"]
    # The session prints progress on stdout; the CLI's stdout is the JSON record, so it goes to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        session = session_class(device=torch.device(device), use_torch_compile=False, verbose=False,
                                torch_n_threads=max(1, torch.get_num_threads()), do_autozoom=True,
                                interactions_storage="auto", enable_undo=False)
        try:
            session.initialize_from_trained_model_folder(str(folder), use_fold=str(folds[0]).removeprefix("fold_"))
        except (RuntimeError, KeyError, ValueError) as exc:
            detail = str(exc).splitlines()[0] if str(exc) else "no detail"
            raise ModelError(f"{folder}: nnInteractive could not load the model (its files do not fit each other "
                             f"or this nnInteractive version: {detail})") from None
    return NnInteractiveModel(card=card, folder=folder, session=session, device=device)


_LOADED: dict = {}      # {(name, device, card): NnInteractiveModel}: the last model loaded by name


def loaded_nninteractive(name: str | None = None, *, device: str | None = None) -> NnInteractiveModel:
    """`load_nninteractive`, kept between clicks: loading re-hashes every file and builds the network (seconds
    at the released size, 391 MB), so the last model loaded stays in memory while its installed card is
    unchanged (a re-import under the same name loads again). One at a time: the network has 100 M parameters."""
    import json

    from ..models.external import installed_external

    if name is None:
        card = find_nninteractive()
        name = card.name if card is not None else None
    found = installed_external(name) if name else None
    if found is None:
        return load_nninteractive(name, device=device)   # raises, saying why
    key = (name, device, json.dumps(found[1].to_dict(), sort_keys=True, default=str))
    if key not in _LOADED:
        model = load_nninteractive(name, device=device)
        _LOADED.clear()
        _LOADED[key] = model
    return _LOADED[key]


def _prompt(image: Image, click, box, slice_index):
    """('point', (k, j, i)) or ('bbox', [[k, k+1], [j0, j1+1], [i0, i1+1]]) from voxel (i, j, k) inputs."""
    ni, nj, nk = image.size
    if box is not None:
        i0, j0, i1, j1 = (float(v) for v in box)
        k = int(slice_index if slice_index is not None else 0)
        i0, i1 = sorted((int(round(i0)), int(round(i1))))
        j0, j1 = sorted((int(round(j0)), int(round(j1))))
        if not (0 <= k < nk and 0 <= i0 and i1 < ni and 0 <= j0 and j1 < nj):
            raise InputError("box", f"({i0}, {j0})-({i1}, {j1}) on slice {k} is not inside the image")
        return "bbox", [[k, k + 1], [j0, j1 + 1], [i0, i1 + 1]]
    c = np.asarray(click, dtype=float).reshape(-1)
    if c.size == 2:
        c = np.array([c[0], c[1], slice_index if slice_index is not None else 0], dtype=float)
    if c.size != 3 or not np.all(np.isfinite(c)):
        raise InputError("click", f"{click!r} is not a voxel position (i, j, k)")
    i, j, k = (int(round(v)) for v in c)
    if not image.contains_index((i, j, k)):
        raise InputError("click", f"({i}, {j}, {k}) is outside the image {image.size}")
    return "point", (k, j, i)


def segment_with_nninteractive(image: Image, *, click=None, box=None, slice_index: int | None = None,
                               model: NnInteractiveModel | str | None = None, seed: int = 0) -> NnInteractiveMask:
    """The 3D mask nnInteractive draws from one positive click ((i, j, k) voxels) or box (i0, j0, i1, j1 on
    ``slice_index``), on the CT's grid.

    The session's refinement may sample patch centres at random (numpy's global generator); it is seeded
    with ``seed`` here and restored after, so the same click gives the same mask.

    Raises:
        ModelError: no model, nninteractive not installed, or it failed.
        InputError: no prompt, or one outside the image; NoLesionError-free: an empty mask is an InputError.
    """
    if click is None and box is None:
        raise InputError("click", "give a click inside the lesion or a box around it")
    if not isinstance(model, NnInteractiveModel):
        model = loaded_nninteractive(model)
    kind, prompt = _prompt(image, click, box, slice_index)
    notes = [CPU_WARNING] if model.device == "cpu" else []
    if model.device == "cpu":
        warnings.warn(CPU_WARNING, RuntimeWarning, stacklevel=2)
    volume = np.asarray(image.array, dtype=np.float32)
    if volume.ndim == 2:
        volume = volume[None]
    target = np.zeros(volume.shape, dtype=np.uint8)
    session = model.session
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            session.set_image(volume[None])
            session.set_target_buffer(target)
            if kind == "point":
                session.add_point_interaction(prompt, include_interaction=True)
            else:
                session.add_bbox_interaction(prompt, include_interaction=True)
    except (RuntimeError, ValueError, TypeError) as exc:
        raise ModelError(f"nnInteractive failed on this image ({str(exc).splitlines()[0] if str(exc) else 'no detail'})") from None
    finally:
        np.random.set_state(state)
    mask = target.astype(bool).reshape(np.shape(image.array))
    if not mask.any():
        raise InputError("click", f"nnInteractive ({model.card.name}) found no object at the {kind}")
    return NnInteractiveMask(mask=mask, model=model.card.name, licence=model.card.licence, device=model.device,
                             warnings=notes)


def measurement_from_mask(image: Image, result: NnInteractiveMask, *, seed_ij):
    """(LesionSlice, LesionVolume) of nnInteractive's 3D mask, for the same RECIST record as the other methods.

    The key slice follows `measure._longest_axis_slice`'s rule: among the slices holding at least half the
    largest area, the one whose RECIST long axis (`recist_axes`, mm) is longest. HU inside the mask and in a
    3-pixel ring around it on that slice feed the plausibility checks. The volume counts whole voxels (mL).
    """
    from scipy import ndimage

    from .axes import recist_axes
    from .propagate import LesionVolume
    from .segment2d import LesionSlice

    mask = result.mask if result.mask.ndim == 3 else result.mask[None]
    hu = np.asarray(image.array, dtype=float).reshape(mask.shape)
    sx, sy = image.spacing[:2]
    counts = mask.reshape(mask.shape[0], -1).sum(axis=1)
    areas = {int(k): float(counts[k] * sx * sy) for k in np.nonzero(counts)[0]}
    top = max(areas.values())
    best = None
    for k in sorted(areas):
        if areas[k] < 0.5 * top:
            continue
        try:
            axes = recist_axes(mask[k], (sx, sy), seed_ij=seed_ij if mask[k][seed_ij[1], seed_ij[0]] else None)
        except InputError:       # a sliver without a closed outline: not a candidate
            continue
        if best is None or axes.long_mm > best[1].long_mm:
            best = (k, axes)
    if best is None:
        raise InputError("click", f"nnInteractive's mask ({result.model}) has no slice RECIST axes can be drawn on")
    k, axes = best
    ring = ndimage.binary_dilation(mask[k], iterations=3) & ~mask[k]
    lesion_hu = float(np.median(hu[k][mask[k]]))
    surround_hu = float(np.median(hu[k][ring])) if ring.any() else float("nan")
    method = f"model:nninteractive:{result.model}"
    lesion_slice = LesionSlice(slice_index=int(k), mask=mask[k].copy(), soft=mask[k].astype(np.float32), axes=axes,
                               seed_ij=(int(seed_ij[0]), int(seed_ij[1])), lesion_hu=lesion_hu,
                               surround_hu=surround_hu, spacing=(sx, sy), method=method,
                               warnings=list(result.warnings))
    ks = sorted(areas)
    ml = float(mask.sum() * image.voxel_volume_ml)
    volume = LesionVolume(mask=mask, volume_ml=ml, volume_ml_binary=ml, slice_range=(ks[0], ks[-1]),
                          areas_mm2=areas, lesion_hu=lesion_hu, surround_hu=surround_hu)
    return lesion_slice, volume


def measure_with_nninteractive(image: Image, *, click=None, box=None, slice_index=None, model=None):
    """(LesionSlice, LesionVolume, model facts) from nnInteractive at a click or box; see `measure_lesion`.

    The facts are the model's name, format, licence and device, and ``prompt_slice``: the slice clicked."""
    from .segment2d import check_ct_image

    check_ct_image(image)
    result = segment_with_nninteractive(image, click=click, box=box, slice_index=slice_index, model=model)
    if box is not None:
        seed_ij = (int(round((box[0] + box[2]) / 2)), int(round((box[1] + box[3]) / 2)))
    else:
        seed_ij = (int(round(float(click[0]))), int(round(float(click[1]))))
    lesion_slice, volume = measurement_from_mask(image, result, seed_ij=seed_ij)
    prompt_slice = int(slice_index if box is not None or len(click) < 3 else round(float(click[2])))
    facts = {"name": result.model, "format": "nninteractive", "licence": result.licence, "device": result.device,
             "prompt_slice": prompt_slice}     # measure_lesion takes this out for its "measured on slice" note
    return lesion_slice, volume, facts


def recist_method_choices() -> list[dict]:
    """The RECIST methods a front end can offer: adaptive (always), then each installed nnInteractive model
    as {"method": "model", "model": name, "label": "nnInteractive NAME (licence)", "licence": ...}.

    Reads the model cache's cards only (nothing is verified or loaded; that happens on the click).
    """
    from ..models.cache import installed_models

    choices = [{"method": "adaptive", "model": None, "label": "adaptive (no weights)", "licence": ""}]
    for m in installed_models():
        card = m.card
        if card is not None and card.task == TASK and card.extra.get("format") == "nninteractive":
            short = str(card.licence).split(" - ")[0].split(";")[0]
            choices.append({"method": "model", "model": card.name, "licence": card.licence,
                            "label": f"nnInteractive {card.name} ({short}; GPU advised)"})
    return choices
