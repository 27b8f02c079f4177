"""Reading radiology reports: OpenI XML (a folder or a ``.tgz`` of them) or a CSV with a text column.

Each report becomes a `Report` (its id, e.g. ``CXR10``, and the FINDINGS + IMPRESSION text). A report
that cannot be labelled (XML that does not parse, no findings or impression, only a comparison
section) becomes a `ReportProblem` instead, so that one bad file does not stop a batch.
"""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import InputError
from ..io.paths import describe_missing
from ..io.table import csv_table

__all__ = ["Report", "ReportProblem", "read_reports", "report_from_openi_xml", "TEXT_COLUMNS"]

#: CSV columns taken as the report text, in order of preference (case-insensitive).
TEXT_COLUMNS = ("report", "reports", "text", "report_text", "findings_impression", "impression", "findings")
_ID_COLUMNS = ("filename", "report_id", "id", "uid", "study_id", "name")


@dataclass(frozen=True)
class Report:
    """One report to label: ``report_id`` (e.g. ``CXR10``), its text, and where it came from."""

    report_id: str
    text: str
    source: str = ""


@dataclass(frozen=True)
class ReportProblem:
    """An input that could not be read as a report, and why (one sentence)."""

    report_id: str
    source: str
    problem: str


def _openi_id(root: ET.Element, name: str) -> str:
    uid = root.find("uId")
    if uid is not None and uid.get("id"):
        return uid.get("id")
    stem = Path(name).name.split(".")[0]
    return stem if stem.upper().startswith("CXR") else f"CXR{stem}"


def report_from_openi_xml(data: bytes | str, *, name: str = "") -> Report | ReportProblem:
    """One OpenI XML report -> `Report` with FINDINGS then IMPRESSION, or a `ReportProblem`.

    The id is the XML's ``uId`` (``CXR1000``), else ``CXR`` + the file name's stem.
    """
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        return ReportProblem(_openi_id(ET.Element("none"), name), name, f"is not well-formed XML ({exc})")
    report_id = _openi_id(root, name)
    sections = {}
    for element in root.iter("AbstractText"):
        label = (element.get("Label") or "").upper()
        sections[label] = " ".join("".join(element.itertext()).split())
    if not any(k in sections for k in ("FINDINGS", "IMPRESSION", "COMPARISON", "INDICATION")):
        return ReportProblem(report_id, name, "is not an OpenI report (no AbstractText sections)")
    text = " ".join(s for s in (sections.get("FINDINGS", ""), sections.get("IMPRESSION", "")) if s)
    if not text:
        if sections.get("COMPARISON"):
            return ReportProblem(report_id, name, "has only a comparison section; no findings or impression to label")
        return ReportProblem(report_id, name, "has no findings or impression text")
    # Sections are joined with a full stop so that a sentence never runs from one into the other.
    joined = ". ".join(s.rstrip(". ") for s in (sections.get("FINDINGS", ""), sections.get("IMPRESSION", "")) if s)
    return Report(report_id, joined + ".", name)


def _iter_xml_folder(folder: Path) -> Iterator[Report | ReportProblem]:
    files = sorted(folder.rglob("*.xml"), key=_natural_key)
    if not files:
        raise InputError(folder, "contains no .xml reports")
    for path in files:
        yield report_from_openi_xml(path.read_bytes(), name=str(path))


def _iter_tgz(path: Path) -> Iterator[Report | ReportProblem]:
    from ..io.archive import iter_tar_members

    # Members are parsed one at a time as the gzip stream runs (sizes capped, io.archive), and only the
    # small parsed reports are kept, to be yielded in name order.
    parsed = [(name, report_from_openi_xml(data, name=name)) for name, data in iter_tar_members(path, suffix=".xml")]
    if not parsed:
        raise InputError(path, "contains no .xml reports")
    for _name, report in sorted(parsed, key=lambda f: _natural_key(Path(f[0]))):
        yield report


def _iter_headerless(path: Path) -> Iterator[Report | ReportProblem]:
    """CheXpert's ``sample_reports.csv`` layout: one column, no header, one report per row."""
    with csv_table(path, header=False) as rows:
        for n, row in enumerate(rows, start=1):
            text = (row[0] if row else "").strip()
            if not text:
                yield ReportProblem(f"row{n}", f"{path} row {n}", "has an empty report")
            else:
                yield Report(f"row{n}", text, f"{path} row {n}")


def _iter_csv(path: Path, text_column: str | None) -> Iterator[Report | ReportProblem]:
    with csv_table(path) as reader:
        header = reader.fieldnames or []
        if text_column is None and len(header) == 1 and header[0].lower().strip() not in TEXT_COLUMNS + _ID_COLUMNS \
                and len(header[0].split()) > 2:
            # A single column whose "header" is a sentence: the file has no header.
            yield from _iter_headerless(path)
            return
        lower = {h.lower().strip(): h for h in header}
        if text_column is not None:
            if text_column not in header:
                raise InputError(path, f"has no column {text_column!r}; columns are {header}")
            column = text_column
        else:
            column = next((lower[c] for c in TEXT_COLUMNS if c in lower), None)
            if column is None:
                raise InputError(path, f"has no report text column (looked for {', '.join(TEXT_COLUMNS)}); "
                                       f"columns are {header}; name one with --text-column")
        id_column = next((lower[c] for c in _ID_COLUMNS if c in lower), None)
        for n, row in enumerate(reader, start=1):
            report_id = (row.get(id_column) or "").strip() if id_column else ""
            report_id = report_id or f"row{n}"
            text = (row.get(column) or "").strip()
            if not text:
                yield ReportProblem(report_id, f"{path} row {n}", "has an empty report")
            else:
                yield Report(report_id, text, f"{path} row {n}")


def _natural_key(path: Path) -> tuple:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name))


def read_reports(source: str | Path, *, text_column: str | None = None) -> Iterator[Report | ReportProblem]:
    """Reports from a folder of OpenI XML, a ``.tgz``/``.tar`` of them, one ``.xml``, or a CSV.

    Yields `Report` or `ReportProblem` per input, in natural file-name order.

    Raises:
        InputError: the source is missing, of no known kind, or holds no reports at all.
    """
    path = Path(source)
    name = path.name.lower()
    if path.is_dir():
        yield from _iter_xml_folder(path)
    elif not path.exists():
        raise InputError(path, describe_missing(path) if path.is_symlink() else "no such file or folder")
    elif name.endswith((".tgz", ".tar.gz", ".tar")):
        yield from _iter_tgz(path)
    elif name.endswith(".xml"):
        yield report_from_openi_xml(path.read_bytes(), name=str(path))
    elif name.endswith(".csv"):
        yield from _iter_csv(path, text_column)
    elif name.endswith(".txt"):
        text = path.read_text(encoding="utf-8", errors="replace").strip()
        yield Report(path.stem, text, str(path)) if text else ReportProblem(path.stem, str(path), "is empty")
    else:
        raise InputError(path, "is not a folder, .tgz, .xml, .csv or .txt of reports")
