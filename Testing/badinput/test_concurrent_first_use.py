"""Issue 17: processes opening one new (or older-schema) lesion database at the same moment.

Six real processes (`_racer.py`) wait at a barrier (a start file), then each opens the same SQLite file
and adds five lesions of its own plus one lesion all of them share. Every process must succeed, and
the file must hold each lesion exactly once: 6 x 5 + 1 = 31. This used to fail about one time in two
with "table meta already exists" (both saw an empty file and created the schema), and then with
"database is locked" (SQLite's journal-mode switch does not wait) and "not a DeepRadiology lesion
database" (the id and the tables read in two snapshots around the other's commit).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deepradiology.retrieval import database

RACER = Path(__file__).with_name("_racer.py")
REPO = Path(__file__).resolve().parents[2]
RACERS = 6
EXPECTED_UIDS = {f"racer{k}-lesion{i}" for k in range(RACERS) for i in range(5)} | {"shared-lesion"}


def race(db: Path) -> list[dict]:
    """Start the racers, let them all import, open the barrier, and return what each printed."""
    start = db.with_name(db.name + ".start")
    env = dict(os.environ, PYTHONPATH=str(REPO / "DeepRadiologyLib"))
    racers = [subprocess.Popen([sys.executable, str(RACER), str(db), str(start), str(k)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env) for k in range(RACERS)]
    time.sleep(2.5)  # long enough for every racer to import and wait at the barrier
    start.touch()
    results = []
    for racer in racers:
        out, err = racer.communicate(timeout=60)
        assert racer.returncode == 0, err
        results.append(json.loads(out))
    return results


def stored_uids(db: Path) -> list[str]:
    with sqlite3.connect(db) as con:
        return [r[0] for r in con.execute("SELECT uid FROM lesions")]


@pytest.mark.parametrize("attempt", range(3))
def test_six_first_imports_into_a_new_database_all_succeed_and_store_each_lesion_once(tmp_path, attempt):
    db = tmp_path / "lesions.sqlite"
    results = race(db)
    assert all(r["ok"] for r in results), [r.get("error") for r in results]
    uids = stored_uids(db)
    assert sorted(uids) == sorted(EXPECTED_UIDS)  # nothing lost, nothing twice
    # the shared lesion got an id in exactly one process; the others were told it was already there
    assert sum(r["ids"][-1] is not None for r in results) == 1


def test_six_processes_migrating_an_older_database_at_once_migrate_it_once(tmp_path):
    db = tmp_path / "old.sqlite"
    with sqlite3.connect(db) as con:  # a version-1 file, as DeepRadiology's first release wrote it
        con.executescript(database._SCHEMA_V1)
        con.execute(f"PRAGMA application_id = {database.APPLICATION_ID}")
        con.execute("PRAGMA user_version = 1")
    results = race(db)
    assert all(r["ok"] for r in results), [r.get("error") for r in results]
    assert sorted(stored_uids(db)) == sorted(EXPECTED_UIDS)
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == database.SCHEMA_VERSION
