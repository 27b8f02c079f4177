"""Helper markups a panel places for its own use (a click point, a box ROI): hidden from the user's
node lists and never saved with the scene.

A helper is input, not a result: it must not appear in the Data module or node selectors, and a saved
scene must not bring back a stray click. ``vtkMRMLNode.SetHideFromEditors`` and ``SetSaveWithScene``
(checked in Slicer v5.8.1, v5.10.0, v5.12.0 Libs/MRML/Core/vtkMRMLNode.h) say so for the node and
for its display nodes (a display node saved without its markups node would be a dangling node).
"""

from __future__ import annotations

__all__ = ["helper_node", "clear_helper"]


def _hide(node) -> None:
    node.SetHideFromEditors(True)
    node.SetSaveWithScene(False)


def helper_node(scene, class_name: str, name: str, *, max_points: int | None = None):
    """The helper markups node ``name`` of ``class_name``, made (hidden, unsaved) when the scene lacks it.

    Args:
        scene: the ``vtkMRMLScene``.
        class_name: e.g. ``"vtkMRMLMarkupsFiducialNode"`` or ``"vtkMRMLMarkupsROINode"``.
        name: the node's name; a node of another class with this name is left alone and a new one made.
        max_points: the most control points a point list takes (a single click: 1; the setter is
            vtkMRMLMarkupsFiducialNode's in Slicer 5.8-5.12).
    """
    node = None
    for n in range(scene.GetNumberOfNodesByClass(class_name)):
        candidate = scene.GetNthNodeByClass(n, class_name)
        if candidate.GetName() == name:
            node = candidate
            break
    if node is None:
        node = scene.AddNewNodeByClass(class_name, name)
        node.CreateDefaultDisplayNodes()
        if max_points is not None:
            node.SetMaximumNumberOfControlPoints(max_points)
    _hide(node)
    for n in range(node.GetNumberOfDisplayNodes()):
        display = node.GetNthDisplayNode(n)
        if display is not None:
            _hide(display)
    return node


def clear_helper(node) -> None:
    """Remove the helper's control points (a measured click or box must not measure again)."""
    if node is not None and node.GetNumberOfControlPoints():
        node.RemoveAllControlPoints()
