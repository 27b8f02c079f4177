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


OTHER_COMMANDS = [
    (["recist", "eval-phantom", "--studies", "1", "--seed", "-3", "-o", "{out}"], "--seed", "at least 0"),
    (["longitudinal", "eval-phantom", "--studies", "2", "--seed", "-1"], "--seed", "at least 0"),
    (["cxr", "train", "--synthetic", "0", "-o", "{out}"], "--synthetic", "at least 1"),
    (["cxr", "eval", "--synthetic", "-1"], "--synthetic", "at least 1"),
]


@pytest.mark.parametrize("argv,names,phrase", OTHER_COMMANDS, ids=[" ".join(c[0][:2] + c[0][-2:]) for c in OTHER_COMMANDS])
def test_other_commands_refuse_bad_counts_with_one_line(tmp_path, argv, names, phrase):
    out = tmp_path / "out"
    env = {"PYTHONPATH": str(REPO / "DeepRadiologyLib"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "deepradiology", *[a.format(out=out) for a in argv]],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert names in lines[0] and phrase in lines[0], lines[0]
    assert not out.exists()
