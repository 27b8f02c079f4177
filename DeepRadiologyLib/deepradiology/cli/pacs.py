"""``deepradiology pacs query|get|send``: a PACS over DICOMweb (QIDO-RS, WADO-RS, STOW-RS)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pacs", help="query, fetch from and send to a PACS over DICOMweb",
                       description="DICOMweb client: query studies (QIDO-RS), get a series (WADO-RS), "
                                   "send files (STOW-RS). Errors name what was stored before a failure.")
    p.add_argument("--url", required=True, help="DICOMweb root, e.g. http://localhost:8042/dicom-web")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default 30)")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    q = actions.add_parser("query", help="list studies (and their series) as JSON")
    q.add_argument("--patient", default="", help="PatientID to match")
    q.set_defaults(func=run_query)
    g = actions.add_parser("get", help="fetch one series into a folder")
    g.add_argument("--study", required=True, help="StudyInstanceUID")
    g.add_argument("--series", required=True, help="SeriesInstanceUID")
    g.add_argument("-o", "--output", required=True, help="folder to write the instances into")
    g.set_defaults(func=run_get)
    s = actions.add_parser("send", help="store DICOM files (e.g. seg.dcm sr.dcm, or series folders)")
    s.add_argument("files", nargs="+", help="files or folders of .dcm files")
    s.set_defaults(func=run_send)


def run_query(args: argparse.Namespace) -> int:
    from ..dicom.pacs import list_series, query_studies

    studies = query_studies(args.url, patient_id=args.patient, timeout_s=args.timeout)
    for s in studies:
        s["series"] = list_series(args.url, s["study_uid"], timeout_s=args.timeout)
    print(json.dumps(studies, indent=2))
    return 0


def run_get(args: argparse.Namespace) -> int:
    from ..dicom.pacs import fetch_series
    from ..errors import OutputExistsError

    out = Path(args.output)
    if out.exists() and any(out.iterdir()):
        raise OutputExistsError(out)
    paths = fetch_series(args.url, args.study, args.series, out, timeout_s=args.timeout)
    print(json.dumps({"instances": len(paths), "output": str(out)}))
    return 0


def run_send(args: argparse.Namespace) -> int:
    from ..dicom.pacs import send_objects
    from ..errors import InputError

    files: list[Path] = []
    for f in map(Path, args.files):
        if f.is_dir():
            files += sorted(p for p in f.iterdir() if p.suffix.lower() == ".dcm")
        elif f.is_file():
            files.append(f)
        else:
            raise InputError(f, "no such file or folder")
    uids = send_objects(args.url, files, timeout_s=args.timeout)
    print(json.dumps({"stored": len(uids), "sop_instance_uids": uids}, indent=2))
    return 0
