"""The phantom is ground truth: what its JSON says is what its voxels show."""

import json

import numpy as np
import pytest

from scipy.ndimage import binary_erosion

from deepradiology import io
from deepradiology.phantom import ORGAN_LABELS, generate_phantom, write_phantom
from deepradiology.phantom.shapes import rotation_z


def test_the_same_seed_gives_the_same_patient_voxel_for_voxel():
    a = generate_phantom(5, n_studies=1, spacing=(2, 2, 5))
    b = generate_phantom(5, n_studies=1, spacing=(2, 2, 5))
    assert np.array_equal(a.studies[0].ct.array, b.studies[0].ct.array)
    assert a.ground_truth() == b.ground_truth()


def test_another_seed_gives_another_patient():
    a = generate_phantom(5, n_studies=1, spacing=(2, 2, 5))
    b = generate_phantom(6, n_studies=1, spacing=(2, 2, 5))
    assert a.ground_truth()["studies"][0]["lesions"] != b.ground_truth()["studies"][0]["lesions"]


def test_measured_lesion_volumes_match_the_ground_truth(a_phantom_patient):
    for study in a_phantom_patient.studies:
        for lesion in study.lesions:
            voxels = np.count_nonzero(study.lesions_map.array == lesion["label"])
            measured = voxels * study.ct.voxel_volume_ml
            assert measured == pytest.approx(lesion["volume_ml"], rel=0.05), lesion["lesion_id"]


def test_lesions_sit_at_their_stated_centre_and_show_their_stated_contrast(a_phantom_patient):
    for study in a_phantom_patient.studies:
        for lesion in study.lesions:
            mask = study.lesions_map.array == lesion["label"]
            k, j, i = np.nonzero(mask)
            centroid = study.ct.index_to_lps(np.stack([i, j, k], axis=1).mean(axis=0))
            assert np.allclose(centroid, lesion["centre_lps"], atol=1.0), lesion["lesion_id"]
            core = binary_erosion(mask, iterations=1)  # away from partial-volume edges
            assert np.median(study.ct.array[core]) == pytest.approx(lesion["hu"], abs=8)


def test_recist_axes_in_the_truth_are_perpendicular_and_as_long_as_stated(a_phantom_patient):
    for lesion in a_phantom_patient.studies[0].lesions:
        long_axis = np.subtract(*lesion["long_axis_lps"])
        short_axis = np.subtract(*lesion["short_axis_lps"])
        assert np.linalg.norm(long_axis) == pytest.approx(lesion["long_axis_mm"])
        assert np.linalg.norm(short_axis) == pytest.approx(lesion["short_axis_mm"])
        assert abs(np.dot(long_axis, short_axis)) < 1e-6
        assert lesion["long_axis_mm"] >= lesion["short_axis_mm"]


def test_the_key_slice_cut_of_each_lesion_has_the_stated_area(a_phantom_patient):
    study = a_phantom_patient.studies[0]
    pixel_area = study.ct.spacing[0] * study.ct.spacing[1]
    for lesion in study.lesions:
        area = np.count_nonzero(study.lesions_map.array[lesion["key_slice"]] == lesion["label"]) * pixel_area
        ellipse = np.pi * lesion["long_axis_mm"] * lesion["short_axis_mm"] / 4
        assert area == pytest.approx(ellipse, rel=0.08), lesion["lesion_id"]


def test_follow_ups_show_the_patient_under_the_stated_shift(a_phantom_patient):
    base, follow = a_phantom_patient.studies[0], a_phantom_patient.studies[1]
    shift = np.asarray(follow.plan.shift_mm)
    spine = ORGAN_LABELS["bone"]

    def centroid(study):
        k, j, i = np.nonzero(study.organs.array == spine)
        return study.ct.index_to_lps(np.stack([i, j, k], axis=1).mean(axis=0))

    turn = rotation_z(follow.plan.rotation_deg)
    expected = turn @ centroid(base) + shift          # world = R @ patient + t, baseline world = patient
    # The spine runs through the whole field of view, so only its in-plane position tells the shift.
    assert np.allclose(centroid(follow)[:2], expected[:2], atol=1.0)


def test_lesions_grow_shrink_vanish_and_appear_across_studies(a_phantom_patient):
    tracks = [{l["track_id"]: l["volume_ml"] for l in s.lesions} for s in a_phantom_patient.studies]
    assert set(tracks[0]) - set(tracks[-1]), "one lesion vanishes"
    assert set(tracks[-1]) - set(tracks[0]), "one lesion appears"
    kept = set(tracks[0]) & set(tracks[1])
    assert any(abs(tracks[1][t] / tracks[0][t] - 1) > 0.1 for t in kept), "lesions change size"


def test_the_ct_looks_like_an_abdomen_in_hounsfield_units(a_phantom_patient):
    ct = a_phantom_patient.studies[0].ct
    assert io.looks_like_ct(ct)[0]
    organs = a_phantom_patient.studies[0].organs.array
    liver = ct.array[organs == ORGAN_LABELS["liver"]]
    assert 40 < np.median(liver) < 80
    pancreas_ml = np.count_nonzero(organs == ORGAN_LABELS["pancreas"]) * ct.voxel_volume_ml
    assert 30 < pancreas_ml < 120, "an adult pancreas holds roughly 50-100 mL"


def test_written_files_reread_with_the_truth_json(tmp_path):
    phantom = generate_phantom(2, n_studies=2, spacing=(2, 2, 5))
    paths = write_phantom(phantom, tmp_path)
    truth = json.loads(paths["ground_truth"].read_text(encoding="utf-8"))
    assert [s["study_id"] for s in truth["studies"]] == ["S0", "S1"]
    ct = io.read_image(tmp_path / truth["studies"][1]["files"]["ct"])
    assert np.array_equal(ct.array, phantom.studies[1].ct.array)
    assert np.allclose(ct.origin, truth["studies"][1]["origin_lps"])
