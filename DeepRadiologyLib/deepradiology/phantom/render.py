"""Render a planned patient into CT volumes (HU), organ and lesion label maps, and ground truth."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..image import Image
from .anatomy import ORGANS
from .patient import LesionPlan, PatientPlan, StudyPlan
from .shapes import Ellipsoid, Grid, rotation_z

__all__ = ["RenderedStudy", "render_study", "lesion_truth", "DEFAULT_SPACING", "FIELD_OF_VIEW_MM"]

#: Default voxel size (i, j, k) in mm: a typical abdominal CT.
DEFAULT_SPACING = (0.8, 0.8, 2.5)
#: Scanner field of view in world LPS mm: (x min, x max), (y min, y max), (z min, z max).
FIELD_OF_VIEW_MM = ((-170.0, 170.0), (-122.0, 130.0), (-90.0, 120.0))


def make_grid(spacing=DEFAULT_SPACING) -> Grid:
    """The scanner's voxel grid covering `FIELD_OF_VIEW_MM` at ``spacing`` (i, j, k mm)."""
    lo = [r[0] for r in FIELD_OF_VIEW_MM]
    n = [int(round((r[1] - r[0]) / s)) + 1 for r, s in zip(FIELD_OF_VIEW_MM, spacing)]
    return Grid(shape=(n[2], n[1], n[0]), spacing=tuple(float(s) for s in spacing), origin=tuple(lo))


@dataclass
class RenderedStudy:
    """One study's images (LPS geometry) and the truth about its lesions."""

    plan: StudyPlan
    ct: Image
    organs: Image
    lesions_map: Image
    lesions: list[dict]


def _pose(study: StudyPlan) -> tuple[np.ndarray, np.ndarray]:
    return rotation_z(study.rotation_deg), np.asarray(study.shift_mm, dtype=float)


def _paint(volume: np.ndarray, region, frac: np.ndarray, hu: float) -> None:
    view = volume[region]
    view += frac * (hu - view)


def _lesion_shape(lesion: LesionPlan, scale: float) -> Ellipsoid:
    return Ellipsoid(lesion.centre, tuple(a * scale for a in lesion.semi_axes), lesion.angle_deg)


def lesion_truth(lesion: LesionPlan, scale: float, study: StudyPlan, grid: Grid, label: int) -> dict:
    """Ground truth of one lesion in one study: centre, key slice, RECIST axes, volume.

    The key slice is the slice nearest the lesion's centre; the RECIST axes are those of the
    ellipse cut by that slice (long = its major axis), endpoints in world LPS mm and voxel ijk.
    """
    r, t = _pose(study)
    a, b, c = (s * scale for s in lesion.semi_axes)
    centre = r @ np.asarray(lesion.centre) + t
    centre_ijk = grid.world_to_index(centre)
    k = int(round(centre_ijk[2]))
    dz = grid.origin[2] + k * grid.spacing[2] - centre[2]
    cut = np.sqrt(max(0.0, 1.0 - (dz / c) ** 2))
    rot = r @ rotation_z(lesion.angle_deg)
    on_slice = np.array([centre[0], centre[1], centre[2] + dz])
    long_end = [on_slice - a * cut * rot[:, 0], on_slice + a * cut * rot[:, 0]]
    short_end = [on_slice - b * cut * rot[:, 1], on_slice + b * cut * rot[:, 1]]
    return {
        "lesion_id": f"{study.study_id}-{lesion.track_id}",
        "track_id": lesion.track_id,
        "label": label,
        "organ": lesion.site.organ,
        "lesion_type": lesion.site.lesion_type,
        "is_lymph_node": lesion.site.is_lymph_node,
        "hu": lesion.site.hu,
        "centre_lps": centre.tolist(),
        "centre_ijk": centre_ijk.tolist(),
        "key_slice": k,
        "long_axis_mm": float(2 * a * cut),
        "short_axis_mm": float(2 * b * cut),
        "long_axis_lps": [p.tolist() for p in long_end],
        "short_axis_lps": [p.tolist() for p in short_end],
        "long_axis_ijk": [grid.world_to_index(p).tolist() for p in long_end],
        "short_axis_ijk": [grid.world_to_index(p).tolist() for p in short_end],
        "max_long_axis_mm": float(2 * a),
        "max_short_axis_mm": float(2 * b),
        "semi_axes_mm": [a, b, c],
        "angle_deg": lesion.angle_deg + study.rotation_deg,
        "volume_ml": _lesion_shape(lesion, scale).volume_ml,
    }


def render_study(patient: PatientPlan, index: int, *, spacing=DEFAULT_SPACING, noise_hu: float = 10.0) -> RenderedStudy:
    """Render study ``index`` of ``patient``: CT in HU (int16), organ labels, lesion labels, truth."""
    study = patient.studies[index]
    grid = make_grid(spacing)
    pose_r, pose_t = _pose(study)
    ct = np.full(grid.shape, -1000.0, dtype=np.float32)
    organs = np.zeros(grid.shape, dtype=np.uint8)
    for organ in ORGANS:
        for shape in organ.shapes:
            region, frac = shape.render(grid, pose_r, pose_t)
            _paint(ct, region, frac, organ.hu)
            # Unlabelled structures painted over an organ take its voxels out of the organ's label.
            organs[region][frac >= 0.5] = organ.label
    lesion_map = np.zeros(grid.shape, dtype=np.uint8)
    truths = []
    for lesion in patient.lesions:
        scale = lesion.scales[index]
        if scale <= 0:
            continue
        label = len(truths) + 1
        region, frac = _lesion_shape(lesion, scale).render(grid, pose_r, pose_t)
        _paint(ct, region, frac, lesion.site.hu)
        lesion_map[region][frac >= 0.5] = label
        truths.append(lesion_truth(lesion, scale, study, grid, label))
    rng = np.random.default_rng(patient.seed * 1000 + index)
    ct += rng.normal(0.0, noise_hu, size=ct.shape).astype(np.float32)
    geometry = {"spacing": grid.spacing, "origin": grid.origin}
    meta = {"patient_id": patient.patient_id, "study_date": study.date.replace("-", ""), "study_id": study.study_id}
    return RenderedStudy(
        plan=study,
        ct=Image(np.clip(np.rint(ct), -1024, 3071).astype(np.int16), modality="CT", meta=meta,
                 source=f"phantom {patient.patient_id} {study.study_id}", **geometry),
        organs=Image(organs, **geometry, source=f"phantom {patient.patient_id} {study.study_id} organs"),
        lesions_map=Image(lesion_map, **geometry, source=f"phantom {patient.patient_id} {study.study_id} lesions"),
        lesions=truths,
    )
