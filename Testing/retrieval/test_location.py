"""The normalised body location of a lesion in a volume: x right->left, y anterior->posterior, z head->feet."""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology.retrieval import location


def test_a_left_sided_posterior_lesion_has_large_x_and_y(a_coarse_phantom_patient):
    study = a_coarse_phantom_patient.studies[0]
    # the left kidney, spleen and lung-base sites all lie left of and behind the liver sites
    kidney = next(t for t in study.lesions if t["organ"] in ("kidney_left", "spleen", "lung"))
    liver = next(t for t in study.lesions if t["organ"] == "liver")
    (kx, ky, kz), how = location.normalized_location(study.ct, kidney["centre_lps"])
    (lx, ly, lz), _ = location.normalized_location(study.ct, liver["centre_lps"])
    assert how in ("scan-range", "ssbr")
    assert kx > 0.6 and lx < 0.45                          # on the patient's left; the liver on the right
    assert ky > ly                                          # behind the liver
    assert all(0 <= v <= 1 for v in (kx, ky, kz, lx, ly, lz))


def test_the_installed_body_part_regressor_gives_z_growing_towards_the_feet(a_coarse_phantom_patient, monkeypatch):
    import deepradiology.models as models
    from deepradiology.longitudinal import ssbr

    class FakeRegressor:
        def normalized_z(self, image, k):          # SSBR's score grows towards the head
            return 0.8

    class FakeCard:
        name = "fake-ssbr"

    monkeypatch.setattr(models, "find_model", lambda task: FakeCard() if task == "body-part-regression" else None)
    monkeypatch.setattr(ssbr, "load_body_part_regressor", lambda name: FakeRegressor())
    monkeypatch.setattr(location, "_REGRESSOR", {})
    study = a_coarse_phantom_patient.studies[0]
    (_, _, z), how = location.normalized_location(study.ct, study.lesions[0]["centre_lps"])
    assert how == "ssbr" and z == pytest.approx(0.2)


def test_without_a_body_part_regressor_z_is_the_fraction_of_the_scan_from_the_top(a_coarse_phantom_patient, monkeypatch):
    import deepradiology.models as models

    monkeypatch.setattr(models, "find_model", lambda task: None)
    study = a_coarse_phantom_patient.studies[0]
    top = study.ct.index_to_lps([0, 0, study.ct.size[2] - 1])
    point = np.asarray(study.lesions[0]["centre_lps"], dtype=float)
    (_, _, z), how = location.normalized_location(study.ct, point)
    assert how == "scan-range"
    extent = abs(study.ct.index_to_lps([0, 0, 0])[2] - top[2])
    assert z == pytest.approx((max(top[2], study.ct.origin[2]) - point[2]) / extent, abs=1e-6)
