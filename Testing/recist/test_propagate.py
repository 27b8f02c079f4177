"""3D masks by slice propagation: phantom volumes, and the 2D-volume refusal."""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology import Image, InputError
from deepradiology.recist import measure_lesion, propagate_3d, segment_lesion_2d


def test_phantom_lesion_volumes_come_within_10_percent_in_every_study(a_phantom_patient):
    errors = []
    for study in a_phantom_patient.studies:
        for truth in study.lesions:
            i, j, _ = truth["centre_ijk"]
            m = measure_lesion(study.ct, click=(i, j, truth["key_slice"]))
            errors.append(abs(m.lesion.volume_ml - truth["volume_ml"]) / truth["volume_ml"])
            true_slices = np.nonzero((study.lesions_map.array == truth["label"]).any(axis=(1, 2)))[0]
            # the pole slices hold only a few half-filled voxels: one slice either way is a partial-volume call
            assert abs(m.volume.slice_range[0] - true_slices[0]) <= 1, truth["lesion_id"]
            assert abs(m.volume.slice_range[1] - true_slices[-1]) <= 1, truth["lesion_id"]
    assert max(errors) <= 0.10
    assert np.mean(errors) <= 0.05


def test_the_3d_mask_overlaps_the_true_lesion(a_phantom_patient):
    study = a_phantom_patient.studies[0]
    truth = study.lesions[0]
    i, j, _ = truth["centre_ijk"]
    m = measure_lesion(study.ct, click=(i, j, truth["key_slice"]))
    true_mask = study.lesions_map.array == truth["label"]
    dice = 2 * np.count_nonzero(true_mask & m.volume.mask) / (true_mask.sum() + m.volume.mask.sum())
    assert dice > 0.95


def test_a_single_slice_is_refused_for_3d_propagation():
    image = Image(np.zeros((1, 32, 32), np.int16), modality="CT")
    mask = np.zeros((32, 32), bool)
    mask[10:20, 10:20] = True
    with pytest.raises(InputError, match="3D volume"):
        propagate_3d(image, mask, slice_index=0)


def test_a_mask_of_the_wrong_shape_is_refused(a_phantom_patient):
    study = a_phantom_patient.studies[0]
    with pytest.raises(InputError, match="shape"):
        propagate_3d(study.ct, np.ones((5, 5), bool), slice_index=10)


def test_propagation_estimates_the_values_itself_when_not_given(a_phantom_patient):
    study = a_phantom_patient.studies[0]
    truth = study.lesions[1]
    i, j, _ = truth["centre_ijk"]
    key = segment_lesion_2d(study.ct, click=(i, j, truth["key_slice"]))
    vol = propagate_3d(study.ct, key.mask, slice_index=truth["key_slice"])
    assert vol.volume_ml == pytest.approx(truth["volume_ml"], rel=0.1)
