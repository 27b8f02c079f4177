"""The vector index beside a lesion database: FAISS, exact for small collections, IVF past a threshold.

One index per embedding model, in ``<database>.<model>.faiss`` with a JSON sidecar naming the model,
the vector dimension, the index kind and the last lesion id it holds. Vectors of another dimension or
from another model are refused: neighbours found among mixed embeddings would be meaningless.

Kinds:
    ``exact``: ``IndexFlatL2``, every vector compared (collections below ``exact_below`` lesions).
    ``ivf``: ``IndexIVFFlat`` with about 4 sqrt(N) lists, ``nprobe`` of them scanned per query; trained
        on the vectors present when it is built, retrained when the collection has grown 4-fold since.
    ``hnsw``: ``IndexHNSWFlat`` (M = 32), a graph index that needs no training.
New lesions extend an index in place; an index that disagrees with its database (lesions deleted or
re-embedded) is rebuilt.

An index is tied to its database, both ways: the sidecar holds the database's random id
(``meta.database_id``) and the database holds the SHA-256 of the index file it last saved
(``meta.index_sha256:<model>``). A database file replaced by another one, or an index or sidecar
written by anyone else (a forged file of the right size), fails one of the two and is rebuilt from the
database, which is the only source of truth (issue 17). Distances are Euclidean (not squared), in embedding units.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..progress import ProgressCallback, report

__all__ = ["VectorIndex", "index_path_for", "EXACT_BELOW"]

#: Collections smaller than this are searched exactly.
EXACT_BELOW = 50_000
_FORMAT = 1


def index_path_for(db_path: str | Path, model: str) -> Path:
    """``<database>.<model>.faiss`` (model name made file-safe)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", model)[:80]
    return Path(f"{db_path}.{safe}.faiss")


def _faiss():
    import faiss

    return faiss


@dataclass
class _Meta:
    model: str
    dim: int
    kind: str
    count: int
    last_id: int
    trained_on: int
    nprobe: int


class VectorIndex:
    """Nearest-neighbour search over the embeddings of one model.

    Args:
        model: the embedding model's name; every vector added or searched must come from it.
        dim: the vector dimension.
        kind: "exact", "ivf" or "hnsw"; None picks exact below ``exact_below`` vectors and ivf above.
        nprobe: IVF lists scanned per query (recall/speed trade-off; see docs/benchmarks.md).
        ef_search: HNSW candidate list length per query.
    """

    def __init__(self, *, model: str, dim: int, kind: str | None = None, exact_below: int = EXACT_BELOW,
                 nprobe: int = 96, ef_search: int = 64) -> None:
        if kind not in (None, "exact", "ivf", "hnsw"):
            raise InputError("index kind", f"must be exact, ivf or hnsw, got {kind!r}")
        self.model, self.dim = model, int(dim)
        self.requested_kind, self.exact_below = kind, int(exact_below)
        self.nprobe, self.ef_search = int(nprobe), int(ef_search)
        self._index = None
        self.kind = "exact"
        self.last_id = 0
        self.trained_on = 0

    # -- building -------------------------------------------------------------------------------------
    def _check(self, vectors: np.ndarray, what: str, *, model: str | None) -> np.ndarray:
        if model is not None and model != self.model:
            raise InputError(what, f"comes from embedding model {model!r} but this index holds {self.model!r}; "
                                   "neighbours among mixed embeddings are meaningless")
        vectors = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
        if vectors.ndim == 1:
            vectors = vectors[None, :]
        if vectors.shape[1] != self.dim:
            raise InputError(what, f"has dimension {vectors.shape[1]} but model {self.model!r} makes "
                                   f"{self.dim}-dimensional vectors")
        if not np.all(np.isfinite(vectors)):
            raise InputError(what, "has NaN or infinite values")
        return vectors

    def build(self, ids: np.ndarray, vectors: np.ndarray, *, model: str | None = None,
              progress: ProgressCallback | None = None) -> VectorIndex:
        """(Re)build from scratch with these vectors (lesion ids must increase)."""
        faiss = _faiss()
        vectors = self._check(vectors, "embeddings", model=model)
        ids = np.asarray(ids, dtype=np.int64)
        n = len(ids)
        kind = self.requested_kind or ("exact" if n < self.exact_below else "ivf")
        if kind == "ivf" and n < 256:
            kind = "exact"                                   # too few vectors to train lists on
        report(progress, 0.0, f"building a {kind} index of {n} vectors")
        if kind == "exact":
            index = faiss.IndexIDMap2(faiss.IndexFlatL2(self.dim))
        elif kind == "hnsw":
            hnsw = faiss.IndexHNSWFlat(self.dim, 32)
            hnsw.hnsw.efConstruction = 40
            index = faiss.IndexIDMap2(hnsw)
        else:
            nlist = int(np.clip(round(4 * np.sqrt(n)), 16, 65536))
            quantizer = faiss.IndexFlatL2(self.dim)
            ivf = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss.METRIC_L2)
            # k-means on 40 vectors per list is enough for the centroids (FAISS asks for at least 39)
            rng = np.random.default_rng(0)
            sample = vectors if n <= 40 * nlist else vectors[rng.choice(n, 40 * nlist, replace=False)]
            ivf.train(sample)
            index = ivf                                    # IVF stores ids natively
        report(progress, 0.3, "adding vectors")
        step = 10_000   # a step of an HNSW build takes well under a second, so Cancel acts between steps
        for start in range(0, n, step):
            index.add_with_ids(vectors[start:start + step], ids[start:start + step])
            report(progress, 0.3 + 0.7 * min(1.0, (start + step) / max(n, 1)), "adding vectors")
        self._index, self.kind = index, kind
        self.trained_on = n
        self.last_id = int(ids.max()) if n else 0
        self._apply_search_params()
        return self

    def _apply_search_params(self) -> None:
        if self.kind == "ivf":
            self._index.nprobe = min(self.nprobe, self._index.nlist)
        elif self.kind == "hnsw":
            _faiss().downcast_index(self._index.index).hnsw.efSearch = self.ef_search

    def add(self, ids: np.ndarray, vectors: np.ndarray, *, model: str | None = None) -> None:
        """Extend the index with new lesions (ids greater than every id already held)."""
        vectors = self._check(vectors, "embeddings", model=model)
        ids = np.asarray(ids, dtype=np.int64)
        if not len(ids):
            return
        if self._index is None:
            self.build(ids, vectors)
            return
        if ids.min() <= self.last_id:
            raise InputError("embeddings", f"lesion ids must be new (> {self.last_id}) to extend the index")
        self._index.add_with_ids(vectors, ids)
        self.last_id = int(ids.max())

    @property
    def count(self) -> int:
        return 0 if self._index is None else int(self._index.ntotal)

    def needs_rebuild(self) -> bool:
        """True when the collection outgrew the index kind (exact past the threshold, IVF 4x its training)."""
        if self.requested_kind is not None:
            return self.kind == "ivf" and self.count > 4 * max(self.trained_on, 1)
        if self.kind == "exact":
            return self.count >= self.exact_below
        return self.kind == "ivf" and self.count > 4 * max(self.trained_on, 1)

    # -- searching ------------------------------------------------------------------------------------
    def search(self, vectors: np.ndarray, k: int, *, model: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest lesions of each query vector.

        Returns:
            (distances (q, k) Euclidean, ids (q, k) int64); missing neighbours have id -1, distance inf.
        """
        queries = self._check(vectors, "query embedding", model=model)
        if self._index is None or self.count == 0:
            return np.full((len(queries), k), np.inf), np.full((len(queries), k), -1, dtype=np.int64)
        faiss = _faiss()
        threads = faiss.omp_get_max_threads()
        if len(queries) == 1 and threads > 1:
            # one query is too little work to share: OpenMP hand-offs only add tail latency on busy CPUs
            faiss.omp_set_num_threads(1)
        try:
            d2, ids = self._index.search(queries, int(k))
        finally:
            if len(queries) == 1 and threads > 1:
                faiss.omp_set_num_threads(threads)
        dist = np.sqrt(np.maximum(d2, 0.0))
        dist[ids < 0] = np.inf
        return dist, ids

    # -- persistence ----------------------------------------------------------------------------------
    def save(self, path: str | Path, *, database_id: str = "") -> Path:
        """Write the index and its JSON sidecar (``<path>.json``); replaces both atomically.

        ``database_id`` (the database's ``meta.database_id``) goes into the sidecar; `for_database`
        uses no index whose sidecar names another database.
        """
        faiss = _faiss()
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        faiss.write_index(self._index, str(tmp))
        meta = {"format": _FORMAT, "model": self.model, "dim": self.dim, "kind": self.kind, "count": self.count,
                "last_id": self.last_id, "trained_on": self.trained_on, "nprobe": self.nprobe,
                "database_id": database_id, "sha256": _sha256(tmp)}
        side_tmp = path.with_name(path.name + ".json.tmp")
        side_tmp.write_text(json.dumps(meta, indent=1), encoding="utf-8")
        tmp.replace(path)
        side_tmp.replace(Path(f"{path}.json"))
        return path

    @classmethod
    def load(cls, path: str | Path, *, model: str | None = None, dim: int | None = None) -> VectorIndex:
        """Read an index written by `save`; refuses one made for another model or dimension."""
        faiss = _faiss()
        path = Path(path)
        side = Path(f"{path}.json")
        if not path.is_file() or not side.is_file():
            raise InputError(path, "no vector index here (it is rebuilt from the database when missing)")
        try:
            meta = json.loads(side.read_text(encoding="utf-8"))
            index = faiss.read_index(str(path))
        except (OSError, RuntimeError, json.JSONDecodeError) as exc:
            raise InputError(path, f"the vector index cannot be read ({exc})") from None
        if meta.get("format") != _FORMAT:
            raise InputError(path, f"vector index format {meta.get('format')} is not {_FORMAT}")
        if model is not None and meta["model"] != model:
            raise InputError(path, f"holds embeddings of model {meta['model']!r}, not {model!r}")
        if dim is not None and int(meta["dim"]) != int(dim):
            raise InputError(path, f"holds {meta['dim']}-dimensional vectors, not {dim}-dimensional ones")
        if index.d != int(meta["dim"]) or index.ntotal != int(meta["count"]):
            raise InputError(path, "the vector index does not match its sidecar (interrupted write?)")
        self = cls(model=meta["model"], dim=int(meta["dim"]), nprobe=int(meta.get("nprobe", 96)))
        self._index, self.kind = index, meta["kind"]
        self.last_id, self.trained_on = int(meta["last_id"]), int(meta["trained_on"])
        self._apply_search_params()
        return self

    @classmethod
    def for_database(cls, db, model: str, *, kind: str | None = None, exact_below: int = EXACT_BELOW,
                     nprobe: int = 96, save: bool = True,
                     progress: ProgressCallback | None = None) -> VectorIndex:
        """The index of ``model``'s embeddings in a `LesionDatabase`, loaded, extended or rebuilt as needed.

        Raises:
            InputError: the database holds no embeddings of ``model``.
        """
        dims = db.embedding_models()
        if model not in dims:
            known = ", ".join(sorted(dims)) or "none"
            raise InputError(db.path, f"holds no embeddings of model {model!r} (it has: {known})")
        path = index_path_for(db.path, model)
        index = None
        db_id = _database_id(db)
        if path.exists() and _tied_to(path, db, db_id, model):
            try:
                index = cls.load(path, model=model, dim=dims[model])
                index.nprobe = nprobe
                index.requested_kind, index.exact_below = kind, exact_below
                index._apply_search_params()
            except InputError:
                index = None                                  # unreadable or stale: rebuild below
        changed = False
        if index is not None:
            new_ids, new_vecs = db.embeddings(model, after_id=index.last_id)
            stored = int(db._run("SELECT COUNT(*) FROM embeddings WHERE model = ?", (model,)).fetchone()[0])
            if index.count + len(new_ids) != stored or (kind is not None and index.kind != kind):
                index = None                                  # deletions or re-embedding: rebuild
            elif len(new_ids):
                index.add(new_ids, new_vecs)
                changed = True
        if index is None or index.needs_rebuild():
            ids, vecs = db.embeddings(model)
            index = cls(model=model, dim=dims[model], kind=kind, exact_below=exact_below, nprobe=nprobe)
            index.build(ids, vecs, progress=progress)
            changed = True
        if changed and save and not db.readonly:
            index.save(path, database_id=db_id or "")
            db.set_meta(_SHA_KEY + model, json.loads(Path(f"{path}.json").read_text(encoding="utf-8"))["sha256"])
        return index


_SHA_KEY = "index_sha256:"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _database_id(db) -> str | None:
    """The database's random id, made and stored on first use when the database is writable."""
    db_id = db.meta("database_id")
    if db_id is None and not db.readonly:
        db_id = uuid.uuid4().hex
        db.set_meta("database_id", db_id)
    return db_id


def _tied_to(path: Path, db, db_id: str | None, model: str) -> bool:
    """Whether the index at ``path`` is the one this database saved: sidecar names the database, and the
    index file's SHA-256 is the one the database recorded. Anything else is not trusted (rebuilt)."""
    recorded = db.meta(_SHA_KEY + model)
    if not db_id or not recorded:
        return False
    try:
        side = json.loads(Path(f"{path}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(side, dict) or side.get("database_id") != db_id or side.get("sha256") != recorded:
        return False
    return _sha256(path) == recorded
