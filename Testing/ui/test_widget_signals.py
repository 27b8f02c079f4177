"""Every signal a module Widget connects exists on the widget's class, in Slicer 5.8.1, 5.10.0 and 5.12.0.

A misspelt signal (``"currentPathChange(QString)"``) or a wrong argument list (``"clicked(int)"``) makes
PythonQt's ``connect`` return False with only a console warning: the button silently does nothing. The
Widgets' connections are read from the source (``self.ui.X.connect("sig(args)", f)``,
``self.ui.X.sig.connect(f)`` and ``slicer.app.connect("sig(args)", f)``), ``X``'s class from the module's
``.ui`` file, and the class's signals from:

- standard Qt classes: PySide6's meta-objects (Qt 6; the signals the modules use exist in Qt 5.15 too);
- Slicer classes (qMRMLNodeComboBox, qMRMLTableView, qSlicerMarkupsPlaceWidget ...): the ``Q_SIGNALS`` /
  ``signals:`` sections of their headers in the Slicer git mirror at each release tag, with their
  base classes followed up to Qt;
- CTK classes (ctkPathLineEdit, ctkCollapsibleButton ...): their headers in the CTK git mirror at the
  commit each Slicer tag builds (``SuperBuild/External_CTK.cmake``'s ``Slicer_CTK_GIT_TAG``).

Signatures are compared after ``QMetaObject.normalizedSignature`` (what PythonQt matches). The mirrors
are found at ``$DEEPRADIOLOGY_SLICER_GIT`` / ``$DEEPRADIOLOGY_CTK_GIT`` (bare git directories); the
header checks skip, saying so, where they are absent.
"""

from __future__ import annotations

import ast
import functools
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULE_DIRS = sorted(p.parent for p in REPO.glob("DeepRadiology/*/Resources"))
SLICER_TAGS = ("v5.8.1", "v5.10.0", "v5.12.0")
SLICER_GIT = Path(os.environ.get("DEEPRADIOLOGY_SLICER_GIT", "/work/.mirror/Slicer+Slicer/repo"))
CTK_GIT = Path(os.environ.get("DEEPRADIOLOGY_CTK_GIT", "/work/.mirror/commontk+CTK/repo"))
#: What ``slicer.app`` is inside the Slicer application.
APP_CLASS = "qSlicerApplication"


# -- the Widgets' connections ------------------------------------------------------------------------------
def _ui_name(node: ast.AST) -> str | None:
    """``X`` of an expression ``self.ui.X``."""
    if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and node.value.attr == "ui"
            and isinstance(node.value.value, ast.Name) and node.value.value.id == "self"):
        return node.attr
    return None


def connections(source: str) -> list[tuple[str, str, bool, int]]:
    """(widget name or the app class, signal, whether it is a full signature, line) for each connect."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "connect"):
            continue
        target = node.func.value
        first = node.args[0] if node.args else None
        signature = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
        if signature is not None and _ui_name(target):                       # self.ui.X.connect("sig()", f)
            found.append((_ui_name(target), signature, True, node.lineno))
        elif signature is not None and ast.unparse(target) == "slicer.app":  # slicer.app.connect("sig()", f)
            found.append((APP_CLASS, signature, True, node.lineno))
        elif isinstance(target, ast.Attribute) and _ui_name(target.value):   # self.ui.X.sig.connect(f)
            found.append((_ui_name(target.value), target.attr, False, node.lineno))
    return found


def widget_classes(module_dir: Path) -> dict[str, str]:
    """Object name -> class of every widget in the module's ``.ui`` files."""
    out = {}
    for path in sorted(module_dir.glob("Resources/UI/*.ui")):
        for widget in ET.parse(path).getroot().iter("widget"):
            out[widget.get("name")] = widget.get("class")
    out[APP_CLASS] = APP_CLASS
    return out


def module_connections(module_dir: Path) -> list[tuple[str, str, str, bool, str]]:
    """(class, widget name, signal, full signature?, "file:line") of the module's Python files."""
    classes = widget_classes(module_dir)
    out = []
    for script in sorted(module_dir.glob("*.py")):
        for name, signal, full, line in connections(script.read_text(encoding="utf-8")):
            out.append((classes.get(name, ""), name, signal, full, f"{script.name}:{line}"))
    return out


# -- signals of a class -------------------------------------------------------------------------------------
def normalized(signature: str) -> str:
    from PySide6.QtCore import QMetaObject

    return bytes(QMetaObject.normalizedSignature(signature)).decode()


def qt_signals(class_name: str) -> set[str] | None:
    """Signal signatures of a standard Qt class (with its bases) from PySide6, None if not a Qt class."""
    from PySide6 import QtCore, QtGui, QtWidgets
    from PySide6.QtCore import QMetaMethod

    cls = next((getattr(m, class_name) for m in (QtWidgets, QtGui, QtCore) if hasattr(m, class_name)), None)
    if cls is None or not hasattr(cls, "staticMetaObject"):
        return None
    meta = cls.staticMetaObject
    return {bytes(meta.method(n).methodSignature()).decode() for n in range(meta.methodCount())
            if meta.method(n).methodType() == QMetaMethod.MethodType.Signal}


def _git(git_dir: Path, *args: str) -> str:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True,
                          text=True).stdout


@functools.lru_cache(maxsize=None)
def _headers(git_dir: Path, commit: str) -> dict[str, str]:
    """``<name>.h`` -> its path, for every header of the tree at ``commit``."""
    return {p.rsplit("/", 1)[-1]: p for p in _git(git_dir, "ls-tree", "-r", "--name-only", commit).splitlines()
            if p.endswith(".h")}


@functools.lru_cache(maxsize=None)
def ctk_commit(slicer_tag: str) -> str:
    text = _git(SLICER_GIT, "show", f"{slicer_tag}:SuperBuild/External_CTK.cmake")
    match = re.search(r"Slicer_\$\{proj\}_GIT_TAG\s*\"([0-9a-f]{40})\"", text)
    assert match, f"{slicer_tag}: no CTK commit in SuperBuild/External_CTK.cmake"
    return match.group(1)


_ACCESS = re.compile(r"^\s*(public|protected|private)?\s*(Q_SIGNALS|signals|Q_SLOTS|slots)?\s*:", re.M)


def _parameters(args: str) -> list[tuple[str, bool]]:
    """(type without the parameter name, has a default) for each parameter of a declaration."""
    out = []
    for part in filter(None, (p.strip() for p in args.split(","))):
        declared, _, default = part.partition("=")
        tokens = declared.replace("*", " * ").replace("&", " & ").split()
        if len(tokens) > 1 and re.fullmatch(r"[A-Za-z_]\w*", tokens[-1]) and tokens[-1] not in (
                "int", "long", "short", "char", "double", "float", "bool", "unsigned", "signed"):
            tokens = tokens[:-1]                                     # the parameter's name
        out.append((" ".join(tokens), bool(default.strip())))
    return out


def header_signals(text: str, class_name: str) -> tuple[set[str], list[str]]:
    """(signal signatures declared in the class's ``Q_SIGNALS:``/``signals:`` sections, its base classes)."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    head = re.search(rf"\bclass\s+(?:\w+_EXPORT\s+)?{class_name}\s*(?::([^{{;]*))?\{{", text)
    assert head, f"no declaration of class {class_name} in its header"
    bases = [b.split()[-1] for b in (head.group(1) or "").split(",") if b.strip()]
    body = text[head.end():]
    signals: set[str] = set()
    marks = list(_ACCESS.finditer(body))
    for mark, after in zip(marks, marks[1:] + [None]):
        if mark.group(2) not in ("Q_SIGNALS", "signals"):
            continue
        section = body[mark.end(): after.start() if after else len(body)]
        for name, args in re.findall(r"\bvoid\s+(\w+)\s*\(([^)]*)\)\s*;", section):
            params = _parameters(args)
            for keep in range(len(params), -1, -1):                 # moc adds an overload per default argument
                signals.add(normalized(f"{name}({','.join(t for t, _ in params[:keep])})"))
                if keep and not params[keep - 1][1]:
                    break
    return signals, bases


@functools.lru_cache(maxsize=None)
def class_signals(class_name: str, slicer_tag: str) -> frozenset[str]:
    """Every signal of ``class_name`` (and its bases) as built by Slicer ``slicer_tag``."""
    found = qt_signals(class_name)
    if found is not None:
        return frozenset(found)
    for git_dir, commit in ((SLICER_GIT, slicer_tag), (CTK_GIT, ctk_commit(slicer_tag))):
        path = _headers(git_dir, commit).get(f"{class_name}.h")
        if path is None:
            continue
        signals, bases = header_signals(_git(git_dir, "show", f"{commit}:{path}"), class_name)
        for base in bases:
            signals |= class_signals(base, slicer_tag)
        return frozenset(signals)
    if class_name in ("qSlicerObject", "qMRMLWidget"):   # not QObjects / resolved above when present
        return frozenset()
    raise AssertionError(f"{class_name}: neither a Qt class nor a header in Slicer {slicer_tag} or its CTK")


def unknown_signals(module_dir: Path, slicer_tag: str) -> list[str]:
    """One sentence per connection whose signal the widget's class lacks in Slicer ``slicer_tag``."""
    problems = []
    for cls, name, signal, full, where in module_connections(module_dir):
        if not cls:
            problems.append(f"{module_dir.name}/{where}: ui.{name} is in no .ui file of the module")
            continue
        signals = class_signals(cls, slicer_tag)
        ok = normalized(signal) in signals if full else any(s.split("(")[0] == signal for s in signals)
        if not ok:
            near = sorted(s for s in signals if s.split("(")[0].lower()[:6] == signal.split("(")[0].lower()[:6])
            problems.append(f"{module_dir.name}/{where}: {cls} ({name}) has no signal {signal!r} in Slicer "
                            f"{slicer_tag}" + (f"; it has {', '.join(near)}" if near else ""))
    return problems


# -- tests --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mirrors():
    pytest.importorskip("PySide6.QtCore", reason="PySide6 is needed for Qt's meta-objects (pip install PySide6_Essentials, pinned in requirements/lock.txt)")
    for git_dir, what in ((SLICER_GIT, "DEEPRADIOLOGY_SLICER_GIT"), (CTK_GIT, "DEEPRADIOLOGY_CTK_GIT")):
        if not (git_dir / "HEAD").exists():
            pytest.skip(f"no git mirror at {git_dir} (set ${what})")


def test_every_module_connects_signals():
    """The scan sees the connections at all (a scan finding none would pass every check below)."""
    counts = {d.name: len(module_connections(d)) for d in MODULE_DIRS}
    assert len(counts) == 5 and all(n >= 2 for n in counts.values()), counts


@pytest.mark.parametrize("slicer_tag", SLICER_TAGS)
@pytest.mark.parametrize("module_dir", MODULE_DIRS, ids=lambda d: d.name)
def test_every_connected_signal_exists_on_its_widget_class(module_dir, slicer_tag, mirrors):
    assert unknown_signals(module_dir, slicer_tag) == []


@pytest.mark.parametrize("slicer_tag", SLICER_TAGS)
def test_the_header_signals_read_are_slicer_s_and_ctk_s_own(slicer_tag, mirrors):
    """Known declarations (by hand, from the headers at each tag) are found, with their bases' signals."""
    combo = class_signals("qMRMLNodeComboBox", slicer_tag)
    assert {"currentNodeChanged(vtkMRMLNode*)", "currentNodeChanged(bool)", "currentNodeIDChanged(QString)",
            "destroyed(QObject*)"} <= combo
    assert "currentPathChanged(QString)" in class_signals("ctkPathLineEdit", slicer_tag)
    assert "clicked(QModelIndex)" in class_signals("qMRMLTableView", slicer_tag)         # from QAbstractItemView
    assert "contentsCollapsed(bool)" in class_signals("ctkCollapsibleButton", slicer_tag)
    assert "startupCompleted()" in class_signals(APP_CLASS, slicer_tag)


def test_a_misspelt_or_mistyped_signal_is_reported_by_file_line_and_class(tmp_path, mirrors):
    module = tmp_path / "LesionRetrieval"
    (module / "Resources" / "UI").mkdir(parents=True)
    ui = REPO / "DeepRadiology" / "LesionRetrieval" / "Resources" / "UI" / "LesionRetrieval.ui"
    (module / "Resources" / "UI" / "LesionRetrieval.ui").write_text(ui.read_text(encoding="utf-8"), encoding="utf-8")
    (module / "LesionRetrieval.py").write_text(
        "class W:\n"
        "    def setup(self):\n"
        "        self.ui.databasePathLineEdit.connect('currentPathChange(QString)', self.f)\n"
        "        self.ui.queryButton.connect('clicked(int)', self.f)\n"
        "        self.ui.lesionTableSelector.currentNodeChange.connect(self.f)\n"
        "        self.ui.queryButton.connect('clicked(bool)', self.f)\n", encoding="utf-8")
    problems = unknown_signals(module, "v5.8.1")
    assert len(problems) == 3, problems
    assert "LesionRetrieval.py:3: ctkPathLineEdit (databasePathLineEdit) has no signal 'currentPathChange(QString)'" \
        in problems[0] and "currentPathChanged(QString)" in problems[0]
    assert "QPushButton (queryButton) has no signal 'clicked(int)'" in problems[1]
    assert "qMRMLNodeComboBox (lesionTableSelector) has no signal 'currentNodeChange'" in problems[2]
