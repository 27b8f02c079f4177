"""Issue 17: a named pipe, a symbolic-link loop or a dangling link given as an input is named for what it
is, in one line (exit 2), and never makes a command wait forever on a pipe nobody writes to.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _cli import assert_refused, run_cli  # noqa: E402

COMMANDS = [
    ("reports-assert", ["reports", "assert", "{input}", "-o", "out.csv"]),
    ("reports-label", ["reports", "label", "{input}", "-o", "out.csv"]),
    ("reports-eval", ["reports", "eval", "--pred", "{input}", "--gold", "{input}"]),
    ("longitudinal-response", ["longitudinal", "response", "{input}", "-o", "out.json"]),
    ("longitudinal-match", ["longitudinal", "match", "{input}", "-o", "out.json", "--no-register"]),
    ("retrieval-import-lesions", ["retrieval", "import", "out.sqlite", "--lesions", "{input}"]),
    ("retrieval-import-table", ["retrieval", "import", "out.sqlite", "--recist-table", "{input}"]),
]

KINDS = [("named-pipe", "input.csv", "named pipe"),
         ("symbolic-link-loop", "loop.csv", "symbolic link loop"),
         ("dangling-link", "gone.csv", "which does not exist")]


def _make(folder: Path, kind: str) -> None:
    if kind == "named-pipe":
        os.mkfifo(folder / "input.csv")
    elif kind == "symbolic-link-loop":
        (folder / "loop.csv").symlink_to("other.csv")
        (folder / "other.csv").symlink_to("loop.csv")
    else:
        (folder / "gone.csv").symlink_to("removed.csv")


@pytest.mark.parametrize("kind,name,phrase", KINDS, ids=[k[0] for k in KINDS])
@pytest.mark.parametrize("command,argv", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_a_special_file_is_named_for_what_it_is(tmp_path, command, argv, kind, name, phrase):
    _make(tmp_path, kind)
    before = sorted(os.listdir(tmp_path))
    result = run_cli([a.format(input=name) for a in argv], cwd=tmp_path, timeout=60)   # a hang fails here
    assert_refused(result, name, phrase)
    assert sorted(os.listdir(tmp_path)) == before
