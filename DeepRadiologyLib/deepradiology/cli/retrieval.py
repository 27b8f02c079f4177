"""``deepradiology retrieval``: build a lesion database, query it, evaluate and train embeddings.

Subcommands: ``import``, ``query``, ``info``, ``eval-deeplesion``, ``train``, ``benchmark``. Every one
prints one JSON object (or list) on stdout. Positions are LPS mm unless ``--ras`` is given.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["register"]


def _weights(text: str | None) -> dict:
    from ..errors import InputError

    if not text:
        return {}
    out = {}
    for part in text.split(","):
        try:
            key, value = part.split("=")
            out[key.strip()] = float(value)
        except ValueError:
            raise InputError("--weights", f"expected block=weight pairs like location=1,size=0.6, got {text!r}") from None
    return out


def _embedder(model: str | None, weights: str | None, *, db=None):
    """The embedder a command uses: the descriptor by default, a learned model with --model NAME."""
    from ..retrieval import DescriptorEmbedder

    if model and model not in ("descriptor",):
        from ..retrieval.learned import LearnedEmbedder

        return LearnedEmbedder(model[6:] if model.startswith("model:") else model)
    if db is not None and not weights:
        # the database's own descriptor, whatever weights it was built with
        for name in db.embedding_models():
            if name.startswith("descriptor-v"):
                inner = name[name.index("(") + 1:-1]
                return DescriptorEmbedder(weights={k: float(v) for k, v in (p.split("=") for p in inner.split(","))})
    return DescriptorEmbedder(weights=_weights(weights))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("retrieval", help="lesion database: import, query similar lesions, evaluate, train",
                       description="Find the most similar lesions of past patients (the talk's Deep Lesion Graph). "
                                   "Databases are SQLite files with a FAISS index beside them.")
    rs = p.add_subparsers(dest="retrieval_command", metavar="SUBCOMMAND")
    rs.required = True

    imp = rs.add_parser("import", help="add lesions to a database (created when missing)")
    imp.add_argument("database", help="the SQLite lesion database file")
    src = imp.add_mutually_exclusive_group(required=True)
    src.add_argument("--deeplesion", metavar="DL_INFO_CSV", help="DeepLesion's DL_info.csv")
    src.add_argument("--lesions", metavar="JSON", help="a lesion JSON file (list of lesion records)")
    src.add_argument("--recist-table", metavar="TABLE", help="RECISTAssist's table exported as CSV/TSV/JSON")
    src.add_argument("--nifti-folder", metavar="DIR", help="NIfTI volumes with <name>.json lesion files")
    imp.add_argument("--images", help="DeepLesion's Images_png folder (rows without a key slice are metadata-only)")
    imp.add_argument("--volume", help="the CT volume the --lesions / --recist-table lesions were measured on")
    imp.add_argument("--model", default="descriptor", help="embedding: descriptor (default) or an installed model name")
    imp.add_argument("--weights", help="descriptor block weights, e.g. location=1,size=0.6,appearance=0.8")
    imp.set_defaults(func=run_import)

    q = rs.add_parser("query", help="the most similar stored lesions to a lesion or a clicked point")
    q.add_argument("database")
    what = q.add_mutually_exclusive_group(required=True)
    what.add_argument("--lesion", help="a lesion JSON file (the first lesion is the query)")
    what.add_argument("--point", help="X,Y,Z of a click inside a lesion (LPS mm, or RAS with --ras); needs --volume; "
                           "write --point=-75,-10,34 when X is negative")
    q.add_argument("--volume", help="the CT the lesion or point is in (gives appearance and location)")
    q.add_argument("--ras", action="store_true", help="--point is in RAS (Slicer's frame) instead of LPS")
    q.add_argument("-k", type=int, default=10, help="number of neighbours (default 10)")
    q.add_argument("--other-patients", action="store_true", help="leave out lesions of the query's patient")
    q.add_argument("--patient", help="the query's patient id, for --other-patients (a --point query, or a --lesion "
                                     "file without one, such as `recist measure`'s)")
    q.add_argument("--type", nargs="+", default=[], help="keep only these lesion types (liver, lung, ...)")
    q.add_argument("--size-range", help="LOW,HIGH long diameter in mm")
    q.add_argument("--model", help="embedding model (default: the database's descriptor)")
    q.add_argument("--weights", help="descriptor block weights (must match the database's)")
    q.set_defaults(func=run_query)

    emb = rs.add_parser("embed", help="add another model's vectors to a database (from its stored images)")
    emb.add_argument("database")
    emb.add_argument("--model", required=True, help="an installed lesion-embedding model name or checkpoint file, "
                                                     "or descriptor")
    emb.add_argument("--weights", help="descriptor block weights, with --model descriptor")
    emb.set_defaults(func=run_embed)

    info = rs.add_parser("info", help="what a database holds")
    info.add_argument("database")
    info.set_defaults(func=run_info)

    ev = rs.add_parser("eval-deeplesion", help="the talk's Table 1 metrics on DeepLesion's test lesions")
    ev.add_argument("--dl-info", required=True, help="DL_info.csv (or DL_info_test.csv)")
    ev.add_argument("--features", default="location",
                    help="location | size | type | descriptor | model:NAME (default location)")
    ev.add_argument("--images", help="Images_png folder (needed by descriptor appearance and model:NAME)")
    ev.add_argument("--split", type=int, default=3, help="DL_info split to evaluate (3 = test, default; 0 = all rows)")
    ev.add_argument("--exclude-same-patient", action="store_true",
                    help="retrieve only lesions of other patients (Table 1 does not)")
    ev.add_argument("-o", "--output", help="also write the metrics to this JSON file")
    ev.add_argument("--force", action="store_true", help="overwrite --output")
    ev.set_defaults(func=run_eval)

    tr = rs.add_parser("train", help="train the triplet lesion-embedding network (talk's recipe)")
    data = tr.add_mutually_exclusive_group(required=True)
    data.add_argument("--phantom", type=int, metavar="N", help="train on N synthetic phantom patients")
    data.add_argument("--dl-info", help="DeepLesion's DL_info.csv (with --images)")
    tr.add_argument("--images", help="DeepLesion's Images_png folder")
    tr.add_argument("-o", "--output", required=True, help="checkpoint file to write (.pt)")
    tr.add_argument("--name", default="lesion-embedding", help="model name in its card")
    tr.add_argument("--iterations", type=int, default=3000)
    tr.add_argument("--lr-drop-at", type=int, default=2000)
    tr.add_argument("--refinement-iterations", type=int, default=1000)
    tr.add_argument("--refinement-rounds", type=int, default=1)
    tr.add_argument("--sequences", type=int, default=24, help="A-E sequences per mini-batch (default 24)")
    tr.add_argument("--lr", type=float, default=0.002)
    tr.add_argument("--patch-px", type=int, default=64)
    tr.add_argument("--device", default="auto", help="auto, cpu or cuda")
    tr.add_argument("--install", action="store_true", help="also install the checkpoint into the model cache")
    tr.add_argument("--force", action="store_true")
    tr.set_defaults(func=run_train)

    bm = rs.add_parser("benchmark", help="scale benchmark: 1M-lesion index latency/recall, import speed")
    bm.add_argument("--lesions", type=int, default=1_000_000)
    bm.add_argument("--queries", type=int, default=300)
    bm.add_argument("--dim", type=int, default=0, help="vector dimension (default: the descriptor's)")
    bm.add_argument("--nprobe", type=int, default=96, help="IVF lists scanned per query (default 96)")
    bm.add_argument("--dl-info", help="DL_info file whose rows are replicated for the import benchmark")
    bm.add_argument("--import-rows", type=int, default=32735)
    bm.add_argument("--workdir", default="/tmp", help="scratch folder for the import benchmark")
    bm.set_defaults(func=run_benchmark)


def _print(obj) -> None:
    print(json.dumps(obj, indent=2, default=str))


def run_import(args: argparse.Namespace) -> int:
    from ..errors import DeepRadiologyError

    created = not Path(args.database).exists()
    try:
        return _import(args)
    except DeepRadiologyError:
        if created:
            _remove_if_empty(Path(args.database))
        raise


def _remove_if_empty(path: Path) -> None:
    """A first import refused before any lesion was stored leaves no empty database behind (one that holds
    lesions is kept: its import journal lets the same command resume)."""
    from ..errors import DeepRadiologyError
    from ..retrieval import LesionDatabase

    try:
        with LesionDatabase(path, create=False) as db:
            empty = db.count() == 0
    except DeepRadiologyError:
        return
    if empty:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def _import(args: argparse.Namespace) -> int:
    from ..progress import TqdmProgress
    from ..retrieval import (LesionDatabase, import_deeplesion, import_lesion_json, import_nifti_folder,
                             import_recist_table)

    with LesionDatabase(args.database) as db:
        db.require_writable()       # before reading a single row or image
        embedder = _embedder(args.model, args.weights)
        if args.deeplesion:
            with TqdmProgress("import") as bar:
                rep = import_deeplesion(db, args.deeplesion, images=args.images, embedder=embedder, progress=bar)
        elif args.lesions:
            rep = import_lesion_json(db, args.lesions, volume=args.volume, embedder=embedder)
        elif args.recist_table:
            from ..io import read_volume

            image = read_volume(args.volume) if args.volume else None
            rep = import_recist_table(db, args.recist_table, image=image,
                                      image_path=str(Path(args.volume).resolve()) if args.volume else "",
                                      embedder=embedder)
        else:
            rep = import_nifti_folder(db, args.nifti_folder, embedder=embedder)
        from ..retrieval import VectorIndex

        if db.embedding_models().get(embedder.name):
            VectorIndex.for_database(db, embedder.name)
        out = rep.to_dict()
        out.update({"database": str(db.path), "lesions_in_database": db.count(), "model": embedder.name})
    _print(out)
    return 0


def _query_lesion(args):
    from ..errors import InputError
    from ..frames import parse_point, ras_to_lps
    from ..io import read_volume
    from ..lesion import load_lesions

    image = read_volume(args.volume) if args.volume else None
    if args.lesion:
        lesions = load_lesions(args.lesion)
        if not lesions:
            raise InputError(args.lesion, "holds no lesion")
        lesion = lesions[0]
        if args.patient:
            # a record from `recist measure` has no patient; one that names another patient is not overruled
            if lesion.patient and lesion.patient != args.patient:
                raise InputError("--patient", f"{args.patient!r} differs from the patient {lesion.patient!r} "
                                              f"named in {args.lesion}")
            lesion.patient = args.patient
        return lesion, image
    if image is None:
        raise InputError("--point", "a clicked point needs the --volume it was clicked on")
    from ..recist import measure_lesion

    point = parse_point(args.point)
    lps = ras_to_lps(point) if args.ras else point
    ijk = image.lps_to_index(lps)
    if not image.contains_index(ijk):
        raise InputError("--point", f"{args.point} lies outside the volume {args.volume}")
    lesion = measure_lesion(image, click=tuple(ijk), propagate=False, lesion_id="query").lesion
    lesion.patient = args.patient or ""
    return lesion, image


def run_query(args: argparse.Namespace) -> int:
    from ..errors import InputError
    from ..retrieval import LesionDatabase, QueryFilters, find_similar

    with LesionDatabase(args.database, create=False) as db:
        lesion, image = _query_lesion(args)
        size_range = None
        if args.size_range:
            try:
                lo, hi = (float(v) for v in args.size_range.split(","))
            except ValueError:
                raise InputError("--size-range", f"expected LOW,HIGH in mm, got {args.size_range!r}") from None
            size_range = (lo, hi)
        if lesion.normalized_location is None and image is None:
            # a `recist measure` record holds LPS points only; the body location comes from its CT
            raise InputError(args.lesion, f"lesion {lesion.lesion_id} has no normalised body location: "
                                          "give --volume, the CT it was measured on")
        if args.other_patients and not lesion.patient:
            raise InputError("--other-patients", "the query lesion has no patient id (give --patient)")
        filters = QueryFilters(other_patients_than=lesion.patient if args.other_patients else None,
                               types=tuple(args.type), size_range_mm=size_range)
        embedder = _embedder(args.model, args.weights, db=db)
        neighbours = find_similar(db, lesion, image=image, embedder=embedder, k=args.k, filters=filters)
        _print({"query": {"lesion_id": lesion.lesion_id, "patient": lesion.patient, "lesion_type": lesion.lesion_type,
                          "long_axis_mm": lesion.long_axis_mm, "short_axis_mm": lesion.short_axis_mm,
                          "normalized_location": lesion.normalized_location},
                "model": embedder.name, "neighbours": [n.to_dict() for n in neighbours]})
    return 0


def run_embed(args: argparse.Namespace) -> int:
    from ..progress import TqdmProgress
    from ..retrieval import LesionDatabase, VectorIndex
    from ..retrieval.embed import embed_database

    with LesionDatabase(args.database, create=False) as db:
        db.require_writable()
        embedder = _embedder(args.model, args.weights)
        with TqdmProgress("embedding") as bar:
            out = embed_database(db, embedder, progress=bar)
        if embedder.name in db.embedding_models():
            out["indexed"] = VectorIndex.for_database(db, embedder.name).count
    _print(out)
    return 0


def run_info(args: argparse.Namespace) -> int:
    from ..retrieval import LesionDatabase

    with LesionDatabase(args.database, create=False) as db:
        _print({"database": str(db.path), "schema_version": db.schema_version, "lesions": db.count(),
                "embedding_models": db.embedding_models(), "read_only": db.readonly})
    return 0


def run_eval(args: argparse.Namespace) -> int:
    import numpy as np

    from ..deeplesion import read_dl_info
    from ..errors import InputError
    from ..io import prepare_output
    from ..retrieval.evaluate import deeplesion_features, table1_metrics

    out_path = prepare_output(args.output, force=args.force) if args.output else None
    rows, rep = read_dl_info(args.dl_info)
    rows = [r for r in rows if (args.split == 0 or r.split == args.split) and 1 <= r.lesion_type <= 8]
    if not rows:
        raise InputError(args.dl_info, f"has no labelled lesions of split {args.split}")
    kind, embedder = args.features, None
    if kind.startswith("model:"):
        from ..retrieval.learned import LearnedEmbedder

        embedder, kind = LearnedEmbedder(args.features[6:]), "model"
    feats, keep = deeplesion_features(rows, kind, images=args.images, embedder=embedder)
    rows = [rows[i] for i in keep]
    metrics = table1_metrics(
        feats, types=np.array([r.lesion_type for r in rows]), locations=np.array([r.normalized_location for r in rows]),
        long_mm=np.array([r.diameters_mm[0] for r in rows]), short_mm=np.array([r.diameters_mm[1] for r in rows]),
        patients=np.array([r.patient for r in rows]), exclude_same_patient=args.exclude_same_patient)
    metrics = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in metrics.items()}
    metrics.update({"features": args.features, "skipped_rows": rep.count})
    if out_path is not None:
        out_path.write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    print(json.dumps(metrics))
    return 0


def run_train(args: argparse.Namespace) -> int:
    from ..errors import InputError
    from ..io import prepare_output
    from ..progress import TqdmProgress
    from ..retrieval.learned import save_lesion_embedding
    from ..retrieval.train import TrainConfig, deeplesion_training_set, phantom_training_set, train_lesion_embedding

    prepare_output(args.output, force=args.force)
    with TqdmProgress("reading lesions") as bar:
        if args.phantom:
            ts = phantom_training_set(range(args.phantom), patch_px=args.patch_px, progress=bar)
            data = f"{args.phantom} phantom patients (synthetic)"
        else:
            if not args.images:
                raise InputError("--images", "DeepLesion training needs the Images_png folder")
            ts = deeplesion_training_set(args.dl_info, args.images, patch_px=args.patch_px, progress=bar)
            data = f"DeepLesion {args.dl_info} ({len(ts)} lesions with key slices)"
    config = TrainConfig(iterations=args.iterations, lr_drop_at=args.lr_drop_at, sequences_per_batch=args.sequences,
                         lr=args.lr, refinement_rounds=args.refinement_rounds,
                         refinement_iterations=args.refinement_iterations, device=args.device)
    with TqdmProgress("training") as bar:
        result = train_lesion_embedding(ts, config, progress=bar, log=lambda m: print(m, file=sys.stderr))
    import os

    if int(os.environ.get("RANK", "0")) != 0:
        return 0
    path = save_lesion_embedding(result, args.output, name=args.name, training_data=data, force=args.force)
    first, last = result.losses[:10], result.losses[-10:]
    out = {"checkpoint": str(path), "lesions": len(ts), "loss_first_10": float(sum(first) / len(first)),
           "loss_last_10": float(sum(last) / len(last)), "retrieval_before": result.before,
           "retrieval_after": result.after, "seconds": round(result.seconds, 1)}
    if args.install:
        from ..models import install_model

        out["installed"] = install_model(path, force=args.force).name
    _print(out)
    return 0


def run_benchmark(args: argparse.Namespace) -> int:
    from ..retrieval.benchmark import run_benchmark as bench

    _print(bench(n_lesions=args.lesions, n_queries=args.queries, dim=args.dim or None, nprobe=args.nprobe,
                 dl_info=args.dl_info, import_rows=args.import_rows, workdir=args.workdir))
    return 0
