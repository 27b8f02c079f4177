"""RECISTAssist's organ map input: in the loaded panel (PySide6 QUiLoader, offscreen) there is an
"Organ map" selector beside the CT selector, bound to the parameter node's ``organMap``, offering
segmentations and label maps and allowing none, the node kinds the parameter node's field takes."""

from __future__ import annotations

import ast
import xml.etree.ElementTree as ET
from pathlib import Path

from .test_module_ui import load_ui, qt_app  # noqa: F401  (the fixture)

MODULE = Path(__file__).resolve().parents[2] / "DeepRadiology" / "RECISTAssist"
UI = MODULE / "Resources" / "UI" / "RECISTAssist.ui"


def _selector():
    return next(w for w in ET.parse(UI).iter("widget") if w.get("name") == "organMapSelector")


def _property(widget, name):
    """A property's value as the .ui writes it: a list for a string list, else the text of its value."""
    prop = next(p for p in widget.findall("property") if p.get("name") == name)
    value = prop[0]
    return [s.text for s in value.iter("string")] if value.tag == "stringlist" else value.text


def test_the_panel_has_an_organ_map_selector_with_its_label(qt_app):  # noqa: F811
    from PySide6.QtWidgets import QLabel, QWidget

    panel = load_ui(UI)
    try:
        assert panel.findChild(QWidget, "organMapSelector") is not None
        assert panel.findChild(QLabel, "organMapLabel").text() == "Organ map:"
    finally:
        panel.deleteLater()


def test_the_selector_offers_segmentations_and_label_maps_allows_none_and_is_bound_to_organMap():
    selector = _selector()
    assert selector.get("class") == "qMRMLNodeComboBox"
    assert set(_property(selector, "nodeTypes")) == {"vtkMRMLSegmentationNode", "vtkMRMLLabelMapVolumeNode"}
    assert _property(selector, "noneEnabled") == "true"
    assert _property(selector, "SlicerParameterName") == "organMap"


def test_the_parameter_node_field_takes_the_same_node_kinds_or_none():
    tree = ast.parse((MODULE / "RECISTAssist.py").read_text(encoding="utf-8"))
    wrapper = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "RECISTAssistParameterNode")
    field = next(s for s in wrapper.body if isinstance(s, ast.AnnAssign) and s.target.id == "organMap")
    text = ast.unparse(field.annotation)
    assert text.startswith("Optional[Union[")      # none is a valid choice: measuring without a map
    for kind in _property(_selector(), "nodeTypes"):
        assert f"slicer.{kind}" in text
