"""``deepradiology demo``: run every tool on the embedded default patient and save a Slicer scene."""

from __future__ import annotations

import argparse
import json

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


def run(args: argparse.Namespace) -> int:
    from ..progress import TqdmProgress

    try:
        from deepradiology_mrml.demo import run_demo
    except ImportError as exc:  # the core installed without its MRML extra
        from ..errors import DeepRadiologyError

        raise DeepRadiologyError(f"the demo needs the MRML bridge: pip install 'deepradiology[mrml]' ({exc})") from None
    with TqdmProgress("demo", always=True) as bar:
        summary = run_demo(args.output, seed=args.seed, force=args.force, progress=bar)
    recist = summary["recist"]
    print(json.dumps({
        "scene": summary["outputs"]["scene"],
        "summary": summary["outputs"]["summary"],
        "phantom": summary["outputs"]["phantom"],
        "recist": {k: recist[k] for k in ("lesions_measured", "mean_abs_long_error_mm", "mean_abs_short_error_mm")},
        "response": summary["longitudinal"]["response"],
        "pancreas": summary["pancreas"]["why"],
    }, indent=2, default=str))
    print(f"Open {summary['outputs']['scene']} in 3D Slicer (File > Add Data) to see the lines, masks, tables and plot.")
    return 0
