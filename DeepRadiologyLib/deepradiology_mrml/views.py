"""Comparison views: a study's volume per slice view, axial, side by side (LongitudinalMatch's follow-ups).

Slicer's layout manager follows the scene's layout node, so setting its view arrangement to
``SlicerLayoutSideBySideView`` (29 in Slicer 5.8.1 vtkMRMLLayoutNode.h) shows the Red and Yellow views
side by side; each view's slice node is set to axial (``SetOrientationToAxial``) before jumping, since
Yellow and Green start sagittal and coronal. Works on any scene that has the standard slice nodes
(``vtkMRMLSliceNodeRed`` ...): Slicer's own, or one a test made.
"""

from __future__ import annotations

__all__ = ["SIDE_BY_SIDE_VIEWS", "SIDE_BY_SIDE_LAYOUT", "show_side_by_side"]

SIDE_BY_SIDE_VIEWS = ("Red", "Yellow")
SIDE_BY_SIDE_LAYOUT = 29


def show_side_by_side(scene, shown) -> list[str]:
    """Show each (volume node, RAS point mm) of ``shown`` (baseline first) in Red, Yellow: axial, centred.

    Returns the views used (a view whose slice node the scene lacks is skipped).
    """
    layout = scene.GetFirstNodeByClass("vtkMRMLLayoutNode")
    if layout is not None:
        layout.SetViewArrangement(SIDE_BY_SIDE_LAYOUT)
    used = []
    for view, (volume, ras) in zip(SIDE_BY_SIDE_VIEWS, shown):
        slice_node = scene.GetNodeByID(f"vtkMRMLSliceNode{view}")
        composite = scene.GetNodeByID(f"vtkMRMLSliceCompositeNode{view}")
        if slice_node is None or composite is None:
            continue
        if not slice_node.SetOrientationToAxial():  # no "Axial" preset in this scene: add Slicer's defaults
            slice_node.AddDefaultSliceOrientationPresets(scene)
            slice_node.SetOrientationToAxial()
        composite.SetBackgroundVolumeID(volume.GetID())
        slice_node.JumpSliceByCentering(*ras)
        used.append(view)
    return used
