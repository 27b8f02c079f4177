"""The Slicer-side dependency installer's requirement list and its checks (install itself needs Slicer)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from deepradiology.errors import DeepRadiologyError
from deepradiology_mrml import slicer_setup
from deepradiology_mrml.slicer_setup import REQUIREMENTS, ensure_python_dependencies, missing_requirements, requirements_for

PYPROJECT = Path(__file__).resolve().parents[2] / "DeepRadiologyLib" / "pyproject.toml"


def test_the_requirements_installed_in_slicer_are_those_of_pyproject():
    if sys.version_info < (3, 11):
        pytest.skip("tomllib needs Python 3.11")
    import tomllib

    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    stale = "update REQUIREMENTS in DeepRadiologyLib/deepradiology_mrml/slicer_setup.py to match pyproject.toml"
    assert list(REQUIREMENTS[""]) == project["dependencies"], stale
    for extra in ("torch", "retrieval"):
        assert list(REQUIREMENTS[extra]) == project["optional-dependencies"][extra], stale


def test_extras_add_their_requirements_once_and_unknown_extras_are_refused():
    assert requirements_for("torch")[-2:] == list(REQUIREMENTS["torch"])
    assert requirements_for("torch")[:-2] == list(REQUIREMENTS[""])
    assert len(requirements_for("torch", "torch")) == len(requirements_for("torch"))
    with pytest.raises(ValueError, match="unknown extras"):
        requirements_for("gpu")


def test_missing_and_too_old_packages_are_both_found():
    assert missing_requirements(["numpy>=1.0"]) == []
    assert missing_requirements(["numpy>=999"]) == ["numpy>=999"]
    assert missing_requirements(["surely-not-an-installed-package>=1"]) == ["surely-not-an-installed-package>=1"]


def test_outside_slicer_nothing_is_installed_and_a_gap_is_reported_with_the_pip_command(monkeypatch):
    assert ensure_python_dependencies() == []
    monkeypatch.setitem(REQUIREMENTS, "retrieval", ("surely-not-an-installed-package>=1",))
    with pytest.raises(DeepRadiologyError, match="pip install 'surely-not-an-installed-package>=1'"):
        slicer_setup.ensure_python_dependencies("retrieval")
