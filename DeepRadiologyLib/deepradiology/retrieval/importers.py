"""Filling a lesion database: DeepLesion's own layout, RECISTAssist tables, NIfTI volumes with lesion JSON.

Every importer works in batches, each committed in one transaction together with the import journal,
and keys lesions by a uid saying where they came from. Re-running an import (after a crash, or by
mistake) adds only what is missing: nothing is lost, nothing is duplicated. Malformed rows are skipped,
counted and reported with their line and reason; an import never aborts silently half-way.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DeepRadiologyError, InputError
from ..image import Image
from ..io.jsonfile import read_json
from ..io.paths import require_regular_file
from ..io.table import csv_table
from ..lesion import Lesion, load_lesions
from ..progress import ProgressCallback, report
from .database import LesionDatabase
from .descriptor import DescriptorEmbedder
from .patch import lesion_patch, thumbnail_png

__all__ = ["ImportReport", "import_deeplesion", "import_lesions", "import_lesion_json", "import_recist_table",
           "import_nifti_folder", "lesion_from_record"]


@dataclass
class ImportReport:
    """What an import did. ``skipped`` holds (line or item, reason) pairs."""

    source: str
    rows: int = 0
    added: int = 0
    already_present: int = 0
    with_image: int = 0
    metadata_only: int = 0
    skipped: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"source": self.source, "rows": self.rows, "added": self.added,
                "already_present": self.already_present, "with_image": self.with_image,
                "metadata_only": self.metadata_only, "skipped": len(self.skipped),
                "skipped_rows": [{"where": w, "reason": r} for w, r in self.skipped[:200]]}


def _embed(embedder, lesion: Lesion, image: Image | None):
    """(vector or None, thumbnail or None); None vector when the embedder needs an image it lacks."""
    thumb = None
    if image is not None:
        thumb = thumbnail_png(lesion_patch(image, lesion))
    if image is None and getattr(embedder, "needs_image", False):
        return None, thumb
    return embedder.embed(lesion, image), thumb


def _commit(db: LesionDatabase, source: str, items: list, rep: ImportReport, rows_done: int, finished: bool,
            model: str) -> None:
    with db.transaction() as con:
        for uid, lesion, extras in items:
            if extras.get("embedding") is not None:
                extras["model"] = model
            new_id = db.insert_in(con, uid, lesion, extras)
            if new_id is None:
                rep.already_present += 1
            else:
                rep.added += 1
        db.record_import(con, source, rows_done=rows_done, skipped=rep.skipped, finished=finished)


# -- DeepLesion ---------------------------------------------------------------------------------------
def _deeplesion_image(images: Path, row) -> tuple[Image | None, str]:
    from ..io import read_deeplesion_slice, read_deeplesion_stack

    key = images / row.png_relpath
    if not key.is_file():
        return None, ""
    folder = key.parent
    around = [row.key_slice - 1, row.key_slice, row.key_slice + 1]
    if all((folder / f"{n:03d}.png").is_file() for n in around):
        return read_deeplesion_stack(folder, around, spacing=row.spacing), str(key)
    return read_deeplesion_slice(key, spacing=row.spacing), str(key)


def import_deeplesion(db: LesionDatabase, dl_info: str | Path, *, images: str | Path | None = None,
                      embedder=None, batch: int = 2000, progress: ProgressCallback | None = None,
                      stop_after: int | None = None) -> ImportReport:
    """Import ``DL_info.csv`` (DeepLesion's layout), with key slices from ``images`` where present.

    Args:
        dl_info: DeepLesion's metadata file (or a subset with its columns).
        images: the ``Images_png`` folder (``<patient>_<study>_<series>/<slice>.png``, HU = value - 32768);
            rows whose key slice is absent become metadata-only records (no thumbnail; the descriptor's
            appearance block is empty).
        embedder: `DescriptorEmbedder` (default) or a learned embedder.
        batch: rows per transaction.
        stop_after: stop (as a crash would) after this many rows; for testing resumability.
        progress: called for every row read with an image (every 256th without) and after every batch;
            it may raise `Cancelled`: nothing of the batch in progress is stored, the batches committed
            before it stay as an unfinished import that the next call resumes (as after a crash).

    Returns:
        The report; rows that cannot be parsed are in ``skipped`` with their line number.
    """
    from ..deeplesion import read_dl_info

    embedder = embedder or DescriptorEmbedder()
    dl_info = Path(dl_info)
    images = Path(images) if images else None
    if images is not None and not images.is_dir():
        raise InputError(images, "the DeepLesion images folder does not exist")
    rows, parse_report = read_dl_info(dl_info)
    source = f"deeplesion:{dl_info.resolve()}"
    rep = ImportReport(source=str(dl_info), rows=len(rows) + parse_report.count,
                       skipped=[[line, reason] for line, reason in parse_report.skipped])
    seen: dict[str, int] = {}
    uids = []
    for row in rows:                       # several lesions may share one key slice
        n = seen.get(row.file_name, 0)
        seen[row.file_name] = n + 1
        uids.append(f"deeplesion/{row.file_name}/{n}")
    is_descriptor = isinstance(embedder, DescriptorEmbedder)
    for start in range(0, len(rows), batch):
        if stop_after is not None and start >= stop_after:
            return rep
        chunk = list(zip(uids[start:start + batch], rows[start:start + batch]))
        present = db.existing_uids(u for u, _ in chunk)
        rep.already_present += len(present)
        items, meta_rows = [], []
        for n, (uid, row) in enumerate(chunk):
            if images is not None or n % 256 == 0:   # reading and embedding a key slice is the slow part
                report(progress, (start + n) / max(len(rows), 1), f"{start + n}/{len(rows)} lesions")
            if uid in present:
                continue
            try:
                lesion = row.to_lesion()
                image, image_path = _deeplesion_image(images, row) if images is not None else (None, "")
                extras = {"image_path": image_path, "source": str(dl_info)}
                if image is not None:
                    extras["embedding"], extras["thumbnail"] = _embed(embedder, lesion, image)
                    rep.with_image += 1
                else:
                    rep.metadata_only += 1
                    meta_rows.append(len(items))
                items.append((uid, lesion, extras))
            except DeepRadiologyError as exc:
                rep.skipped.append([f"{row.file_name}", str(exc)])
        if meta_rows and is_descriptor:        # one vectorised call for the metadata-only rows
            les = [items[i][1] for i in meta_rows]
            loc = np.array([lz.normalized_location for lz in les], dtype=float)
            size = np.log(np.maximum([[lz.long_axis_mm or 0.5, lz.short_axis_mm or lz.long_axis_mm or 0.5]
                                      for lz in les], 0.5))
            vecs = np.atleast_2d(embedder.from_features(loc, size, None))
            for i, vec in zip(meta_rows, vecs):
                items[i][2]["embedding"] = vec
        elif meta_rows:
            for i in meta_rows:
                items[i][2]["embedding"], _ = _embed(embedder, items[i][1], None)
        done = min(start + batch, len(rows))
        _commit(db, source, items, rep, done, done >= len(rows), embedder.name)
        report(progress, done / max(len(rows), 1), f"{done}/{len(rows)} lesions")
    if not rows:
        with db.transaction() as con:
            db.record_import(con, source, rows_done=0, skipped=rep.skipped, finished=True)
    return rep


# -- lesions measured elsewhere -------------------------------------------------------------------------
def import_lesions(db: LesionDatabase, lesions: Iterable[Lesion], *, image: Image | None = None,
                   image_path: str = "", source: str = "", embedder=None, uid_prefix: str = "",
                   report_to: ImportReport | None = None) -> ImportReport:
    """Import lesions measured on one image (or none): thumbnails and embeddings are made here.

    Lesions without a normalised location get one from the image (`location.normalized_location`).
    A lesion that cannot be embedded (outside the image, no size) is skipped with its reason.
    """
    from .location import normalized_location

    embedder = embedder or DescriptorEmbedder()
    rep = report_to or ImportReport(source=source)
    items = []
    for lesion in lesions:
        rep.rows += 1
        uid = f"{uid_prefix or source}/{lesion.patient}/{lesion.study}/{lesion.lesion_id}"
        if db.has_uid(uid):
            rep.already_present += 1
            continue
        try:
            if lesion.normalized_location is None and image is not None and lesion.centre_lps is not None:
                loc, how = normalized_location(image, lesion.centre_lps)
                lesion.normalized_location = loc
                lesion.extra = {**lesion.extra, "z_location_from": how}
            vec, thumb = _embed(embedder, lesion, image)
        except DeepRadiologyError as exc:
            rep.skipped.append([lesion.lesion_id, str(exc)])
            continue
        rep.with_image += image is not None
        rep.metadata_only += image is None
        items.append((uid, lesion, {"image_path": image_path, "source": source, "thumbnail": thumb,
                                    "embedding": vec}))
    _commit(db, f"lesions:{uid_prefix or source}", items, rep, rep.rows, True, embedder.name)
    return rep


_NUMBER_FIELDS = ("long_axis_mm", "short_axis_mm", "volume_ml")
#: RECISTAssist's table column names -> `Lesion` fields.
_ALIASES = {"lesion": "lesion_id", "long mm": "long_axis_mm", "short mm": "short_axis_mm", "volume mL": "volume_ml",
            "slice": "slice_index"}


def _parse_points(text: str) -> list | None:
    text = str(text).strip()
    if not text:
        return None
    if text.startswith("["):
        return json.loads(text)
    return [[float(v) for v in part.split(",")] for part in text.split(";")]


def lesion_from_record(record: dict, *, source: str = "") -> Lesion:
    """A `Lesion` from a table row (strings allowed): RECISTAssist's table, a CSV export, a JSON object.

    Axes may be JSON (``[[x,y,z],[x,y,z]]``) or ``"x,y,z;x,y,z"``; the normalised location ``"x,y,z"``.
    """
    rec = {_ALIASES.get(k.strip(), k.strip()): v for k, v in record.items() if k is not None and v not in (None, "")}
    try:
        for name in _NUMBER_FIELDS:
            if name in rec:
                rec[name] = float(rec[name])
        for name in ("long_axis_lps", "short_axis_lps"):
            if isinstance(rec.get(name), str):
                rec[name] = _parse_points(rec[name])
        if isinstance(rec.get("normalized_location"), str):
            rec["normalized_location"] = [float(v) for v in rec["normalized_location"].strip("[]()").split(",")]
        if isinstance(rec.get("slice_index"), (str, float)):
            rec["slice_index"] = int(float(rec["slice_index"]))
        if isinstance(rec.get("is_lymph_node"), str):
            rec["is_lymph_node"] = rec["is_lymph_node"].strip().lower() in ("1", "true", "yes")
        for name in ("extra", "embedding", "box_ijk"):
            if isinstance(rec.get(name), str):
                rec[name] = json.loads(rec[name])
        for name in ("patient", "study", "series", "lesion_id"):
            if name in rec:
                rec[name] = str(rec[name])
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise InputError(source, f"malformed lesion row ({exc})") from None
    return Lesion.from_dict(rec, source=source)


def _read_records(path: Path) -> list[dict]:
    if path.suffix.lower() == ".json":
        data = read_json(path)
        return data if isinstance(data, list) else [data]
    with csv_table(path, delimiter=None) as reader:
        return list(reader)


def import_recist_table(db: LesionDatabase, table: str | Path | list[dict], *, image: Image | None = None,
                        image_path: str = "", embedder=None, source: str = "") -> ImportReport:
    """Import lesions from RECISTAssist's table: a CSV/TSV/JSON export of it, or its rows as dicts
    (``deepradiology_mrml.tables.table_to_records``). Malformed rows are skipped and reported."""
    if isinstance(table, (str, Path)):
        path = Path(table)
        require_regular_file(path, what="lesion table")
        try:
            records = _read_records(path)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, csv.Error) as exc:
            raise InputError(path, f"cannot be read as a lesion table ({exc})") from None
        source = source or str(path)
    else:
        records = list(table)
        source = source or "recist-table"
    rep = ImportReport(source=source)
    lesions = []
    for line, rec in enumerate(records, start=2):
        try:
            lesions.append(lesion_from_record(rec, source=f"{source} row {line}"))
        except DeepRadiologyError as exc:
            rep.rows += 1
            rep.skipped.append([line, str(exc)])
    return import_lesions(db, lesions, image=image, image_path=image_path, source=source, embedder=embedder,
                          report_to=rep)


def import_lesion_json(db: LesionDatabase, lesion_json: str | Path, *, volume: str | Path | None = None,
                       embedder=None) -> ImportReport:
    """Import a lesion JSON file (`deepradiology.lesion.save_lesions`), with its CT volume if given."""
    from ..io import read_volume

    lesions = load_lesions(lesion_json)
    image = read_volume(volume) if volume else None
    return import_lesions(db, lesions, image=image, image_path=str(Path(volume).resolve()) if volume else "",
                          source=str(lesion_json), embedder=embedder)


def import_nifti_folder(db: LesionDatabase, folder: str | Path, *, embedder=None,
                        progress: ProgressCallback | None = None,
                        on_volume: Callable[[Path], None] | None = None) -> ImportReport:
    """Import every ``<name>.nii.gz`` (or ``.nii``/``.nrrd``) that has a lesion JSON ``<name>.json`` or
    ``<name>_lesions.json`` beside it; lesions lacking a patient get ``<name>``.

    ``progress`` is called before and after each volume and may raise `Cancelled`: the volume in
    progress is not stored; volumes stored before it stay and are skipped when the import is resumed."""
    from ..io import read_volume

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(folder, "no such folder")
    volumes = sorted(p for p in folder.iterdir() if p.name.endswith((".nii.gz", ".nii", ".nrrd")))
    rep = ImportReport(source=str(folder))
    for n, vol in enumerate(volumes):
        report(progress, n / max(len(volumes), 1), f"reading {vol.name}")   # Cancel acts before each volume
        stem = vol.name.split(".")[0]
        jsons = [folder / f"{stem}.json", folder / f"{stem}_lesions.json"]
        found = next((j for j in jsons if j.is_file()), None)
        if found is None:
            continue
        try:
            lesions = load_lesions(found)
            for lesion in lesions:
                lesion.patient = lesion.patient or stem
            uids = [f"{vol.resolve()}/{lz.patient}/{lz.study}/{lz.lesion_id}" for lz in lesions]
            if uids and all(db.has_uid(u) for u in uids):   # resumed import: skip reading the volume
                rep.rows += len(uids)
                rep.already_present += len(uids)
                continue
            image = read_volume(vol)
            import_lesions(db, lesions, image=image, image_path=str(vol.resolve()), source=str(found),
                           embedder=embedder, uid_prefix=str(vol.resolve()), report_to=rep)
        except DeepRadiologyError as exc:
            rep.skipped.append([vol.name, str(exc)])
        if on_volume is not None:
            on_volume(vol)
        report(progress, (n + 1) / len(volumes), vol.name)
    return rep
