"""Clicking in a slice view gives a panel the point it asked for.

Slicer's own markups placement does the work: the picker puts the scene's interaction node into
"place" mode with a one-point fiducial list as the active list, so a left click in any slice view
drops a point exactly where Slicer would (on the displayed slice, through the view's XY-to-RAS
matrix). The picker reads it back in world LPS mm, hands it to the panel that asked, and leaves place
mode. The point itself stays visible as a small marker until the next request.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from deepradiology.frames import ras_to_lps

__all__ = ["PointPicker"]


class PointPicker:
    """One pending "click a point" request at a time; the newest request wins.

    Args:
        scene: the tab's MRML scene.
        markups_logic: trame-slicer's markups logic wrapper (``SlicerApp.markups_logic``).
        state: the tab's trame state; ``pick_prompt`` tells the page what to click.
    """

    NODE_NAME = "Clicked point"

    def __init__(self, *, scene, markups_logic, state) -> None:
        self._scene = scene
        self._markups = markups_logic
        self._state = state
        self._node = None
        self._observer = None
        self._on_point: Callable[[np.ndarray], None] | None = None
        state.pick_prompt = ""

    def request(self, prompt: str, on_point: Callable[[np.ndarray], None]) -> None:
        """Ask the radiologist to click; ``on_point(lps_mm)`` receives the point (shape (3,), LPS mm)."""
        node = self._ensure_node()
        node.RemoveAllControlPoints()
        self._on_point = on_point
        self._markups.place_node(node, persistent=False)
        with self._state:
            self._state.pick_prompt = prompt

    def clear(self) -> None:
        """Take the clicked-point marker off the views (e.g. when the measurement it made is undone)."""
        if self._node is not None and self._scene.GetNodeByID(self._node.GetID()) is not None:
            self._node.RemoveAllControlPoints()

    def cancel(self) -> None:
        self._on_point = None
        self._markups.disable_place_mode()
        with self._state:
            self._state.pick_prompt = ""

    def _ensure_node(self):
        if self._node is None or self._scene.GetNodeByID(self._node.GetID()) is None:
            from slicer import vtkMRMLMarkupsNode

            self._node = self._scene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode", self.NODE_NAME)
            self._node.CreateDefaultDisplayNodes()
            display = self._node.GetDisplayNode()
            display.SetPointLabelsVisibility(False)
            display.SetGlyphScale(1.5)
            self._node.SetMaximumNumberOfControlPoints(1)
            self._observer = self._node.AddObserver(vtkMRMLMarkupsNode.PointPositionDefinedEvent, self._on_defined)
        return self._node

    def _on_defined(self, node, _event) -> None:
        if node.GetNumberOfControlPoints() < 1 or self._on_point is None:
            return
        ras = [0.0, 0.0, 0.0]
        node.GetNthControlPointPositionWorld(node.GetNumberOfControlPoints() - 1, ras)
        callback, self._on_point = self._on_point, None
        self._markups.disable_place_mode()
        with self._state:
            self._state.pick_prompt = ""
        callback(ras_to_lps(np.asarray(ras, dtype=float)))
