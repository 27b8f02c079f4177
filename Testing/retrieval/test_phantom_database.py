"""The phantom lesion folder that LesionRetrieval's tests and the module's self-test build their
database from: each planted lesion as a reader's record, checked against the phantom's own truth."""

from __future__ import annotations

import pytest


def test_each_planted_lesion_is_stored_as_a_reader_would_mark_it_without_the_truth_s_track(phantom_folder):
    from deepradiology.lesion import load_lesions
    from deepradiology.phantom import generate_phantom

    phantom = generate_phantom(11, n_studies=1, spacing=(1.6, 1.6, 4.0))
    study = phantom.studies[0]
    stem = f"{phantom.plan.patient_id}_{study.plan.study_id}"
    assert (phantom_folder / f"{stem}.nii.gz").is_file()
    stored = {lz.lesion_id: lz for lz in load_lesions(phantom_folder / f"{stem}.json")}
    assert sorted(stored) == sorted(t["lesion_id"] for t in study.lesions)
    for truth in study.lesions:
        lesion = stored[truth["lesion_id"]]
        assert lesion.patient == phantom.plan.patient_id and lesion.study == study.plan.study_id
        assert lesion.lesion_type == truth["lesion_type"] and lesion.location == truth["organ"]
        assert lesion.slice_index == truth["key_slice"]
        assert lesion.long_axis_mm == pytest.approx(truth["long_axis_mm"])
        assert lesion.short_axis_mm == pytest.approx(truth["short_axis_mm"])
        assert lesion.volume_ml == pytest.approx(truth["volume_ml"])
        assert "truth_track" not in lesion.extra     # the longitudinal answer key stays out of the database
