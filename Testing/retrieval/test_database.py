"""The lesion database: one SQLite file, versioned, idempotent, clear about files it cannot use."""

from __future__ import annotations

import os
import sqlite3

import numpy as np
import pytest

from deepradiology.errors import InputError
from deepradiology.lesion import Lesion
from deepradiology.retrieval.database import (_SCHEMA_V1, APPLICATION_ID, SCHEMA_VERSION, DatabaseError,
                                              LesionDatabase)


def a_lesion(n: int = 1, patient: str = "P1") -> Lesion:
    return Lesion(f"L{n}", patient=patient, long_axis_mm=12.0 + n, short_axis_mm=8.0,
                  normalized_location=(0.3, 0.4, 0.5), lesion_type="liver")


def test_a_new_database_uses_wal_and_the_current_schema(tmp_path):
    with LesionDatabase(tmp_path / "db.sqlite") as db:
        assert db.schema_version == SCHEMA_VERSION
        assert db._con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        ids = db.add_lesions([("u1", a_lesion(), {"embedding": [1, 2, 3], "model": "m"})])
    with LesionDatabase(tmp_path / "db.sqlite", create=False) as db:
        stored = db.get(ids[0])
        assert stored.lesion.long_axis_mm == 13.0 and stored.lesion.lesion_type == "liver"
        assert db.embedding_models() == {"m": 3}


def test_adding_the_same_uid_twice_keeps_one_lesion(tmp_path):
    with LesionDatabase(tmp_path / "db.sqlite") as db:
        assert db.add_lesions([("u1", a_lesion(), {})]) != [None]
        assert db.add_lesions([("u1", a_lesion(2), {})]) == [None]
        assert db.count() == 1


def test_a_failed_transaction_leaves_nothing_behind(tmp_path):
    with LesionDatabase(tmp_path / "db.sqlite") as db:
        with pytest.raises(InputError):
            db.add_lesions([("u1", a_lesion(), {"embedding": [1, 2], "model": "m"}),
                            ("u2", a_lesion(2), {"embedding": [1, 2, 3], "model": "m"})])   # wrong dimension
        assert db.count() == 0


def test_an_embedding_of_the_wrong_dimension_is_refused(tmp_path):
    with LesionDatabase(tmp_path / "db.sqlite") as db:
        ids = db.add_lesions([("u1", a_lesion(), {"embedding": np.ones(4), "model": "m"}), ("u2", a_lesion(2), {})])
        with pytest.raises(InputError, match="4-dimensional"):
            db.set_embeddings([ids[1]], np.ones((1, 5)), model="m")


def test_a_version_1_database_is_migrated_in_place(tmp_path):
    path = tmp_path / "old.sqlite"
    con = sqlite3.connect(path)
    con.executescript(_SCHEMA_V1)
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    con.execute("PRAGMA user_version = 1")
    con.execute("INSERT INTO lesions(uid, patient, record) VALUES ('old', 'P9', ?)",
                ('{"lesion_id": "L1", "patient": "P9"}',))
    con.commit()
    con.close()
    with LesionDatabase(path, create=False) as db:
        assert db.schema_version == SCHEMA_VERSION
        stored = db.get(1)
        assert stored.uid == "old" and stored.tags == [] and db.thumbnail(1) is None
        assert db.import_state("x")["rows_done"] == 0


def test_a_database_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "new.sqlite"
    LesionDatabase(path).close()
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    with pytest.raises(DatabaseError, match="newer DeepRadiology"):
        LesionDatabase(path)


def test_an_sqlite_file_of_another_program_is_refused(tmp_path):
    path = tmp_path / "other.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t(x)")
    con.commit()
    con.close()
    with pytest.raises(DatabaseError, match="not a DeepRadiology lesion database"):
        LesionDatabase(path)


def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(DatabaseError, match="not a readable SQLite"):
        LesionDatabase(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="run as root, which ignores file permissions, so no file is "
                                               "read-only; run the tests as an ordinary user")
def test_a_read_only_database_reads_but_refuses_writes_clearly(tmp_path):
    path = tmp_path / "ro" / "db.sqlite"
    path.parent.mkdir()
    with LesionDatabase(path) as db:
        db.add_lesions([("u1", a_lesion(), {})])
    path.chmod(0o444)
    path.parent.chmod(0o555)
    try:
        with LesionDatabase(path) as db:
            assert db.readonly and db.count() == 1
            with pytest.raises(DatabaseError, match="read-only"):
                db.add_lesions([("u2", a_lesion(2), {})])
    finally:
        path.parent.chmod(0o755)
        path.chmod(0o644)


def test_asking_for_read_only_refuses_writes_clearly(tmp_path):
    path = tmp_path / "db.sqlite"
    with LesionDatabase(path) as db:
        db.add_lesions([("u1", a_lesion(), {})])
    with LesionDatabase(path, readonly=True) as db:
        assert db.count() == 1
        with pytest.raises(DatabaseError, match="read-only"):
            db.add_lesions([("u2", a_lesion(2), {})])


def test_a_database_locked_by_another_writer_is_reported_as_locked(tmp_path):
    path = tmp_path / "db.sqlite"
    LesionDatabase(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with LesionDatabase(path, timeout_s=0.2) as db:
            with pytest.raises(DatabaseError, match="locked by another program"):
                db.add_lesions([("u1", a_lesion(), {})])
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_missing_database_is_not_created_when_asked_not_to(tmp_path):
    with pytest.raises(DatabaseError, match="no such lesion database"):
        LesionDatabase(tmp_path / "missing.db", create=False)


def test_a_database_in_a_missing_folder_is_refused_with_the_folder_named(tmp_path):
    with pytest.raises(DatabaseError, match="does not exist"):
        LesionDatabase(tmp_path / "nowhere" / "db.sqlite")
