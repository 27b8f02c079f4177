"""The talk's Table 1 (Yan et al., CVPR 2018): retrieval, clustering and classification over DeepLesion.

Definitions (worked out in docs/adr/0004-lesion-retrieval-table1-metrics.md, where the location
baseline is reproduced):

- Retrieval: for every query lesion, its top-5 neighbours among the OTHER evaluated lesions (the query
  itself is left out; lesions of the same patient are allowed, as in the paper's Table 1). Average
  retrieval error ARE = mean over queries of (1/K) sum_i ||t_Q - t_i|| in percent, where t is:
  type: 0 if same type, 1 otherwise (so ARE_type = % of neighbours of another type);
  location: the normalised (x, y, z), each axis divided by its maximum over the evaluated lesions;
  size: the long diameter in mm divided by its maximum over the evaluated lesions.
- Clustering: K-means with 8 clusters (10 restarts), purity and NMI (arithmetic mean) against the
  8 coarse types, in percent.
- Classification: an 8-way softmax (multinomial logistic regression) on the features, trained and
  tested by stratified 4-fold cross-validation on the evaluated lesions (the paper trained it on
  labelled seed lesions outside the test set, which DeepLesion's public test file does not hold).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import InputError

__all__ = ["table1_metrics", "neighbours_excluding_self", "purity_score", "deeplesion_features",
           "FEATURE_CHOICES"]

FEATURE_CHOICES = ("location", "size", "type", "descriptor")


def neighbours_excluding_self(features: np.ndarray, k: int, *, patients: Sequence | None = None) -> np.ndarray:
    """(n, k) indices of each row's k nearest rows (Euclidean), never the row itself; with ``patients``,
    never a row of the same patient. Exact search (FAISS flat)."""
    import faiss

    x = np.ascontiguousarray(np.asarray(features, dtype=np.float32))
    n = len(x)
    index = faiss.IndexFlatL2(x.shape[1])
    index.add(x)
    extra = 1 if patients is None else min(n, 64)
    while True:
        _, idx = index.search(x, min(n, k + extra))
        out = np.full((n, k), -1, dtype=np.int64)
        short = False
        pats = None if patients is None else np.asarray(patients)
        for q in range(n):
            row = idx[q][(idx[q] != q) & (idx[q] >= 0)]
            if pats is not None:
                row = row[pats[row] != pats[q]]
            if len(row) < k and len(idx[q]) < n:
                short = True
                break
            out[q, :min(k, len(row))] = row[:k]
        if not short:
            return out
        extra *= 4


def purity_score(labels: np.ndarray, clusters: np.ndarray) -> float:
    """Fraction of lesions whose cluster's majority type is their own type."""
    labels, clusters = np.asarray(labels), np.asarray(clusters)
    total = 0
    for c in np.unique(clusters):
        total += np.bincount(labels[clusters == c]).max()
    return total / len(labels)


def table1_metrics(features: np.ndarray, *, types: np.ndarray, locations: np.ndarray, long_mm: np.ndarray,
                   short_mm: np.ndarray | None = None, patients: Sequence | None = None,
                   exclude_same_patient: bool = False, k: int = 5, n_clusters: int = 8, seed: int = 0,
                   folds: int = 4) -> dict:
    """Table 1's numbers (percent) for one feature representation.

    Args:
        features: (n, d) one vector per lesion.
        types: (n,) coarse types 1-8.
        locations: (n, 3) normalised body locations.
        long_mm, short_mm: (n,) diameters in mm (short only for the extra two-diameter size error).
        patients: (n,) patient ids, needed with ``exclude_same_patient``.

    Returns:
        are_type, are_location, are_size, purity, nmi, accuracy (percent), plus n, k and
        ``are_size_long_and_short`` (the size error on both diameters, each over its maximum).
    """
    from sklearn.cluster import KMeans
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import normalized_mutual_info_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    x = np.asarray(features, dtype=np.float64)
    types = np.asarray(types, dtype=int)
    n = len(x)
    if n <= k or len(types) != n or len(locations) != n or len(long_mm) != n:
        raise InputError("features", f"need more than {k} lesions with matching labels, got {n}")
    if not np.all(np.isfinite(x)):
        raise InputError("features", "contain NaN or infinite values")
    nb = neighbours_excluding_self(x, k, patients=patients if exclude_same_patient else None)
    valid = nb >= 0
    loc = np.asarray(locations, dtype=float)
    loc = loc / loc.max(axis=0)
    size = np.asarray(long_mm, dtype=float)[:, None]
    size = size / size.max()

    def are(t: np.ndarray) -> float:
        d = np.linalg.norm(t[nb] - t[:, None, :], axis=2)
        return float(100 * np.sum(d * valid) / valid.sum())

    out = {"are_type": float(100 * np.sum((types[nb] != types[:, None]) & valid) / valid.sum()),
           "are_location": are(loc), "are_size": are(size)}
    if short_mm is not None:
        both = np.stack([long_mm, short_mm], axis=1).astype(float)
        out["are_size_long_and_short"] = are(both / both.max(axis=0))
    clusters = KMeans(n_clusters, n_init=10, random_state=seed).fit_predict(x)
    out["purity"] = float(100 * purity_score(types, clusters))
    out["nmi"] = float(100 * normalized_mutual_info_score(types, clusters))
    classifier = LogisticRegression(max_iter=5000)
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    predicted = cross_val_predict(classifier, x, types, cv=cv)
    out["accuracy"] = float(100 * np.mean(predicted == types))
    out.update({"n": n, "k": k, "exclude_same_patient": bool(exclude_same_patient)})
    return out


def deeplesion_features(rows, kind: str, *, images=None, embedder=None) -> tuple[np.ndarray, np.ndarray]:
    """Feature vectors for `DLInfoRow`s.

    Args:
        kind: "location" (normalised x, y, z), "size" (long and short mm, each over its maximum),
            "type" (one-hot: a sanity check, ARE_type 0), "descriptor" (`DescriptorEmbedder`, with key
            slices from ``images`` where present), or "model" (``embedder`` must be given; rows without
            key slices are left out).

    Returns:
        (features (m, d), indices of the rows they belong to).
    """
    if kind == "location":
        return np.array([r.normalized_location for r in rows], dtype=float), np.arange(len(rows))
    if kind == "size":
        s = np.array([r.diameters_mm for r in rows], dtype=float)
        return s / s.max(axis=0), np.arange(len(rows))
    if kind == "type":
        return np.eye(9)[[r.lesion_type for r in rows]][:, 1:], np.arange(len(rows))
    if kind in ("descriptor", "model"):
        from pathlib import Path

        from .descriptor import DescriptorEmbedder
        from .importers import _deeplesion_image

        embedder = embedder or DescriptorEmbedder()
        images = Path(images) if images else None
        feats, keep = [], []
        for n, row in enumerate(rows):
            image = _deeplesion_image(images, row)[0] if images is not None else None
            if image is None and getattr(embedder, "needs_image", False):
                continue
            feats.append(embedder.embed(row.to_lesion(), image))
            keep.append(n)
        if not feats:
            raise InputError(images or "--images", "no lesion has its key slice here, so the model cannot embed any")
        return np.asarray(feats, dtype=float), np.asarray(keep)
    raise InputError("--features", f"unknown feature kind {kind!r}; use {', '.join(FEATURE_CHOICES)} or model:NAME")
