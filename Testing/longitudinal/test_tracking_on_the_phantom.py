"""The whole pipeline on the synthetic patient: registration, matching, RECIST, corrections, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology.errors import InputError
from deepradiology.lesion import Lesion
from deepradiology.longitudinal.corrections import merge_tracks, split_track
from deepradiology.longitudinal.phantom_eval import evaluate_phantom, phantom_studies, truth_response
from deepradiology.longitudinal.registration import UNREGISTERED_CONFIDENCE, identity_alignment, register_follow_up
from deepradiology.longitudinal.study import Study
from deepradiology.longitudinal.tracking import track_lesions


@pytest.fixture(scope="module")
def phantom_result(a_phantom_patient):
    return evaluate_phantom(phantom=a_phantom_patient)


def test_phantom_matches_reach_098_precision_and_recall(phantom_result):
    assert phantom_result["studies"] >= 3
    assert phantom_result["precision"] >= 0.98 and phantom_result["recall"] >= 0.98


def test_phantom_recist_category_is_right_at_every_time_point(phantom_result):
    assert phantom_result["recist_all_right"], phantom_result["recist"]
    assert [c["predicted"] for c in phantom_result["recist"]][0] == "baseline"


def test_phantom_tracks_name_the_new_and_the_vanished_lesion(phantom_result):
    statuses = list(phantom_result["track_status"].values())
    assert "new" in statuses and "vanished" in statuses
    assert all(r["converged"] for r in phantom_result["registration"])


def test_registration_brings_follow_up_lesions_within_3_mm_of_their_baseline_position(a_coarse_phantom_patient):
    p = a_coarse_phantom_patient
    al = register_follow_up(p.studies[0].ct, p.studies[1].ct, baseline_id="S0", follow_up_id="S1")
    base = {t["track_id"]: np.asarray(t["centre_lps"]) for t in p.studies[0].lesions}
    errors = [np.linalg.norm(al.map_points(t["centre_lps"]) - base[t["track_id"]])
              for t in p.studies[1].lesions if t["track_id"] in base]
    assert al.converged and al.method == "rigid+affine"
    assert max(errors) < 3.0


def test_a_registration_that_cannot_work_says_so_and_falls_back_with_lower_confidence(a_coarse_phantom_patient):
    ct = a_coarse_phantom_patient.studies[0].ct
    air = ct.with_array(np.full_like(ct.array, -1000))
    al = register_follow_up(ct, air, baseline_id="S0", follow_up_id="S1")
    assert not al.converged and al.confidence == UNREGISTERED_CONFIDENCE
    assert "failed" in al.message and np.allclose(al.matrix, np.eye(4))


def test_unregistered_matching_still_works_but_every_match_carries_the_lowered_confidence(
        a_coarse_phantom_patient, monkeypatch):
    import deepradiology.longitudinal.tracking as tracking

    def failing(baseline, follow_up, *, baseline_id, follow_up_id, progress=None):
        return identity_alignment(baseline_id, follow_up_id, fallback_reason="simulated non-convergence")

    monkeypatch.setattr(tracking, "register_follow_up", failing)
    result = track_lesions(phantom_studies(a_coarse_phantom_patient))
    assert any("failed" in w for w in result.warnings)
    s1 = [m for m in result.matches if "S1" in (m.study_a, m.study_b)]
    assert s1 and all(m.confidence <= UNREGISTERED_CONFIDENCE for m in s1)


def test_a_user_split_and_merge_update_the_response(a_coarse_phantom_patient):
    result = track_lesions(phantom_studies(a_coarse_phantom_patient, with_images=False), register=False)
    target = next(t for t in result.targets if "S1" in result.track(t).lesions)
    before = [r.sum_mm for r in result.response]
    new_id = split_track(result, target, from_study="S1")
    # The followed target now has no lesion at S1: not evaluated (never 0 mm); its continuation is a new
    # lesion, which is PD whatever the targets show.
    assert result.response[1].target_diameters_mm[target] is None
    assert result.response[1].target_response == "NE" and result.response[1].sum_mm is None
    assert new_id in result.response[1].new_lesions and result.response[1].overall_response == "PD"
    merge_tracks(result, target, new_id)
    assert [r.sum_mm for r in result.response] == before


def _study(sid, patient="P1", lesions=None, date=""):
    if lesions is None:
        lesions = [Lesion("L1", patient=patient, long_axis_lps=((0, 0, 0), (20, 0, 0)), long_axis_mm=20.0,
                          short_axis_mm=12.0)]
    return Study(sid, lesions, date=date, patient=patient)


def test_studies_of_different_patients_are_refused_unless_forced():
    with pytest.raises(InputError, match="different patients"):
        track_lesions([_study("A", "P1"), _study("B", "P2")], register=False)
    result = track_lesions([_study("A", "P1"), _study("B", "P2")], register=False, force_patient=True)
    assert any("different patient" in w for w in result.warnings) and len(result.tracks) == 1


def test_a_lesion_naming_another_patient_than_its_study_is_refused():
    other = [Lesion("L1", patient="P9", long_axis_lps=((0, 0, 0), (20, 0, 0)), long_axis_mm=20.0, short_axis_mm=12.0)]
    with pytest.raises(InputError, match="study is of patient P1, but lesions of it name patient P9"):
        track_lesions([_study("A", "P1"), _study("B", "P1", lesions=other)], register=False)


def test_a_single_study_is_refused_with_a_clear_message():
    with pytest.raises(InputError, match="at least two studies"):
        track_lesions([_study("A")], register=False)


def test_studies_without_any_lesion_are_refused_and_one_empty_follow_up_is_a_warning():
    with pytest.raises(InputError, match="no study has any lesion"):
        track_lesions([_study("A", lesions=[]), _study("B", lesions=[])], register=False)
    result = track_lesions([_study("A"), _study("B", lesions=[])], register=False)
    assert any("B has no lesions" in w for w in result.warnings)
    # Nothing read at B is not "everything gone": the target is not evaluated, so NE, never CR.
    assert result.response[1].target_response == "NE" and result.response[1].overall_response == "NE"
    assert result.response[1].target_diameters_mm == {"T1": None}


def test_duplicate_lesion_ids_in_a_study_are_refused_by_name():
    dup = _study("A").lesions * 2
    with pytest.raises(InputError, match="duplicate lesion ids.*L1"):
        track_lesions([_study("A", lesions=dup), _study("B")], register=False)


def test_studies_are_put_in_date_order_before_matching():
    result = track_lesions([_study("late", date="2024-05-01"), _study("early", date="2024-01-01")], register=False)
    assert result.studies == ["early", "late"]


def test_truth_response_uses_the_same_rules_as_the_prediction(a_coarse_phantom_patient):
    result = track_lesions(phantom_studies(a_coarse_phantom_patient, with_images=False), register=False)
    truth, targets, _ = truth_response(result)
    assert len(targets) == len(result.targets) and truth[0].sum_mm == result.response[0].sum_mm


def test_without_a_measurable_baseline_lesion_the_response_follows_table_5_non_target_disease():
    small = [Lesion("L1", patient="P1", long_axis_lps=((0, 0, 0), (8, 0, 0)), long_axis_mm=8.0, short_axis_mm=5.0)]
    far = Lesion("L2", patient="P1", long_axis_lps=((200, 0, 0), (220, 0, 0)), long_axis_mm=20.0, short_axis_mm=12.0)
    result = track_lesions([_study("A", lesions=small), _study("B", lesions=list(small)),
                            _study("C", lesions=[*small, far])], register=False)
    assert "no measurable lesion" in result.response[0].note
    # RECIST 1.1 Table 5: the 8 mm lesion is non-target disease; still present -> Non-CR/Non-PD; a new lesion -> PD.
    assert [r.overall_response for r in result.response[1:]] == ["Non-CR/Non-PD", "PD"]
    assert [r.target_response for r in result.response[1:]] == [None, None]
