"""A box drawn by dragging in a slice view gives a panel the two corners it asked for.

A click and a drag are told apart by how far the mouse moved between press and release: a drag of
at least `MIN_DRAG_PX` view pixels is a box; less is no box (the prompt stays, saying so), never a
click somewhere in it. While the radiologist drags, the box is drawn (a closed linear markups curve
on the slice) and stays shown with the measurement it gave, until the next request.

Each slice view's interactor reports the press, moves and release (display pixels); the view's slice
node maps them to RAS mm (``XYToRAS``), as Slicer maps its own clicks. The scene's interaction node
is put in Select mode for the drag, so that the drag does not also pan or change the window.
Corners are handed on in world LPS mm.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from deepradiology.frames import ras_to_lps

__all__ = ["BoxPrompt", "MIN_DRAG_PX"]

#: The shortest drag (view pixels, along either axis) read as a box.
MIN_DRAG_PX = 4


def _xy_to_ras(slice_node, x: float, y: float) -> np.ndarray:
    m = slice_node.GetXYToRAS()
    xy = (float(x), float(y), 0.0, 1.0)
    return np.array([sum(m.GetElement(r, c) * xy[c] for c in range(4)) for r in range(3)], dtype=float)


class BoxPrompt:
    """One pending "drag a box" request at a time; the newest request wins.

    Args:
        scene: the tab's MRML scene.
        viewer: the tab's `viewer.ViewerManager` (its slice views).
        state: the tab's trame state; ``pick_prompt`` says what to do, as for clicks.
    """

    NODE_NAME = "Box prompt"

    def __init__(self, *, scene, viewer, state) -> None:
        self._scene = scene
        self._viewer = viewer
        self._state = state
        self._node = None
        self._on_box: Callable[[np.ndarray], None] | None = None
        self._press = None           # (view, display x, display y, RAS at the press)
        self._mode = None
        for view in viewer.slice_views():
            interactor = view.interactor()
            # Before the views' own interaction (priority 0), so a press starts the box first.
            for event in ("LeftButtonPressEvent", "MouseMoveEvent", "LeftButtonReleaseEvent"):
                interactor.AddObserver(event, lambda caller, name, v=view: self._on_event(v, caller, name), 200.0)

    @property
    def armed(self) -> bool:
        return self._on_box is not None

    def request(self, prompt: str, on_box: Callable[[np.ndarray], None]) -> None:
        """Ask for a box; ``on_box(corners_lps)`` receives its two opposite corners, shape (2, 3), LPS mm."""
        self.clear()
        # Made now, not in the middle of a mouse event, so that the views have its widget before the drag.
        self._ensure_node()
        self._on_box = on_box
        self._press = None
        interaction = self._interaction_node()
        if interaction is not None:
            self._mode = interaction.GetCurrentInteractionMode()
            interaction.SetCurrentInteractionMode(interaction.Select)
        with self._state:
            self._state.pick_prompt = prompt

    def cancel(self) -> None:
        self._finish()

    def clear(self) -> None:
        """Take the drawn box off the views."""
        if self._node is not None and self._scene.GetNodeByID(self._node.GetID()) is not None:
            self._node.RemoveAllControlPoints()
            self._viewer.schedule_render()

    def _interaction_node(self):
        return self._scene.GetNodeByID("vtkMRMLInteractionNodeSingleton")

    def _finish(self) -> None:
        self._on_box = None
        self._press = None
        interaction = self._interaction_node()
        if interaction is not None and self._mode is not None:
            interaction.SetCurrentInteractionMode(self._mode)
        self._mode = None
        with self._state:
            self._state.pick_prompt = ""

    # -- the mouse ----------------------------------------------------------------------------------
    def _on_event(self, view, interactor, event: str) -> None:
        if not self.armed:
            return
        interaction = self._interaction_node()
        if interaction is not None and interaction.GetCurrentInteractionMode() == interaction.Place:
            # Another panel asked for a click since (the point picker's place mode): that request wins.
            self._on_box, self._press, self._mode = None, None, None
            return
        slice_node = view.get_view_node()
        x, y = interactor.GetEventPosition()
        if event == "LeftButtonPressEvent":
            self._press = (view, x, y, _xy_to_ras(slice_node, x, y))
            return
        if self._press is None or self._press[0] is not view:
            return
        corner = _xy_to_ras(slice_node, x, y)
        if event == "MouseMoveEvent":
            self._draw(slice_node, self._press[3], corner)
            return
        _, x0, y0, start = self._press
        self._press = None
        if max(abs(x - x0), abs(y - y0)) < MIN_DRAG_PX:
            self.clear()
            with self._state:
                self._state.pick_prompt = ("That was a click, not a box: press, drag across the lesion, then release "
                                           "(or use \"Measure a lesion\" to click).")
            return
        self._draw(slice_node, start, corner)
        callback = self._on_box
        self._finish()
        callback(ras_to_lps(np.array([start, corner], dtype=float)))

    def _ensure_node(self):
        if self._node is None or self._scene.GetNodeByID(self._node.GetID()) is None:
            self._node = self._scene.AddNewNodeByClass("vtkMRMLMarkupsClosedCurveNode", self.NODE_NAME)
            self._node.SetCurveTypeToLinear()
            self._node.CreateDefaultDisplayNodes()
            self._node.SetLocked(True)   # a drawn box is a record of the prompt, not a handle to drag
            display = self._node.GetDisplayNode()
            display.SetPointLabelsVisibility(False)
            display.SetPropertiesLabelVisibility(False)
            display.SetGlyphScale(0.5)   # corners need no handles; the line keeps its width (thickness x scale)
            display.SetColor(0.3, 0.85, 1.0)
            display.SetSelectedColor(0.3, 0.85, 1.0)
            display.SetLineThickness(1.0)
        return self._node

    def _draw(self, slice_node, start_ras, corner_ras) -> None:
        """The box's four corners on the slice: along the view's screen axes from ``start`` to ``corner``."""
        m = slice_node.GetXYToRAS()
        right = np.array([m.GetElement(r, 0) for r in range(3)])
        right /= np.linalg.norm(right) or 1.0
        diagonal = np.asarray(corner_ras) - np.asarray(start_ras)
        across = right * float(diagonal @ right)
        node = self._ensure_node()
        node.RemoveAllControlPoints()
        for p in (start_ras, start_ras + across, corner_ras, corner_ras - across):
            node.AddControlPoint([float(c) for c in p])
        self._viewer.schedule_render()
