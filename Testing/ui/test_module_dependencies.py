"""What each Slicer module asks to install, and when (read from the module files' syntax, issue 12).

Expected extras come from what each module does (the pyproject extras): LesionRetrieval's index is
FAISS ("retrieval"); PancreasSegment and CXRTriage run torch/MONAI networks ("torch"), PancreasSegment
nnunetv2 too when the chosen model is an nnU-Net v2 one ("nnunet"); RECISTAssist's learned methods
need torch, and nnInteractive when that is the installed model ("nninteractive"), its adaptive method
and LongitudinalMatch the core only. No install may be reachable from a Widget's ``setup()``:
opening a module must not download anything or raise when the user declines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

MODULES = Path(__file__).resolve().parents[2] / "DeepRadiology"
EXPECTED = {"LesionRetrieval": [{"retrieval"}], "PancreasSegment": [{"torch"}, {"torch", "nnunet"}],
            "CXRTriage": [{"torch"}], "RECISTAssist": [set(), {"torch"}, {"torch", "nninteractive"}], "LongitudinalMatch": [set()]}


def _tree(name):
    return ast.parse((MODULES / name / f"{name}.py").read_text(encoding="utf-8"))


def _install_calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "ensure_python_dependencies":
            yield node


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_module_asks_for_the_extras_its_work_needs(name):
    calls = list(_install_calls(_tree(name)))
    assert calls, f"{name} never ensures its dependencies"
    for call in calls:
        asked = {a.value for a in call.args if isinstance(a, ast.Constant)}
        assert asked in EXPECTED[name], f"{name} line {call.lineno} asks for {asked or 'the core only'}"


def _methods(tree):
    """{method name: set of method names it calls as self.X / self.logic.X} over all classes."""
    out = {}
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        for fn in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
            called = {n.func.attr for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
            installs = any(True for _ in _install_calls(fn))
            entry = out.setdefault(fn.name, [set(), False])
            entry[0] |= called
            entry[1] = entry[1] or installs
    return out


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_opening_a_module_installs_nothing(name):
    methods = _methods(_tree(name))
    seen, todo = set(), ["setup", "enter", "initializeParameterNode"]
    while todo:
        current = todo.pop()
        if current in seen or current not in methods:
            continue
        seen.add(current)
        assert not methods[current][1], f"{name}: setup() reaches {current}(), which installs packages"
        todo.extend(methods[current][0])
