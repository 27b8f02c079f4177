"""Running the real ``deepradiology`` command in a subprocess and checking its refusal.

A refusal is exit code 2 and exactly one line on stderr, naming what is at fault, with no traceback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


#: Runs a command as user nobody, without capabilities (util-linux's setpriv), so file permissions apply.
AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def open_folder() -> Path:
    """A fresh folder anyone may use: for runs as an ordinary user (root ignores file permissions)."""
    folder = Path(tempfile.mkdtemp(prefix="deepradiology-badinput-"))
    folder.chmod(0o777)
    return folder


def run_cli(args, *, cwd=None, timeout: int = 120, env_extra: dict | None = None,
            unprivileged: bool = False) -> subprocess.CompletedProcess:
    """``python -m deepradiology ARGS`` with this checkout's library first on the path.

    ``unprivileged``: when the tests run as root, the command runs as user nobody, so that a folder
    without write permission really cannot be written (give it paths in an `open_folder`).
    """
    home = Path(cwd or "/tmp")
    env = {"PYTHONPATH": str(REPO / "DeepRadiologyLib"), "PATH": "/usr/bin:/bin", "HOME": str(home),
           "DEEPRADIOLOGY_MODELS": str(home / "models"), **(env_extra or {})}
    prefix = AS_NOBODY if unprivileged and os.geteuid() == 0 else []
    if prefix and shutil.which(prefix[0]) is None:
        pytest.skip("run as root without setpriv, so no place is unwritable; apt-get install util-linux")
    return subprocess.run([*prefix, sys.executable, "-m", "deepradiology", *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=timeout)


def assert_refused(result: subprocess.CompletedProcess, *phrases: str) -> str:
    """Exit 2, exactly one stderr line holding every phrase, no traceback; returns the line."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, f"exit {result.returncode}: {result.stderr[-2000:]}"
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert len(lines) == 1, result.stderr[-2000:]
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return lines[0]
