"""A synthetic patient: baseline and follow-up CT studies with lesions of known size and fate.

Every number is drawn from one seeded generator, so a seed always gives the same patient. Lesions are
ellipsoids in patient coordinates (`anatomy` module docstring); each study sees the patient under a
known rigid pose (a shift and a small turn about the z axis) and each lesion under a known scale, so
that it grows, shrinks, vanishes (scale 0) or appears (scale 0 before its first study).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["LesionPlan", "StudyPlan", "PatientPlan", "plan_patient", "LESION_SITES"]


@dataclass(frozen=True)
class LesionSite:
    """Where a kind of lesion may sit (patient mm), how it looks, and its usual size (semi-axes, mm)."""

    organ: str
    lesion_type: str            # DeepLesion's coarse type
    centre: tuple[float, float, float]
    jitter_mm: float
    hu: float
    semi_axes: tuple[float, float, float]
    is_lymph_node: bool = False


#: Lesion sites; HU contrasts cover hypo- and hyper-dense lesions against their organ.
LESION_SITES: tuple[LesionSite, ...] = (
    LesionSite("liver", "liver", (-75, -5, 30), 8, 15, (14, 10, 11)),             # hypodense metastasis
    LesionSite("liver", "liver", (-45, 20, 50), 6, 120, (8, 6, 7)),               # hypervascular lesion
    LesionSite("lymph node", "abdomen", (-22, 42, -25), 3, 35, (12, 8.5, 10), True),  # para-aortic node
    LesionSite("kidney_left", "kidney", (72, 50, -25), 4, 10, (8, 7, 8)),         # cyst
    LesionSite("spleen", "abdomen", (92, 42, 45), 4, 15, (9, 7, 8)),
    LesionSite("lung", "lung", (78, 25, 97), 4, 25, (8, 6.5, 7)),               # nodule at the lung base
    LesionSite("vertebra", "bone", (0, 74, 0), 2, 40, (7, 6, 8)),                 # lytic bone lesion
)


@dataclass
class LesionPlan:
    """One lesion through all studies: where it is (patient frame) and its size scale per study."""

    track_id: str
    site: LesionSite
    centre: tuple[float, float, float]
    semi_axes: tuple[float, float, float]
    angle_deg: float
    scales: list[float] = field(default_factory=list)   # one per study; 0 = absent in that study


@dataclass
class StudyPlan:
    """One study: its pose (world = R_z(rotation_deg) @ patient + shift_mm) and its date."""

    study_id: str
    date: str
    shift_mm: tuple[float, float, float]
    rotation_deg: float


@dataclass
class PatientPlan:
    patient_id: str
    seed: int
    studies: list[StudyPlan]
    lesions: list[LesionPlan]


_DATES = ("2024-01-15", "2024-03-18", "2024-05-20", "2024-07-22", "2024-09-23", "2024-11-25")


def plan_patient(seed: int = 0, *, n_studies: int = 3) -> PatientPlan:
    """Draw a patient: lesions at the sites above, and their fate over ``n_studies`` studies.

    The baseline has every site but one (kept back to appear later as a new lesion). In follow-ups
    each lesion's scale drifts (growth or shrinkage up to ~35 % per study); one lesion vanishes at the
    second study, and the held-back one appears at the second (or last) follow-up.
    """
    if not 1 <= n_studies <= len(_DATES):
        raise ValueError(f"n_studies must be 1-{len(_DATES)}, got {n_studies}")
    rng = np.random.default_rng(seed)
    studies = [StudyPlan("S0", _DATES[0], (0.0, 0.0, 0.0), 0.0)]
    for s in range(1, n_studies):
        shift = tuple(float(v) for v in rng.uniform(-12, 12, size=3))
        studies.append(StudyPlan(f"S{s}", _DATES[s], shift, float(rng.uniform(-4, 4))))
    order = rng.permutation(len(LESION_SITES))
    newcomer = int(order[0]) if n_studies > 1 else -1
    vanisher = int(order[1]) if n_studies > 2 else -1
    trend = rng.choice([-1.0, 1.0])                   # the patient mostly responds or mostly progresses
    lesions = []
    for n, site in enumerate(LESION_SITES):
        centre = tuple(float(c + rng.uniform(-site.jitter_mm, site.jitter_mm)) for c in site.centre)
        size = float(rng.uniform(0.85, 1.15))
        axes = tuple(float(a * size) for a in site.semi_axes)
        scales, scale = [], 1.0
        for s in range(n_studies):
            if s > 0:
                scale *= float(np.clip(1.0 + trend * rng.uniform(0.05, 0.35), 0.45, 1.6))
            scales.append(scale)
        if n == newcomer:
            first = min(2, n_studies - 1)
            scales = [0.0] * first + [1.0] * (n_studies - first)
        if n == vanisher:
            scales = [scales[0]] + [0.0] * (n_studies - 1)
        lesions.append(LesionPlan(f"T{n + 1}", site, centre, axes, float(rng.uniform(0, 180)), scales))
    return PatientPlan(f"PHANTOM{seed:04d}", seed, studies, lesions)
