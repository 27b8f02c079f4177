"""Every ``.ui`` widget's ``SlicerParameterName`` names a field of its module's ``@parameterNodeWrapper``
class, of a type that widget kind can edit (Slicer's parameter-node GUI connectors bind by kind: a node
to a node combo box, a bool to a check box ...). A typo or a mismatched widget would leave the control
silently unbound inside Slicer."""

from __future__ import annotations

import ast
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

MODULES = Path(__file__).resolve().parents[2] / "DeepRadiology"
KINDS = {  # value type -> widget classes that can edit it
    "node": {"qMRMLNodeComboBox", "qMRMLSubjectHierarchyComboBox"},
    "bool": {"QCheckBox", "ctkCheckBox", "QRadioButton", "QPushButton", "QToolButton", "ctkCheckablePushButton"},
    "int": {"QSpinBox", "ctkSpinBox", "QSlider", "ctkSliderWidget", "ctkDoubleSpinBox", "QComboBox"},
    "float": {"QDoubleSpinBox", "ctkDoubleSpinBox", "ctkSliderWidget", "qMRMLSliderWidget", "qMRMLSpinBox",
              "ctkRangeWidget"},
    "str": {"QLineEdit", "QComboBox", "ctkComboBox", "ctkPathLineEdit", "QTextEdit", "QPlainTextEdit"},
}


def _kind(annotation: ast.expr) -> str:
    if isinstance(annotation, ast.Subscript):  # Annotated[T, ...]
        inner = annotation.slice.elts[0] if isinstance(annotation.slice, ast.Tuple) else annotation.slice
        return _kind(inner)
    text = ast.unparse(annotation)
    return "node" if "vtkMRML" in text else text


def _fields(module_file: Path) -> dict[str, str]:
    tree = ast.parse(module_file.read_text(encoding="utf-8"))
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        if any(ast.unparse(d) == "parameterNodeWrapper" for d in cls.decorator_list):
            return {s.target.id: _kind(s.annotation) for s in cls.body if isinstance(s, ast.AnnAssign)}
    raise AssertionError(f"{module_file.name} has no @parameterNodeWrapper class")


def _bound_widgets(ui_file: Path):
    for widget in ET.parse(ui_file).iter("widget"):
        for prop in widget.findall("property"):
            if prop.get("name") == "SlicerParameterName":
                yield widget.get("name"), widget.get("class"), prop.findtext("string")


@pytest.mark.parametrize("name", sorted(p.name for p in MODULES.iterdir() if (p / f"{p.name}.py").is_file()))
def test_each_bound_widget_names_a_wrapper_field_of_a_type_it_can_edit(name):
    fields = _fields(MODULES / name / f"{name}.py")
    bound = list(_bound_widgets(MODULES / name / "Resources" / "UI" / f"{name}.ui"))
    assert bound, f"{name}.ui binds no widget to its parameter node"
    for widget, cls, parameter in bound:
        assert parameter in fields, f"{name}.ui: {widget} is bound to '{parameter}', not a field of the wrapper ({sorted(fields)})"
        kind = fields[parameter]
        assert cls in KINDS.get(kind, set()), f"{name}.ui: {widget} ({cls}) cannot edit '{parameter}' ({kind})"


def test_a_misspelt_parameter_and_a_wrong_widget_kind_are_caught(tmp_path):
    module = tmp_path / "Made"
    (module / "Resources" / "UI").mkdir(parents=True)
    (module / "Made.py").write_text("@parameterNodeWrapper\nclass P:\n    inputVolume: slicer.vtkMRMLScalarVolumeNode\n"
                                    "    propagate: bool = True\n", encoding="utf-8")
    ui = ('<ui><widget class="QWidget" name="w"><widget class="{cls}" name="x"><property name="SlicerParameterName">'
          '<string>{param}</string></property></widget></widget></ui>')
    globals()["MODULES"] = tmp_path
    try:
        for cls, param, message in (("QCheckBox", "propagte", "not a field"), ("QLineEdit", "propagate", "cannot edit")):
            (module / "Resources" / "UI" / "Made.ui").write_text(ui.format(cls=cls, param=param), encoding="utf-8")
            with pytest.raises(AssertionError, match=message):
                test_each_bound_widget_names_a_wrapper_field_of_a_type_it_can_edit("Made")
        (module / "Resources" / "UI" / "Made.ui").write_text(ui.format(cls="QCheckBox", param="propagate"), encoding="utf-8")
        test_each_bound_widget_names_a_wrapper_field_of_a_type_it_can_edit("Made")
    finally:
        globals()["MODULES"] = Path(__file__).resolve().parents[2] / "DeepRadiology"
