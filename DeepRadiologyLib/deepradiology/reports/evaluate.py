"""Scoring report labels against a gold standard: per-finding precision, recall, F1; micro and macro.

Both tables are CSVs with a ``filename`` column and one 0/1 column per label (-1, uncertain, counts as
0, as in the NegBio gold standard). Only reports present in both are scored; the counts of reports
missing from either side are returned so that a silent mismatch cannot pass unnoticed.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..io.paths import require_regular_file
from ..io.table import csv_table
from .vocabulary import LABEL_COLUMNS, NORMAL, TALK_FINDINGS

__all__ = ["read_label_table", "score_labels", "evaluate_label_files"]


def read_label_table(path: str | Path, *, columns=LABEL_COLUMNS) -> dict[str, dict[str, int]]:
    """``{report_id: {label: 0/1/-1}}`` from a labels CSV; reports whose row failed are left out.

    Raises:
        InputError: missing file, no ``filename`` column, a label column missing, or a non-numeric cell.
    """
    path = Path(path)
    require_regular_file(path, what="labels file")
    with csv_table(path) as reader:
        header = reader.fieldnames or []
        if "filename" not in header:
            raise InputError(path, f"has no 'filename' column; columns are {header}")
        missing = [c for c in columns if c not in header]
        if missing:
            raise InputError(path, f"lacks label columns {missing}")
        table = {}
        for n, row in enumerate(reader, start=2):
            if (row.get("problem") or "").strip():
                continue
            try:
                table[row["filename"]] = {c: int(float(row[c] or 0)) for c in columns}
            except ValueError:
                raise InputError(path, f"line {n}: label values must be 1, 0 or -1") from None
    return table


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp, "fp": fp, "fn": fn}


def score_labels(pred: dict[str, dict[str, int]], gold: dict[str, dict[str, int]], *,
                 columns=LABEL_COLUMNS) -> dict:
    """Per-label P/R/F1 and micro/macro averages over all columns and over the talk's 8 + normal.

    ``macro`` averages F1 over the labels the gold standard has at least one positive of.
    """
    common = sorted(set(pred) & set(gold))
    counts = {c: [0, 0, 0] for c in columns}
    for rid in common:
        for c in columns:
            p, g = pred[rid][c] == 1, gold[rid][c] == 1
            counts[c][0] += p and g
            counts[c][1] += p and not g
            counts[c][2] += g and not p
    per = {c: _prf(*counts[c]) for c in columns}

    def micro(cols):
        return _prf(*(sum(counts[c][i] for c in cols) for i in range(3)))

    def macro(cols):
        scored = [c for c in cols if counts[c][0] + counts[c][2] > 0]
        return round(sum(per[c]["f1"] for c in scored) / len(scored), 4) if scored else 0.0

    talk = [c for c in TALK_FINDINGS + (NORMAL,) if c in columns]
    annotated = [c for c in columns if counts[c][0] + counts[c][2] > 0]
    return {
        "reports_scored": len(common), "reports_only_in_pred": len(set(pred) - set(gold)),
        "reports_only_in_gold": len(set(gold) - set(pred)),
        "per_label": per,
        "micro_all": micro(columns), "macro_f1_all": macro(columns),
        "micro_talk8_normal": micro(talk), "macro_f1_talk8_normal": macro(talk),
        # Labels the gold standard never marks (OpenI's has no Hernia) are shown apart, not dropped.
        "labels_gold_never_marks": [c for c in columns if c not in annotated],
        "micro_gold_annotated": micro(annotated),
    }


def evaluate_label_files(pred_path: str | Path, gold_path: str | Path) -> dict:
    """`score_labels` on two CSV files (the labeler's output and a gold standard)."""
    pred = read_label_table(pred_path)
    gold = read_label_table(gold_path)
    if not set(pred) & set(gold):
        raise InputError(pred_path, f"shares no report id (filename) with {gold_path}")
    return score_labels(pred, gold)
