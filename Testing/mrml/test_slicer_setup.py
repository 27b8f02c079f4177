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
        pytest.skip("reading pyproject.toml needs tomllib, which comes with Python 3.11 and later")
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


class _FakeSlicerInstaller:
    """Stands in for Slicer's confirmation box and pip: records what would be asked and installed."""

    def __init__(self, answer: bool):
        self.answer, self.questions, self.ensured, self.installed = answer, [], [], []

    def confirmOkCancelDisplay(self, text, windowTitle=None, **kwargs):
        self.questions.append(text)
        return self.answer

    def pip_ensure(self, requirements, **kwargs):
        self.ensured.append(([str(r) for r in requirements], kwargs,
                             Path(kwargs["constraints"]).read_text(encoding="utf-8")))

    def pip_install(self, arguments):
        self.installed.append(list(arguments))


def _inside_fake_slicer(monkeypatch, fake, *, with_pip_ensure: bool):
    import types

    import slicer

    from deepradiology_mrml import scene

    monkeypatch.setattr(scene, "in_slicer", lambda: True)
    monkeypatch.setattr(slicer, "util", types.SimpleNamespace(confirmOkCancelDisplay=fake.confirmOkCancelDisplay,
                                                              pip_install=fake.pip_install), raising=False)
    monkeypatch.setattr(slicer_setup, "_pip_ensure", lambda: fake.pip_ensure if with_pip_ensure else None)
    monkeypatch.setitem(REQUIREMENTS, "retrieval", ("surely-not-an-installed-package>=1",))


def test_on_5_12_the_user_sees_the_list_and_pip_ensure_runs_under_testing_with_numpy_pinned(monkeypatch):
    import numpy

    fake = _FakeSlicerInstaller(answer=True)
    _inside_fake_slicer(monkeypatch, fake, with_pip_ensure=True)
    with pytest.raises(DeepRadiologyError, match="still missing"):  # the fake pip installs nothing
        ensure_python_dependencies("retrieval")
    assert len(fake.questions) == 1 and "surely-not-an-installed-package>=1" in fake.questions[0]
    (requirements, kwargs, constraints), = fake.ensured
    assert requirements == ["surely-not-an-installed-package>=1"]
    assert kwargs["skip_in_testing"] is False, "5.12's pip_ensure skips installs under --testing by default"
    assert f"numpy=={numpy.__version__}" in constraints.splitlines()


def test_on_5_8_pip_install_gets_the_constraints_file_and_a_decline_installs_nothing(monkeypatch):
    fake = _FakeSlicerInstaller(answer=True)
    _inside_fake_slicer(monkeypatch, fake, with_pip_ensure=False)
    with pytest.raises(DeepRadiologyError):
        ensure_python_dependencies("retrieval")
    (arguments,) = fake.installed
    assert arguments[0] == "surely-not-an-installed-package>=1" and arguments[1] == "-c"
    declined = _FakeSlicerInstaller(answer=False)
    _inside_fake_slicer(monkeypatch, declined, with_pip_ensure=False)
    with pytest.raises(DeepRadiologyError, match="declined"):
        ensure_python_dependencies("retrieval")
    assert declined.installed == [] and len(declined.questions) == 1
