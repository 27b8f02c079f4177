"""Querying a lesion database: the most similar stored lesions, with distances and why they are close.

Each neighbour comes with its distance in the embedding and with per-cue comparisons a radiologist can
read: same type or not, distance in normalised body location (percent of the body), size ratio, and
for the descriptor the distance within its appearance block. ``closest_by`` names the cue that agrees
best relative to its typical spread (location within 5 % of the body, sizes within 20 %, appearance
within one standard unit), which is the cue that dominated the match.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import InputError
from ..image import Image
from ..lesion import Lesion
from ..progress import ProgressCallback
from .database import LesionDatabase, StoredLesion
from .index import VectorIndex

__all__ = ["Neighbour", "QueryFilters", "find_similar", "find_similar_to_vector", "explain_match"]

# Typical spread of each cue: the distance at which a cue stops counting as "close".
_TYPICAL = {"location": 0.05, "size": math.log(1.2), "appearance": 1.0}


@dataclass
class QueryFilters:
    """Which stored lesions may be returned.

    Attributes:
        other_patients_than: leave out lesions of this patient (the query's own patient).
        types: keep only these coarse types ("liver", "lung", ...); empty keeps all.
        size_range_mm: keep lesions whose long diameter lies in [low, high] mm.
        exclude_ids: database ids never to return (the query itself when it is stored).
    """

    other_patients_than: str | None = None
    types: tuple[str, ...] = ()
    size_range_mm: tuple[float, float] | None = None
    exclude_ids: tuple[int, ...] = ()

    def allowed(self, table: dict) -> np.ndarray | None:
        """Boolean mask over `LesionDatabase.filter_table` rows, None when nothing is filtered."""
        if not (self.other_patients_than or self.types or self.size_range_mm or self.exclude_ids):
            return None
        keep = np.ones(len(table["id"]), dtype=bool)
        if self.other_patients_than:
            keep &= table["patient"] != str(self.other_patients_than)
        if self.types:
            keep &= np.isin(table["lesion_type"], list(self.types))
        if self.size_range_mm:
            lo, hi = self.size_range_mm
            keep &= (table["long_mm"] >= lo) & (table["long_mm"] <= hi)
        if self.exclude_ids:
            keep &= ~np.isin(table["id"], list(self.exclude_ids))
        return keep


@dataclass
class Neighbour:
    """One retrieved lesion: rank 1 is the closest; distance in embedding units."""

    rank: int
    distance: float
    stored: StoredLesion
    cues: dict = field(default_factory=dict)
    closest_by: str = ""

    def to_dict(self) -> dict:
        lz = self.stored.lesion
        return {"rank": self.rank, "distance": round(self.distance, 4), "id": self.stored.id,
                "uid": self.stored.uid, "patient": lz.patient, "study": lz.study, "series": lz.series,
                "slice_index": lz.slice_index, "lesion_type": lz.lesion_type, "location": lz.location,
                "long_axis_mm": lz.long_axis_mm, "short_axis_mm": lz.short_axis_mm,
                "normalized_location": lz.normalized_location, "image_path": self.stored.image_path,
                "has_image": self.stored.has_image, "closest_by": self.closest_by, "cues": self.cues}


def explain_match(query: Lesion, found: Lesion, *, query_vector=None, found_vector=None, embedder=None) -> tuple[dict, str]:
    """Per-cue comparison of two lesions and the cue that agrees best (module docstring)."""
    cues: dict = {}
    scores: dict[str, float] = {}
    if query.lesion_type and found.lesion_type:
        cues["same_type"] = query.lesion_type == found.lesion_type
    if query.normalized_location is not None and found.normalized_location is not None:
        d = float(np.linalg.norm(np.subtract(query.normalized_location, found.normalized_location)))
        cues["location_distance_pct"] = round(100 * d, 2)
        scores["location"] = d / _TYPICAL["location"]
    if query.long_axis_mm and found.long_axis_mm:
        ratio = found.long_axis_mm / query.long_axis_mm
        cues["size_ratio"] = round(ratio, 3)
        scores["size"] = abs(math.log(ratio)) / _TYPICAL["size"]
    if embedder is not None and hasattr(embedder, "cue_distances") and query_vector is not None \
            and found_vector is not None:
        blocks = embedder.cue_distances(query_vector, found_vector)
        cues["block_distances"] = {k: round(v, 4) for k, v in blocks.items()}
        weight = embedder.weights.get("appearance", 0)
        if weight > 0 and np.any(np.asarray(query_vector)[embedder.blocks()["appearance"]]) \
                and np.any(np.asarray(found_vector)[embedder.blocks()["appearance"]]):
            scores["appearance"] = blocks["appearance"] / (weight * _TYPICAL["appearance"])
    closest = min(scores, key=scores.get) if scores else ""
    if closest and cues.get("same_type") and scores[closest] > 1.0:
        closest = "type"                          # nothing else is close: the shared type carried it
    return cues, closest


def find_similar_to_vector(db: LesionDatabase, vector: np.ndarray, *, model: str, k: int = 10,
                           filters: QueryFilters | None = None, query_lesion: Lesion | None = None,
                           index: VectorIndex | None = None, embedder=None,
                           progress: ProgressCallback | None = None) -> list[Neighbour]:
    """The ``k`` stored lesions nearest to ``vector`` (made by ``model``) that pass ``filters``.

    ``progress`` reaches the index build when the database's index must be (re)built first (the first
    query after an import); it may raise `Cancelled`, and no index file is saved then.

    Raises:
        InputError: the database has no vectors of ``model``, or ``vector`` has the wrong dimension.
    """
    if k < 1:
        raise InputError("-k", f"must be at least 1, got {k}")
    index = index or VectorIndex.for_database(db, model, progress=progress)
    filters = filters or QueryFilters()
    allowed_ids = None
    if filters.other_patients_than or filters.types or filters.size_range_mm or filters.exclude_ids:
        table = db.filter_table()
        allowed_ids = set(table["id"][filters.allowed(table)].tolist())
    want = k if allowed_ids is None else k * 4
    while True:
        dist, ids = index.search(np.asarray(vector, dtype=np.float32), min(want, max(index.count, 1)), model=model)
        pairs = [(float(d), int(i)) for d, i in zip(dist[0], ids[0]) if i >= 0]
        if allowed_ids is not None:
            pairs = [(d, i) for d, i in pairs if i in allowed_ids]
        if len(pairs) >= k or want >= index.count:
            break
        want *= 4
    pairs = pairs[:k]
    stored = {s.id: s for s in db.get_many([i for _, i in pairs])}
    vectors = {}
    if query_lesion is not None and embedder is not None and pairs:
        ids_all, vecs_all = _vectors_for(db, model, [i for _, i in pairs])
        vectors = dict(zip(ids_all.tolist(), vecs_all))
    out = []
    for rank, (d, i) in enumerate(pairs, start=1):
        cues, closest = ({}, "")
        if query_lesion is not None:
            cues, closest = explain_match(query_lesion, stored[i].lesion, query_vector=vector,
                                          found_vector=vectors.get(i), embedder=embedder)
        out.append(Neighbour(rank=rank, distance=d, stored=stored[i], cues=cues, closest_by=closest))
    return out


def _vectors_for(db: LesionDatabase, model: str, ids: list[int]) -> tuple[np.ndarray, list]:
    marks = ",".join("?" * len(ids))
    rows = db._run(f"SELECT lesion_id, vector FROM embeddings WHERE model = ? AND lesion_id IN ({marks})",
                   [model, *ids]).fetchall()
    return np.array([r[0] for r in rows]), [np.frombuffer(r[1], dtype=np.float32) for r in rows]


def find_similar(db: LesionDatabase, lesion: Lesion, *, image: Image | None = None, embedder=None, k: int = 10,
                 filters: QueryFilters | None = None, progress: ProgressCallback | None = None) -> list[Neighbour]:
    """Embed ``lesion`` (with its image when given) and return its ``k`` most similar stored lesions.

    A lesion without a normalised location gets one from ``image``. The embedder defaults to the
    descriptor; its model must be the one the database was embedded with.
    """
    from .descriptor import DescriptorEmbedder
    from .location import normalized_location

    embedder = embedder or DescriptorEmbedder()
    if lesion.normalized_location is None and image is not None and lesion.centre_lps is not None:
        lesion = replace(lesion, normalized_location=normalized_location(image, lesion.centre_lps)[0])
    models = db.embedding_models()
    if embedder.name not in models:
        raise InputError(db.path, f"has no embeddings of {embedder.name!r} (it has: {', '.join(models) or 'none'}); "
                                  "query with the model the database was built with")
    vector = embedder.embed(lesion, image)
    return find_similar_to_vector(db, vector, model=embedder.name, k=k, filters=filters, query_lesion=lesion,
                                  embedder=embedder, progress=progress)
