"""Running the real ``deepradiology`` command in a subprocess and checking its refusal.

A refusal is exit code 2 and exactly one line on stderr, naming what is at fault, with no traceback.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_cli(args, *, cwd=None, timeout: int = 120, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    """``python -m deepradiology ARGS`` with this checkout's library first on the path."""
    home = Path(cwd or "/tmp")
    env = {"PYTHONPATH": str(REPO / "DeepRadiologyLib"), "PATH": "/usr/bin:/bin", "HOME": str(home),
           "DEEPRADIOLOGY_MODELS": str(home / "models"), **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "deepradiology", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=timeout)


def assert_refused(result: subprocess.CompletedProcess, *phrases: str) -> str:
    """Exit 2, exactly one stderr line holding every phrase, no traceback; returns the line."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, f"exit {result.returncode}: {result.stderr[-2000:]}"
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert len(lines) == 1, result.stderr[-2000:]
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return lines[0]
