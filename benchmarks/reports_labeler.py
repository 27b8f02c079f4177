"""Report labeler benchmark: accuracy on the OpenI dev reports (NegBio gold) and throughput on one core.

Prints one JSON object: micro/macro P/R/F over the 14 findings + normal and over the talk's 8 + normal,
for all reports and for the two halves the rules were developed on (even report numbers) and only
checked on (odd report numbers); per-label figures; reports per second of labeling on one core
(CPU time, reading excluded), against a peer measured in the same run: plain keyword matching with
the same vocabulary and no negation or uncertainty handling (what stage 2 adds, in speed and accuracy).

Usage: ``python benchmarks/reports_labeler.py [--shared-data ../shared/data]``
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-data", default=os.environ.get("DEEPRADIOLOGY_SHARED_DATA", "../shared/data"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from deepradiology.reports import LABEL_COLUMNS, label_report, read_reports, score_labels
    from deepradiology.reports.labeler import check_report_text
    from deepradiology.reports.mentions import find_mentions, split_sentences
    from deepradiology.reports.vocabulary import FINDINGS, NORMAL, OTHER

    data = Path(args.shared_data) / "reports"
    items = list(read_reports(data / "openi_dev_reports.tgz"))
    reports = [r for r in items if hasattr(r, "text")]
    gold = {}
    with open(data / "openi_dev_labels.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            gold[row["filename"]] = {c: int(row[c]) for c in LABEL_COLUMNS}

    def keyword_peer(text):
        found = {c: 0 for c in LABEL_COLUMNS}
        abnormal = False
        for sentence in split_sentences(text):
            for m in find_mentions(sentence):
                if m.finding in FINDINGS:
                    found[m.finding] = 1
                abnormal |= m.finding in FINDINGS or m.finding == OTHER
        found[NORMAL] = int(not abnormal)
        return found

    def timed(fn):
        best = None
        for _ in range(args.repeats):
            start = time.process_time()
            out = [fn(r) for r in reports]
            spent = time.process_time() - start
            best = spent if best is None else min(best, spent)
        return out, best

    failed = 0
    ours, ours_s = timed(lambda r: label_report(r.text, report_id=r.report_id, check=False))
    for r in reports:
        try:
            check_report_text(r.text, source=r.report_id)
        except Exception:
            failed += 1
    peer, peer_s = timed(lambda r: keyword_peer(r.text))
    pred = {r.report_id: o.binary() for r, o in zip(reports, ours)}
    peer_pred = {r.report_id: p for r, p in zip(reports, peer)}

    def scores(predicted, keep):
        s = score_labels({k: v for k, v in predicted.items() if keep(k)}, {k: v for k, v in gold.items() if keep(k)})
        brief = lambda m: {k: m[k] for k in ("precision", "recall", "f1")}
        return {"reports": s["reports_scored"], "micro_14_normal": brief(s["micro_all"]), "macro_f1_14_normal": s["macro_f1_all"],
                "micro_talk8_normal": brief(s["micro_talk8_normal"]), "macro_f1_talk8_normal": s["macro_f1_talk8_normal"],
                "micro_gold_annotated": brief(s["micro_gold_annotated"]), "per_label": s["per_label"]}

    def half(n):
        return lambda k: int(k[3:]) % 2 == n

    everything = scores(pred, lambda k: True)
    result = {
        "benchmark": "reports_labeler", "data": "OpenI dev reports (NegBio gold standard)",
        "reports_in_archive": len(items), "reports_without_findings_or_impression": len(items) - len(reports),
        "reports_refused_by_checks": failed,
        "all": {k: v for k, v in everything.items()},
        "developed_on_even_ids": {k: v for k, v in scores(pred, half(0)).items() if k != "per_label"},
        "checked_on_odd_ids": {k: v for k, v in scores(pred, half(1)).items() if k != "per_label"},
        "peer_keywords_without_negation": {k: v for k, v in scores(peer_pred, lambda k: True).items() if k != "per_label"},
        "reports_per_second_one_core": round(len(reports) / ours_s, 1),
        "peer_reports_per_second_one_core": round(len(reports) / peer_s, 1),
        "time_ratio_vs_peer": round(ours_s / peer_s, 2),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
