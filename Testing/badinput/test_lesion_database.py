"""Issue 17: a read-only or hand-edited lesion database gives one line (exit 2), never a traceback.

The database is built through the real CLI from a lesion measured on the phantom, then edited with
plain sqlite3 the way a user or a broken copy would: vectors of the wrong length or type, NaN, a
record column that is not JSON. Writing to a database the user may not write is refused before the
first statement, and the file is left byte for byte as it was.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _cli import assert_refused, open_folder, run_cli  # noqa: E402


@pytest.fixture(scope="module")
def a_database():
    """A one-lesion database (descriptor embeddings) and the CT and lesion file it came from, in a folder
    user nobody may read (the database keeps the CT's path)."""
    folder = open_folder()
    yield _build(folder)
    shutil.rmtree(folder, ignore_errors=True)


def _build(folder: Path) -> Path:
    assert run_cli(["phantom", "-o", folder, "--studies", "1", "--spacing", "1.6,1.6,4"]).returncode == 0
    ct = folder / "S0_ct.nii.gz"
    result = run_cli(["recist", "measure", ct, "--frame", "ijk", "--point", "63.5,74.2,31", "-o", folder / "l.json"])
    assert result.returncode == 0, result.stderr
    record = json.loads((folder / "l.json").read_text())
    (folder / "lesions.json").write_text(json.dumps([dict(record, patient="P1")]))
    result = run_cli(["retrieval", "import", folder / "lesions.sqlite", "--lesions", folder / "lesions.json",
                      "--volume", ct])
    assert result.returncode == 0, result.stderr
    return folder / "lesions.sqlite"


def _vector(con) -> np.ndarray:
    return np.frombuffer(con.execute("SELECT vector FROM embeddings").fetchone()[0], dtype=np.float32)


EDITS = [
    ("vector-one-number-short", "UPDATE embeddings SET vector = ?", lambda v: v[:-1].tobytes(), "bytes"),
    ("vector-stored-as-float64", "UPDATE embeddings SET vector = ?", lambda v: v.astype(np.float64).tobytes(),
     "float32"),
    ("vector-all-nan", "UPDATE embeddings SET vector = ?", lambda v: np.full_like(v, np.nan).tobytes(), "NaN"),
    ("vector-replaced-by-text", "UPDATE embeddings SET vector = ?", lambda v: "hello", "str"),
    ("record-not-json", "UPDATE lesions SET record = ?", lambda v: "{not json", "not valid JSON"),
    ("record-a-list", "UPDATE lesions SET record = ?", lambda v: "[1, 2]", "not a lesion record"),
    ("tags-not-json", "UPDATE lesions SET tags = ?", lambda v: "[1,", "not valid JSON"),
]


@pytest.mark.parametrize("case,sql,value,phrase", EDITS, ids=[e[0] for e in EDITS])
def test_an_edited_database_is_one_line_naming_it(tmp_path, a_database, case, sql, value, phrase):
    db = tmp_path / "edited.sqlite"
    shutil.copy(a_database, db)
    with sqlite3.connect(db) as con:
        con.execute(sql, (value(_vector(con)),))
    con.close()
    args = ["retrieval", "query", db, "--lesion", a_database.parent / "lesions.json",
            "--volume", a_database.parent / "S0_ct.nii.gz"]
    line = assert_refused(run_cli(args, cwd=tmp_path), "edited.sqlite", phrase)
    assert "edited or damaged" in line


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("locked", ["file", "folder"])
@pytest.mark.parametrize("command", ["import", "embed"])
def test_writing_to_a_read_only_database_is_refused_and_the_file_kept(a_folder_anyone_may_use, a_database,
                                                                       locked, command):
    work = a_folder_anyone_may_use
    (work / "dbs").mkdir()
    db = work / "dbs" / "lesions.sqlite"
    shutil.copy(a_database, db)
    for name in ("lesions.json", "S0_ct.nii.gz"):
        shutil.copy(a_database.parent / name, work / name)
    before = _digest(db)
    db.chmod(0o444)
    (work / "dbs").chmod(0o555 if locked == "folder" else 0o777)
    if command == "import":
        args = ["retrieval", "import", db, "--lesions", work / "lesions.json", "--volume", work / "S0_ct.nii.gz"]
    else:
        args = ["retrieval", "embed", db, "--model", "descriptor", "--weights", "location=2"]
    assert_refused(run_cli(args, cwd=work, unprivileged=True), "lesions.sqlite", "read-only")
    assert _digest(db) == before


def test_querying_a_read_only_database_still_answers(a_folder_anyone_may_use, a_database):
    work = a_folder_anyone_may_use
    for path in a_database.parent.iterdir():
        if path.name.startswith("lesions.") or path.name == "S0_ct.nii.gz":
            shutil.copy(path, work / path.name)
    for path in work.iterdir():
        path.chmod(0o444)
    work.chmod(0o555)
    try:
        result = run_cli(["retrieval", "query", work / "lesions.sqlite", "--lesion", work / "lesions.json",
                          "--volume", work / "S0_ct.nii.gz", "-k", "1"], cwd="/tmp", unprivileged=True)
    finally:
        work.chmod(0o777)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["neighbours"][0]["distance"] == pytest.approx(0.0, abs=1e-6)
