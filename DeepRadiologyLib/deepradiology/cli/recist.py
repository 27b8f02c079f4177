"""``deepradiology recist``: measure a lesion's RECIST axes and 3D mask from a click, and evaluate it.

Subcommands: ``measure`` (one lesion from a click or a box), ``eval-deeplesion`` (against DeepLesion's
radiologists), ``eval-phantom`` (against the phantom's ground truth), ``train`` (the learned cascade on
DeepLesion's layout) and ``benchmark`` (speed against simple peers). Each prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("recist", help="semi-automatic RECIST: click a lesion, get its long/short axes and 3D mask",
                       description="Semi-automatic RECIST (Tang et al. MICCAI 2018; slice-propagated masks after "
                                   "Cai et al. MICCAI 2018). Lengths in mm, volumes in mL, positions LPS mm.")
    rsub = p.add_subparsers(dest="recist_command", metavar="SUBCOMMAND")
    rsub.required = True

    m = rsub.add_parser("measure", help="measure the lesion at a point (or in a box) of a CT volume",
                        description="Segment the lesion under --point on its axial slice, draw the RECIST long "
                                    "and short axes, propagate the mask through the volume, and write the "
                                    "lesion record (JSON, axes in LPS mm).")
    m.add_argument("volume", metavar="VOLUME", help="CT volume in HU (NIfTI, NRRD, MetaImage or a DICOM folder)")
    m.add_argument("--point", help="a point inside the lesion, X,Y,Z in --frame; write --point=-75,-10,34 when X "
                                   "is negative")
    m.add_argument("--frame", choices=("ras", "lps", "ijk"), default="ras",
                   help="frame of --point/--box: RAS mm (Slicer's), LPS mm (ITK/DICOM) or voxel ijk (default ras)")
    m.add_argument("--box", help="two opposite corners of a box around the lesion on one slice, "
                                 "X1,Y1,Z1,X2,Y2,Z2 in --frame (instead of, or with, --point)")
    m.add_argument("-o", "--output", required=True, help="lesion JSON to write")
    m.add_argument("--mask", help="also write the lesion mask (3D, 1 = lesion) as a volume file")
    m.add_argument("--no-3d", action="store_true", help="measure on the slice only, no propagation")
    m.add_argument("--max-diameter", type=float, default=None,
                   help="largest lesion accepted, mm (default 100); a larger region is an organ")
    m.add_argument("--method", choices=("adaptive", "model", "auto"), default="adaptive",
                   help="adaptive: no weights (default); model: an installed model (--model, else the learned "
                        "cascade, else nnInteractive); auto: the cascade when installed")
    m.add_argument("--model", metavar="NAME",
                   help="with --method model: the installed model by name, e.g. an imported nnInteractive folder "
                        "(its 3D mask from the point or box; needs `pip install nninteractive`, GPU strongly "
                        "advised; its weights are non-commercial, CC BY-NC-SA 4.0)")
    m.add_argument("--organs", metavar="LABELMAP",
                   help="organ label map (a file, or a folder of organ masks such as TotalSegmentator's; "
                        "resampled onto the CT's grid by nearest neighbour when on another): names the location "
                        "and refuses a region that is most of an organ")
    m.add_argument("--organ-names", metavar="FILE|ATLAS",
                   help="names of a label-map file's values: a colour table (Slicer .txt/.ctbl, 'value name r g b "
                        "a' lines) or JSON {value: name}, or 'totalsegmentator' (its v2 'total' task, as written "
                        "by TotalSegmentator --ml); default: a <map>.txt/.ctbl/.json beside the map, else 'label N' "
                        "with a warning")
    m.add_argument("--id", default="L1", help="lesion id in the record (default L1)")
    m.add_argument("--force", action="store_true", help="overwrite existing outputs")
    m.set_defaults(func=run_measure)

    e = rsub.add_parser("eval-deeplesion", help="measure DeepLesion key slices against the radiologists' RECIST",
                        description="For every DL_info.csv row whose key-slice PNG is present, click at the "
                                    "radiologist's RECIST centre, measure, and report the errors against "
                                    "Lesion_diameters_Pixel_ x spacing and the Dice against the RECIST ellipse.")
    e.add_argument("--dl-info", required=True, help="DeepLesion's DL_info.csv (or a subset with its columns)")
    e.add_argument("--images", required=True, help="DeepLesion's Images_png folder")
    e.add_argument("-o", "--output", help="also write the JSON here")
    e.add_argument("--force", action="store_true", help="overwrite --output")
    e.set_defaults(func=run_eval_deeplesion)

    ph = rsub.add_parser("eval-phantom", help="measure every phantom lesion against its ground truth",
                         description="Generate phantom patient --seed, click each lesion's centre on its key "
                                     "slice, and report axis and volume errors against the ground truth.")
    ph.add_argument("--seed", type=int, default=0, help="phantom seed (default 0)")
    ph.add_argument("--studies", type=int, default=3, help="studies to measure, 1-6 (default 3)")
    ph.add_argument("-o", "--output", help="also write the JSON here")
    ph.add_argument("--force", action="store_true", help="overwrite --output")
    ph.set_defaults(func=run_eval_phantom)

    t = rsub.add_parser("train", help="train the cascaded RECIST network on DeepLesion's layout",
                        description="Train the talk's cascaded CNN (spatial transformer + stacked hourglass, "
                                    "Tang et al. MICCAI 2018) to place the four RECIST endpoints, with the "
                                    "radiologists' endpoints as weak labels. Writes a checkpoint with its model "
                                    "card (deepradiology.models); `deepradiology models import` installs it.")
    t.add_argument("--dl-info", required=True, help="DL_info.csv")
    t.add_argument("--images", required=True, help="Images_png folder")
    t.add_argument("-o", "--output", required=True, help="checkpoint file to write (.pt)")
    t.add_argument("--split", choices=("train", "val", "test", "all"), default="train",
                   help="DL_info rows to train on by Train_Val_Test (default train)")
    t.add_argument("--epochs", type=int, default=20, help="passes over the data (default 20)")
    t.add_argument("--max-steps", type=int, default=None, help="stop after this many optimiser steps")
    t.add_argument("--batch-size", type=int, default=16)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--patch", type=int, default=128, help="crop size in pixels (default 128)")
    t.add_argument("--channels", type=int, default=32, help="hourglass feature width (default 32)")
    t.add_argument("--stacks", type=int, default=2, help="hourglass stacks (default 2)")
    t.add_argument("--depth", type=int, default=3, help="down-samplings per hourglass (default 3)")
    t.add_argument("--device", default="auto", help="cpu, cuda or auto (default)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--force", action="store_true", help="overwrite the checkpoint")
    t.set_defaults(func=run_train)

    c = rsub.add_parser("benchmark-clicks", help="per click kind: share within the phantom's truth, silently wrong (JSON)",
                        description="Click phantom lesions on their key slice (centre, off-centre) and off it "
                                    "(inner and end slices); compare click-anywhere with the old clicked-slice "
                                    "method in the same run.")
    c.add_argument("--seeds", default="0,3", help="phantom seeds, comma-separated (default 0,3)")
    c.add_argument("--real-ct", action="store_true",
                   help="instead: ellipsoid lesions inserted into the real abdominal CT of the shared data (isolated, "
                        "near their ends, touching an organ or a vessel, 5 mm slabs), against their analytic truth")
    c.add_argument("--shared-data", default=None,
                   help="the shared data folder for --real-ct (default $DEEPRADIOLOGY_SHARED_DATA or ../shared/data)")
    c.set_defaults(func=run_benchmark_clicks)

    b = rsub.add_parser("benchmark", help="time click-to-lines and 3D propagation against simple peers (JSON)")
    b.add_argument("--repeats", type=int, default=5)
    b.add_argument("--shared-data", default=None,
                   help="the shared data folder, for the real DeepLesion slices (default $DEEPRADIOLOGY_SHARED_DATA "
                        "or ../shared/data when present)")
    b.set_defaults(func=run_benchmark)


def _emit(result: dict, output: str | None, force: bool) -> None:
    text = json.dumps(result, indent=2)
    if output:
        from ..io import prepare_output

        prepare_output(output, force=force).write_text(text + "\n", encoding="utf-8")
    print(text)


def _to_ijk(image, values, frame: str):
    import numpy as np

    from ..frames import ras_to_lps

    values = np.asarray(values, dtype=float)
    if frame == "ijk":
        return values
    lps = ras_to_lps(values) if frame == "ras" else values
    return image.lps_to_index(lps)


def _positive(value, option: str):
    """``value`` when it is None or a finite number > 0; else the one-line InputError naming ``option``."""
    import math

    from ..errors import InputError

    if value is not None and not (math.isfinite(value) and value > 0):
        raise InputError(option, f"must be a positive number, got {value}")
    return value


def run_measure(args: argparse.Namespace) -> int:
    import numpy as np

    from ..errors import InputError
    from ..frames import parse_point
    from ..io import check_outputs, prepare_output, read_image, write_image
    from ..io.write import atomic_open
    from ..recist import MAX_DIAMETER_MM, measure_lesion
    from ..recist.segment2d import check_ct_image

    if args.model and args.method != "model":
        raise InputError("--model", "is used with --method model")
    if not args.point and not args.box:
        raise InputError("--point", "give a point inside the lesion (or --box around it)")
    _positive(args.max_diameter, "--max-diameter")
    # Every output is checked before anything is read or written: a bad --mask refused after the
    # lesion JSON was written would leave half a result; the CT itself is never an output.
    if args.organ_names and not args.organs:
        raise InputError("--organ-names", "names the values of an organ map: give the map with --organs too")
    check_outputs({"-o": args.output, "--mask": args.mask}, inputs=(args.volume, args.organs),
                  volumes=("--mask",), force=args.force)
    image = read_image(args.volume)
    check_ct_image(image)
    organs = None
    if args.organs:
        from ..recist import load_organ_map

        organs = load_organ_map(args.organs, image, args.organ_names)
        if organs[0].meta.get("organ_names_warning"):
            print(f"warning: {organs[0].meta['organ_names_warning']}", file=sys.stderr)
    click = box = None
    k = None
    if args.box:
        parts = [p for p in args.box.replace(",", " ").split() if p]
        try:
            corners = np.array([float(p) for p in parts], dtype=float)
        except ValueError:
            corners = np.zeros(0)
        if corners.shape != (6,) or not np.all(np.isfinite(corners)):
            raise InputError("--box", f"{args.box!r} is not six numbers X1,Y1,Z1,X2,Y2,Z2")
        a, b = _to_ijk(image, corners[:3], args.frame), _to_ijk(image, corners[3:], args.frame)
        if abs(a[2] - b[2]) > 0.5:
            raise InputError("--box", "both corners must lie on the same axial slice")
        k = int(round(a[2]))
        box = (a[0], a[1], b[0], b[1])
    if args.point:
        ijk = _to_ijk(image, parse_point(args.point), args.frame)
        if box is None:
            click = tuple(ijk)
        else:
            k = int(round(ijk[2]))
    m = measure_lesion(image, click=click, box=box, slice_index=k if box is not None else None,
                       lesion_id=args.id, propagate=False if args.no_3d else None,
                       max_diameter_mm=MAX_DIAMETER_MM if args.max_diameter is None else args.max_diameter, method=args.method,
                       organs=organs, model=args.model)
    if organs is not None:
        _note_organ_names(m.lesion.extra, organs[0].meta)
    record = m.lesion.to_dict()
    mask_path = None
    if args.mask:
        if m.volume is not None:
            mask = m.volume.mask
        else:
            mask = np.zeros(image.array.shape, dtype=bool)
            mask[m.slice.slice_index] = m.slice.mask
        mask_path = write_image(image.with_array(mask.astype(np.uint8), modality="", meta={}), args.mask,
                                force=args.force)
    try:
        with atomic_open(prepare_output(args.output, force=args.force)) as handle:
            handle.write(json.dumps(record, indent=2) + "\n")
    except BaseException:
        if mask_path is not None:   # never a mask without its lesion record
            mask_path.unlink(missing_ok=True)
        raise
    print(json.dumps(record, indent=2))
    return 0


def _note_organ_names(extra: dict, meta: dict) -> None:
    """Say in the lesion's ``extra`` where the location's organ names came from (`measure_lesion` itself
    warns when some are unknown)."""
    extra["organ_names_source"] = meta.get("organ_names_source", "")


def run_benchmark_clicks(args: argparse.Namespace) -> int:
    from ..errors import InputError
    from ..recist.click_benchmark import click_benchmark

    try:
        seeds = [int(v) for v in args.seeds.split(",") if v.strip()]
    except ValueError:
        seeds = []
    if not seeds or any(s < 0 for s in seeds):
        raise InputError("--seeds", f"{args.seeds!r} is not a list of seeds (whole numbers >= 0)")
    if getattr(args, "real_ct", False):
        import os
        from pathlib import Path

        from ..recist.click_benchmark_real import real_ct_click_benchmark

        shared = Path(args.shared_data or os.environ.get("DEEPRADIOLOGY_SHARED_DATA") or "../shared/data")
        ct = shared / "ct" / "totalsegmentator" / "example_ct.nii.gz"
        if not ct.exists():
            raise InputError("--shared-data", f"{ct} not found: --real-ct needs the shared data folder")
        print(json.dumps(real_ct_click_benchmark(shared, seed=seeds[0]), indent=2))
        return 0
    print(json.dumps(click_benchmark(seeds), indent=2))
    return 0


def run_eval_deeplesion(args: argparse.Namespace) -> int:
    from ..progress import TqdmProgress
    from ..recist.eval import eval_deeplesion

    if args.output:
        from ..io import prepare_output

        prepare_output(args.output, force=args.force)
    with TqdmProgress("eval-deeplesion") as bar:
        result = eval_deeplesion(args.dl_info, args.images, progress=bar)
    _emit(result, args.output, True)
    return 0


def run_eval_phantom(args: argparse.Namespace) -> int:
    from ..errors import InputError
    from ..progress import TqdmProgress
    from ..recist.eval import eval_phantom

    if not 1 <= args.studies <= 6:
        raise InputError("--studies", f"must be 1-6, got {args.studies}")
    from ..validate import whole_number

    whole_number(args.seed, "--seed", minimum=0)
    if args.output:
        from ..io import prepare_output

        prepare_output(args.output, force=args.force)
    with TqdmProgress("eval-phantom") as bar:
        result = eval_phantom(args.seed, n_studies=args.studies, progress=bar)
    _emit(result, args.output, True)
    return 0


def run_train(args: argparse.Namespace) -> int:
    from ..errors import InputError
    from ..recist.train import TrainConfig, train_recist_network

    for option, value in (("--epochs", args.epochs), ("--batch-size", args.batch_size), ("--patch", args.patch),
                          ("--channels", args.channels), ("--stacks", args.stacks), ("--depth", args.depth),
                          ("--lr", args.lr), ("--max-steps", args.max_steps)):
        _positive(value, option)

    config = TrainConfig(epochs=args.epochs, max_steps=args.max_steps, batch_size=args.batch_size, lr=args.lr,
                         patch=args.patch, channels=args.channels, stacks=args.stacks, depth=args.depth,
                         device=args.device, seed=args.seed, split=args.split)
    result = train_recist_network(args.dl_info, args.images, args.output, config=config, force=args.force,
                                  log=lambda line: print(line, file=sys.stderr))
    print(json.dumps(result, indent=2))
    return 0


def run_benchmark(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from ..recist.benchmark import run_benchmark as bench

    if args.repeats < 1:
        from ..errors import InputError

        raise InputError("--repeats", f"must be at least 1, got {args.repeats}")

    shared = args.shared_data or os.environ.get("DEEPRADIOLOGY_SHARED_DATA")
    if shared is None:
        guess = Path.cwd().parent / "shared" / "data"
        shared = str(guess) if guess.is_dir() else None
    print(json.dumps(bench(repeats=args.repeats, shared_data=shared)))
    return 0
