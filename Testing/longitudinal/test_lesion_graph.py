"""Algorithm 1 (merge, threshold, exclusion, extraction) on hand-made embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology.longitudinal.graph import match_lesion_graph


def run(points, **kw):
    emb = [np.asarray(p, dtype=float).reshape(-1, 2) for p in points]
    ids = [[f"s{s}l{i}" for i in range(len(p))] for s, p in enumerate(emb)]
    return match_lesion_graph(emb, ids, [f"S{s}" for s in range(len(emb))], **kw)


def test_lesions_of_one_study_closer_than_t1_are_merged_into_one_node():
    g = run([[(0, 0), (0.2, 0)], [(0.1, 0)]], t1=0.5)
    assert g.duplicates == [("S0", ["s0l0", "s0l1"])]
    assert len(g.tracks) == 1 and g.tracks[0].lesions == {"S0": ["s0l0", "s0l1"], "S1": ["s1l0"]}


def test_lesions_further_apart_than_t2_are_never_matched():
    g = run([[(0, 0)], [(4.1, 0)]], t2=4.0)
    assert len(g.tracks) == 2 and not g.matches
    assert {t.status for t in g.tracks} == {"vanished", "new"}


def test_exclusion_keeps_at_most_one_match_per_other_study_the_closest():
    for mode in ("nearest", "assignment"):
        g = run([[(0, 0)], [(0.6, 0), (1.5, 0)]], exclusion=mode)
        assert len(g.matches) == 1 and g.matches[0].lesion_b == "s1l0", mode


def test_joint_assignment_resolves_two_lesions_competing_for_one_neighbour():
    # s0l0 and s1l1 are each other's nearest, but giving s1l1 to s0l1 and s1l0 to s0l0 costs less
    # overall; the paper's mutual-nearest rule leaves s0l1 and s1l0 unmatched.
    points = [[(0, 0), (2.0, 0)], [(-1.4, 0), (0.9, 0)]]
    joint = run(points, exclusion="assignment")
    pairs = {(m.lesion_a, m.lesion_b) for m in joint.matches}
    assert pairs == {("s0l0", "s1l0"), ("s0l1", "s1l1")}
    nearest = run(points, exclusion="nearest")
    assert {(m.lesion_a, m.lesion_b) for m in nearest.matches} == {("s0l0", "s1l1")}


def test_connected_lesions_become_one_track_over_three_studies_with_confidences():
    g = run([[(0, 0), (10, 0)], [(0.3, 0), (10.2, 0)], [(0.5, 0), (10.4, 0)]])
    assert len(g.tracks) == 2
    assert all(len(t.lesions) == 3 and t.status == "persistent" for t in g.tracks)
    assert all(0.9 < m.confidence <= 1.0 for m in g.matches)


def test_a_close_competitor_lowers_the_confidence_of_a_match():
    alone = run([[(0, 0)], [(0.5, 0)]]).matches[0].confidence
    crowded = run([[(0, 0)], [(0.5, 0), (0, 0.9)]]).matches[0].confidence
    assert crowded < alone - 0.2


def test_a_study_confidence_below_one_scales_the_match_confidence():
    full = run([[(0, 0)], [(0.5, 0)]]).matches[0].confidence
    half = run([[(0, 0)], [(0.5, 0)]], study_confidence=[1.0, 0.5]).matches[0].confidence
    assert half == pytest.approx(full * 0.5, abs=1e-3)


def test_a_track_never_holds_two_lesions_of_one_study_even_through_a_chain():
    # s0l0-s1l0 and s1l0-s2l0 link, and s2l0 also pairs best with s0l1: the longest edge is cut.
    g = run([[(0, 0), (3, 0)], [(1.2, 0)], [(2.4, 0)]], t2=4.0)
    for t in g.tracks:
        assert all(len(ids) == 1 for ids in t.lesions.values())


def test_new_lesion_inside_a_followed_lesion_is_named_a_split_and_a_disappearing_one_a_merge():
    emb = [np.array([[0.0, 0.0]]), np.array([[0.0, 0.0], [9.0, 0.0]]), np.array([[0.0, 0.0]])]
    extents = [[(np.zeros(3), 30.0)], [(np.zeros(3), 15.0), (np.array([12.0, 0, 0]), 5.0)], [(np.zeros(3), 30.0)]]
    g = match_lesion_graph(emb, [["a"], ["a", "b"], ["a"]], ["S0", "S1", "S2"], extents_mm=extents)
    frag = g.track_of("S1", "b")
    main = g.track_of("S1", "a")
    assert frag.status == "split" and frag.split_from == main.track_id and frag.merged_into == main.track_id
    assert any("splits from" in e for e in frag.events)
