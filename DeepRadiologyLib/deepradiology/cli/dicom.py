"""``deepradiology dicom export|import``: lesions <-> DICOM SEG + TID 1500 SR."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dicom", help="export lesions as DICOM SEG + TID 1500 SR, or import them back",
                       description="DICOM SEG (masks) and TID 1500 Measurement Report SR (RECIST axes in mm, "
                                   "volume in ml, tracking UIDs stable across studies).")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    e = actions.add_parser("export", help="lesions JSON (or phantom ground_truth.json) -> seg.dcm + sr.dcm")
    e.add_argument("lesions", help="a lesions JSON list, or a phantom ground_truth.json (then --study)")
    e.add_argument("--reference", required=True, help="folder of the DICOM series the lesions were measured on")
    e.add_argument("--masks", help="label map (NIfTI/NRRD) on the reference grid; lesion n has value "
                                   "extra.label (else n+1). Default for ground_truth.json: the study's lesion map")
    e.add_argument("--pancreas", help="optional pancreas mask on the same grid, written as one more segment")
    e.add_argument("--seg-type", choices=("binary", "labelmap"), default="binary",
                   help="binary: one bit plane per segment (default, read everywhere); labelmap: the newer "
                        "LABELMAP type, one segment number per voxel (refuses overlapping segments)")
    e.add_argument("--study", help="study id in ground_truth.json (e.g. S0)")
    e.add_argument("-o", "--output", required=True, help="folder to write seg.dcm and sr.dcm into")
    e.add_argument("--force", action="store_true", help="overwrite existing seg.dcm/sr.dcm")
    e.set_defaults(func=run_export)
    i = actions.add_parser("import", help="SR -> lesions JSON, or SEG -> label map")
    i.add_argument("file", help="a TID 1500 SR or a SEG file")
    i.add_argument("--reference", help="the referenced series folder (needed for SEG; gives LPS axes for SR)")
    i.add_argument("-o", "--output", required=True, help="lesions .json (SR) or label map .nii.gz (SEG)")
    i.add_argument("--force", action="store_true", help="overwrite the output")
    i.set_defaults(func=run_import)


def _load(args):
    from ..errors import InputError
    from ..io.jsonfile import read_json
    from ..io.volume import read_volume
    from ..lesion import Lesion, load_lesions

    data = read_json(args.lesions)
    masks_path = args.masks
    if isinstance(data, dict) and "studies" in data:
        studies = {s["study_id"]: s for s in data["studies"]}
        if args.study not in studies:
            raise InputError(args.lesions, f"give --study, one of {', '.join(studies)}")
        entry = studies[args.study]
        lesions = [Lesion.from_dict({**d, "patient": data.get("patient_id", ""), "study": args.study,
                                     "location": d.get("organ", "")}, source=args.lesions)
                   for d in entry["lesions"]]
        masks_path = masks_path or str(Path(args.lesions).parent / entry["files"]["lesions"])
    else:
        lesions = load_lesions(args.lesions)
    if not masks_path:
        raise InputError(args.lesions, "give --masks (a label map of the lesions on the reference grid)")
    masks = read_volume(masks_path).array
    pancreas = read_volume(args.pancreas).array if args.pancreas else None
    return lesions, masks, pancreas


def run_export(args: argparse.Namespace) -> int:
    from ..dicom.export import export_lesions

    lesions, masks, pancreas = _load(args)
    paths = export_lesions(lesions, masks, args.reference, args.output, pancreas=pancreas, force=args.force,
                           seg_type=args.seg_type)
    print(json.dumps({k: str(v) for k, v in paths.items()}, indent=2))
    return 0


def run_import(args: argparse.Namespace) -> int:
    from ..dicom.importer import import_dicom
    from ..dicom.reference import read_reference
    from ..image import Image
    from ..io.write import write_image
    from ..lesion import save_lesions

    ref = read_reference(args.reference) if args.reference else None
    kind, result = import_dicom(args.file, ref)
    if kind == "sr":
        save_lesions(result, args.output, force=args.force)
        print(json.dumps({"lesions": len(result), "output": args.output}))
    else:
        labels, segments = result
        image = Image(labels, spacing=ref.spacing, origin=tuple(ref.origin), direction=ref.direction)
        write_image(image, args.output, force=args.force)
        print(json.dumps({"segments": segments, "output": args.output}, indent=2))
    return 0
