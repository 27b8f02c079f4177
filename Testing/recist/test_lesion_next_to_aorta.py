"""A hypervascular liver lesion at the aorta's density (180 HU) right next to the aorta of the synthetic
phantom: a click on it gives its own size (the phantom's analytic ellipsoid) or says the extent is uncertain;
it never gives the aorta's, or a short lesion, without a word (issue 11)."""

from __future__ import annotations

import pytest

from deepradiology.phantom.patient import LesionPlan, LesionSite, PatientPlan, plan_patient
from deepradiology.phantom.render import render_study
from deepradiology.recist import measure_lesion

AORTA_HU = 180.0        # the phantom's aorta (phantom/anatomy.py)
SEMI_AXES = (8.0, 6.0, 7.0)


def _study_with_lesion_at(x_mm: float, angle_deg: float):
    """Phantom seed 0's anatomy with one liver lesion centred at (x, 40, 28) mm patient frame: the aorta's
    axis is at (4, 42), radius 11, so the lesion's long axis (along x at angle 0) ends x + 8 mm from the
    aorta's left wall at -7 mm."""
    base = plan_patient(0, n_studies=1)
    site = LesionSite("liver", "liver", (x_mm, 40.0, 28.0), 0, AORTA_HU, SEMI_AXES)
    plan = PatientPlan("AORTA", 0, base.studies, [LesionPlan("T1", site, site.centre, SEMI_AXES, angle_deg, [1.0])])
    return render_study(plan, 0, spacing=(0.8, 0.8, 2.5))


@pytest.mark.parametrize("x_mm, angle_deg", [(-16.0, 30.0), (-15.4, 0.0), (-15.0, 0.0)],
                         ids=["2 mm from the aorta", "under 1 mm", "touching once blurred"])
def test_a_liver_lesion_at_aorta_density_next_to_the_aorta_is_right_or_warned(x_mm, angle_deg):
    study = _study_with_lesion_at(x_mm, angle_deg)
    truth = study.lesions[0]
    i, j, _ = truth["centre_ijk"]
    lesion = measure_lesion(study.ct, click=(int(round(i)), int(round(j)), truth["key_slice"])).lesion
    volume_error = abs(lesion.volume_ml - truth["volume_ml"]) / truth["volume_ml"]
    long_error = abs(lesion.long_axis_mm - truth["long_axis_mm"])
    right = volume_error <= 0.15 and long_error <= max(1.5, 0.07 * truth["long_axis_mm"])
    warned = any(w.startswith(("3D extent uncertain", "2D outline uncertain")) for w in lesion.extra["warnings"])
    assert right or warned, (f"{lesion.volume_ml:.2f} mL for {truth['volume_ml']:.2f}, long axis "
                             f"{lesion.long_axis_mm:.1f} mm for {truth['long_axis_mm']:.1f}, no warning")


def test_a_lesion_whose_rim_faces_the_fat_beside_the_aorta_is_near_exact_or_says_its_edge_may_be_cut():
    """2 mm from the aorta the lesion's rim lies in the thin fat layer there, darker than the liver the level
    was drawn against: within 5 % of the truth's volume, or the extent is flagged."""
    study = _study_with_lesion_at(-16.0, 30.0)
    truth = study.lesions[0]
    i, j, _ = truth["centre_ijk"]
    lesion = measure_lesion(study.ct, click=(int(round(i)), int(round(j)), truth["key_slice"])).lesion
    near_exact = abs(lesion.volume_ml - truth["volume_ml"]) <= 0.05 * truth["volume_ml"]
    assert near_exact or any("faces tissue far beyond" in w for w in lesion.extra["warnings"])
