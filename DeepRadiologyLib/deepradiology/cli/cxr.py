"""``deepradiology cxr``: train, evaluate and run the chest X-ray triage model (ChestX-ray8 framework)."""

from __future__ import annotations

import argparse
import json

__all__ = ["register"]


def _network_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backbone", choices=("densenet121", "resnet50", "small"), default=None,
                   help="backbone (default: densenet121 for ChestX-ray14, small for --synthetic)")
    p.add_argument("--pooling", choices=("lse", "max", "avg"), default=None, help="global pooling (default lse)")
    p.add_argument("--lse-r", type=float, default=None, help="LSE sharpness r (default 10; 5 for --synthetic)")
    p.add_argument("--transition-channels", type=int, default=None, help="D of the S x S x D transition layer")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cxr", help="chest X-ray triage: train, evaluate, and score films into a worklist",
                       description="ChestX-ray8-style multi-label classification of the 14 ChestX-ray14 findings "
                                   "with heatmaps (Wang et al. CVPR 2017). No weights ship: train your own.")
    csub = p.add_subparsers(dest="cxr_command", metavar="ACTION")
    csub.required = True

    tr = csub.add_parser("train", help="train a model on ChestX-ray14's layout or on synthetic films",
                         description="Works on CPU, one GPU, or several with `torchrun --nproc_per_node=N -m "
                                     "deepradiology cxr train ...` (DDP). Operating points are chosen on a "
                                     "validation split; the card's metrics are measured on a held-out split.")
    source = tr.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", help="ChestX-ray14 folder (Data_Entry_2017*.csv(.gz) + images)")
    source.add_argument("--synthetic", type=int, metavar="N", help="train on N synthetic films with planted findings")
    tr.add_argument("-o", "--output", required=True, help="checkpoint to write (.pt; its card beside it)")
    tr.add_argument("--name", default=None, help="model name in its card (default: the output's stem)")
    tr.add_argument("--size", type=int, default=None, help="film size in pixels (default 512; 96 for --synthetic)")
    tr.add_argument("--epochs", type=int, default=None, help="epochs (default 10; 8 for --synthetic)")
    tr.add_argument("--batch-size", type=int, default=None, help="batch size per process (default 16; 32 synthetic)")
    tr.add_argument("--lr", type=float, default=None, help="peak learning rate (default 1e-3; 3e-3 synthetic)")
    tr.add_argument("--max-images", type=int, default=None, help="use at most this many ChestX-ray14 images")
    tr.add_argument("--workers", type=int, default=4, help="data-loading processes (ChestX-ray14)")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--force", action="store_true", help="overwrite an existing checkpoint")
    _network_options(tr)
    tr.set_defaults(func=run_train)

    ev = csub.add_parser("eval", help="per-finding AUC and IoBB localisation accuracy (0.1-0.7)",
                         description="Prints one JSON object.")
    ev.add_argument("--model", default=None, help="installed model name or checkpoint (default: the installed one)")
    evs = ev.add_mutually_exclusive_group(required=True)
    evs.add_argument("--data", help="ChestX-ray14 folder")
    evs.add_argument("--synthetic", type=int, metavar="N", help="evaluate on N fresh synthetic films")
    ev.add_argument("--bbox", default=None, help="BBox_List_2017.csv(.gz) for localisation accuracy")
    ev.add_argument("--split", choices=("test", "val", "train", "all"), default="test")
    ev.add_argument("--max-images", type=int, default=None)
    ev.set_defaults(func=run_eval)

    tg = csub.add_parser("triage", help="score films and write a worklist sorted by urgency, with heatmap overlays",
                         description="IMAGES are PNG, JPEG or DICOM files, or folders of them. Overlays go to "
                                     "<worklist stem>_heatmaps/. Inputs that fail are listed last with the reason.")
    tg.add_argument("images", nargs="+", help="films or folders")
    tg.add_argument("--model", default=None, help="installed model name or checkpoint (default: the installed one)")
    tg.add_argument("-o", "--output", required=True, help="worklist CSV to write")
    tg.add_argument("--no-heatmaps", action="store_true", help="do not write overlay PNGs")
    tg.add_argument("--force", action="store_true", help="overwrite an existing worklist and its heatmap PNGs")
    tg.set_defaults(func=run_triage)

    bm = csub.add_parser("benchmark", help="CPU inference speed of the real backbone vs peers (JSON)",
                         description="Times one 1024 x 1024 film and a batch through the ChestX-ray8 network "
                                     "(with heatmaps), the same network without the heatmap path, and MONAI's "
                                     "stock DenseNet121, in the same run, with random weights.")
    bm.add_argument("--size", type=int, default=1024)
    bm.add_argument("--batch", type=int, default=4)
    bm.add_argument("--repeats", type=int, default=3)
    bm.add_argument("--threads", type=int, default=1)
    bm.set_defaults(func=run_benchmark)


def _films(synthetic: int | None) -> None:
    """Refuse ``--synthetic 0`` or a negative count (0 used to fall through to ChestX-ray14 with no folder)."""
    from ..errors import InputError

    if synthetic is not None and synthetic < 1:
        raise InputError("--synthetic", f"must be at least 1 film, got {synthetic}")


def _config(args) -> dict:
    return {k: v for k, v in {"backbone": args.backbone, "pooling": args.pooling, "lse_r": args.lse_r,
                              "transition_channels": args.transition_channels}.items() if v is not None}


def run_train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..cxr.model import save_cxr_model
    from ..cxr.pipeline import train_chestxray14, train_synthetic
    from ..cxr.synthetic import SYNTHETIC_FINDINGS
    from ..io import prepare_output
    from ..progress import TqdmProgress
    from ..reports.vocabulary import FINDINGS

    _films(args.synthetic)
    prepare_output(args.output, force=args.force)  # refuse before hours of training, not after
    name = args.name or Path(args.output).stem
    with TqdmProgress("cxr train") as bar:
        if args.synthetic is not None:
            size = args.size or 96
            network, points, metrics = train_synthetic(
                n_train=args.synthetic, size=size, epochs=args.epochs or 8, batch_size=args.batch_size or 32,
                lr=args.lr or 3e-3, seed=args.seed, network_config=_config(args), progress=bar)
            labels, data = SYNTHETIC_FINDINGS, f"{args.synthetic} synthetic films (deepradiology.cxr.synthetic, seed {args.seed})"
        else:
            size = args.size or 512
            network, points, metrics = train_chestxray14(
                args.data, size=size, epochs=args.epochs or 10, batch_size=args.batch_size or 16, lr=args.lr or 1e-3,
                seed=args.seed, network_config=_config(args), max_images=args.max_images, workers=args.workers,
                progress=bar)
            labels, data = FINDINGS, f"ChestX-ray14 at {args.data}"
    if metrics.get("rank", 0) != 0:
        return 0
    path = save_cxr_model(network, args.output, name=name, size=size, labels=labels, operating_points=points,
                          metrics=metrics, training_data=data, force=args.force)
    print(json.dumps({"checkpoint": str(path), "operating_points": points, "metrics": metrics}))
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from ..cxr.model import load_cxr_model
    from ..cxr.pipeline import evaluate_chestxray14, evaluate_synthetic
    from ..cxr.synthetic import synthetic_films

    _films(args.synthetic)
    model = load_cxr_model(args.model)
    if args.synthetic is not None:
        films = synthetic_films(args.synthetic, seed=10_000, size=model.size)  # a seed no training run uses
        result = evaluate_synthetic(model.network, films, size=model.size)
    else:
        result = evaluate_chestxray14(model, args.data, bbox_list=args.bbox, split=args.split, max_images=args.max_images)
    print(json.dumps(result, indent=2))
    return 0


def run_triage(args: argparse.Namespace) -> int:
    import sys

    from ..cxr.model import load_cxr_model
    from ..cxr.triage import triage_paths
    from ..progress import TqdmProgress

    model = load_cxr_model(args.model)
    with TqdmProgress("cxr triage") as bar:
        rows = triage_paths(args.images, model, args.output, force=args.force, heatmaps=not args.no_heatmaps,
                            progress=bar)
    failed = [r for r in rows if r["status"] == "failed"]
    for r in failed:
        print(f"deepradiology cxr triage: skipped {r['file']}: {r['notes']}", file=sys.stderr)
    print(json.dumps({"worklist": args.output, "model": model.card.name, "trained_on": model.card.training_data,
                      "licence": model.card.licence,
                      "films": len(rows), "scored": len(rows) - len(failed),
                      "failed": len(failed), "flagged": sum(1 for r in rows if r["flagged"]),
                      "first": rows[0]["file"] if rows else None}))
    return 0 if len(failed) < len(rows) else 2


def run_benchmark(args: argparse.Namespace) -> int:
    from ..cxr.benchmark import inference_benchmark

    print(json.dumps(inference_benchmark(size=args.size, batch=args.batch, repeats=args.repeats, threads=args.threads)))
    return 0
