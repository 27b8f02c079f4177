"""Runs Testing/interop in .venv-interop, where nnunetv2, torchxrayvision and nnInteractive import.

torchxrayvision and nnInteractive need torchvision, which does not import beside the main venv's torch 2.13.0
(nnunetv2 is installed in the main venv without it; there its path is checked by Testing/pancreas/test_nnunet_cli.py); `make test` builds
.venv-interop first (bash Testing/install-interop.sh, pins in requirements/interop.txt).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_PYTHON = REPO / ".venv-interop" / "bin" / "python"


@pytest.mark.slow
def test_the_interop_suite_passes_in_its_own_venv():
    if not VENV_PYTHON.exists():
        pytest.skip(f"{VENV_PYTHON} is absent, so the equivalence with nnunetv2/torchxrayvision is not checked: run "
                    "`bash Testing/install-interop.sh` (torchvision, which they need, does not import beside the "
                    "main venv's torch)")
    env = {**os.environ, "PYTHONPATH": str(REPO / "DeepRadiologyLib")}
    done = subprocess.run([str(VENV_PYTHON), "-m", "pytest", str(REPO / "Testing" / "interop"), "-q", "-rs",
                           "-p", "no:cacheprovider"], cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "skipped" not in done.stdout.splitlines()[-1], done.stdout[-3000:]
