"""``deepradiology serve``: the DeepRadiology web app (trame-slicer) in a browser.

Opens the given images (NIfTI / NRRD files, DICOM folders, chest X-ray PNG / JPEG / DICOM) or, with
none, the embedded default patient, and serves the viewer with its tool panels. Binds 127.0.0.1
unless told otherwise; any other interface needs ``--token``.
"""

from __future__ import annotations

import argparse
import os

__all__ = ["register"]

#: Read when ``--token`` is not given, so that the token need not appear in the process list.
TOKEN_ENV = "DEEPRADIOLOGY_TOKEN"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve", help="serve the DeepRadiology viewer and tools to a web browser (trame-slicer)",
        description="Serve Slicer's views and the DeepRadiology panels (RECIST, lesion tracks, retrieval, "
                    "pancreas, chest X-ray) to a web browser. Each browser tab gets its own session. With no "
                    "INPUT, opens the embedded synthetic patient (three phantom CT studies), plus the real "
                    "example CT when the shared data folder is configured.")
    p.add_argument("inputs", nargs="*", metavar="INPUT",
                   help="NIfTI/NRRD volume, DICOM folder or file, or PNG/JPEG radiograph (default: the embedded "
                        "synthetic patient)")
    p.add_argument("--organs", default=None, metavar="PATH",
                   help="the organ map of the CT given as INPUT: a label-map file or a folder of organ masks "
                        "(e.g. TotalSegmentator's); resampled onto the CT's grid when on another (nearest "
                        "neighbour), refused at start when it does not lie on the CT. It names a measured "
                        "lesion's organ and refuses a click on a normal organ")
    p.add_argument("--organ-names", default=None, metavar="FILE|ATLAS",
                   help="names of the --organs label map's values: a colour table (Slicer .txt/.ctbl) or JSON "
                        "{value: name}, or 'totalsegmentator' (its v2 'total' task, TotalSegmentator --ml); "
                        "default: <map>.txt/.ctbl/.json beside the map, else 'label N' with a warning")
    p.add_argument("--port", type=int, default=8080, help="port to listen on; 0 picks a free one (default 8080)")
    p.add_argument("--host", default="127.0.0.1",
                   help="interface to bind (default 127.0.0.1, this machine only); any other needs --token")
    p.add_argument("--token", default=None,
                   help=f"access token every request must carry (open http://HOST:PORT/?token=TOKEN once); "
                        f"required off loopback; also read from ${TOKEN_ENV}")
    p.add_argument("--max-tabs", type=int, default=4, help="browser tabs open at once (default 4)")
    p.add_argument("--phantom-spacing", default="0.8,0.8,2.5",
                   help="voxel size i,j,k in mm of the embedded synthetic patient (default 0.8,0.8,2.5)")
    p.add_argument("--shared-data", default=None,
                   help="the shared public data folder, to offer its real CT with the default patient "
                        "(default: $DEEPRADIOLOGY_SHARED_DATA)")
    p.add_argument("--lesion-db", default=None,
                   help="lesion database (SQLite, from 'deepradiology retrieval import') for the similar-lesions "
                        "panel (default: one built from the embedded patient's follow-up studies)")
    p.add_argument("--pacs", default=None, metavar="URL",
                   help="a DICOMweb root for the PACS panel, e.g. http://localhost:8042/dicom-web (the server, "
                        "not the browser, talks to it)")
    p.add_argument("--tab-timeout", type=int, default=60,
                   help="seconds a tab's session lives on after its browser tab closed (default 60)")
    p.add_argument("--verbose", action="store_true", help="show the tab processes' own console output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import logging
    import shutil
    import subprocess
    import sys
    import tempfile

    from ..errors import InputError
    from ..frames import parse_point

    try:
        from deepradiology_web.default_data import case_from_inputs, embedded_default_case
        from deepradiology_web.security import AccessPolicy
        from deepradiology_web.session import SessionBroker
    except ImportError as exc:
        raise InputError("serve", f"the web app needs its extra packages ({exc.name} is missing): "
                                  "pip install -e 'DeepRadiologyLib[web]'") from exc

    policy = AccessPolicy(host=args.host, token=args.token or os.environ.get(TOKEN_ENV) or None)
    if not 0 <= args.port <= 65535:
        raise InputError("--port", f"must be 0-65535, got {args.port}")
    if args.max_tabs < 1:
        raise InputError("--max-tabs", f"must be at least 1, got {args.max_tabs}")
    from deepradiology_web.pacs_link import check_url

    pacs_url = check_url(args.pacs) if args.pacs else ""  # issue 13: the PACS panel's starting address
    spacing = parse_point(args.phantom_spacing)
    if min(spacing) <= 0:
        raise InputError("--phantom-spacing", f"voxel sizes must be positive, got {args.phantom_spacing}")

    if args.lesion_db and not os.path.isfile(args.lesion_db):  # before the patient is prepared (tens of seconds)
        raise InputError(args.lesion_db, "no such lesion database file")

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    import signal

    def _terminate(signum, frame):  # issue 17: kill -TERM (timeout, systemd) cleans up as Ctrl+C does
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    workdir = tempfile.mkdtemp(prefix="deepradiology-serve-")  # mode 0700: only this user reads it
    try:
        if args.organs and not args.inputs:
            raise InputError("--organs", "is the organ map of your own CT: give the CT as INPUT too (the "
                                         "embedded patient has its own organ maps)")
        if args.organ_names and not args.organs:
            raise InputError("--organ-names", "names the values of an organ map: give the map with --organs too")
        if args.inputs:
            case = case_from_inputs(args.inputs, organs=args.organs, organ_names=args.organ_names)
        else:
            print("preparing the embedded synthetic patient ...", file=sys.stderr, flush=True)
            case = embedded_default_case(workdir, spacing=tuple(spacing), shared_data=args.shared_data)
        if args.lesion_db:
            case.lesion_database = os.path.abspath(args.lesion_db)
        case.pacs_url = pacs_url
        case_file = case.save(os.path.join(workdir, "case.json"))

        def launch_worker(port: int, secret: str) -> subprocess.Popen:
            env = dict(os.environ, DEEPRADIOLOGY_WORKER_SECRET=secret)
            env.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
            env.pop(TOKEN_ENV, None)
            quiet = None if args.verbose else subprocess.DEVNULL
            return subprocess.Popen(
                [sys.executable, "-m", "deepradiology_web.app", "--port", str(port), "--case", str(case_file),
                 "--timeout", str(max(5, args.tab_timeout))],
                env=env, stdout=quiet, stderr=quiet)

        def announce(port: int) -> None:
            shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
            suffix = "?token=<your token>" if policy.requires_token else ""
            print(f"DeepRadiology: {case.description}", flush=True)
            print(f"DeepRadiology is serving at http://{shown}:{port}/{suffix}  (Ctrl+C stops it)", flush=True)

        broker = SessionBroker(policy=policy, launch_worker=launch_worker, max_tabs=args.max_tabs)
        broker.run(port=args.port, on_ready=announce)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0
