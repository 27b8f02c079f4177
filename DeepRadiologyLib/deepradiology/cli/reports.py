"""``deepradiology reports``: label chest X-ray reports (negation-aware) and score labels against a gold standard."""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reports", help="label chest X-ray reports with the 14 ChestX-ray14 findings + normal",
                       description="Rule-based, negation- and uncertainty-aware labeling of radiology reports.")
    rsub = p.add_subparsers(dest="reports_command", metavar="ACTION")
    rsub.required = True

    lab = rsub.add_parser("label", help="label reports; writes filename + 14 findings + normal as CSV",
                          description="INPUT is a folder or .tgz of OpenI XML reports (FINDINGS + IMPRESSION "
                                      "are read), one .xml, a .txt, or a CSV with a report text column. "
                                      "Reports that cannot be labelled are listed in <output>.problems.csv.")
    lab.add_argument("input", help="folder, .tgz, .xml, .txt or .csv of reports")
    lab.add_argument("-o", "--output", required=True, help="labels CSV to write")
    lab.add_argument("--uncertain", action="store_true",
                     help="write 1 / 0 / -1 (positive / negative / uncertain) instead of 1 / 0")
    lab.add_argument("--labels", choices=("chestxray14", "chexpert"), default="chestxray14",
                     help="chestxray14: filename + 14 findings + normal (default); chexpert: CheXpert's 14 "
                          "observations with 1.0 / 0.0 / -1.0 / blank as the CheXpert labeler writes them")
    lab.add_argument("--text-column", default=None, help="CSV column holding the report text (default: guessed)")
    lab.add_argument("--force", action="store_true", help="overwrite an existing output")
    lab.set_defaults(func=run_label)

    asr = rsub.add_parser("assert", help="affirmed / negated / uncertain for each (phrase, sentence) row of a CSV",
                          description="INPUT is a CSV with columns id, phrase, sentence (the phrase occurs in the "
                                      "sentence; any clinical report kind), and optionally start (the phrase's character "
                                      "offset in the sentence, when it occurs more than once). OUTPUT is the same rows with status "
                                      "(affirmed, negated or uncertain) and the cue that decided it.")
    asr.add_argument("input", help="CSV with columns id, phrase, sentence")
    asr.add_argument("-o", "--output", required=True, help="CSV to write")
    asr.add_argument("--force", action="store_true", help="overwrite an existing output")
    asr.set_defaults(func=run_assert)

    ev = rsub.add_parser("eval", help="per-finding P/R/F1 and micro/macro averages of labels vs a gold standard",
                         description="Prints one JSON object. Uncertain (-1) counts as 0.")
    ev.add_argument("--pred", required=True, help="labels CSV written by `reports label`")
    ev.add_argument("--gold", required=True, help="gold-standard CSV in the same layout")
    ev.set_defaults(func=run_eval)


def run_label(args: argparse.Namespace) -> int:
    import time

    from ..reports import label_reports, read_reports, write_label_csv

    start = time.perf_counter()
    texts: dict[str, str] = {}

    def remember(items):
        for item in items:
            if hasattr(item, "text"):
                texts[item.report_id] = item.text
            yield item

    summary = write_label_csv(label_reports(remember(read_reports(args.input, text_column=args.text_column))),
                              args.output, uncertain=args.uncertain, force=args.force, labels=args.labels,
                              texts=texts)
    seconds = time.perf_counter() - start
    for report_id, problem in summary["problems"]:
        print(f"deepradiology reports label: skipped {report_id}: {problem}", file=sys.stderr)
    print(json.dumps({"output": args.output, "labelled": summary["labelled"], "failed": summary["failed"],
                      "problems_file": summary["problems_file"], "seconds": round(seconds, 3)}))
    return 0 if summary["labelled"] else 2


def run_assert(args: argparse.Namespace) -> int:
    from ..reports.assert_table import assert_csv

    print(json.dumps(assert_csv(args.input, args.output, force=args.force)))
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from ..reports import evaluate_label_files

    print(json.dumps(evaluate_label_files(args.pred, args.gold), indent=2))
    return 0
