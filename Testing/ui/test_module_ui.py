"""Every module's Qt Designer file loads, and every widget name the module's code uses exists in it.

Slicer binds ``self.ui.<name>`` to the widgets of the ``.ui`` file by object name
(``slicer.util.childWidgetVariables``); a renamed or deleted widget only fails when a user clicks. Here
each ``DeepRadiology/<Module>/Resources/UI/*.ui`` is loaded with PySide6's ``QUiLoader`` (offscreen;
Slicer's custom widgets such as ``qMRMLNodeComboBox`` fall back to the Qt class they extend) and the
``ui.<name>`` attributes of the module's Python files are checked against the loaded object names.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UI_FILES = sorted(REPO.glob("DeepRadiology/*/Resources/UI/*.ui"))
MODULES_WITH_UI = sorted({path.parents[2] for path in UI_FILES})

_UI_ATTRIBUTE = re.compile(r"\bui\.([A-Za-z_]\w*)")


@pytest.fixture(scope="module")
def qt_app():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    widgets = pytest.importorskip("PySide6.QtWidgets", reason="PySide6 is not installed: pip install PySide6")
    return widgets.QApplication.instance() or widgets.QApplication([])


def load_ui(path: Path):
    """Load a ``.ui`` file with QUiLoader; raise AssertionError naming the file and the problem."""
    from PySide6.QtUiTools import QUiLoader

    try:
        ET.parse(path)
    except ET.ParseError as exc:
        raise AssertionError(f"{path}: not well-formed XML ({exc})") from None
    loader = QUiLoader()
    try:
        widget = loader.load(str(path))
    except RuntimeError as exc:
        raise AssertionError(f"{path}: QUiLoader could not read it ({exc})") from None
    if widget is None:
        raise AssertionError(f"{path}: QUiLoader could not load it ({loader.errorString()})")
    return widget


def object_names(path: Path) -> set[str]:
    """Object names of the loaded widget and all its children (what ``self.ui`` holds in Slicer)."""
    from PySide6.QtCore import QObject

    widget = load_ui(path)
    try:
        return {widget.objectName()} | {child.objectName() for child in widget.findChildren(QObject) if child.objectName()}
    finally:
        widget.deleteLater()


def ui_names_used(module_dir: Path) -> dict[str, set[str]]:
    """``ui.<name>`` attributes used in the module's Python files (tests excluded): name -> files."""
    used: dict[str, set[str]] = {}
    for script in sorted(module_dir.rglob("*.py")):
        if "__pycache__" in script.parts or "Testing" in script.relative_to(module_dir).parts:
            continue
        for name in _UI_ATTRIBUTE.findall(script.read_text(encoding="utf-8")):
            used.setdefault(name, set()).add(script.relative_to(module_dir).as_posix())
    return used


def missing_widgets(module_dir: Path) -> list[str]:
    """Sentences naming each ``ui.<name>`` the code uses that no ``.ui`` file of the module defines."""
    names: set[str] = set()
    for path in sorted(module_dir.glob("Resources/UI/*.ui")):
        names |= object_names(path)
    return [f"{module_dir.name}: {', '.join(sorted(files))} uses ui.{name}, which no Resources/UI/*.ui defines"
            for name, files in sorted(ui_names_used(module_dir).items()) if name not in names]


@pytest.mark.parametrize("ui_path", UI_FILES, ids=lambda p: f"{p.parents[2].name}/{p.name}")
def test_the_ui_file_loads_offscreen(qt_app, ui_path):
    assert object_names(ui_path)


@pytest.mark.parametrize("module_dir", MODULES_WITH_UI, ids=lambda p: p.name)
def test_every_widget_the_module_uses_exists_in_its_ui_file(qt_app, module_dir):
    assert missing_widgets(module_dir) == []


# --- the checks themselves catch what they should (a made-up module in a temporary folder) ------------

_UI_TEXT = """<?xml version="1.0" encoding="UTF-8"?>
<ui version="4.0">
 <class>Alpha</class>
 <widget class="qMRMLWidget" name="Alpha">
  <layout class="QVBoxLayout" name="mainLayout">
   <item>
    <widget class="ctkCollapsibleButton" name="inputsCollapsibleButton">
     <layout class="QFormLayout" name="inputsLayout">
      <item row="0" column="1"><widget class="qMRMLNodeComboBox" name="inputSelector"/></item>
     </layout>
    </widget>
   </item>
   <item><widget class="QPushButton" name="applyButton"/></item>
  </layout>
 </widget>
 <customwidgets>
  <customwidget><class>qMRMLWidget</class><extends>QWidget</extends><header>qMRMLWidget.h</header><container>1</container></customwidget>
  <customwidget><class>ctkCollapsibleButton</class><extends>QWidget</extends><header>ctkCollapsibleButton.h</header><container>1</container></customwidget>
  <customwidget><class>qMRMLNodeComboBox</class><extends>QWidget</extends><header>qMRMLNodeComboBox.h</header></customwidget>
 </customwidgets>
</ui>
"""


def _made_up_module(root: Path, code: str) -> Path:
    module = root / "DeepRadiology" / "Alpha"
    (module / "Resources" / "UI").mkdir(parents=True)
    (module / "Resources" / "UI" / "Alpha.ui").write_text(_UI_TEXT, encoding="utf-8")
    (module / "Alpha.py").write_text(code, encoding="utf-8")
    return module


def test_a_module_whose_widgets_all_exist_passes(qt_app, tmp_path):
    module = _made_up_module(tmp_path, "self.ui.applyButton.connect('clicked(bool)', f)\nui.inputSelector.setMRMLScene(s)\n")
    assert missing_widgets(module) == []


def test_a_widget_name_missing_from_the_ui_file_is_caught(qt_app, tmp_path):
    module = _made_up_module(tmp_path, "self.ui.applyButton.enabled = True\nself.ui.outputSelector.setMRMLScene(s)\n")
    assert missing_widgets(module) == [
        "Alpha: Alpha.py uses ui.outputSelector, which no Resources/UI/*.ui defines"]


def test_a_broken_ui_file_is_caught(qt_app, tmp_path):
    module = _made_up_module(tmp_path, "")
    broken = module / "Resources" / "UI" / "Alpha.ui"
    broken.write_text(_UI_TEXT[: len(_UI_TEXT) // 2], encoding="utf-8")
    with pytest.raises(AssertionError, match="not well-formed XML"):
        object_names(broken)
