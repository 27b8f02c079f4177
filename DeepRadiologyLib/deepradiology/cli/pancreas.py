"""``deepradiology pancreas``: segment the pancreas in CT, train a model, evaluate a mask."""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["register"]


def _ints(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def _mm3(text: str) -> tuple[float, float, float]:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 3 or min(values) <= 0:
        raise argparse.ArgumentTypeError(f"expected three positive sizes in mm as i,j,k, got {text!r}")
    return values


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pancreas", help="pancreas segmentation in abdominal CT: segment, train, eval",
                       description="Coarse-to-fine pancreas segmentation with a probability map, volume in mL and "
                                   "a confidence flag. No weights ship: train a model or import one.")
    cmds = p.add_subparsers(dest="pancreas_command", metavar="ACTION")
    cmds.required = True

    s = cmds.add_parser("segment", help="segment the pancreas in a CT and write its mask",
                        description="Writes a 0/1 mask on the CT's grid, optionally the probability map, and "
                                    "prints one JSON object: volume_ml, confidence, reasons, timings.")
    s.add_argument("ct", help="CT volume (NIfTI/NRRD/MHA) or DICOM series folder, in HU")
    s.add_argument("-o", "--output", required=True, help="mask file to write (.nii.gz, .nrrd ...)")
    s.add_argument("--prob", help="also write the probability map (float, 0-1) here")
    s.add_argument("--model", help="installed model name or checkpoint path (default: the installed one)")
    s.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    s.add_argument("--threads", type=int, default=0, help="CPU threads for torch (default: torch's choice)")
    s.add_argument("--progress-json", action="store_true",
                   help="report progress as JSON lines on stderr (for the Slicer module)")
    s.add_argument("--force", action="store_true", help="overwrite existing output files")
    s.set_defaults(func=run_segment)

    t = cmds.add_parser("train", help="train a pancreas model on MSD Task07 or NIH Pancreas-CT",
                        description="k-fold cross-validation training of the coarse locator and the fine "
                                    "segmenter; works under torchrun for several GPUs. Prints one JSON object.")
    t.add_argument("data", help="dataset folder: MSD Task07 (dataset.json, imagesTr, labelsTr) or NIH Pancreas-CT")
    t.add_argument("-o", "--output", required=True, help="checkpoint file to write (its card goes beside it)")
    t.add_argument("--arch", default="dynunet", choices=("dynunet", "hnn-bclstm"),
                   help="dynunet: 3D U-Net with deep supervision (default); hnn-bclstm: 2.5D holistically-"
                        "nested network + bidirectional convolutional LSTM over slices")
    t.add_argument("--fold", type=int, default=0, help="validation fold, 0-based (default 0)")
    t.add_argument("--folds", type=int, default=4, help="number of cross-validation folds (default 4)")
    t.add_argument("--spacing", type=_mm3, default=(1.5, 1.5, 1.5), help="fine voxel size i,j,k mm (default 1.5)")
    t.add_argument("--coarse-spacing", type=_mm3, default=(6.0, 6.0, 6.0), help="locator voxel size (default 6)")
    t.add_argument("--patch", type=_ints, help="fine window k,j,i voxels (default 64,96,96; hnn 16,128,128)")
    t.add_argument("--coarse-patch", type=_ints, default=(48, 48, 48), help="locator window k,j,i (default 48,48,48)")
    t.add_argument("--channels", type=_ints, default=(16, 32, 64, 128), help="fine network channels per depth")
    t.add_argument("--coarse-channels", type=_ints, default=(8, 16, 32), help="locator channels per depth")
    t.add_argument("--iterations", type=int, default=2000, help="optimiser steps (default 2000)")
    t.add_argument("--coarse-iterations", type=int, help="locator steps (default: --iterations)")
    t.add_argument("--batch", type=int, default=2, help="patches per step (default 2)")
    t.add_argument("--lr", type=float, default=3e-3, help="learning rate (default 3e-3, polynomial decay)")
    t.add_argument("--positive-fraction", type=float, default=0.67, help="share of patches centred on pancreas")
    t.add_argument("--validate-every", type=int, default=0, help="validate every N steps (default: at the end)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (under torchrun: each process's GPU)")
    t.add_argument("--threads", type=int, default=0, help="CPU threads for torch (default: torch's choice)")
    t.add_argument("--name", default="", help="model name (default pancreas-ARCH-foldK)")
    t.add_argument("--install", action="store_true", help="install the checkpoint into the model cache")
    t.add_argument("--force", action="store_true", help="overwrite an existing checkpoint / installed model")
    t.set_defaults(func=run_train)

    e = cmds.add_parser("eval", help="compare a pancreas mask with a reference: dice, asd_mm, hd95_mm",
                        description="Prints one JSON object. Distances are in mm on the reference's grid; the "
                                    "prediction is resampled onto it (nearest neighbour, world space) if needed.")
    e.add_argument("pred", help="predicted mask (non-zero = pancreas)")
    e.add_argument("gold", help="reference mask (non-zero = pancreas)")
    e.set_defaults(func=run_eval)


def _threads(n: int) -> None:
    if n and n > 0:
        import torch

        torch.set_num_threads(n)


class _JsonLines:
    """Progress as one JSON object a line on stderr, read by the Slicer Logic's subprocess runner."""

    def __call__(self, fraction: float, message: str = "") -> None:
        print(json.dumps({"progress": round(fraction, 4), "message": message}), file=sys.stderr, flush=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def run_segment(args: argparse.Namespace) -> int:
    from ..io import check_outputs, read_image, write_image
    from ..pancreas.inference import segment_pancreas
    from ..pancreas.model import load_pancreas_model
    from ..progress import TqdmProgress

    # Refuse existing outputs and load the model before any long work.
    check_outputs({"-o": args.output, "--prob": args.prob}, inputs=(args.ct,), volumes=("-o", "--prob"),
                  force=args.force)
    _threads(args.threads)
    model = load_pancreas_model(args.model, device=args.device)
    ct = read_image(args.ct)
    with (_JsonLines() if args.progress_json else TqdmProgress("pancreas")) as bar:
        result = segment_pancreas(ct, model=model, progress=bar)
    written = []
    try:
        if args.prob:
            written.append(write_image(result.probability, args.prob, force=args.force))
        written.append(write_image(result.mask, args.output, force=args.force))
    except BaseException:
        for path in written:  # never leave a probability map without its mask
            path.unlink(missing_ok=True)
        raise
    summary = {"mask": str(args.output), "probability": args.prob, **result.summary()}
    print(json.dumps(summary))
    return 0


def run_train(args: argparse.Namespace) -> int:
    from ..pancreas.train import TrainConfig, train_pancreas
    from ..progress import TqdmProgress

    _threads(args.threads)
    config = TrainConfig(arch=args.arch, fold=args.fold, n_folds=args.folds, spacing_mm=args.spacing,
                         coarse_spacing_mm=args.coarse_spacing, patch=args.patch, coarse_patch=args.coarse_patch,
                         channels=args.channels, coarse_channels=args.coarse_channels, iterations=args.iterations,
                         coarse_iterations=args.coarse_iterations, batch=args.batch, learning_rate=args.lr,
                         positive_fraction=args.positive_fraction, validate_every=args.validate_every,
                         seed=args.seed, device=args.device, name=args.name)
    with TqdmProgress("pancreas train") as bar:
        path, card = train_pancreas(args.data, config=config, output=args.output, force=args.force, progress=bar)
    if card is None:  # a torchrun worker other than rank 0
        return 0
    out = {"checkpoint": str(path), "name": card.name, "metrics": card.metrics}
    if args.install:
        from ..models import install_model

        installed = install_model(path, name=card.name, force=args.force)
        out["installed"] = installed.name
    print(json.dumps(out))
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from ..io import read_image
    from ..pancreas.data import label_on_ct_grid
    from ..pancreas.metrics import segmentation_metrics

    pred = read_image(args.pred)
    gold = read_image(args.gold)
    on_grid = label_on_ct_grid(pred, gold, source=args.pred)
    metrics = segmentation_metrics(on_grid.array, gold.array, gold.spacing)
    print(json.dumps(metrics))
    return 0
