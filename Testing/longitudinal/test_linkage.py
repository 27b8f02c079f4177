"""Single-linkage groups, the merge both Algorithm 1's step 2 and one-record-per-lesion use."""

from __future__ import annotations

from deepradiology.longitudinal.linkage import linked_groups


def test_a_chain_of_linked_pairs_is_one_group_and_the_rest_stay_alone():
    links = {(0, 2), (2, 4)}                       # 0 ~ 2 ~ 4, though 0 and 4 are not linked themselves
    assert linked_groups(5, lambda i, j: (i, j) in links) == [[0, 2, 4], [1], [3]]


def test_every_pair_is_asked_once_in_order_and_nothing_is_no_groups():
    asked = []
    linked_groups(3, lambda i, j: asked.append((i, j)) or False)
    assert asked == [(0, 1), (0, 2), (1, 2)]
    assert linked_groups(0, lambda i, j: True) == []
