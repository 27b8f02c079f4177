"""RECIST 1.1: one test per rule, with every threshold probed exactly at its edge."""

from __future__ import annotations

import pytest

from deepradiology.lesion import Lesion
from deepradiology.longitudinal import recist11 as r


def lesion(lid, long_mm, short_mm=None, *, node=False, organ="liver"):
    return Lesion(lid, long_axis_mm=long_mm, short_axis_mm=short_mm if short_mm is not None else long_mm * 0.6,
                  is_lymph_node=node, location=organ)


def test_a_lesion_of_10_mm_is_measurable_and_one_of_9_9_mm_is_not():
    assert r.is_measurable_at_baseline(lesion("a", 10.0))
    assert not r.is_measurable_at_baseline(lesion("b", 9.9))


def test_a_lymph_node_is_measurable_from_15_mm_short_axis_whatever_its_long_axis():
    assert r.is_measurable_at_baseline(lesion("n", 30.0, 15.0, node=True))
    assert not r.is_measurable_at_baseline(lesion("m", 30.0, 14.9, node=True))


def test_nodes_are_measured_on_the_short_axis_and_other_lesions_on_the_long_axis():
    assert r.target_diameter_mm(lesion("n", 30.0, 18.0, node=True)) == 18.0
    assert r.target_diameter_mm(lesion("l", 30.0, 18.0)) == 30.0
    assert r.target_diameter_mm(None) == 0.0


def test_at_most_five_targets_and_at_most_two_per_organ_largest_first():
    lesions = [lesion(f"liver{i}", 20 + i) for i in range(4)] + [lesion(f"lung{i}", 12 + i, organ="lung") for i in range(3)]
    lesions += [lesion("node", 40, 20, node=True), lesion("small", 8)]
    targets, non_targets = r.select_target_lesions(lesions)
    ids = [t.lesion_id for t in targets]
    assert len(ids) == 5
    assert ids[:2] == ["liver3", "liver2"]                 # the two largest liver lesions
    assert sum(i.startswith("lung") for i in ids) == 2
    assert "node" in ids and "small" not in ids
    assert {n.lesion_id for n in non_targets} == {"liver0", "liver1", "lung0", "small"}


def test_all_lymph_nodes_count_as_one_organ_for_the_per_organ_limit():
    nodes = [lesion(f"n{i}", 30, 16 + i, node=True, organ=f"station {i}") for i in range(3)]
    targets, _ = r.select_target_lesions(nodes)
    assert [t.lesion_id for t in targets] == ["n2", "n1"]


def test_the_sum_adds_target_diameters_and_counts_vanished_targets_as_zero():
    assert r.sum_of_diameters([12.5, 0.0, 30.0]) == pytest.approx(42.5)


def test_the_nadir_is_the_smallest_sum_so_far_including_baseline():
    assert r.nadir_sum([50.0, 40.0, 45.0]) == 40.0
    assert r.nadir_sum([50.0]) == 50.0
    with pytest.raises(ValueError):
        r.nadir_sum([])


def test_complete_response_needs_every_lesion_gone_and_every_node_below_10_mm():
    assert r.is_complete_response([0.0, 9.9], [False, True])
    assert not r.is_complete_response([0.0, 10.0], [False, True])
    assert not r.is_complete_response([0.1, 5.0], [False, True])


def test_partial_response_starts_at_exactly_30_percent_below_baseline():
    assert r.is_partial_response(70.0, 100.0)
    assert not r.is_partial_response(70.1, 100.0)


def test_progression_needs_20_percent_and_5_mm_over_the_nadir():
    assert r.is_progressive_disease(30.0, 25.0)          # +20 % and +5 mm exactly
    assert not r.is_progressive_disease(29.9, 25.0)      # +19.6 %, +4.9 mm
    assert not r.is_progressive_disease(14.0, 10.0)      # +40 % but only +4 mm
    assert not r.is_progressive_disease(125.0, 105.0)    # +20 mm but only +19 %
    assert r.is_progressive_disease(126.0, 105.0)


def test_a_new_lesion_is_progression_whatever_the_sum():
    assert r.is_progressive_disease(10.0, 50.0, new_lesion=True)
    assert r.overall_response("PR", non_targets_present=False, new_lesion=True) == "PD"


def test_target_response_picks_pd_before_pr_when_the_sum_regrows_from_the_nadir():
    # baseline 100, nadir 40, now 50 (+25 %, +10 mm over the nadir) is still 50 % below baseline
    assert r.target_response([50.0], [False], baseline_sum_mm=100.0, nadir_sum_mm=40.0) == "PD"
    assert r.target_response([60.0], [False], baseline_sum_mm=100.0, nadir_sum_mm=60.0) == "PR"
    assert r.target_response([80.0], [False], baseline_sum_mm=100.0, nadir_sum_mm=80.0) == "SD"
    assert r.target_response([0.0, 8.0], [False, True], baseline_sum_mm=40.0, nadir_sum_mm=40.0) == "CR"


def test_complete_response_of_targets_with_non_targets_left_is_a_partial_response_overall():
    assert r.overall_response("CR", non_targets_present=True, new_lesion=False) == "PR"
    assert r.overall_response("CR", non_targets_present=False, new_lesion=False) == "CR"
    assert r.overall_response("SD", non_targets_present=True, new_lesion=False, non_target_progression=True) == "PD"
