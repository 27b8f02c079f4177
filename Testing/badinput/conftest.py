"""Fixtures of the bad-input suite."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _cli import open_folder  # noqa: E402


@pytest.fixture
def a_folder_anyone_may_use():
    """A fresh 0777 folder outside pytest's private tmp (for commands run as user nobody); removed after."""
    folder = open_folder()
    yield folder
    for path in folder.rglob("*"):
        if path.is_dir():
            path.chmod(0o755)
    shutil.rmtree(folder, ignore_errors=True)
