"""``deepradiology demo``: run every tool on the embedded default patient and save a Slicer scene."""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import tempfile
from pathlib import Path

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo", help="run the tools on the synthetic patient; write outputs and a .mrb scene",
        description="Render the synthetic patient (three CT studies), measure every lesion with RECISTAssist, "
                    "match them across studies with RECIST 1.1 response, query the lesion database, label "
                    "example reports, and save everything as a Slicer scene (.mrb). Needs the MRML bridge "
                    "(the slicer-core wheel or Slicer itself).")
    p.add_argument("-o", "--output", default="demo-output", help="folder to write into (default demo-output)")
    p.add_argument("--seed", type=int, default=0, help="phantom seed (default 0)")
    p.add_argument("--force", action="store_true", help="replace an earlier demo in the folder")
    p.set_defaults(func=run)


@contextlib.contextmanager
def _vtk_messages_to(log: Path):
    """Send VTK's and Slicer's console messages to ``log`` while the demo runs, so the progress bar stays
    readable: saving the .mrb prints an "Info: ... vtkArchive ... Zip: adding" pair per file, and the
    subject hierarchy warns on a scene being closed. Errors (vtkLogger ERROR) still reach the console;
    everything else is kept in the logs, which the demo copies into its folder."""
    from vtkmodules.vtkCommonCore import vtkFileOutputWindow, vtkLogger, vtkOutputWindow

    previous_window = vtkOutputWindow.GetInstance()
    window = vtkFileOutputWindow()
    window.SetFileName(str(log))
    window.SetFlush(1)
    vtkOutputWindow.SetInstance(window)
    vtkLogger.SetStderrVerbosity(vtkLogger.VERBOSITY_ERROR)
    logger_file = str(log.with_name("vtk-logger.log"))
    vtkLogger.LogToFile(logger_file, vtkLogger.APPEND, vtkLogger.VERBOSITY_INFO)
    try:
        yield
    finally:
        vtkLogger.EndLogToFile(logger_file)
        vtkLogger.SetStderrVerbosity(vtkLogger.VERBOSITY_INFO)   # VTK's default
        vtkOutputWindow.SetInstance(previous_window)


def run(args: argparse.Namespace) -> int:
    from ..progress import TqdmProgress

    try:
        from deepradiology_mrml.demo import run_demo
    except ImportError as exc:  # the core installed without its MRML extra
        from ..errors import DeepRadiologyError

        raise DeepRadiologyError(f"the demo needs the MRML bridge: pip install -e 'DeepRadiologyLib[mrml]' ({exc})") from None
    with tempfile.TemporaryDirectory(prefix="deepradiology-demo-") as scratch:
        log = Path(scratch) / "vtk-messages.log"
        with _vtk_messages_to(log), TqdmProgress("demo", always=True) as bar:
            summary = run_demo(args.output, seed=args.seed, force=args.force, progress=bar)
        for kept in (log, log.with_name("vtk-logger.log")):
            if kept.is_file() and kept.stat().st_size:
                shutil.copyfile(kept, Path(args.output) / kept.name)
    recist = summary["recist"]
    print(json.dumps({
        "scene": summary["outputs"]["scene"],
        "summary": summary["outputs"]["summary"],
        "phantom": summary["outputs"]["phantom"],
        "recist": {k: recist[k] for k in ("lesions_measured", "mean_abs_long_error_mm", "mean_abs_short_error_mm")},
        "response": summary["longitudinal"]["response"],
        "truth overall response": summary["longitudinal"]["truth_overall_response"],
        # the matching numbers its own tracks: say which ground-truth track each one is
        "tracks (matched -> truth)": summary["longitudinal"]["track_names"],
        "pancreas": summary["pancreas"]["why"],
    }, indent=2, default=str))
    print(f"Open {summary['outputs']['scene']} in 3D Slicer (File > Add Data) to see the lines, masks, tables and plot.")
    return 0
