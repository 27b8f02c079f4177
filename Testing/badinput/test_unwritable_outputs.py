"""Issue 17: `-o` into a place that cannot be written is one line naming it, before any work (exit 2).

Two places: a folder without write permission (the command runs as user nobody, since root ignores
permissions) and a path under a plain file. Nothing may be created anywhere.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _cli import assert_refused, run_cli  # noqa: E402

ASSESSMENT = {"time_points": [{"date": "2024-01-01", "targets": [{"id": "T1", "organ": "liver", "long_mm": 30}],
                               "non_targets": [], "new_lesions": []}]}

COMMANDS = [
    ("reports-assert", ["reports", "assert", "phrases.csv", "-o", "{out}.csv"]),
    ("reports-label", ["reports", "label", "reports.csv", "-o", "{out}.csv"]),
    ("longitudinal-response", ["longitudinal", "response", "assessment.json", "-o", "{out}.json"]),
    ("phantom", ["phantom", "-o", "{out}", "--studies", "1", "--spacing", "3,3,6"]),
    ("recist-eval-phantom", ["recist", "eval-phantom", "--studies", "1", "-o", "{out}.json"]),
    ("retrieval-import", ["retrieval", "import", "{out}.sqlite", "--lesions", "lesions.json"]),
    ("cxr-train", ["cxr", "train", "--synthetic", "4", "-o", "{out}.pt"]),
]

PLACES = [("folder-without-write-permission", "locked/out", ["locked", "no permission"]),
          ("under-a-plain-file", "a-file/out", ["a-file", "is a file, not a folder"])]


def _inputs(folder: Path) -> None:
    (folder / "phrases.csv").write_text("id,phrase,sentence\n1,effusion,No pleural effusion.\n")
    (folder / "reports.csv").write_text("filename,report\nr1,No pleural effusion.\n")
    (folder / "assessment.json").write_text(json.dumps(ASSESSMENT))
    (folder / "lesions.json").write_text(json.dumps([{"lesion_id": "L1", "long_axis_mm": 20.0}]))
    (folder / "a-file").write_text("not a folder")
    (folder / "locked").mkdir()
    for path in folder.iterdir():
        path.chmod(0o644)
    (folder / "locked").chmod(0o555)


@pytest.mark.parametrize("place,out,phrases", PLACES, ids=[p[0] for p in PLACES])
@pytest.mark.parametrize("command,argv", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_an_unwritable_output_is_refused_before_any_work(a_folder_anyone_may_use, command, argv, place, out,
                                                         phrases):
    work = a_folder_anyone_may_use
    _inputs(work)
    before = sorted(p.relative_to(work).as_posix() for p in work.rglob("*"))
    result = run_cli([a.format(out=out) for a in argv], cwd=work, unprivileged=True)
    assert_refused(result, *phrases)
    assert sorted(p.relative_to(work).as_posix() for p in work.rglob("*")) == before
