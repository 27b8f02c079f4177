"""Algorithm 1 of Yan et al. (CVPR 2018, "Deep Lesion Graphs in the Wild"): intra-patient lesion matching.

Input: the embeddings of every lesion of one patient, each with its study index, in the match units
of `embedding` (Euclidean distance d_ij). Steps, as in the paper:

1. build a graph whose nodes are lesions;
2. **merge** nodes i, j of the same study when d_ij < T1 (one lesion marked twice);
3. **threshold**: keep only inter-study edges with d_ij <= T2;
4. **exclusion**: at most one match per lesion in each other study. ``exclusion="nearest"`` is the
   paper's rule (drop <i, j> when i has a closer neighbour k in j's study, and vice versa);
   ``exclusion="assignment"`` (default) solves it jointly for each pair of studies (the Hungarian
   assignment of least total distance), which uses every lesion of both studies at once;
5. **extraction**: connected components are the tracks. A component that still holds two lesions of
   one study (a chain through a third study) is cut at its longest edge on the path between them.

Each kept match gets a confidence: the share of exp(-d^2/2) among all its alternatives within T2
(other lesions of either study, and "no match" at T2), times the studies' alignment confidence.
Tracks are named new (first seen after the baseline), vanished (gone before the last study), split
(a new lesion inside the extent of a lesion that is still followed) and merged (a lesion that
disappears into the extent of another followed lesion).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from itertools import combinations

import numpy as np

from .linkage import linked_groups

__all__ = ["Match", "LesionTrack", "LesionGraph", "match_lesion_graph", "DEFAULT_T1", "DEFAULT_T2"]

DEFAULT_T1 = 0.5   #: merge same-study lesions closer than this (5 mm with equal size and type)
DEFAULT_T2 = 4.0   #: never match lesions further apart than this (e.g. 40 mm with equal size and type)
_NO_EDGE = 1e6


@dataclass
class Match:
    """One link between a lesion of study ``study_a`` and one of a later study ``study_b``."""

    study_a: str
    lesion_a: str
    study_b: str
    lesion_b: str
    distance: float
    confidence: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class LesionTrack:
    """One lesion followed over time.

    Attributes:
        track_id: "T1", "T2", ... ordered by first appearance.
        lesions: study id -> lesion ids in that study (two or more only when merged by T1).
        status: "persistent", "new", "vanished", "new and vanished", "split" or "merged".
        split_from / merged_into: the track this one split from or merged into (None otherwise).
        events: what happened, in words ("appears in S2", "vanishes after S0", ...).
    """

    track_id: str
    lesions: dict[str, list[str]]
    status: str = "persistent"
    split_from: str | None = None
    merged_into: str | None = None
    events: list[str] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["matches"] = [m.to_dict() for m in self.matches]
        return d


@dataclass
class LesionGraph:
    """The result of Algorithm 1: tracks, all kept matches, and the T1 merges."""

    tracks: list[LesionTrack]
    matches: list[Match]
    duplicates: list[tuple[str, list[str]]]
    graph: object = None   # the networkx graph of lesion groups and kept edges

    def track_of(self, study: str, lesion_id: str) -> LesionTrack | None:
        for track in self.tracks:
            if lesion_id in track.lesions.get(study, []):
                return track
        return None


def _merge_groups(emb: np.ndarray, t1: float) -> list[list[int]]:
    """Step 2: union of same-study lesions closer than T1 (single linkage)."""
    return linked_groups(len(emb), lambda i, j: bool(np.linalg.norm(emb[i] - emb[j]) < t1))


def _exclusion(d: np.ndarray, t2: float, mode: str) -> list[tuple[int, int]]:
    """Steps 3-4 for one pair of studies: kept (row, column) pairs of the distance matrix ``d``."""
    if d.size == 0:
        return []
    if mode == "nearest":
        kept = []
        for i in range(d.shape[0]):
            j = int(np.argmin(d[i]))
            if d[i, j] <= t2 and int(np.argmin(d[:, j])) == i:
                kept.append((i, j))
        return kept
    if mode != "assignment":
        raise ValueError(f"exclusion must be 'assignment' or 'nearest', got {mode!r}")
    from scipy.optimize import linear_sum_assignment

    # Padding with "no match" at cost T2 for every lesion lets a lesion stay unmatched whenever
    # every match it could take would cost more than leaving both sides alone.
    n, m = d.shape
    cost = np.full((n + m, m + n), 0.0)
    cost[:n, :m] = np.where(d <= t2, d, _NO_EDGE)
    cost[:n, m:] = np.where(np.eye(n, dtype=bool), t2, _NO_EDGE)
    cost[n:, :m] = np.where(np.eye(m, dtype=bool), t2, _NO_EDGE)
    rows, cols = linear_sum_assignment(cost)
    return [(int(i), int(j)) for i, j in zip(rows, cols) if i < n and j < m and d[i, j] <= t2]


def _confidence(d: np.ndarray, i: int, j: int, t2: float) -> float:
    score = lambda x: float(np.exp(-0.5 * x * x))  # noqa: E731 - a one-line kernel reads best inline
    alternatives = [x for x in d[i] if x <= t2] + [x for x in d[:, j] if x <= t2]
    total = sum(score(x) for x in alternatives) - score(d[i, j]) + score(t2)
    return score(d[i, j]) / total


def match_lesion_graph(embeddings: list[np.ndarray], lesion_ids: list[list[str]], study_ids: list[str], *,
                       t1: float = DEFAULT_T1, t2: float = DEFAULT_T2, exclusion: str = "assignment",
                       study_confidence: list[float] | None = None,
                       extents_mm: list[list[tuple[np.ndarray, float]]] | None = None) -> LesionGraph:
    """Run Algorithm 1 over all lesions of one patient.

    Args:
        embeddings: per study (in time order), an (n lesions, dims) array in match units.
        lesion_ids: per study, the ids of those lesions (unique within the study).
        study_ids: the studies' ids, baseline first.
        t1, t2: merge and match thresholds in match units.
        exclusion: "assignment" (joint, default) or "nearest" (the paper's literal rule).
        study_confidence: per study, the alignment confidence (1.0 registered, lower when not).
        extents_mm: per study and lesion, (centre in baseline LPS mm, radius mm), used only to tell
            split and merged lesions from new and vanished ones.

    Returns:
        A `LesionGraph`; each lesion belongs to exactly one track.
    """
    import networkx as nx

    n_studies = len(study_ids)
    conf = study_confidence or [1.0] * n_studies
    groups, centroids, duplicates = [], [], []
    for s, emb in enumerate(embeddings):
        emb = np.asarray(emb, dtype=float)
        emb = emb.reshape(len(lesion_ids[s]), -1) if len(lesion_ids[s]) else np.zeros((0, 1))
        gs = _merge_groups(emb, t1)
        groups.append(gs)
        centroids.append(np.array([emb[g].mean(axis=0) for g in gs]) if gs else np.zeros((0, emb.shape[1])))
        duplicates += [(study_ids[s], [lesion_ids[s][i] for i in g]) for g in gs if len(g) > 1]
    graph = nx.Graph()
    for s, gs in enumerate(groups):
        for g, members in enumerate(gs):
            graph.add_node((s, g), study=s, lesions=[lesion_ids[s][i] for i in members])
    for s, t in combinations(range(n_studies), 2):
        if len(centroids[s]) == 0 or len(centroids[t]) == 0:
            continue
        d = np.linalg.norm(centroids[s][:, None, :] - centroids[t][None, :, :], axis=2)
        for i, j in _exclusion(d, t2, exclusion):
            graph.add_edge((s, i), (t, j), distance=float(d[i, j]),
                           confidence=_confidence(d, i, j, t2) * min(conf[s], conf[t]))
    _cut_conflicts(graph)
    return _extract_tracks(graph, study_ids, lesion_ids, groups, duplicates, extents_mm)


def _cut_conflicts(graph) -> None:
    """Step 5's guard: a track holds at most one lesion group per study; cut its longest edge otherwise."""
    import networkx as nx

    changed = True
    while changed:
        changed = False
        for comp in list(nx.connected_components(graph)):
            by_study: dict[int, list] = {}
            for node in comp:
                by_study.setdefault(node[0], []).append(node)
            clash = next((nodes for nodes in by_study.values() if len(nodes) > 1), None)
            if clash:
                path = nx.shortest_path(graph, clash[0], clash[1])
                edges = list(zip(path[:-1], path[1:]))
                worst = max(edges, key=lambda e: graph.edges[e]["distance"])
                graph.remove_edge(*worst)
                changed = True
                break


def _extract_tracks(graph, study_ids, lesion_ids, groups, duplicates, extents_mm) -> LesionGraph:
    import networkx as nx

    n_studies = len(study_ids)
    comps = sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: (c[0][0], c[0][1]))
    tracks, node_track = [], {}
    for n, comp in enumerate(comps):
        track = LesionTrack(f"T{n + 1}", {study_ids[s]: list(graph.nodes[(s, g)]["lesions"]) for s, g in comp})
        for node in comp:
            node_track[node] = track
        for a, b in graph.subgraph(comp).edges:
            a, b = sorted((a, b))
            e = graph.edges[a, b]
            track.matches.append(Match(study_ids[a[0]], graph.nodes[a]["lesions"][0], study_ids[b[0]],
                                       graph.nodes[b]["lesions"][0], round(e["distance"], 4),
                                       round(e["confidence"], 4)))
        track.matches.sort(key=lambda m: (study_ids.index(m.study_a), study_ids.index(m.study_b)))
        tracks.append(track)
    for comp, track in zip(comps, tracks):
        first, last = comp[0][0], comp[-1][0]
        if first > 0:
            parent = _container(comp[0], first - 1, graph, node_track, groups, extents_mm, track, True)
            track.split_from = parent.track_id if parent else None
            track.events.append(f"splits from {parent.track_id} in {study_ids[first]}" if parent
                                else f"appears in {study_ids[first]}")
        if last < n_studies - 1:
            heir = _container(comp[-1], last + 1, graph, node_track, groups, extents_mm, track, False)
            track.merged_into = heir.track_id if heir else None
            track.events.append(f"merges into {heir.track_id} in {study_ids[last + 1]}" if heir
                                else f"vanishes after {study_ids[last]}")
        track.status = _status(track, first, last, n_studies)
    matches = [m for t in tracks for m in t.matches]
    return LesionGraph(tracks, matches, duplicates, graph)


def _status(track: LesionTrack, first: int, last: int, n_studies: int) -> str:
    if track.split_from:
        return "split"
    if track.merged_into:
        return "merged"
    new, gone = first > 0, last < n_studies - 1
    return "new and vanished" if new and gone else "new" if new else "vanished" if gone else "persistent"


def _container(node, other_study, graph, node_track, groups, extents_mm, track, forward):
    """The track of a lesion in ``other_study`` whose extent holds ``node``'s lesion, when that track
    is followed on both sides (so the lesion split off it, or merged into it); None otherwise."""
    if extents_mm is None:
        return None
    s, g = node
    centre, radius = _group_extent(extents_mm[s], groups[s][g])
    best, best_gap = None, 0.0
    for h, members in enumerate(groups[other_study]):
        other = node_track.get((other_study, h))
        if other is None or other is track:
            continue
        # The other track must be present in this lesion's study too: it continued, while this
        # lesion came out of it (split) or went into it (merge).
        if not any(n[0] == s for n in graph.nodes if node_track.get(n) is other):
            continue
        c2, r2 = _group_extent(extents_mm[other_study], members)
        gap = float(np.linalg.norm(centre - c2)) - r2
        if gap <= 0.0 and (best is None or gap < best_gap):
            best, best_gap = other, gap
    return best


def _group_extent(extents: list[tuple[np.ndarray, float]], members: list[int]) -> tuple[np.ndarray, float]:
    centre = np.mean([np.asarray(extents[i][0], dtype=float) for i in members], axis=0)
    return centre, max(float(extents[i][1]) for i in members)
