"""Lesion embedding for matching: aligned location + size + appearance, with explicit cue weights.

A lesion becomes a vector whose Euclidean distances are in "match units": 1 unit is what one typical
difference of each cue is worth. The vector concatenates

* location: the lesion centre mapped into the baseline study (LPS mm, `StudyAlignment`) divided by
  ``location_sigma_mm``. 10 mm per unit: after registration the same lesion sits within a few mm
  (breathing, growth shifting its centre); distinct lesions of one organ are usually centimetres apart.
* size: ``size_weight * log(diameter mm)`` with the mean of the long and short axes. 2.5 per log unit
  makes a 50 % change in diameter (log 1.5 = 0.41) worth about one unit: lesions under treatment
  change size, so size only breaks ties between nearby lesions.
* type: a one-hot of the coarse lesion type scaled by ``type_weight / sqrt(2)``, so two lesions of
  different types are ``type_weight`` = 2 units apart on this cue alone (type labels can be wrong).
* appearance: ``appearance_weight`` times a unit-length descriptor. It is the learned LesionRetrieval
  embedding (``Lesion.embedding``) when every lesion has one from the same model; otherwise the HU
  statistics of the lesion on its key slice (mean and spread inside the RECIST ellipse, contrast to
  its rim), scaled by ``hu_scale`` = 50 HU per unit, when images are given; otherwise nothing.

These defaults were set from the physical reasoning above, not fitted to any evaluation set.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import InputError
from ..image import Image
from ..lesion import LESION_TYPES, Lesion

__all__ = ["CueWeights", "lesion_centre_lps", "appearance_descriptor", "embed_lesions"]

_TYPES = sorted(set(LESION_TYPES.values()) | {"lymph node"})


@dataclass(frozen=True)
class CueWeights:
    """How much each cue counts (module docstring). All distances downstream are in these units."""

    location_sigma_mm: float = 10.0
    size_weight: float = 2.5
    type_weight: float = 2.0
    appearance_weight: float = 1.0
    hu_scale: float = 50.0

    def to_dict(self) -> dict:
        return asdict(self)


def lesion_centre_lps(lesion: Lesion) -> np.ndarray:
    """The lesion's centre in LPS mm: the midpoint of its RECIST axes (both when present)."""
    points = [p for axis in (lesion.long_axis_lps, lesion.short_axis_lps) if axis is not None for p in axis]
    if not points:
        centre = lesion.extra.get("centre_lps")
        if centre is None:
            raise InputError(lesion.lesion_id, "the lesion has no RECIST axes and no centre_lps: its position is unknown")
        return np.asarray(centre, dtype=float)
    return np.mean(np.asarray(points, dtype=float), axis=0)


def _diameter_mm(lesion: Lesion) -> float:
    values = [v for v in (lesion.long_axis_mm, lesion.short_axis_mm) if v]
    return max(1.0, float(np.mean(values))) if values else 10.0


def _type_of(lesion: Lesion) -> str:
    return "lymph node" if lesion.is_lymph_node else (lesion.lesion_type or "").lower()


def appearance_descriptor(image: Image, lesion: Lesion, *, hu_scale: float = 50.0) -> np.ndarray:
    """HU statistics of the lesion on its key slice, in units of ``hu_scale`` HU.

    Returns (mean inside, standard deviation inside, mean inside minus mean of the surrounding rim),
    where "inside" is the ellipse spanned by the RECIST axes and the rim the ring out to 1.5 times it.
    """
    if lesion.long_axis_lps is None or lesion.short_axis_lps is None:
        return np.zeros(3)
    centre = lesion_centre_lps(lesion)
    long_vec = np.subtract(*lesion.long_axis_lps[::-1]) / 2.0
    short_vec = np.subtract(*lesion.short_axis_lps[::-1]) / 2.0
    a, b = max(np.linalg.norm(long_vec), 1.0), max(np.linalg.norm(short_vec), 1.0)
    # Unit axes of the RECIST ellipse; a zero-length axis (a dot) falls back to x and its in-plane normal.
    u = long_vec / np.linalg.norm(long_vec) if np.linalg.norm(long_vec) > 0 else np.array([1.0, 0.0, 0.0])
    v = short_vec / np.linalg.norm(short_vec) if np.linalg.norm(short_vec) > 0 else np.cross([0.0, 0.0, 1.0], u)
    k = int(round(float(image.lps_to_index(centre)[2])))
    if not 0 <= k < image.array.shape[0]:
        return np.zeros(3)
    ci, cj, _ = image.lps_to_index(centre)
    r = int(math.ceil(1.5 * a / min(image.spacing[:2]))) + 1
    i0, i1 = max(0, int(ci) - r), min(image.array.shape[2], int(ci) + r + 1)
    j0, j1 = max(0, int(cj) - r), min(image.array.shape[1], int(cj) + r + 1)
    if i0 >= i1 or j0 >= j1:
        return np.zeros(3)
    jj, ii = np.mgrid[j0:j1, i0:i1]
    pts = image.index_to_lps(np.stack([ii, jj, np.full_like(ii, k)], axis=-1).astype(float)) - centre
    rho = np.sqrt((pts @ u / a) ** 2 + (pts @ v / b) ** 2)
    patch = image.array[k, j0:j1, i0:i1].astype(float)
    inside, rim = patch[rho <= 1.0], patch[(rho > 1.2) & (rho <= 1.5)]
    if inside.size == 0:
        return np.zeros(3)
    contrast = inside.mean() - (rim.mean() if rim.size else inside.mean())
    return np.array([inside.mean(), inside.std(), contrast]) / hu_scale


def embed_lesions(lesions: list[Lesion], *, alignment=None, image: Image | None = None,
                  weights: CueWeights = CueWeights(), use_appearance: bool = True,
                  learned: bool | None = None) -> np.ndarray:
    """Embedding vectors (one row per lesion) for lesions of ONE study.

    Args:
        alignment: a `StudyAlignment` taking this study to the baseline (None: already baseline).
        image: the study's CT, for the HU appearance descriptor.
        learned: use ``Lesion.embedding`` as the appearance cue (None: when every lesion has one).

    Returns:
        float array (n lesions, 3 + 1 + n types + appearance dims).
    """
    if not lesions:
        return np.zeros((0, 4 + len(_TYPES)))
    centres = np.array([lesion_centre_lps(les) for les in lesions])
    if alignment is not None:
        centres = alignment.map_points(centres)
    location = centres / weights.location_sigma_mm
    size = np.array([[weights.size_weight * math.log(_diameter_mm(les))] for les in lesions])
    types = np.zeros((len(lesions), len(_TYPES)))
    for n, les in enumerate(lesions):
        t = _type_of(les)
        if t in _TYPES:
            types[n, _TYPES.index(t)] = weights.type_weight / math.sqrt(2.0)
    parts = [location, size, types]
    if learned is None:
        learned = all(les.embedding for les in lesions) and len({les.embedding_model for les in lesions}) == 1
    if use_appearance and learned:
        emb = np.array([les.embedding for les in lesions], dtype=float)
        emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-9)
        parts.append(weights.appearance_weight * emb)
    elif use_appearance and image is not None:
        parts.append(weights.appearance_weight * np.array(
            [appearance_descriptor(image, les, hu_scale=weights.hu_scale) for les in lesions]))
    return np.hstack(parts)
