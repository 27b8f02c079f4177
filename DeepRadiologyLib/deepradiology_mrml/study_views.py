"""Markups and masks measured on one study shown only in the views that show that study.

Several studies of a patient lie in overlapping RAS space, so a line measured on the baseline would be
drawn over the follow-up in every slice view. Each display node keeps a list of the views it is drawn in
(``vtkMRMLDisplayNode::AddViewNodeID`` / ``RemoveAllViewNodeIDs``; an empty list means every view),
which the markups and segmentation displayable managers honour (``IsDisplayableInView``; checked in
Slicer v5.8.1, v5.10.0, v5.12.0). `StudyViews` keeps that list equal to: the slice views whose
composite node shows the study's volume as background or foreground, plus every 3D view (3D views
show no particular study; listing them also keeps the list non-empty when no slice view shows the
study, since an empty list would mean "everywhere"). It re-applies the lists whenever a slice
composite node changes (the user puts another volume in a view) or a new one is added (a layout with
more views).
"""

from __future__ import annotations

__all__ = ["views_showing", "restrict_to_views", "StudyViews"]


def _nodes(scene, class_name: str) -> list:
    return [scene.GetNthNodeByClass(n, class_name) for n in range(scene.GetNumberOfNodesByClass(class_name))]


def views_showing(scene, volume_node) -> list[str]:
    """IDs of the slice nodes whose views show ``volume_node`` (background or foreground), then of
    every 3D view node."""
    volume_id = volume_node.GetID()
    slice_of = {s.GetLayoutName(): s.GetID() for s in _nodes(scene, "vtkMRMLSliceNode")}
    ids = []
    for composite in _nodes(scene, "vtkMRMLSliceCompositeNode"):
        if volume_id in (composite.GetBackgroundVolumeID(), composite.GetForegroundVolumeID()):
            slice_id = slice_of.get(composite.GetLayoutName())
            if slice_id is not None and slice_id not in ids:
                ids.append(slice_id)
    return ids + [v.GetID() for v in _nodes(scene, "vtkMRMLViewNode")]


def restrict_to_views(nodes, view_ids: list[str]) -> None:
    """Draw each displayable node of ``nodes`` (all its display nodes) only in ``view_ids``."""
    for node in nodes:
        if node is None:
            continue
        for n in range(node.GetNumberOfDisplayNodes()):
            display = node.GetNthDisplayNode(n)
            if display is None:
                continue
            if list(display.GetNthViewNodeID(i) for i in range(display.GetNumberOfViewNodeIDs())) == view_ids:
                continue
            was = display.StartModify()
            display.RemoveAllViewNodeIDs()
            for view_id in view_ids:
                display.AddViewNodeID(view_id)
            display.EndModify(was)


class StudyViews:
    """Keeps each study's nodes drawn only in the views showing that study (module docstring).

    Args:
        scene: the ``vtkMRMLScene``.
        nodes_of: called with no argument, returns {volume node: [displayable nodes measured on it]}.
    """

    def __init__(self, scene, nodes_of) -> None:
        self.scene = scene
        self._nodes_of = nodes_of
        self._observed: list[tuple[object, int]] = []

    def update(self) -> None:
        """Apply the view lists now (and watch any slice composite node not watched yet)."""
        self._watch()
        for volume, nodes in self._nodes_of().items():
            if volume is not None and volume.GetScene() is self.scene:
                restrict_to_views(nodes, views_showing(self.scene, volume))

    def _watch(self) -> None:
        import vtk

        watched = {id(node) for node, _tag in self._observed}
        if id(self.scene) not in watched:
            # a layout with more views adds slice composite nodes: list the new views too
            tag = self.scene.AddObserver(self.scene.NodeAddedEvent, lambda *_: self._on_node_added())
            self._observed.append((self.scene, tag))
        for composite in _nodes(self.scene, "vtkMRMLSliceCompositeNode"):
            if id(composite) not in watched:
                tag = composite.AddObserver(vtk.vtkCommand.ModifiedEvent, lambda *_: self.update())
                self._observed.append((composite, tag))

    def _on_node_added(self) -> None:
        watched = sum(1 for node, _tag in self._observed if node is not self.scene)
        if self.scene.GetNumberOfNodesByClass("vtkMRMLSliceCompositeNode") != watched:
            self.update()

    def stop(self) -> None:
        """Stop watching the views (scene closed)."""
        for node, tag in self._observed:
            node.RemoveObserver(tag)
        self._observed = []
