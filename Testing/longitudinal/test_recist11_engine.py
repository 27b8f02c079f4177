"""The RECIST 1.1 engine against categories worked out by hand from Eisenhauer et al., EJC 45 (2009) 228-247.

Every expected category below was derived by reading the guideline's rule, never by running the engine:
section 3.1 (measurability), 3.3 (targets: 5, 2 per organ; sum), 4.3.1 (target response), 4.3.2
(non-targets), 4.3.2/4.3.3 (new lesions, equivocal ones), 4.4 Tables 4 and 5 (overall response).
"""

from __future__ import annotations

import pytest

from deepradiology.errors import InputError
from deepradiology.longitudinal.assessment import assessment_from_dict, output_dict
from deepradiology.longitudinal.engine import evaluate

DATES = ["2024-01-01", "2024-03-01", "2024-05-01", "2024-07-01", "2024-09-01", "2024-11-01"]


def tgt(lid, long_mm=None, short_mm=None, *, node=False, organ="liver", status="present"):
    return {"id": lid, "organ": organ, "node": node, "long_mm": long_mm, "short_mm": short_mm, "status": status}


def nt(lid, status="present", *, node=False, short_mm=None, organ="lung"):
    return {"id": lid, "organ": organ, "node": node, "short_mm": short_mm, "status": status}


def run(*points, thickness=None):
    """points: (targets, non_targets, new_lesions) per time point, dated from DATES."""
    data = {"time_points": [{"date": DATES[n], "targets": t, "non_targets": nts, "new_lesions": new}
                            for n, (t, nts, new) in enumerate(points)]}
    if thickness is not None:
        data["slice_thickness_mm"] = thickness
    return output_dict(evaluate(assessment_from_dict(data)).time_points)["time_points"]


def overall(*points, **kw):
    return [tp["overall"] for tp in run(*points, **kw)]


# --- target response ---------------------------------------------------------------------------------

def test_cr_allows_nodal_targets_below_10_mm_short_axis_but_not_at_10_mm():
    base = [tgt("T1", 30, 20), tgt("N1", 25, 20, node=True, organ="lymph node")]
    gone_small = [tgt("T1", status="absent"), tgt("N1", 12, 9.9, node=True)]
    node_10 = [tgt("T1", status="absent"), tgt("N1", 12, 10.0, node=True)]
    # N1 at 9.9 mm is normal: CR although the sum is 9.9 mm; at 10.0 mm it is not: 10 vs 50 mm = -80 %: PR.
    tps = run((base, [], []), (gone_small, [], []))
    assert tps[1]["target_response"] == "CR" and tps[1]["overall"] == "CR" and tps[1]["sum_mm"] == pytest.approx(9.9)
    assert overall((base, [], []), (node_10, [], [])) == ["baseline", "PR"]


def test_a_target_without_measurement_is_not_evaluated_never_zero_so_no_false_cr():
    base = [tgt("T1", 30), tgt("T2", 20, organ="lung")]
    for follow in ([tgt("T1", status="absent"), tgt("T2", status="not_evaluated")],   # explicitly not read
                   [tgt("T1", status="absent")],                                     # T2 not listed
                   [tgt("T1", status="absent"), tgt("T2", None, status="present")]):  # present, no length
        tps = run((base, [], []), (follow, [], []))
        assert tps[1]["target_response"] == "NE" and tps[1]["overall"] == "NE", follow
        assert tps[1]["sum_mm"] is None
        assert any("T2" in r and "not evaluated" in r for r in tps[1]["reasons"])


def test_with_a_target_not_evaluated_the_assessed_ones_can_still_show_pd():
    base = [tgt("T1", 40), tgt("T2", 20, organ="lung")]       # sum 60, nadir 60
    # T1 alone 72 mm: +12 mm = +20 % over 60 -> PD whatever T2 is; T1 71 mm (+18 %) -> NE.
    assert overall((base, [], []), ([tgt("T1", 72), tgt("T2", status="not_evaluated")], [], [])) == ["baseline", "PD"]
    assert overall((base, [], []), ([tgt("T1", 71), tgt("T2", status="not_evaluated")], [], [])) == ["baseline", "NE"]


def test_absent_counts_zero_mm_in_the_sum():
    base = [tgt("T1", 30), tgt("T2", 20, organ="lung")]        # 50 mm
    tps = run((base, [], []), ([tgt("T1", status="absent"), tgt("T2", 14, organ="lung")], [], []))
    assert tps[1]["sum_mm"] == pytest.approx(14.0) and tps[1]["target_response"] == "PR"   # -72 %


def test_pr_starts_at_exactly_30_percent_below_the_baseline_sum():
    base = [tgt("T1", 30), tgt("T2", 20, organ="lung")]        # 50 mm; -30 % = 35 mm
    assert overall((base, [], []), ([tgt("T1", 21), tgt("T2", 14)], [], [])) == ["baseline", "PR"]      # 35.0
    assert overall((base, [], []), ([tgt("T1", 21.1), tgt("T2", 14)], [], [])) == ["baseline", "SD"]    # 35.1


def test_pd_needs_20_percent_and_5_mm_over_the_nadir():
    base = [tgt("T1", 20)]
    assert overall((base, [], []), ([tgt("T1", 24)], [], [])) == ["baseline", "SD"]          # +20 % but +4 mm
    base = [tgt("T1", 25)]
    assert overall((base, [], []), ([tgt("T1", 30)], [], [])) == ["baseline", "PD"]          # +20 %, +5 mm exactly
    assert overall((base, [], []), ([tgt("T1", 29.9)], [], [])) == ["baseline", "SD"]        # +19.6 %
    base = [tgt("T1", 60), tgt("T2", 45, organ="lung")]                                       # 105 mm
    assert overall((base, [], []), ([tgt("T1", 80), tgt("T2", 45)], [], [])) == ["baseline", "SD"]  # +20 mm, +19 %


def test_progression_is_measured_from_the_nadir_not_the_baseline():
    base = [tgt("T1", 100)]
    tps = run((base, [], []), ([tgt("T1", 60)], [], []), ([tgt("T1", 70)], [], []), ([tgt("T1", 72)], [], []))
    # 60: -40 % -> PR (nadir 100). 70: +10 mm (+16.7 %) over nadir 60, -30 % from baseline -> PR.
    # 72: +12 mm = +20 % over nadir 60 -> PD, although 28 % below the baseline.
    assert [tp["overall"] for tp in tps] == ["baseline", "PR", "PR", "PD"]
    # nadir_mm: the smallest sum so far (this time point included); PD at 72 mm is judged against 60 mm.
    assert [tp["nadir_mm"] for tp in tps] == [100.0, 60.0, 60.0, 60.0]


def test_a_not_evaluated_time_point_does_not_become_the_nadir():
    base = [tgt("T1", 50), tgt("T2", 50, organ="lung")]        # 100 mm
    tps = run((base, [], []), ([tgt("T1", 10), tgt("T2", status="not_evaluated")], [], []),
              ([tgt("T1", 50), tgt("T2", 50)], [], []))
    # The partial 10 mm is no sum: the nadir stays 100, so 100 mm at the third time point is SD, not PD.
    assert [tp["overall"] for tp in tps] == ["baseline", "NE", "SD"]
    assert tps[2]["nadir_mm"] == 100.0


def test_a_target_reappearing_after_cr_is_pd_even_below_5_mm():
    base = [tgt("T1", 20)]
    assert overall((base, [], []), ([tgt("T1", status="absent")], [], []),
                   ([tgt("T1", 4)], [], [])) == ["baseline", "CR", "PD"]


def test_a_node_back_to_10_mm_after_cr_is_pd():
    base = [tgt("N1", 30, 16, node=True, organ="lymph node")]
    assert overall((base, [], []), ([tgt("N1", 12, 8, node=True)], [], []),
                   ([tgt("N1", 14, 10, node=True)], [], [])) == ["baseline", "CR", "PD"]


def test_a_target_reappearing_after_pr_is_added_back_to_the_sum():
    base = [tgt("T1", 30), tgt("T2", 20, organ="lung")]        # 50 mm
    # 10 mm -> PR (nadir becomes 10). T1 back at 3 mm: 13 mm, +3 mm over the nadir (< 5 mm) -> still PR.
    assert overall((base, [], []), ([tgt("T1", status="absent"), tgt("T2", 10)], [], []),
                   ([tgt("T1", 3), tgt("T2", 10)], [], [])) == ["baseline", "PR", "PR"]


# --- non-targets, new lesions, overall tables -------------------------------------------------------

def test_table_4_targets_with_non_targets():
    base = ([tgt("T1", 30)], [nt("N1")], [])
    gone = [tgt("T1", status="absent")]
    # Targets CR + non-target CR -> CR; + Non-CR/Non-PD -> PR; + NE -> PR; + PD -> PD.
    assert overall(base, (gone, [nt("N1", "absent")], [])) == ["baseline", "CR"]
    assert overall(base, (gone, [nt("N1", "present")], [])) == ["baseline", "PR"]
    assert overall(base, (gone, [nt("N1", "not_evaluated")], [])) == ["baseline", "PR"]
    assert overall(base, (gone, [nt("N1", "unequivocal_progression")], [])) == ["baseline", "PD"]
    # Targets SD + non-target NE -> SD; targets NE + non-target non-PD -> NE; SD + new lesion -> PD.
    assert overall(base, ([tgt("T1", 28)], [nt("N1", "not_evaluated")], [])) == ["baseline", "SD"]
    assert overall(base, ([tgt("T1", status="not_evaluated")], [nt("N1")], [])) == ["baseline", "NE"]
    assert overall(base, ([tgt("T1", 28)], [nt("N1")], [{"id": "X1", "organ": "bone"}])) == ["baseline", "PD"]
    tps = run(base, (gone, [nt("N1", "present")], []))
    assert tps[1]["target_response"] == "CR" and tps[1]["non_target_response"] == "Non-CR/Non-PD"


def test_non_target_nodes_below_10_mm_count_as_normal_for_cr():
    base = ([tgt("T1", 30)], [nt("L1", node=True, short_mm=12, organ="lymph node")], [])
    gone = [tgt("T1", status="absent")]
    assert overall(base, (gone, [nt("L1", node=True, short_mm=9)], [])) == ["baseline", "CR"]
    assert overall(base, (gone, [nt("L1", node=True, short_mm=11)], [])) == ["baseline", "PR"]


def test_table_5_non_target_disease_only():
    base = ([], [nt("N1"), nt("N2", organ="bone")], [])
    assert overall(base, ([], [nt("N1"), nt("N2", "absent")], [])) == ["baseline", "Non-CR/Non-PD"]
    assert overall(base, ([], [nt("N1", "absent"), nt("N2", "absent")], [])) == ["baseline", "CR"]
    assert overall(base, ([], [nt("N1", "absent"), nt("N2", "not_evaluated")], [])) == ["baseline", "NE"]
    assert overall(base, ([], [nt("N1"), nt("N2", "unequivocal_progression")], [])) == ["baseline", "PD"]
    assert overall(base, ([], [nt("N1", "absent"), nt("N2", "absent")], [{"id": "X", "organ": "liver"}])) == \
        ["baseline", "PD"]
    tps = run(base, ([], [nt("N1"), nt("N2")], []))
    assert tps[1]["target_response"] is None and tps[1]["sum_mm"] is None


def test_an_equivocal_new_lesion_is_not_pd_until_confirmed_then_pd_dates_from_its_first_sighting():
    base = ([tgt("T1", 30)], [], [])
    tps = run(base, ([tgt("T1", 29)], [], [{"id": "X1", "organ": "liver", "equivocal": True}]),
              ([tgt("T1", 29)], [], [{"id": "X1", "organ": "liver", "equivocal": False}]),
              ([tgt("T1", 29)], [], [{"id": "X1", "organ": "liver", "equivocal": False}]))
    assert [tp["overall"] for tp in tps] == ["baseline", "SD", "PD", "PD"]
    assert any("X1" in r and DATES[1] in r for r in tps[2]["reasons"])          # PD dated from 2024-03-01
    assert sum("X1" in r and "confirmed" in r and DATES[2] in r for r in tps[1]["reasons"]) == 1
    # Still equivocal at the next study: no PD yet.
    assert overall(base, ([tgt("T1", 29)], [], [{"id": "X1", "equivocal": True}]),
                   ([tgt("T1", 29)], [], [{"id": "X1", "equivocal": True}])) == ["baseline", "SD", "SD"]


# --- baseline: measurability, target choice ----------------------------------------------------------

def test_measurability_at_baseline():
    follow = [tgt("A", 10), tgt("B", 9.9, organ="lung"), tgt("N", 20, 15, node=True, organ="lymph node"),
              tgt("M", 20, 14.9, node=True, organ="lymph node"), tgt("S", 12, 9.9, node=True, organ="lymph node")]
    ev = evaluate(assessment_from_dict({"time_points": [{"date": DATES[0], "targets": follow}]}))
    assert ev.targets == ["A", "N"]                 # 10 mm long axis; node 15 mm short axis
    assert set(ev.non_targets) == {"B", "M"}        # 9.9 mm lesion; 10-15 mm pathological node
    assert ev.ignored == ["S"]                      # node < 10 mm is normal
    reasons = " ".join(ev.time_points[0].reasons)
    assert "B" in reasons and "not measurable" in reasons and "normal" in reasons
    assert ev.time_points[0].sum_mm == pytest.approx(25.0)   # 10 (long) + 15 (node short axis)


def test_measurability_needs_twice_the_slice_thickness_when_that_is_over_10_mm():
    data = {"slice_thickness_mm": 6, "time_points": [{"date": DATES[0], "targets": [tgt("A", 12), tgt("B", 11.9)]}]}
    ev = evaluate(assessment_from_dict(data))
    assert ev.targets == ["A"] and ev.non_targets == ["B"]


def test_at_most_two_targets_per_organ_and_five_in_all_nodes_being_one_organ():
    targets = [tgt("L1", 40), tgt("L2", 30), tgt("L3", 35),
               tgt("N1", 30, 20, node=True, organ="mediastinum"), tgt("N2", 30, 18, node=True, organ="pelvis"),
               tgt("N3", 30, 22, node=True, organ="axilla"),
               tgt("P1", 15, organ="lung"), tgt("K1", 12, organ="kidney")]
    ev = evaluate(assessment_from_dict({"time_points": [{"date": DATES[0], "targets": targets}]}))
    # Liver: L1, L3 (L2 smallest). Nodes are one organ: N3, N1 (N2 smallest). Then P1 -> 5; K1 over the limit.
    assert ev.targets == ["L1", "L3", "N1", "N3", "P1"]
    assert set(ev.non_targets) == {"L2", "N2", "K1"}
    # The demoted ones are followed as non-targets: L2 still present -> non-targets Non-CR/Non-PD.
    follow = [tgt(t["id"], t["long_mm"], t["short_mm"], node=t["node"]) for t in targets if t["id"] != "L2"]
    follow.append(tgt("L2", 30, status="present"))
    data = {"time_points": [{"date": DATES[0], "targets": targets},
                            {"date": DATES[1], "targets": follow, "non_targets": []}]}
    assert output_dict(evaluate(assessment_from_dict(data)).time_points)["time_points"][1]["non_target_response"] \
        == "Non-CR/Non-PD"


def test_an_unknown_organ_is_said_so_never_guessed():
    ev = evaluate(assessment_from_dict({"time_points": [{"date": DATES[0], "targets": [
        tgt("A", 20, organ=""), tgt("B", 20, organ=""), tgt("C", 20, organ="")]}]}))
    assert ev.targets == ["A", "B", "C"]
    assert sum("organ unknown" in r for r in ev.time_points[0].reasons) == 3


def test_output_has_exactly_the_documented_keys():
    tps = run(([tgt("T1", 30)], [nt("N1")], []), ([tgt("T1", 20)], [nt("N1")], []))
    for tp in tps:
        assert set(tp) == {"date", "target_response", "non_target_response", "overall", "sum_mm", "nadir_mm",
                           "reasons"}
    assert tps[0]["overall"] == "baseline" and tps[1]["overall"] == "PR" and tps[1]["reasons"]


# --- bad input ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("data, words", [
    ({"time_points": []}, "baseline"),
    ({"time_points": [{"date": DATES[0], "targets": [tgt("T1", 30)]},
                      {"date": DATES[1], "targets": [tgt("T9", 30)]}]}, "'T9' is not a baseline target"),
    ({"time_points": [{"date": DATES[0], "targets": [tgt("T1", 30)]},
                      {"date": DATES[1], "non_targets": [nt("T1")]}]}, "'T1' is not a baseline non-target"),
    ({"time_points": [{"date": DATES[1], "targets": [tgt("T1", 30)]},
                      {"date": DATES[0], "targets": [tgt("T1", 30)]}]}, "out of order"),
    ({"time_points": [{"date": DATES[0], "targets": [tgt("T1", 30)]},
                      {"date": DATES[0], "targets": [tgt("T1", 30)]}]}, "out of order"),
    ({"time_points": [{"date": DATES[0]}, {"date": DATES[1], "targets": [tgt("T1", 30)]}]}, "baseline is missing"),
    ({"time_points": [{"date": DATES[0], "targets": [tgt("T1", 30)], "new_lesions": [{"id": "X"}]}]}, "baseline"),
    ({"time_points": [{"date": DATES[0], "targets": [tgt("T1", 30, status="gone")]}]}, "status 'gone'"),
    ({"time_points": [{"date": DATES[0], "targets": [tgt("T1", -3)]}]}, "non-negative"),
    ({"time_points": [{"date": "03/01/2024", "targets": [tgt("T1", 30)]}]}, "YYYY-MM-DD"),
    ({"time_points": [{"date": DATES[0], "targets": [tgt("T1", 30), tgt("T1", 20)]}]}, "listed twice"),
    ({"targets": []}, "time_points"),
    ({"time_points": [{"date": DATES[0], "targets": [tgt("N1", 30, 20, node=True)]},
                      {"date": DATES[1], "targets": [tgt("N1", 30, 20, node=False)]}]}, "node=False here"),
])
def test_bad_assessments_are_refused_naming_the_entry(data, words):
    with pytest.raises(InputError, match=words.replace("(", r"\(")):
        evaluate(assessment_from_dict(data))


def test_a_baseline_target_must_be_present_and_measured():
    with pytest.raises(InputError, match="baseline .*T1.*measured"):
        evaluate(assessment_from_dict({"time_points": [{"date": DATES[0], "targets": [tgt("T1", None)]}]}))
    with pytest.raises(InputError, match="T1.*must be present"):
        evaluate(assessment_from_dict({"time_points": [{"date": DATES[0],
                                                        "targets": [tgt("T1", 20, status="absent")]}]}))


def test_follow_up_entries_may_leave_out_organ_and_node_which_come_from_the_baseline():
    data = {"time_points": [
        {"date": DATES[0], "targets": [tgt("N1", 30, 20, node=True, organ="lymph node")]},
        {"date": DATES[1], "targets": [{"id": "N1", "long_mm": 15, "short_mm": 9, "status": "present"}]}]}
    # Read as a node: 9 mm short axis is normal -> CR (read as a non-nodal 15 mm lesion it would be PR).
    assert [tp["overall"] for tp in output_dict(evaluate(assessment_from_dict(data)).time_points)["time_points"]] \
        == ["baseline", "CR"]


def test_dates_are_echoed_as_given_and_ordered_as_dates():
    data = {"time_points": [{"date": "20240115", "targets": [tgt("T1", 30)]},
                            {"date": "2024-03-01T10:30", "targets": [tgt("T1", 30)]}]}
    assert [tp["date"] for tp in output_dict(evaluate(assessment_from_dict(data)).time_points)["time_points"]] == \
        ["20240115", "2024-03-01T10:30"]
    with pytest.raises(InputError, match="not a calendar date"):
        assessment_from_dict({"time_points": [{"date": "2024-02-30", "targets": [tgt("T1", 30)]}]})
