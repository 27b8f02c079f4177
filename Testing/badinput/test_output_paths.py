"""Issue 17: every output path is checked before anything is written, and the input CT is never an output.

`recist measure --mask CT.nii.gz --force` used to replace the CT by the lesion mask, and a bad
`--mask` used to be refused only after the lesion JSON was written. Now the command refuses with one
line, exit 2, and the folder holds exactly what it held before: the CT byte for byte, no JSON, no mask.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _cli import assert_refused, run_cli  # noqa: E402

# Phantom seed 1 at 1.6 x 1.6 x 4 mm, one study: its lesion T1 is centred at voxel (63.5, 74.2, 30.9).
CLICK = ["--frame", "ijk", "--point", "63.5,74.2,31"]


@pytest.fixture(scope="module")
def a_phantom_ct(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("phantom")
    result = run_cli(["phantom", "-o", folder, "--seed", "0", "--studies", "1", "--spacing", "1.6,1.6,4"])
    assert result.returncode == 0, result.stderr
    return folder / "S0_ct.nii.gz"


def _digest(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# (case, outputs relative to the work folder; "CT" is the input volume, what the one line names)
CASES = [
    ("mask-is-the-ct-with-force", ["-o", "l.json", "--mask", "CT", "--force"], ["ct.nii.gz", "--mask", "input"]),
    ("output-is-the-ct-with-force", ["-o", "CT", "--force"], ["ct.nii.gz", "-o", "input"]),
    ("mask-is-the-ct-by-another-spelling", ["-o", "l.json", "--mask", "sub/../ct.nii.gz", "--force"],
     ["--mask", "input"]),
    ("mask-is-a-hard-link-to-the-ct", ["-o", "l.json", "--mask", "link.nii.gz", "--force"], ["--mask", "input"]),
    ("mask-is-a-symlink-to-the-ct", ["-o", "l.json", "--mask", "symlink.nii.gz", "--force"], ["--mask", "input"]),
    ("mask-not-a-volume-name", ["-o", "l.json", "--mask", "mask.txt"], ["mask.txt", "unknown volume format"]),
    ("mask-same-as-output", ["-o", "l.json", "--mask", "l.json"], ["l.json", "-o", "--mask"]),
    ("mask-under-a-file", ["-o", "l.json", "--mask", "ct.nii.gz/m.nii.gz"], ["ct.nii.gz", "not a folder"]),
    ("output-under-a-file", ["-o", "ct.nii.gz/l.json"], ["ct.nii.gz", "not a folder"]),
    ("mask-is-a-folder", ["-o", "l.json", "--mask", "sub", "--force"], ["sub"]),
    ("output-exists", ["-o", "old.json"], ["old.json", "already exists", "--force"]),
    ("mask-exists", ["-o", "l.json", "--mask", "old.nii.gz"], ["old.nii.gz", "already exists"]),
]


def _work_folder(root: Path, ct: Path) -> Path:
    work = root / "work"
    (work / "sub").mkdir(parents=True)
    shutil.copy(ct, work / "ct.nii.gz")
    os.link(work / "ct.nii.gz", work / "link.nii.gz")
    (work / "symlink.nii.gz").symlink_to("ct.nii.gz")
    (work / "old.json").write_text('{"the": "user\'s"}')
    (work / "old.nii.gz").write_bytes(b"the user's mask")
    return work


@pytest.mark.parametrize("case,outputs,phrases", CASES, ids=[c[0] for c in CASES])
def test_recist_measure_refuses_before_writing_anything(tmp_path, a_phantom_ct, case, outputs, phrases):
    work = _work_folder(tmp_path, a_phantom_ct)
    before = _digest(work)
    args = ["recist", "measure", "ct.nii.gz", *CLICK, *["ct.nii.gz" if a == "CT" else a for a in outputs]]
    assert_refused(run_cli(args, cwd=work), *phrases)
    assert _digest(work) == before, "a refused command changed or added files"


def test_an_unwritable_folder_is_refused_before_the_work(a_folder_anyone_may_use, a_phantom_ct):
    work = a_folder_anyone_may_use
    shutil.copy(a_phantom_ct, work / "ct.nii.gz")
    (work / "locked").mkdir()
    (work / "locked").chmod(0o555)
    for outputs in (["-o", "locked/l.json"], ["-o", "l.json", "--mask", "locked/m.nii.gz"]):
        result = run_cli(["recist", "measure", "ct.nii.gz", *CLICK, *outputs], cwd=work, unprivileged=True)
        assert_refused(result, "locked", "no permission")
        assert sorted(p.name for p in work.iterdir()) == ["ct.nii.gz", "locked"]


def test_good_outputs_are_both_written(tmp_path, a_phantom_ct):
    work = _work_folder(tmp_path, a_phantom_ct)
    result = run_cli(["recist", "measure", "ct.nii.gz", *CLICK, "-o", "l.json", "--mask", "m.nii.gz"], cwd=work)
    assert result.returncode == 0, result.stderr
    assert (work / "l.json").stat().st_size > 0 and (work / "m.nii.gz").stat().st_size > 0
