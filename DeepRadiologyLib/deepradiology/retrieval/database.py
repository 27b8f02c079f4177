"""The lesion database: one SQLite file (WAL journal) of lesion records, thumbnails and embeddings.

One row per lesion, keyed by a ``uid`` that says where the lesion came from (DeepLesion's key-slice
file name and row, a NIfTI file and lesion id, ...). Imports insert with ``INSERT OR IGNORE`` on that
uid inside transactions, so an import that is run twice or restarted after a crash neither loses nor
duplicates a lesion.

The schema is versioned in ``PRAGMA user_version`` and the file is marked as ours in
``PRAGMA application_id``. Older files are migrated in place (one transaction per step); files from a
newer DeepRadiology, or SQLite files that are not lesion databases, are refused with a clear message.

Positions stored here: RECIST endpoints in the lesion's own LPS mm frame (`deepradiology.lesion`),
the normalised body location (x, y, z) in [0, 1], diameters in mm.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..lesion import Lesion

__all__ = ["LesionDatabase", "StoredLesion", "SCHEMA_VERSION", "APPLICATION_ID", "DatabaseError"]

#: Current schema version (``PRAGMA user_version``).
SCHEMA_VERSION = 2
#: ``PRAGMA application_id`` of a DeepRadiology lesion database: "DRLR" in ASCII.
APPLICATION_ID = 0x44524C52


class DatabaseError(InputError):
    """The database file cannot be used (newer version, not ours, locked, read-only, corrupt)."""


# Version 1: lesions and embeddings only.
_SCHEMA_V1 = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE lesions(
    id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE,
    patient TEXT NOT NULL DEFAULT '', study TEXT NOT NULL DEFAULT '', series TEXT NOT NULL DEFAULT '',
    slice_index INTEGER, lesion_type TEXT NOT NULL DEFAULT '', location TEXT NOT NULL DEFAULT '',
    long_mm REAL, short_mm REAL, loc_x REAL, loc_y REAL, loc_z REAL,
    image_path TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT '', record TEXT NOT NULL);
CREATE INDEX lesions_patient ON lesions(patient);
CREATE INDEX lesions_type ON lesions(lesion_type);
CREATE TABLE embedding_models(model TEXT PRIMARY KEY, dim INTEGER NOT NULL, description TEXT NOT NULL DEFAULT '');
CREATE TABLE embeddings(
    lesion_id INTEGER NOT NULL REFERENCES lesions(id) ON DELETE CASCADE,
    model TEXT NOT NULL REFERENCES embedding_models(model), vector BLOB NOT NULL,
    PRIMARY KEY(lesion_id, model));
"""

# Version 1 -> 2: free-text tags (LesaNet's labels, a radiologist's keywords), thumbnails, and the
# import journal that makes imports resumable with a report of what was skipped.
_MIGRATE_1_TO_2 = """
ALTER TABLE lesions ADD COLUMN tags TEXT NOT NULL DEFAULT '';
CREATE TABLE thumbnails(lesion_id INTEGER PRIMARY KEY REFERENCES lesions(id) ON DELETE CASCADE,
                        png BLOB NOT NULL);
CREATE TABLE imports(source TEXT PRIMARY KEY, rows_done INTEGER NOT NULL DEFAULT 0,
                     rows_skipped INTEGER NOT NULL DEFAULT 0, report TEXT NOT NULL DEFAULT '[]',
                     finished INTEGER NOT NULL DEFAULT 0);
"""

#: Migration scripts: MIGRATIONS[v] takes a version-v file to version v + 1.
MIGRATIONS = {1: _MIGRATE_1_TO_2}

_COLUMNS = ("id", "uid", "patient", "study", "series", "slice_index", "lesion_type", "location", "long_mm",
            "short_mm", "loc_x", "loc_y", "loc_z", "image_path", "source", "record", "tags")


@dataclass
class StoredLesion:
    """A lesion as kept in the database.

    Attributes:
        id: the database's integer id (also the id in the vector index).
        uid: where it came from, unique in the database.
        lesion: the clinical record (RECIST axes in LPS mm, diameters in mm, normalised location).
        image_path: the image the lesion was measured on ("" for metadata-only records): a DeepLesion
            key-slice PNG or a volume file.
        source: the file it was imported from.
        tags: free-text labels.
    """

    id: int
    uid: str
    lesion: Lesion
    image_path: str = ""
    source: str = ""
    tags: list[str] = field(default_factory=list)

    @property
    def has_image(self) -> bool:
        return bool(self.image_path) and Path(self.image_path).exists()

    def to_dict(self) -> dict:
        return {"id": self.id, "uid": self.uid, "image_path": self.image_path, "source": self.source,
                "tags": list(self.tags), "lesion": self.lesion.to_dict()}


def _describe(path: Path, exc: sqlite3.Error) -> DatabaseError:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return DatabaseError(path, "the lesion database is locked by another program (an import or a viewer "
                                   "is writing to it); try again when it has finished")
    if "readonly" in text or "read-only" in text:
        return DatabaseError(path, "the lesion database is read-only (file or folder permissions); copy it "
                                   "somewhere writable to add lesions")
    if "not a database" in text or "malformed" in text or "file is encrypted" in text:
        return DatabaseError(path, f"is not a readable SQLite lesion database ({exc})")
    if "unable to open" in text:
        return DatabaseError(path, f"cannot be opened ({exc}); check that its folder exists and is writable")
    return DatabaseError(path, f"database error: {exc}")


class LesionDatabase:
    """A lesion database file.

    Args:
        path: the SQLite file; created (with its folder's permission) when missing and ``create``.
        create: make a new database when the file does not exist (otherwise refuse).
        readonly: open for reading only (also chosen automatically when the file is not writable).
        timeout_s: how long to wait for another writer before reporting the database as locked.

    Raises:
        DatabaseError: missing file (without ``create``), a file from a newer version or not a lesion
            database, a locked or unreadable file.

    Use as a context manager, or call `close`.
    """

    def __init__(self, path: str | Path, *, create: bool = True, readonly: bool = False,
                 timeout_s: float = 5.0) -> None:
        self.path = Path(path)
        self._timeout_s = float(timeout_s)
        exists = self.path.exists()
        if not exists and (not create or readonly):
            raise DatabaseError(self.path, "no such lesion database (create one with `deepradiology retrieval "
                                           "import`)")
        if not exists and self.path.resolve().parent.exists() and not self.path.resolve().parent.is_dir():
            raise DatabaseError(self.path, f"cannot create the lesion database: {self.path.parent} is a file, not a "
                                           "folder")
        if not exists and not self.path.resolve().parent.is_dir():
            raise DatabaseError(self.path, f"cannot create the lesion database: the folder {self.path.parent} does not exist")
        if exists and self.path.is_dir():
            raise DatabaseError(self.path, "is a folder, not a lesion database file")
        writable = os.access(self.path if exists else (self.path.parent if str(self.path.parent) else "."), os.W_OK)
        if exists and not os.access(self.path.parent, os.W_OK):
            writable = False      # WAL needs its -wal and -shm files beside the database
        self.readonly = readonly or not writable
        if not exists and self.readonly:
            raise DatabaseError(self.path, "cannot create the lesion database: no permission to write in "
                                           f"{self.path.parent}")
        try:
            if self.readonly:
                uri = f"file:{self.path.resolve()}?mode=ro&immutable=1"
                self._con = sqlite3.connect(uri, uri=True, timeout=timeout_s, isolation_level=None)
            else:
                self._con = sqlite3.connect(str(self.path), timeout=timeout_s, isolation_level=None)
            self._con.execute("PRAGMA foreign_keys = ON")
            self._check_and_migrate(created=not exists)
        except sqlite3.Error as exc:
            with contextlib.suppress(Exception):
                self._con.close()
            raise _describe(self.path, exc) from None
        except DatabaseError:
            self._con.close()
            raise

    # -- opening, versions, migrations ------------------------------------------------------------
    def _check_and_migrate(self, *, created: bool) -> None:
        con = self._con
        app_id, version, tables = self._state()
        if app_id == 0 and not tables:
            if self.readonly:
                raise DatabaseError(self.path, "is an empty file, not a lesion database")
            self._use_wal()
            with self.transaction():
                # look again under the write lock: another process opening the same new file at the same
                # moment (two first imports, two servers) may have created the schema since the look above
                app_id, version, tables = self._state()
                if app_id == 0 and not tables:
                    for statement in _split(_SCHEMA_V1):
                        con.execute(statement)
                    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                    con.execute("PRAGMA user_version = 1")
                    app_id, version = APPLICATION_ID, 1
        if app_id != APPLICATION_ID:
            raise DatabaseError(self.path, "is an SQLite file but not a DeepRadiology lesion database")
        if version > SCHEMA_VERSION:
            raise DatabaseError(self.path, f"was written by a newer DeepRadiology (schema version {version}; this "
                                           f"version reads up to {SCHEMA_VERSION}); upgrade DeepRadiology")
        if version < 1 or version not in MIGRATIONS and version != SCHEMA_VERSION:
            raise DatabaseError(self.path, f"has an unknown schema version {version}")
        if version < SCHEMA_VERSION:
            if self.readonly:
                raise DatabaseError(self.path, f"has the older schema version {version} and is read-only, so it "
                                               f"cannot be migrated to version {SCHEMA_VERSION}; copy it "
                                               "somewhere writable")
            if not created:
                self._use_wal()
            while version < SCHEMA_VERSION:
                with self.transaction():
                    # under the write lock: another process may have run this step since we looked
                    version = int(con.execute("PRAGMA user_version").fetchone()[0])
                    if version < SCHEMA_VERSION:
                        for statement in _split(MIGRATIONS[version]):
                            con.execute(statement)
                        con.execute(f"PRAGMA user_version = {version + 1}")
                        version += 1
        elif not self.readonly:
            self._use_wal()

    def _use_wal(self) -> None:
        """Switch the file to write-ahead logging, waiting for other connections as for any write.

        SQLite answers "database is locked" at once, without its busy wait, when another process holds
        the file while the journal mode changes (two first imports starting together), so wait here.
        """
        deadline = time.monotonic() + self._timeout_s
        while True:
            try:
                self._con.execute("PRAGMA journal_mode = WAL").fetchall()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc).lower() and "busy" not in str(exc).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _state(self) -> tuple[int, int, set[str]]:
        """(application_id, user_version, table names) as the file holds them now, read from one snapshot.

        Three separate statements could straddle another process's commit of a new schema and see its
        tables without its application id (a "not a lesion database" that is one).
        """
        con = self._con
        own = not con.in_transaction
        if own:
            con.execute("BEGIN")
        try:
            app_id = int(con.execute("PRAGMA application_id").fetchone()[0])
            version = int(con.execute("PRAGMA user_version").fetchone()[0])
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            if own:
                con.execute("COMMIT")
        return app_id, version, tables

    @property
    def schema_version(self) -> int:
        return int(self._con.execute("PRAGMA user_version").fetchone()[0])

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All statements inside commit together or not at all (``BEGIN IMMEDIATE``: writers queue).

        A transaction is for writing, so a database opened read-only is refused here, in one line,
        before any statement; an SQLite error inside the block is described the same way.
        """
        self.require_writable()
        try:
            self._con.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _describe(self.path, exc) from None
        try:
            yield self._con
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                self._con.execute("ROLLBACK")
            raise _describe(self.path, exc) from None
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        else:
            try:
                self._con.execute("COMMIT")
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    self._con.execute("ROLLBACK")
                raise _describe(self.path, exc) from None

    def require_writable(self) -> None:
        """Refuse, in one line, to go on with a database this process may not write (before any work)."""
        if self.readonly:
            raise _describe(self.path, sqlite3.OperationalError("attempt to write a readonly database"))

    def _run(self, sql: str, params: Iterable = ()) -> sqlite3.Cursor:
        try:
            return self._con.execute(sql, tuple(params))
        except sqlite3.Error as exc:
            raise _describe(self.path, exc) from None

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._con.close()

    def __enter__(self) -> LesionDatabase:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- lesions --------------------------------------------------------------------------------------
    def add_lesions(self, items: Iterable[tuple[str, Lesion, dict]]) -> list[int | None]:
        """Insert lesions in one transaction; lesions whose uid is already stored are left as they are.

        Args:
            items: (uid, lesion, extras) with extras keys ``image_path``, ``source``, ``tags`` (list),
                ``thumbnail`` (PNG bytes), ``embedding`` (vector) with ``model`` (embedding model name).

        Returns:
            The new database id of each item, None for items that were already there.
        """
        ids: list[int | None] = []
        try:
            with self.transaction() as con:
                for uid, lesion, extras in items:
                    ids.append(self._insert(con, uid, lesion, extras))
        except sqlite3.Error as exc:
            raise _describe(self.path, exc) from None
        return ids

    def _insert(self, con: sqlite3.Connection, uid: str, lesion: Lesion, extras: dict) -> int | None:
        loc = lesion.normalized_location or (None, None, None)
        cur = con.execute(
            "INSERT OR IGNORE INTO lesions(uid, patient, study, series, slice_index, lesion_type, location, "
            "long_mm, short_mm, loc_x, loc_y, loc_z, image_path, source, record, tags) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (uid, lesion.patient, lesion.study, lesion.series, lesion.slice_index, lesion.lesion_type,
             lesion.location, lesion.long_axis_mm, lesion.short_axis_mm, loc[0], loc[1], loc[2],
             str(extras.get("image_path", "") or ""), str(extras.get("source", "") or ""),
             json.dumps(_record_without_embedding(lesion)), json.dumps(list(extras.get("tags", [])))))
        if cur.rowcount == 0:
            return None
        new_id = int(cur.lastrowid)
        if extras.get("thumbnail") is not None:
            con.execute("INSERT INTO thumbnails(lesion_id, png) VALUES (?, ?)", (new_id, bytes(extras["thumbnail"])))
        if extras.get("embedding") is not None:
            self._put_embedding(con, new_id, extras["model"], extras["embedding"])
        return new_id

    def has_uid(self, uid: str) -> bool:
        return self._run("SELECT 1 FROM lesions WHERE uid = ?", (uid,)).fetchone() is not None

    def existing_uids(self, uids: Iterable[str]) -> set[str]:
        """The subset of ``uids`` already stored."""
        uids = list(uids)
        found: set[str] = set()
        for start in range(0, len(uids), 900):
            chunk = uids[start:start + 900]
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in self._run(f"SELECT uid FROM lesions WHERE uid IN ({marks})", chunk))
        return found

    def count(self) -> int:
        return int(self._run("SELECT COUNT(*) FROM lesions").fetchone()[0])

    def get(self, lesion_id: int) -> StoredLesion:
        rows = self.get_many([lesion_id])
        if not rows:
            raise InputError(f"lesion {lesion_id}", f"not found in {self.path}")
        return rows[0]

    def get_many(self, ids: Iterable[int]) -> list[StoredLesion]:
        """Records in the order of ``ids`` (missing ids are left out)."""
        ids = [int(i) for i in ids]
        by_id: dict[int, StoredLesion] = {}
        for start in range(0, len(ids), 900):
            chunk = ids[start:start + 900]
            marks = ",".join("?" * len(chunk))
            for row in self._run(f"SELECT {', '.join(_COLUMNS)} FROM lesions WHERE id IN ({marks})", chunk):
                by_id[row[0]] = _stored(row, self.path)
        return [by_id[i] for i in ids if i in by_id]

    def iter_lesions(self, *, batch: int = 2000) -> Iterator[StoredLesion]:
        """Every stored lesion in id order."""
        last = 0
        while True:
            rows = self._run(f"SELECT {', '.join(_COLUMNS)} FROM lesions WHERE id > ? ORDER BY id LIMIT ?",
                             (last, batch)).fetchall()
            if not rows:
                return
            for row in rows:
                yield _stored(row, self.path)
            last = rows[-1][0]

    def filter_table(self) -> dict[str, np.ndarray]:
        """Columns used by query filters, as arrays indexed alike: id, patient, lesion_type, long_mm, short_mm."""
        rows = self._run("SELECT id, patient, lesion_type, long_mm, short_mm FROM lesions ORDER BY id").fetchall()
        cols = list(zip(*rows)) if rows else [[], [], [], [], []]
        return {"id": np.asarray(cols[0], dtype=np.int64), "patient": np.asarray(cols[1], dtype=object),
                "lesion_type": np.asarray(cols[2], dtype=object),
                "long_mm": np.asarray([np.nan if v is None else v for v in cols[3]], dtype=float),
                "short_mm": np.asarray([np.nan if v is None else v for v in cols[4]], dtype=float)}

    def thumbnail(self, lesion_id: int) -> bytes | None:
        """The lesion's thumbnail as PNG bytes, None when it has none (metadata-only record)."""
        row = self._run("SELECT png FROM thumbnails WHERE lesion_id = ?", (int(lesion_id),)).fetchone()
        return bytes(row[0]) if row else None

    # -- embeddings -----------------------------------------------------------------------------------
    def embedding_models(self) -> dict[str, int]:
        """Embedding model name -> vector dimension, for the models with vectors stored here."""
        return {m: int(d) for m, d in self._run("SELECT model, dim FROM embedding_models")}

    def _put_embedding(self, con: sqlite3.Connection, lesion_id: int, model: str, vector) -> None:
        vec = np.asarray(vector, dtype=np.float32).ravel()
        if not model:
            raise InputError("embedding", "an embedding needs the name of the model that made it")
        if not np.all(np.isfinite(vec)):
            raise InputError(f"embedding of lesion {lesion_id}", "has NaN or infinite values")
        row = con.execute("SELECT dim FROM embedding_models WHERE model = ?", (model,)).fetchone()
        if row is None:
            con.execute("INSERT INTO embedding_models(model, dim) VALUES (?, ?)", (model, int(vec.size)))
        elif int(row[0]) != vec.size:
            raise InputError(f"embedding of lesion {lesion_id}",
                             f"has {vec.size} numbers but model {model!r} makes {row[0]}-dimensional vectors")
        con.execute("INSERT OR REPLACE INTO embeddings(lesion_id, model, vector) VALUES (?, ?, ?)",
                    (int(lesion_id), model, vec.tobytes()))

    def set_embeddings(self, ids: Iterable[int], vectors: np.ndarray, *, model: str) -> None:
        """Store (or replace) the vectors of ``model`` for lesions ``ids``, in one transaction."""
        ids = [int(i) for i in ids]
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1)
        try:
            with self.transaction() as con:
                for lesion_id, vec in zip(ids, vectors):
                    self._put_embedding(con, lesion_id, model, vec)
        except sqlite3.Error as exc:
            raise _describe(self.path, exc) from None

    def embeddings(self, model: str, *, after_id: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors float32 (n, dim)) of ``model`` for lesions with id > ``after_id``, in id order."""
        dims = self.embedding_models()
        if model not in dims:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
        rows = self._run("SELECT lesion_id, vector FROM embeddings WHERE model = ? AND lesion_id > ? "
                         "ORDER BY lesion_id", (model, int(after_id))).fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        for lesion_id, blob in rows:
            _check_blob(self.path, lesion_id, model, blob, dims[model])
        vecs = np.frombuffer(b"".join(bytes(r[1]) for r in rows), dtype=np.float32).reshape(len(rows), dims[model])
        if not np.all(np.isfinite(vecs)):
            bad = int(ids[np.flatnonzero(~np.isfinite(vecs).all(axis=1))[0]])
            raise DatabaseError(self.path, f"lesion {bad}: its stored {model} embedding has NaN or infinite "
                                           "values (the database was edited or damaged)")
        return ids, vecs.copy()

    def ids_without_embedding(self, model: str) -> list[int]:
        return [r[0] for r in self._run("SELECT id FROM lesions WHERE id NOT IN "
                                        "(SELECT lesion_id FROM embeddings WHERE model = ?) ORDER BY id", (model,))]

    # -- import journal -------------------------------------------------------------------------------
    def import_state(self, source: str) -> dict:
        """What an earlier import of ``source`` got done: rows_done, rows_skipped, report, finished."""
        row = self._run("SELECT rows_done, rows_skipped, report, finished FROM imports WHERE source = ?",
                        (source,)).fetchone()
        if row is None:
            return {"rows_done": 0, "rows_skipped": 0, "report": [], "finished": False}
        return {"rows_done": row[0], "rows_skipped": row[1], "report": json.loads(row[2]), "finished": bool(row[3])}

    def record_import(self, con: sqlite3.Connection, source: str, *, rows_done: int, skipped: list,
                      finished: bool) -> None:
        """Update the import journal inside the caller's transaction (so it commits with the lesions)."""
        con.execute("INSERT OR REPLACE INTO imports(source, rows_done, rows_skipped, report, finished) "
                    "VALUES (?, ?, ?, ?, ?)", (source, rows_done, len(skipped), json.dumps(skipped), int(finished)))

    def insert_in(self, con: sqlite3.Connection, uid: str, lesion: Lesion, extras: dict) -> int | None:
        """`add_lesions` for one lesion inside a transaction the caller holds."""
        return self._insert(con, uid, lesion, extras)

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self._run("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as con:
            con.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))


def _record_without_embedding(lesion: Lesion) -> dict:
    record = lesion.to_dict()
    record["embedding"] = []          # vectors live in the embeddings table, per model
    return record


def _check_blob(path: Path, lesion_id, model: str, blob, dim: int) -> None:
    """A stored vector is ``dim`` float32 numbers (4 bytes each); anything else was edited or damaged."""
    if not isinstance(blob, (bytes, bytearray, memoryview)) or len(blob) != 4 * dim:
        what = f"{len(blob)} bytes" if isinstance(blob, (bytes, bytearray, memoryview)) else \
            f"a {type(blob).__name__} value"
        raise DatabaseError(path, f"lesion {lesion_id}: its stored {model} embedding is {what}, not {dim} float32 "
                                  f"numbers ({4 * dim} bytes); the database was edited or damaged")


def _stored(row, path: Path) -> StoredLesion:
    """A lesions-table row as a StoredLesion; a record or tags column that is not what we wrote is refused."""
    try:
        record = json.loads(row[15])
        tags = json.loads(row[16] or "[]")
    except (TypeError, ValueError) as exc:
        raise DatabaseError(path, f"lesion {row[1]}: its stored record is not valid JSON ({exc}); the database "
                                  "was edited or damaged") from None
    if not isinstance(record, dict) or not isinstance(tags, list):
        raise DatabaseError(path, f"lesion {row[1]}: its stored record is not a lesion record; the database was "
                                  "edited or damaged")
    return StoredLesion(id=int(row[0]), uid=row[1], lesion=Lesion.from_dict(record, source=f"{path}: {row[1]}"),
                        image_path=row[13], source=row[14], tags=tags)


def _split(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
