"""Scale benchmark: a million stored lesions, single-query latency and recall, and import speed.

Vectors are synthetic but shaped like the descriptor's (`descriptor.DescriptorEmbedder`, same dimension
and block weights): locations drawn around the 8 lesion types' body regions, log-normal sizes, and
appearance from a few latent factors per type plus noise. The peer for the index is FAISS exact search
(``IndexFlatL2``) over the same vectors in the same run; recall@10 is measured against it. The peer for
the import is parsing the same file alone (`deepradiology.deeplesion.read_dl_info`).
"""

from __future__ import annotations

import csv
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

__all__ = ["run_benchmark", "synthetic_descriptors", "synthetic_dl_info"]

# Mean normalised location of each coarse type in DeepLesion's test split (x, y, z).
_TYPE_LOCATIONS = np.array([[0.49, 0.63, 0.64], [0.54, 0.50, 0.64], [0.50, 0.45, 0.44], [0.31, 0.47, 0.60],
                            [0.46, 0.55, 0.49], [0.51, 0.61, 0.66], [0.49, 0.44, 0.57], [0.47, 0.49, 0.80]])


def synthetic_descriptors(n: int, *, dim: int | None = None, seed: int = 0) -> np.ndarray:
    """(n, dim) float32 vectors distributed like descriptor embeddings (module docstring)."""
    from .descriptor import BLOCK_SIZES, DescriptorEmbedder

    emb = DescriptorEmbedder()
    rng = np.random.default_rng(seed)
    types = rng.integers(0, 8, n)
    loc = np.clip(_TYPE_LOCATIONS[types] + rng.normal(0, 0.08, (n, 3)), 0, 1)
    long_mm = np.exp(rng.normal(np.log(15.6), 0.6, n))
    size = np.log(np.stack([long_mm, long_mm * rng.uniform(0.4, 1.0, n)], axis=1))
    latent_dim = 6
    mix = rng.normal(0, 1, (8, BLOCK_SIZES["appearance"], latent_dim))
    centres = rng.normal(0, 1, (8, BLOCK_SIZES["appearance"]))
    latent = rng.normal(0, 1, (n, latent_dim))
    z = centres[types] + np.einsum("nal,nl->na", mix[types], latent) * 0.5 + rng.normal(0, 0.3, (n, BLOCK_SIZES["appearance"]))
    from .descriptor import _APP_REF

    appearance = _APP_REF[0] + z * _APP_REF[1]
    vecs = np.empty((n, emb.dim), dtype=np.float32)
    for s in range(0, n, 200_000):
        vecs[s:s + 200_000] = emb.from_features(loc[s:s + 200_000], size[s:s + 200_000], appearance[s:s + 200_000])
    if dim and dim != emb.dim:               # another embedding's dimension: a fixed random projection
        proj = rng.normal(0, 1 / np.sqrt(emb.dim), (emb.dim, dim)).astype(np.float32)
        vecs = vecs @ proj
    return np.ascontiguousarray(vecs)


def synthetic_dl_info(source: str | Path, target: str | Path, *, rows: int) -> Path:
    """Write a DL_info-like file of ``rows`` rows by replicating ``source``'s rows under new patient
    indices, with slightly perturbed locations (a stand-in for DeepLesion's full 32,735-row file)."""
    rng = np.random.default_rng(0)
    with open(source, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        fields, base = reader.fieldnames, list(reader)
    target = Path(target)
    with target.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for n in range(rows):
            rec = dict(base[n % len(base)])
            replica = n // len(base)
            patient = int(rec["Patient_index"]) + 10000 * replica
            rec["Patient_index"] = str(patient)
            rec["File_name"] = f"{patient:06d}" + rec["File_name"][6:]
            loc = [float(v) for v in rec["Normalized_lesion_location"].split(",")]
            rec["Normalized_lesion_location"] = ", ".join(f"{min(max(v + rng.normal(0, 0.005), 0), 1):.6f}" for v in loc)
            writer.writerow(rec)
    return target


def _latencies(search, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    times, ids = [], []
    for q in queries:
        t = time.perf_counter()
        _, i = search(q[None])
        times.append((time.perf_counter() - t) * 1000)
        ids.append(i[0])
    return np.asarray(times), np.asarray(ids)


def _rss_mb() -> float:
    """Current resident memory of this process in MB (Linux), else the peak."""
    try:
        pages = int(Path("/proc/self/statm").read_text(encoding="utf-8").split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_benchmark(*, n_lesions: int = 1_000_000, n_queries: int = 300, dim: int | None = None, nprobe: int = 96,
                  sweep=(16, 32, 64, 128),
                  dl_info: str | None = None, import_rows: int = 32735, workdir: str = "/tmp") -> dict:
    """Run the benchmark; returns the JSON-ready figures (latencies in ms, times in s, sizes in MB)."""
    import faiss

    from .index import VectorIndex

    out: dict = {"machine": {"cpus": os.cpu_count(), "faiss_threads": faiss.omp_get_max_threads()}}
    t = time.perf_counter()
    vecs = synthetic_descriptors(n_lesions, dim=dim, seed=0)
    queries = synthetic_descriptors(n_queries, dim=dim, seed=1)
    d = vecs.shape[1]
    out.update({"lesions": n_lesions, "dim": d, "queries": n_queries, "generate_s": round(time.perf_counter() - t, 2)})
    ids = np.arange(1, n_lesions + 1, dtype=np.int64)

    t = time.perf_counter()
    exact = faiss.IndexFlatL2(d)
    exact.add(vecs)
    exact_build = time.perf_counter() - t
    ex_ms, ex_ids = _latencies(lambda q: exact.search(q, 10), queries)
    truth = ex_ids + 1

    rss0 = _rss_mb()
    t = time.perf_counter()
    index = VectorIndex(model="benchmark", dim=d, kind="ivf", nprobe=nprobe).build(ids, vecs)
    build = time.perf_counter() - t
    rss_after = _rss_mb()
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        path = index.save(Path(tmp) / "bench.faiss")
        size_mb = path.stat().st_size / 2**20
        t = time.perf_counter()
        VectorIndex.load(path, model="benchmark", dim=d)
        load_s = time.perf_counter() - t
    ivf_ms, ivf_ids = _latencies(lambda q: index.search(q, 10), queries)
    recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ivf_ids, truth)]))
    out["exact"] = {"build_s": round(exact_build, 2), "p50_ms": round(float(np.percentile(ex_ms, 50)), 3),
                    "p95_ms": round(float(np.percentile(ex_ms, 95)), 3), "size_mb": round(vecs.nbytes / 2**20, 1)}
    out["ivf"] = {"nlist": int(index._index.nlist), "nprobe": index._index.nprobe, "build_s": round(build, 2),
                  "load_s": round(load_s, 2), "p50_ms": round(float(np.percentile(ivf_ms, 50)), 3),
                  "p95_ms": round(float(np.percentile(ivf_ms, 95)), 3), "recall_at_10": round(recall, 4),
                  "size_mb": round(size_mb, 1), "rss_growth_mb": round(rss_after - rss0, 1)}
    sweep_out = []
    for probe in sweep:                      # the recall/latency trade-off on the same index
        index._index.nprobe = probe
        ms, found = _latencies(lambda q: index.search(q, 10), queries)
        sweep_out.append({"nprobe": probe, "p50_ms": round(float(np.percentile(ms, 50)), 3),
                          "p95_ms": round(float(np.percentile(ms, 95)), 3),
                          "recall_at_10": round(float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth)])), 4)})
    out["ivf_nprobe_sweep"] = sweep_out
    out["speedup_p95_vs_exact"] = round(out["exact"]["p95_ms"] / max(out["ivf"]["p95_ms"], 1e-6), 1)
    out["meets_target"] = bool(out["ivf"]["p95_ms"] < 10 and recall >= 0.95)
    del vecs, exact, index

    if dl_info:
        from ..deeplesion import read_dl_info
        from .database import LesionDatabase
        from .importers import import_deeplesion

        with tempfile.TemporaryDirectory(dir=workdir) as tmp:
            big = synthetic_dl_info(dl_info, Path(tmp) / "DL_info_big.csv", rows=import_rows)
            t = time.perf_counter()
            read_dl_info(big)
            parse_s = time.perf_counter() - t
            t = time.perf_counter()
            with LesionDatabase(Path(tmp) / "big.db") as db:
                rep = import_deeplesion(db, big)
                VectorIndex.for_database(db, next(iter(db.embedding_models())))
            import_s = time.perf_counter() - t
            t = time.perf_counter()
            with LesionDatabase(Path(tmp) / "big.db") as db:
                again = import_deeplesion(db, big)
            rerun_s = time.perf_counter() - t
        out["import"] = {"rows": import_rows, "added": rep.added, "import_s": round(import_s, 2),
                         "parse_only_s": round(parse_s, 2), "import_over_parse": round(import_s / parse_s, 1),
                         "rerun_s": round(rerun_s, 2), "rerun_added": again.added,
                         "meets_target": bool(import_s < 30)}
    return out
