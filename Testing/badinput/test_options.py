"""Issue 17 item 7: numeric options refused with one line before anything is allocated or written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

CASES = [
    (["--spacing", "0.001,0.001,0.001"], "--spacing", "voxels"),   # used to ask for about 64 PiB
    (["--spacing", "0,0.8,2.5"], "--spacing", "greater than 0"),
    (["--spacing", "nan,0.8,2.5"], "--", "finite"),
    (["--seed", "-1"], "--seed", "at least 0"),
    (["--noise", "nan"], "--noise", "finite"),
    (["--noise", "-3"], "--noise", ">= 0"),
]


@pytest.mark.parametrize("extra,names,phrase", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_phantom_refuses_bad_numbers_with_one_line_and_writes_nothing(tmp_path, extra, names, phrase):
    out = tmp_path / "phantom"
    env = {"PYTHONPATH": str(REPO / "DeepRadiologyLib"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "deepradiology", "phantom", "-o", str(out), *extra],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert names in lines[0] and phrase in lines[0], lines[0]
    assert not out.exists()
