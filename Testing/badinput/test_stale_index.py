"""Issue 17 item 5: a FAISS index is used only with the database that saved it.

A lesion database replaced by another one used to keep its old index: a query returned the old
patient's lesion at distance 0.0, and a forged index of the right size was used as it was.
"""

from __future__ import annotations

import json
import shutil

import numpy as np

from deepradiology.lesion import Lesion
from deepradiology.retrieval import LesionDatabase, VectorIndex
from deepradiology.retrieval.index import index_path_for

DIM = 8


def _make_db(path, patient: str, seed: int, n: int = 30) -> np.ndarray:
    vecs = np.random.default_rng(seed).normal(0, 1, (n, DIM)).astype(np.float32)
    with LesionDatabase(path) as db:
        db.add_lesions([(f"{patient}-{k}", Lesion(f"L{k}", patient=patient), {"embedding": vecs[k], "model": "m"})
                        for k in range(n)])
        VectorIndex.for_database(db, "m")  # saves the index beside the database
    return vecs


def _nearest(path, query: np.ndarray) -> tuple[float, str]:
    with LesionDatabase(path) as db:
        index = VectorIndex.for_database(db, "m")
        dist, ids = index.search(query, 1)
        return float(dist[0, 0]), db.get(int(ids[0, 0])).lesion.patient


def test_a_replaced_database_does_not_answer_from_the_old_index(tmp_path):
    db_a, db_b = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    vecs_a = _make_db(db_a, "PATIENT-A", seed=1)
    vecs_b = _make_db(db_b, "PATIENT-B", seed=2)
    assert _nearest(db_a, vecs_a[5]) == (0.0, "PATIENT-A")  # the control: A's own index answers for A
    shutil.copyfile(db_b, db_a)  # the user replaces the database file; a.sqlite.m.faiss stays behind
    dist, patient = _nearest(db_a, vecs_a[5])
    assert patient == "PATIENT-B"
    expected = float(np.min(np.linalg.norm(vecs_b - vecs_a[5], axis=1)))  # brute force over B's vectors
    assert dist > 0.1 and abs(dist - expected) < 1e-4


def test_a_forged_index_of_the_right_size_is_not_used(tmp_path):
    db = tmp_path / "a.sqlite"
    vecs = _make_db(db, "PATIENT-A", seed=1)
    path = index_path_for(db, "m")
    side = json.loads((tmp_path / f"{path.name}.json").read_text(encoding="utf-8"))
    # a forger writes an index of the same count and dimension whose vector 1 is the query,
    # and a sidecar copied from the real one (database id included), with the new file's hash
    forged_vecs = vecs.copy()
    query = np.full(DIM, 7.0, dtype=np.float32)
    forged_vecs[0] = query
    forged = VectorIndex(model="m", dim=DIM).build(np.arange(1, len(vecs) + 1), forged_vecs)
    forged.save(path, database_id=side["database_id"])
    dist, _ = _nearest(db, query)
    expected = float(np.min(np.linalg.norm(vecs - query, axis=1)))
    assert dist > 1.0 and abs(dist - expected) < 1e-4


def test_an_index_saved_by_its_own_database_is_reused(tmp_path):
    db = tmp_path / "a.sqlite"
    _make_db(db, "PATIENT-A", seed=1)
    path = index_path_for(db, "m")
    before = path.stat().st_mtime_ns
    with LesionDatabase(db) as handle:
        VectorIndex.for_database(handle, "m")
    assert path.stat().st_mtime_ns == before  # not rebuilt
