"""The module Widgets' shared parameter-node lifecycle, on real VTK observers (no Qt needed)."""

import vtk
from slicer.util import VTKObservationMixin

from deepradiology_mrml.slicer_widget import ParameterNodeGuiMixin


class AParameterNode(vtk.vtkObject):
    """Stands for a ``@parameterNodeWrapper`` node: records GUI binding calls."""

    def __init__(self):
        self.bound = []

    def connectGui(self, ui):
        self.bound.append(("connect", ui))
        return f"tag-{len(self.bound)}"

    def disconnectGui(self, tag):
        self.bound.append(("disconnect", tag))


class AWidget(ParameterNodeGuiMixin, VTKObservationMixin):
    def __init__(self):
        VTKObservationMixin.__init__(self)
        self.ui = "the ui"
        self.updates = 0

    def _updateButtons(self, *args):
        self.updates += 1


def test_setting_a_parameter_node_binds_the_ui_and_updates_on_every_change():
    widget, node = AWidget(), AParameterNode()
    widget.setParameterNode(node)
    assert node.bound == [("connect", "the ui")] and widget.updates == 1
    node.Modified()
    assert widget.updates == 2


def test_replacing_the_node_unbinds_and_stops_observing_the_old_one():
    widget, old, new = AWidget(), AParameterNode(), AParameterNode()
    widget.setParameterNode(old)
    widget.setParameterNode(new)
    assert old.bound[-1] == ("disconnect", "tag-1")
    before = widget.updates
    old.Modified()
    assert widget.updates == before, "the old node is no longer observed"
    new.Modified()
    assert widget.updates == before + 1


def test_leaving_the_module_unbinds_and_closing_the_scene_drops_the_node():
    widget, node = AWidget(), AParameterNode()
    widget.setParameterNode(node)
    widget.exit()
    assert node.bound[-1] == ("disconnect", "tag-1") and widget._parameterNodeGuiTag is None
    widget.onSceneStartClose(None, None)
    assert widget._parameterNode is None
    widget.cleanup()
    node.Modified()
    assert widget.updates == 2, "after clean-up nothing is observed (1 bind + 1 drop)"
