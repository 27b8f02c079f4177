"""Work on a placed point runs after PointPositionDefinedEvent, not inside it (issue 12).

The modules that place points (RECISTAssist's click, LesionRetrieval's query click) measure or query
and then remove the point. Doing that inside the markups node's own event, while the markups widget is
still processing the click that placed it, is what Slicer avoids itself: its markups subject-hierarchy
plugin defers the removal with ``QTimer::singleShot(0, ...)`` because a node "cannot be deleted while a
node event is being processed" (Modules/Loadable/Markups/SubjectHierarchyPlugins/
qSlicerSubjectHierarchyMarkupsPlugin.h, v5.8.1, v5.10.0 and v5.12.0). So each Widget's handler of that
event must do nothing but schedule the work with ``qt.QTimer.singleShot(0, ...)``. Read from the source
(the Widgets run only inside Slicer).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULE_FILES = sorted(REPO.glob("DeepRadiology/*/*.py"))
#: Markups events raised while the markups widget is still handling the user's click.
PLACEMENT_EVENTS = ("PointPositionDefinedEvent", "PointAddedEvent")


def placement_handlers(tree: ast.Module) -> list[tuple[ast.ClassDef, str, int]]:
    """(class, handler method name, line) of every ``self.addObserver(node, node.<placement event>, self.m)``."""
    out = []
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        for call in (n for n in ast.walk(cls) if isinstance(n, ast.Call)):
            func = call.func
            if not (isinstance(func, ast.Attribute) and func.attr in ("addObserver", "AddObserver")
                    and len(call.args) >= 3 - (func.attr == "AddObserver")):
                continue
            event, handler = (call.args[1], call.args[2]) if func.attr == "addObserver" else (call.args[0], call.args[1])
            if isinstance(event, ast.Attribute) and event.attr in PLACEMENT_EVENTS:
                assert isinstance(handler, ast.Attribute), f"line {call.lineno}: handler is not a method"
                out.append((cls, handler.attr, call.lineno))
    return out


def deferral_problem(cls: ast.ClassDef, name: str) -> str:
    """Why method ``name`` of ``cls`` is not a pure ``qt.QTimer.singleShot(0, ...)`` deferral ("" if it is)."""
    method = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == name), None)
    if method is None:
        return f"{cls.name}.{name} is not defined in the class"
    work = [s for s in method.body if not isinstance(s, (ast.Import, ast.ImportFrom))
            and not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]      # imports, docstring
    if len(work) != 1 or not isinstance(work[0], ast.Expr) or not isinstance(work[0].value, ast.Call):
        return f"{cls.name}.{name} does more than schedule the work"
    call = work[0].value
    if ast.unparse(call.func) != "qt.QTimer.singleShot" or not call.args or ast.unparse(call.args[0]) != "0":
        return f"{cls.name}.{name} calls {ast.unparse(call.func)} instead of qt.QTimer.singleShot(0, ...)"
    return ""


def problems_of(source: str, where: str) -> list[str]:
    tree = ast.parse(source)
    return [f"{where}:{line}: {why}" for cls, name, line in placement_handlers(tree)
            if (why := deferral_problem(cls, name))]


def test_the_modules_that_place_points_are_the_ones_found():
    observed = {path.parent.name for path in MODULE_FILES if placement_handlers(ast.parse(path.read_text("utf-8")))}
    assert observed == {"RECISTAssist", "LesionRetrieval"}


@pytest.mark.parametrize("path", MODULE_FILES, ids=lambda p: p.parent.name)
def test_point_placement_is_handled_after_the_event(path):
    assert problems_of(path.read_text(encoding="utf-8"), path.name) == []


def test_a_handler_that_works_inside_the_event_is_reported():
    source = (
        "class W:\n"
        "    def setup(self):\n"
        "        self.addObserver(click, click.PointPositionDefinedEvent, self.onPointPlaced)\n"
        "    def onPointPlaced(self, caller, event):\n"
        "        self.onQueryButton()\n")
    assert problems_of(source, "M.py") == ["M.py:3: W.onPointPlaced calls self.onQueryButton instead of "
                                           "qt.QTimer.singleShot(0, ...)"]
    later = source.replace("self.onQueryButton()", "import qt\n        qt.QTimer.singleShot(0, self.onQueryButton)")
    assert problems_of(later, "M.py") == []
