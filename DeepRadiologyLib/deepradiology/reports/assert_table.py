"""`deepradiology reports assert`: a CSV of (id, phrase, sentence[, start]) rows -> the same rows with ``status``.

Every row is checked before anything is written, so a bad row (a phrase absent from its sentence, an
empty cell) stops the run with one line naming the file and line, and no half-written output.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from ..errors import InputError
from ..io import prepare_output
from ..io.paths import require_regular_file
from ..io.table import csv_table
from .assertion import PhraseNotFound, assert_phrase

__all__ = ["REQUIRED_COLUMNS", "assert_rows", "assert_csv"]

REQUIRED_COLUMNS = ("id", "phrase", "sentence")


def assert_rows(path: str | Path) -> tuple[list[str], list[dict[str, str]]]:
    """Read ``path`` and return (output header, rows with ``status`` and ``cue`` added).

    Raises:
        InputError: missing file, a required column missing, an empty cell, or a phrase not in its sentence.
    """
    path = Path(path)
    require_regular_file(path, what="CSV file")
    with csv_table(path) as reader:
        header = [h for h in (reader.fieldnames or [])]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise InputError(path, f"lacks columns {missing}; columns are {header}")
        rows = []
        for n, row in enumerate(reader, start=2):
            for column in REQUIRED_COLUMNS:
                if not (row.get(column) or "").strip():
                    raise InputError(path, f"line {n}: empty {column!r}")
            # An optional ``start`` column picks which occurrence is meant (character offset into the
            # sentence with its whitespace collapsed), as in the derived OpenI phrase set.
            start = (row.get("start") or "").strip()
            if start and not start.isdigit():
                raise InputError(path, f"line {n}: 'start' must be a character offset, got {start!r}")
            try:
                found = assert_phrase(row["phrase"], row["sentence"], start=int(start) if start else None)
            except PhraseNotFound as exc:
                raise InputError(path, f"line {n}: {exc}") from None
            rows.append({**row, "status": found.status, "cue": found.cue})
    if not rows:
        raise InputError(path, "has no rows")
    out_header = header + [c for c in ("status", "cue") if c not in header]
    return out_header, rows


def assert_csv(input_path: str | Path, output_path: str | Path, *, force: bool = False) -> dict:
    """Assert every row of ``input_path`` and write ``output_path`` (atomically: a temporary file, then rename)."""
    header, rows = assert_rows(input_path)
    output_path = prepare_output(output_path, force=force)
    partial = output_path.with_name(output_path.name + ".partial")
    with open(partial, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(partial, output_path)
    counts = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return {"output": str(output_path), "rows": len(rows), "statuses": counts}
