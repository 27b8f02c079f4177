"""Single-linkage groups (union-find): two items share a group when a chain of linked pairs joins them.

Used where lesion records of one study are merged: Algorithm 1's step 2 (embeddings closer than T1,
`graph`) and one record per lesion (centre inside the other's extent, `records`).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

__all__ = ["linked_groups"]


def linked_groups(n: int, linked: Callable[[int, int], bool]) -> list[list[int]]:
    """Group the indices 0..n-1: ``linked(i, j)`` is asked once for every pair i < j, in order, and a
    true answer joins the two groups.

    Returns:
        the groups, each in ascending order, sorted by their first index (singletons included).
    """
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in combinations(range(n), 2):
        if linked(i, j):
            parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)
    return sorted(groups.values())
