"""``deepradiology longitudinal``: follow lesions across a patient's studies, and the benchmarks."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("longitudinal", help="match lesions across a patient's studies; RECIST 1.1 response",
                       description="LongitudinalMatch: register follow-ups to the baseline, match every lesion "
                                   "across studies with the lesion graph (Yan et al. CVPR 2018, Algorithm 1) and "
                                   "score RECIST 1.1 at each time point. Positions in LPS mm.")
    cmds = p.add_subparsers(dest="longitudinal_command", metavar="ACTION")
    cmds.required = True

    m = cmds.add_parser("match", help="match lesions of STUDIES.json and write tracks and the response")
    m.add_argument("studies", help="studies JSON (see deepradiology.longitudinal.studies_file) or a phantom's "
                                   "ground_truth.json")
    m.add_argument("-o", "--output", required=True, help="tracks JSON to write")
    m.add_argument("--no-register", action="store_true", help="do not register volumes (positions already aligned)")
    m.add_argument("--alignments", help="folder where alignments (4x4 LPS JSON) are stored and reused")
    m.add_argument("--force-patient", action="store_true", help="match studies even if their patient ids differ")
    m.add_argument("--t1", type=float, default=None, help="intra-study merge threshold (match units, default 0.5)")
    m.add_argument("--t2", type=float, default=None, help="inter-study match threshold (match units, default 4.0)")
    m.add_argument("--exclusion", choices=("assignment", "nearest"), default="assignment",
                   help="one match per other study: joint assignment (default) or the paper's nearest rule")
    m.add_argument("--assessment", help="also write the RECIST assessment the tracks give (the input of "
                                        "`longitudinal response`), to check or edit and score again")
    m.add_argument("--force", action="store_true", help="overwrite the output file")
    m.set_defaults(func=run_match)

    r = cmds.add_parser("response", help="RECIST 1.1 response at each time point of an assessment file",
                        description="RECIST 1.1 (Eisenhauer et al. 2009) from an assessment JSON: "
                                    '{"time_points": [{"date", "targets": [{"id", "organ", "node", "long_mm", '
                                    '"short_mm", "status"}], "non_targets": [{"id", "organ", "node", "short_mm", '
                                    '"status"}], "new_lesions": [{"id", "organ", "equivocal"}]}]}; the first time point '
                                    "is the baseline. Target status: present, absent, not_evaluated; non-target status: "
                                    "present, absent, unequivocal_progression, not_evaluated. Prints "
                                    '{"time_points": [{"date", "target_response", "non_target_response", "overall", '
                                    '"sum_mm", "nadir_mm", "reasons"}]} (diameters in mm). See '
                                    "deepradiology.longitudinal.engine for the rules.")
    r.add_argument("assessment", help="assessment JSON (first time point = baseline, oldest first)")
    r.add_argument("-o", "--output", help="also write the response JSON here")
    r.add_argument("--force", action="store_true", help="overwrite the output file")
    r.set_defaults(func=run_response)

    e = cmds.add_parser("eval-dls", help="DeepLesion tracking pairs: identification accuracy beside DLT's")
    e.add_argument("pairs", help="DLT pair file (test_dev.json, valid.json)")
    e.add_argument("--dl-info", required=True, help="DL_info.csv (or DL_info_test.csv) listing the candidates")
    e.add_argument("-o", "--output", required=True, help="predictions JSON to write")
    e.add_argument("--force", action="store_true", help="overwrite the output file")
    e.set_defaults(func=run_eval_dls)

    f = cmds.add_parser("eval-phantom", help="match a synthetic patient's lesions; precision, recall, RECIST")
    f.add_argument("--seed", type=int, default=0, help="phantom seed (default 0)")
    f.add_argument("--studies", type=int, default=4, help="number of studies, 2-6 (default 4)")
    f.add_argument("--no-register", action="store_true", help="match without registering the CTs")
    f.set_defaults(func=run_eval_phantom)

    t = cmds.add_parser("train-ssbr", help="train the self-supervised body-part regressor on unlabelled CTs",
                        description="Train SSBR (Yan et al., ISBI 2018: order + distance loss over slice scores) on "
                                    "unlabelled CT volumes and write a checkpoint with its model card (task "
                                    "body-part-regression); import it with `deepradiology models import`.")
    t.add_argument("volumes", nargs="+", help="CT volumes (NIfTI, NRRD, DICOM folders)")
    t.add_argument("-o", "--output", required=True, help="checkpoint file to write (.pt)")
    t.add_argument("--steps", type=int, default=2000, help="optimiser steps (default 2000)")
    t.add_argument("--size", type=int, default=128, help="slice size in pixels after resizing (default 128)")
    t.add_argument("--name", default="ssbr", help="model name in its card (default ssbr)")
    t.add_argument("--device", default="cpu", help="torch device (default cpu)")
    t.add_argument("--force", action="store_true", help="overwrite the checkpoint")
    t.set_defaults(func=run_train_ssbr)

    b = cmds.add_parser("benchmark", help="speed: matching vs a Hungarian baseline; registration vs rigid-only")
    b.add_argument("--skip-registration", action="store_true", help="only the matching benchmark")
    b.add_argument("--shape", default="512,512,300", help="registration volume size i,j,k (default 512,512,300)")
    b.set_defaults(func=run_benchmark)


def run_match(args: argparse.Namespace) -> int:
    from ..errors import InputError
    from ..io.write import prepare_output
    from ..longitudinal.graph import DEFAULT_T1, DEFAULT_T2
    from ..longitudinal.registration import load_alignment, save_alignment
    from ..longitudinal.studies_file import read_studies_file
    from ..longitudinal.tracking import track_lesions
    from ..progress import TqdmProgress

    from ..io.write import check_outputs

    check_outputs({"-o": args.output, "--assessment": args.assessment}, inputs=(args.studies,), force=args.force)
    out = prepare_output(args.output, force=args.force)
    assessment_out = prepare_output(args.assessment, force=args.force) if args.assessment else None
    studies = read_studies_file(args.studies, load_volumes=not args.no_register)
    known = {}
    folder = Path(args.alignments) if args.alignments else None
    if folder is not None and folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            al = load_alignment(path)
            known[al.follow_up] = al
    t1 = DEFAULT_T1 if args.t1 is None else args.t1
    t2 = DEFAULT_T2 if args.t2 is None else args.t2
    if t1 < 0 or t2 <= 0:
        raise InputError("--t1/--t2", f"thresholds must be positive, got {t1} and {t2}")
    with TqdmProgress("longitudinal match") as bar:
        result = track_lesions(studies, register=not args.no_register, t1=t1, t2=t2, exclusion=args.exclusion,
                               force_patient=args.force_patient, alignments=known, progress=bar)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        for al in result.alignments[1:]:
            if al.follow_up not in known and al.method != "identity":
                save_alignment(al, folder / f"{al.follow_up}_to_{al.baseline}.json", force=True)
    out.write_text(json.dumps(result.to_dict(), indent=2), encoding="utf-8")
    if assessment_out is not None:
        assessment_out.write_text(json.dumps(result.assessment_dict(), indent=2), encoding="utf-8")
    summary = {"tracks": len(result.tracks), "studies": result.studies, "output": str(out),
               "response": {r.study: r.overall_response for r in result.response}, "warnings": result.warnings}
    print(json.dumps(summary))
    return 0


def run_response(args: argparse.Namespace) -> int:
    from ..io.write import prepare_output
    from ..longitudinal.assessment import output_dict, read_assessment
    from ..longitudinal.engine import evaluate

    if args.output and Path(args.output).exists() and not args.force:
        prepare_output(args.output, force=False)          # raises: refuse before any work
    result = json.dumps(output_dict(evaluate(read_assessment(args.assessment)).time_points), indent=2)
    out = prepare_output(args.output, force=args.force) if args.output else None
    if out is not None:          # written beside its name and renamed: never a half-written file
        tmp = out.with_name(f".{out.name}.partial")
        tmp.write_text(result + "\n", encoding="utf-8")
        tmp.replace(out)
    print(result)
    return 0


def run_eval_dls(args: argparse.Namespace) -> int:
    from ..deeplesion import read_dl_info
    from ..io.write import prepare_output
    from ..longitudinal.dls import evaluate_tracking_pairs, load_tracking_pairs

    out = prepare_output(args.output, force=args.force)
    pairs = load_tracking_pairs(args.pairs)
    rows, _ = read_dl_info(args.dl_info)
    predictions, summary = evaluate_tracking_pairs(pairs, rows)
    out.write_text(json.dumps(predictions, indent=1), encoding="utf-8")
    print(json.dumps(summary))
    return 0


def run_eval_phantom(args: argparse.Namespace) -> int:
    from ..errors import InputError
    from ..longitudinal.phantom_eval import evaluate_phantom

    if not 2 <= args.studies <= 6:
        raise InputError("--studies", f"must be 2-6, got {args.studies}")
    from ..validate import whole_number

    whole_number(args.seed, "--seed", minimum=0)
    print(json.dumps(evaluate_phantom(args.seed, n_studies=args.studies, register=not args.no_register)))
    return 0


def run_train_ssbr(args: argparse.Namespace) -> int:
    from ..errors import InputError
    from ..io import read_image, require_ct
    from ..io.write import prepare_output
    from ..longitudinal.ssbr import SSBRSettings, save_body_part_regressor, train_body_part_regressor
    from ..progress import TqdmProgress

    if args.steps < 1 or args.size < 16:
        raise InputError("--steps/--size", f"need at least 1 step and 16 pixels, got {args.steps} and {args.size}")
    prepare_output(args.output, force=args.force)
    volumes = [read_image(p) for p in args.volumes]
    for v in volumes:
        require_ct(v)
    settings = SSBRSettings(size=args.size)
    with TqdmProgress("train-ssbr") as bar:
        model, history = train_body_part_regressor(volumes, steps=args.steps, settings=settings, device=args.device,
                                                   progress=bar)
    path = save_body_part_regressor(model, args.output, settings=settings, history=history, name=args.name,
                                    training_data=f"{len(volumes)} unlabelled CT volumes", force=args.force)
    print(json.dumps({"checkpoint": str(path), "steps": args.steps, "first_loss": history["loss"][0],
                      "final_loss": history["loss"][-1], "score_range": history["score_range"]}))
    return 0


def run_benchmark(args: argparse.Namespace) -> int:
    from ..frames import parse_point
    from ..longitudinal.benchmark import benchmark_matching, benchmark_registration

    report = {"matching": benchmark_matching()}
    if not args.skip_registration:
        report["registration"] = benchmark_registration(shape=tuple(int(v) for v in parse_point(args.shape)))
    print(json.dumps(report))
    return 0
