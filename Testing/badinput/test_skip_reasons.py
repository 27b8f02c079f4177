"""Issue 17: every skip reason in the test suite is a sentence saying what is missing, not Python's internals.

A bare ``pytest.importorskip("torch")`` reports "could not import 'torch': No module named 'torch'", and
a reason built from a caught exception shows its class name or repr. Each skip must instead say what
is missing and how to get it. Read from the test files' syntax trees, so a new bare skip fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTING = Path(__file__).resolve().parents[1]
SKIPS = {"skip", "skipif", "importorskip"}


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in SKIPS:
                yield name, node


def _reason(name: str, call: ast.Call):
    for keyword in call.keywords:
        if keyword.arg == "reason":
            return keyword.value
    if name == "skip" and call.args:
        return call.args[0]
    return None


def _internals(reason: ast.AST, exception_names: set[str]) -> list[str]:
    """What in a reason would show Python's internals: an exception's value, a class name, a repr."""
    found = []
    for node in ast.walk(reason):
        if isinstance(node, ast.FormattedValue):
            if node.conversion == ord("r"):
                found.append("a !r repr")
            for inner in ast.walk(node.value):
                if isinstance(inner, ast.Name) and inner.id in exception_names:
                    found.append(f"the exception {inner.id}")
                if isinstance(inner, ast.Attribute) and inner.attr == "__name__":
                    found.append("a class __name__")
                if isinstance(inner, ast.Call) and getattr(inner.func, "id", "") == "repr":
                    found.append("repr()")
    return found


def test_every_skip_in_the_suite_gives_a_reason_in_words():
    problems, checked = [], 0
    for path in sorted(TESTING.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        exception_names = {h.name for h in ast.walk(tree) if isinstance(h, ast.ExceptHandler) and h.name}
        for name, call in _calls(tree):
            where = f"{path.relative_to(TESTING)}:{call.lineno}"
            if name == "skipif" and not call.args and not call.keywords:
                continue
            reason = _reason(name, call)
            checked += 1
            if reason is None:
                problems.append(f"{where}: {name} without a reason")
                continue
            for what in _internals(reason, exception_names):
                problems.append(f"{where}: the reason shows {what}")
    assert checked > 50  # the suite's skips were found at all
    assert not problems, "\n".join(problems)


def test_an_import_skip_says_how_to_install_what_is_missing():
    missing_hint = []
    for path in sorted(TESTING.rglob("*.py")):
        for name, call in _calls(ast.parse(path.read_text(encoding="utf-8"))):
            reason = _reason(name, call)
            if name == "importorskip" and isinstance(reason, ast.Constant):
                if "install" not in reason.value:
                    missing_hint.append(f"{path.relative_to(TESTING)}:{call.lineno}: {reason.value}")
    assert not missing_hint, "\n".join(missing_hint)
