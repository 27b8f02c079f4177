"""The FAISS index beside the database: exact when small, IVF past the threshold, persisted, extended."""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology.errors import InputError
from deepradiology.lesion import Lesion
from deepradiology.retrieval import LesionDatabase, VectorIndex
from deepradiology.retrieval.index import index_path_for


def clustered(n: int, dim: int = 8, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, (20, dim))
    return (centres[rng.integers(0, 20, n)] + rng.normal(0, 0.5, (n, dim))).astype(np.float32)


def test_exact_search_finds_the_true_nearest_vectors():
    vecs = clustered(500)
    index = VectorIndex(model="m", dim=8).build(np.arange(1, 501), vecs)
    assert index.kind == "exact"
    dist, ids = index.search(vecs[7], 5)
    brute = np.argsort(np.linalg.norm(vecs - vecs[7], axis=1))[:5] + 1
    assert list(ids[0]) == list(brute)
    assert dist[0, 0] == pytest.approx(0.0, abs=1e-5)


def test_a_collection_past_the_threshold_gets_an_ivf_index_with_high_recall():
    vecs = clustered(3000)
    index = VectorIndex(model="m", dim=8, exact_below=1000, nprobe=16).build(np.arange(1, 3001), vecs)
    assert index.kind == "ivf"
    queries = clustered(50, seed=1)
    _, approx = index.search(queries, 10)
    truth = np.argsort(((queries[:, None] - vecs[None]) ** 2).sum(-1), axis=1)[:, :10] + 1
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(approx, truth)])
    assert recall >= 0.9


def test_vectors_of_another_dimension_or_model_are_refused():
    index = VectorIndex(model="descriptor-v1", dim=8).build(np.arange(1, 11), clustered(10))
    with pytest.raises(InputError, match="dimension 9"):
        index.search(np.ones(9), 3)
    with pytest.raises(InputError, match="mixed embeddings"):
        index.search(np.ones(8), 3, model="model:other")
    with pytest.raises(InputError, match="dimension 7"):
        index.add(np.array([11]), np.ones((1, 7)))


def test_the_index_is_saved_beside_the_database_and_extended_with_new_lesions(tmp_path):
    vecs = clustered(60)
    path = tmp_path / "db.sqlite"
    with LesionDatabase(path) as db:
        db.add_lesions([(f"u{n}", Lesion(f"L{n}"), {"embedding": vecs[n], "model": "m"}) for n in range(40)])
        index = VectorIndex.for_database(db, "m")
        assert index.count == 40 and index_path_for(path, "m").exists()
        db.add_lesions([(f"u{n}", Lesion(f"L{n}"), {"embedding": vecs[n], "model": "m"}) for n in range(40, 60)])
        again = VectorIndex.for_database(db, "m")
        assert again.count == 60 and again.last_id == 60
    reloaded = VectorIndex.load(index_path_for(path, "m"), model="m", dim=8)
    assert reloaded.count == 60
    _, ids = reloaded.search(vecs[55], 1)
    assert ids[0, 0] == 56
    with pytest.raises(InputError, match="holds embeddings of model"):
        VectorIndex.load(index_path_for(path, "m"), model="other")


def test_a_stale_index_is_rebuilt_when_lesions_were_re_embedded(tmp_path):
    vecs = clustered(30)
    path = tmp_path / "db.sqlite"
    with LesionDatabase(path) as db:
        db.add_lesions([(f"u{n}", Lesion(f"L{n}"), {"embedding": vecs[n], "model": "m"}) for n in range(30)])
        VectorIndex.for_database(db, "m")
        db._run("DELETE FROM embeddings WHERE lesion_id = 3")
        index = VectorIndex.for_database(db, "m")
        assert index.count == 29
        _, ids = index.search(vecs[2], 30)
        assert 3 not in ids[0]


def test_asking_for_a_model_the_database_lacks_names_the_models_it_has(tmp_path):
    with LesionDatabase(tmp_path / "db.sqlite") as db:
        db.add_lesions([("u", Lesion("L"), {"embedding": [1.0, 2.0], "model": "descriptor-v1(x)"})])
        with pytest.raises(InputError, match="descriptor-v1"):
            VectorIndex.for_database(db, "model:mine")


def test_an_hnsw_index_can_be_asked_for_and_survives_a_reload(tmp_path):
    vecs = clustered(2000)
    index = VectorIndex(model="m", dim=8, kind="hnsw").build(np.arange(1, 2001), vecs)
    assert index.kind == "hnsw"
    _, ids = index.search(vecs[100], 1)
    assert ids[0, 0] == 101
    path = index.save(tmp_path / "h.faiss")
    again = VectorIndex.load(path, model="m", dim=8)
    assert again.kind == "hnsw" and again.count == 2000
    again.add(np.array([2001]), vecs[:1] + 100)
    assert again.search(vecs[0] + 100, 1)[1][0, 0] == 2001
