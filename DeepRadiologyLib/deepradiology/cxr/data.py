"""ChestX-ray14 on disk: ``Data_Entry_2017*.csv(.gz)``, image folders, official split lists, and boxes.

The NIH release has ``Data_Entry_2017.csv`` (or ``_v2020``; ``.gz`` accepted) with one row per image
(``Image Index``, ``Finding Labels`` joined by ``|``, ``Patient ID``, ``View Position`` ...), the
images in ``images/`` or ``images_001/images/`` ... ``images_012/images/``, the official
``train_val_list.txt`` / ``test_list.txt``, and ``BBox_List_2017.csv`` (984 boxes in 1024-pixel image
coordinates: x, y, w, h with x along columns).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..io.paths import require_regular_file
from ..io.table import csv_table
from ..reports.vocabulary import FINDINGS

__all__ = ["XrayRecord", "BoxRecord", "read_data_entry", "read_bbox_list", "find_images", "patient_split",
           "official_split", "label_matrix", "find_data_entry"]


@dataclass(frozen=True)
class XrayRecord:
    """One ChestX-ray14 image: its file name, findings (ChestX-ray14 spelling), patient and view."""

    image: str
    findings: tuple[str, ...]
    patient_id: str
    view: str
    follow_up: int = 0


@dataclass(frozen=True)
class BoxRecord:
    """One radiologist box: image file name, finding, and (x, y, w, h) in the 1024-pixel image's pixels."""

    image: str
    finding: str
    box: tuple[float, float, float, float]


def find_data_entry(folder: str | Path) -> Path:
    """The ``Data_Entry_2017*.csv(.gz)`` in ``folder``.

    Raises:
        InputError: none there.
    """
    folder = Path(folder)
    found = sorted(folder.glob("Data_Entry_2017*.csv*"))
    if not found:
        raise InputError(folder, "has no Data_Entry_2017*.csv(.gz); this is not a ChestX-ray14 folder")
    return found[-1]


def read_data_entry(path: str | Path) -> list[XrayRecord]:
    """Records of ``Data_Entry_2017*.csv(.gz)``; "No Finding" becomes an empty findings tuple.

    Raises:
        InputError: missing file or columns, or a finding name ChestX-ray14 does not have.
    """
    path = Path(path)
    require_regular_file(path, what="CSV file")
    records = []
    with csv_table(path) as reader:
        need = {"Image Index", "Finding Labels", "Patient ID"}
        if not need <= set(reader.fieldnames or ()):
            raise InputError(path, f"lacks the columns {sorted(need - set(reader.fieldnames or ()))}")
        known = set(FINDINGS)
        for n, row in enumerate(reader, start=2):
            labels = tuple(l for l in row["Finding Labels"].split("|") if l and l != "No Finding")
            unknown = [l for l in labels if l not in known]
            if unknown:
                raise InputError(path, f"line {n}: unknown finding {unknown[0]!r}")
            records.append(XrayRecord(row["Image Index"], labels, row["Patient ID"], row.get("View Position", ""),
                                      int(row.get("Follow-up #") or 0)))
    return records


def read_bbox_list(path: str | Path) -> list[BoxRecord]:
    """Boxes of ``BBox_List_2017.csv(.gz)``. Its header is ``Bbox [x, y, w, h]`` over four columns;
    "Infiltrate" is spelled "Infiltration" here as in the labels."""
    path = Path(path)
    require_regular_file(path, what="CSV file")
    boxes = []
    with csv_table(path, header=False) as rows:
        header = next(rows, None)
        if not header or header[0] != "Image Index":
            raise InputError(path, "is not a BBox_List_2017.csv (first column must be 'Image Index')")
        for row in rows:
            if len(row) < 6:
                continue
            finding = "Infiltration" if row[1] == "Infiltrate" else row[1]
            boxes.append(BoxRecord(row[0], finding, tuple(float(v) for v in row[2:6])))
    return boxes


def find_images(folder: str | Path) -> dict[str, Path]:
    """``{file name: path}`` of the PNGs under ``folder`` (``images/``, ``images_0NN/images/`` or flat)."""
    folder = Path(folder)
    return {p.name: p for p in folder.rglob("*.png")}


def official_split(folder: str | Path) -> tuple[set[str], set[str]] | None:
    """(train_val names, test names) from the official lists, or None when they are absent."""
    folder = Path(folder)
    a, b = folder / "train_val_list.txt", folder / "test_list.txt"
    if not (a.is_file() and b.is_file()):
        return None
    read = lambda p: {line.strip() for line in p.read_text(encoding="utf-8").splitlines() if line.strip()}
    return read(a), read(b)


def patient_split(records: list[XrayRecord], *, fractions=(0.7, 0.1, 0.2), seed: int = 0) -> tuple[list, list, list]:
    """Split records into train / validation / test so that no patient is in two of them."""
    patients = sorted({r.patient_id for r in records})
    rng = np.random.default_rng(seed)
    rng.shuffle(patients)
    n = len(patients)
    cut1, cut2 = int(round(fractions[0] * n)), int(round((fractions[0] + fractions[1]) * n))
    group = {p: 0 if i < cut1 else 1 if i < cut2 else 2 for i, p in enumerate(patients)}
    parts = ([], [], [])
    for r in records:
        parts[group[r.patient_id]].append(r)
    return parts


def label_matrix(records: list[XrayRecord], labels=FINDINGS) -> np.ndarray:
    """(N, C) float32 0/1 matrix of findings in ``labels`` order."""
    index = {name: i for i, name in enumerate(labels)}
    out = np.zeros((len(records), len(labels)), np.float32)
    for n, r in enumerate(records):
        for f in r.findings:
            if f in index:
                out[n, index[f]] = 1
    return out
