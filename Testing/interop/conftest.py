"""The interop suite: DeepRadiology against the reference packages (nnunetv2, torchxrayvision, nnInteractive).

torchxrayvision and nnInteractive need torchvision, which does not import beside the main venv's torch 2.13.0,
so the whole suite runs in .venv-interop (``bash Testing/install-interop.sh``; ``Testing/models/
test_interop_suite.py`` runs it from the main suite). nnunetv2 also imports in the main venv (installed there
without timm/torchvision, requirements/peer-nodeps.txt); there the pinned torch's nnU-Net path, the one the
CLI and the web app use, is checked against nnunetv2 by Testing/pancreas/test_nnunet_cli.py, so this suite
is skipped in the main venv rather than run twice. Where a package does not import, its tests skip with the import error.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config, items):
    # In the main venv the suite is run by Testing/models/test_interop_suite.py in .venv-interop, and the
    # main venv's own nnU-Net path by Testing/pancreas/test_nnunet_cli.py: running the nnunetv2 cases here
    # too would only repeat them (about 8 minutes on 2 cores).
    in_main_venv = Path(sys.prefix).resolve() == (REPO / ".venv").resolve()
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.interop)
            if in_main_venv:
                item.add_marker(pytest.mark.skip(reason=(
                    "the interop suite runs in .venv-interop (Testing/models/test_interop_suite.py); the main "
                    "venv's nnU-Net path is checked against nnunetv2 by Testing/pancreas/test_nnunet_cli.py")))


def reference(name: str):
    """Import a reference package or skip, saying why (typically: torchvision cannot import beside this torch)."""
    try:
        return __import__(name)
    except Exception as exc:   # ImportError, or torchvision's RuntimeError about operators of another torch
        import torch

        why = ("is not installed in this venv" if isinstance(exc, ModuleNotFoundError) and name in str(exc)
               else f"does not import beside torch {torch.__version__}")
        pytest.skip(f"{name} {why}; torchxrayvision and nnInteractive need torchvision, which does not import "
                    "beside the main venv's torch 2.13.0 (nnunetv2 is installed there without it): this suite runs "
                    "in .venv-interop (bash Testing/install-interop.sh; "
                    "Testing/models/test_interop_suite.py runs it)")


@pytest.fixture(scope="session")
def an_nnunet_result_folder(tmp_path_factory) -> Path:
    """A random-weight nnU-Net v2 result folder made by nnunetv2's own code (see make_nnunet_model.py)."""
    reference("nnunetv2")
    out = tmp_path_factory.mktemp("nnunet")
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("make_nnunet_model.py")), str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return Path(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def a_model_cache(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("DEEPRADIOLOGY_MODELS", str(cache))
    return cache


@pytest.fixture(scope="session")
def an_nninteractive_folder(tmp_path_factory) -> Path:
    """A random-weight nnInteractive model folder built by nnInteractive's own code (make_nninteractive_model.py)."""
    reference("nnInteractive")                              # "not installed" where it is absent
    reference("nnInteractive.inference.inference_session")  # else why its session does not import
    out = tmp_path_factory.mktemp("nninteractive")
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("make_nninteractive_model.py")), str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return Path(done.stdout.strip().splitlines()[-1])
