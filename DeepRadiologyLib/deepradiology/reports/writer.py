"""Writing report labels as a CSV in the NegBio OpenI gold standard's column layout."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable

from ..io import prepare_output
from .chexpert import CHEXPERT_OBSERVATIONS, chexpert_cell, label_chexpert
from .labeler import ReportLabels
from .vocabulary import LABEL_COLUMNS

__all__ = ["write_label_csv", "problems_path_for", "LABEL_SETS"]

#: ``--labels`` choices.
LABEL_SETS = ("chestxray14", "chexpert")


def problems_path_for(path: str | Path) -> Path:
    """Where the reports that could not be labelled are listed: ``labels.csv`` -> ``labels.problems.csv``."""
    path = Path(path)
    return path.with_name(path.stem + ".problems.csv")


def write_label_csv(results: Iterable[ReportLabels], path: str | Path, *, uncertain: bool = False,
                    force: bool = False, labels: str = "chestxray14", texts: dict[str, str] | None = None) -> dict:
    """Write ``filename, <14 findings>, normal`` (the gold standard's layout), one row per labelled report.

    With ``uncertain=False`` each label is 1 (asserted) or 0; with ``uncertain=True`` 1 / 0 / -1 (as
    CheXpert writes). With ``labels="chexpert"`` the columns are ``filename`` + CheXpert's 14 observations
    with ``1.0`` / ``0.0`` / ``-1.0`` / blank, computed from ``texts[report_id]``. Reports that could not be labelled are listed with their reason in
    `problems_path_for` (``filename, source, problem``), written only when there are any.

    Returns:
        ``{"labelled": n, "failed": n, "problems_file": path or None, "problems": [(id, reason), ...]}``.
    """
    path = prepare_output(path, force=force)
    problems_path = problems_path_for(path)
    if problems_path.exists() and not force:
        prepare_output(problems_path, force=force)  # raises OutputExistsError with the name
    failed = []
    labelled = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("filename",) + (CHEXPERT_OBSERVATIONS if labels == "chexpert" else LABEL_COLUMNS))
        for result in results:
            if result.problem:
                failed.append(result)
                continue
            labelled += 1
            if labels == "chexpert":
                found = label_chexpert(texts[result.report_id])
                writer.writerow((result.report_id,) + tuple(chexpert_cell(found[o]) for o in CHEXPERT_OBSERVATIONS))
                continue
            values = result.labels if uncertain else result.binary()
            writer.writerow((result.report_id,) + tuple(values[c] for c in LABEL_COLUMNS))
    if failed:
        with open(problems_path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(("filename", "source", "problem"))
            for result in failed:
                writer.writerow((result.report_id, result.source, result.problem))
    elif problems_path.exists():
        problems_path.unlink()  # a stale list from an earlier run (force=True) would mislead
    return {"labelled": labelled, "failed": len(failed), "problems_file": str(problems_path) if failed else None,
            "problems": [(r.report_id, r.problem) for r in failed]}
