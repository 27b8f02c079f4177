"""The geometry behind what a reader sees, without a browser: RECIST labels kept apart, a track's
outline just outside its lesion, and a drag (not a click) giving a box.

Expected values are worked out here by hand: label boxes from a generous text width, the outline's
extent from the RECIST axes plus the stated 3 mm margin, box corners from the slice node's own
XY-to-RAS matrix (MRML's mapping of view pixels), with LPS = (-R, -A, S).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("slicer", reason="slicer-core is not installed: pip install 'deepradiology[mrml]'")
pytest.importorskip("trame", reason="the viewer geometry tests need trame (pip install 'deepradiology[web]')")

#: A text width per character (13 px bold sans-serif) wider than any real glyph average, so that
#: boxes that do not meet here do not meet on the page either.
CHAR_PX = 8.5
HEIGHT_PX = 18


def _label_box(label: dict) -> tuple[float, float, float, float]:
    width = CHAR_PX * len(label["text"]) + 8
    x0 = label["x"] + 6 if label["dx"] > 0 else label["x"] - 6 - width
    y0 = label["y"] + 4 if label["dy"] > 0 else label["y"] - 4 - HEIGHT_PX
    return x0, y0, x0 + width, y0 + HEIGHT_PX


def _meet(a, b) -> bool:
    return not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])


@pytest.mark.parametrize("angle", range(0, 180, 15))
@pytest.mark.parametrize("long_px, short_px", [(120, 70), (40, 25), (16, 12)])
def test_long_and_short_axis_labels_never_meet_whatever_the_lesion_orientation(angle, long_px, short_px):
    from deepradiology_web.line_labels import place_pair_labels

    centre = np.array([300.0, 200.0])
    u = np.array([math.cos(math.radians(angle)), math.sin(math.radians(angle))])
    v = np.array([-u[1], u[0]])
    long_ends = [centre - u * long_px / 2, centre + u * long_px / 2]
    short_ends = [centre - v * short_px / 2, centre + v * short_px / 2]
    first, second = place_pair_labels(long_ends, short_ends, "L12 long 123.4 mm", "L12 short 99.9 mm")
    assert (first["role"], second["role"]) == ("long", "short")
    assert not _meet(_label_box(first), _label_box(second)), (first, second)
    # Each label is anchored at an end of its own line, not at the crossing.
    assert min(np.hypot(*(np.array([first["x"], first["y"]]) - e)) for e in long_ends) < 1e-6
    assert min(np.hypot(*(np.array([second["x"], second["y"]]) - e)) for e in short_ends) < 1e-6


def test_a_track_outline_lies_3_mm_outside_the_lesion_axes():
    from deepradiology.lesion import Lesion
    from deepradiology_web.panels.track_outline import outline_points_lps

    # A 30 x 20 mm lesion on the axial plane z = 12 mm, long axis at 30 degrees.
    c = np.array([10.0, -20.0, 12.0])
    u = np.array([math.cos(math.radians(30)), math.sin(math.radians(30)), 0.0])
    v = np.array([-u[1], u[0], 0.0])
    lesion = Lesion("L1", long_axis_lps=(tuple(c - 15 * u), tuple(c + 15 * u)),
                    short_axis_lps=(tuple(c - 10 * v), tuple(c + 10 * v)), long_axis_mm=30.0, short_axis_mm=20.0)
    points = outline_points_lps(lesion)
    offsets = points - c
    assert np.allclose(points[:, 2], 12.0)                      # on the key slice
    assert np.max(offsets @ u) == pytest.approx(18.0, abs=0.05)  # 15 mm + 3 mm along the long axis
    assert np.max(offsets @ v) == pytest.approx(13.0, abs=0.2)   # 10 mm + 3 mm along the short axis
    assert np.min(np.linalg.norm(offsets, axis=1)) >= 13.0 - 1e-6   # nowhere inside the lesion's axes


class _Interactor:
    def __init__(self):
        self.position = (0, 0)
        self.observers = []

    def AddObserver(self, event, callback, priority=0.0):  # noqa: N802 - VTK's name
        self.observers.append((event, callback))

    def GetEventPosition(self):  # noqa: N802 - VTK's name
        return self.position

    def fire(self, event, x, y):
        self.position = (x, y)
        for name, callback in self.observers:
            if name == event:
                callback(self, event)


class _View:
    def __init__(self, slice_node):
        self._node = slice_node
        self._interactor = _Interactor()

    def interactor(self):
        return self._interactor

    def get_view_node(self):
        return self._node


class _Viewer:
    def __init__(self, views):
        self._views = views

    def slice_views(self):
        return self._views

    def schedule_render(self):
        pass


@pytest.fixture
def a_box_prompt(a_scene):
    from trame.app import get_server

    from deepradiology_web.box_prompt import BoxPrompt

    slice_node = a_scene.AddNewNodeByClass("vtkMRMLSliceNode")
    slice_node.SetOrientation("Axial")
    slice_node.SetDimensions(400, 300, 1)
    slice_node.SetFieldOfView(200.0, 150.0, 1.0)   # 0.5 mm per view pixel
    slice_node.UpdateMatrices()
    view = _View(slice_node)
    state = get_server("box-prompt-test", client_type="vue3").state
    return BoxPrompt(scene=a_scene, viewer=_Viewer([view]), state=state), view, slice_node, state


def _lps_of_pixel(slice_node, x, y):
    m = slice_node.GetXYToRAS()
    ras = [sum(m.GetElement(r, c) * p for c, p in enumerate((x, y, 0.0, 1.0))) for r in range(3)]
    return [-ras[0], -ras[1], ras[2]]


def test_a_drag_gives_the_box_it_covers_and_a_click_gives_none(a_box_prompt):
    prompt, view, slice_node, state = a_box_prompt
    boxes = []
    prompt.request("Drag a box", boxes.append)
    interactor = view.interactor()

    # A click (press and release 2 px apart) is not a box: nothing measured, the prompt says why.
    interactor.fire("LeftButtonPressEvent", 100, 100)
    interactor.fire("LeftButtonReleaseEvent", 102, 101)
    assert boxes == [] and prompt.armed
    assert "click, not a box" in state.pick_prompt

    # A drag: the corners are the pixels pressed and released, mapped as MRML maps view pixels.
    interactor.fire("LeftButtonPressEvent", 120, 90)
    for x, y in ((150, 120), (180, 160)):
        interactor.fire("MouseMoveEvent", x, y)
    interactor.fire("LeftButtonReleaseEvent", 180, 160)
    assert len(boxes) == 1 and not prompt.armed and state.pick_prompt == ""
    assert np.allclose(boxes[0], [_lps_of_pixel(slice_node, 120, 90), _lps_of_pixel(slice_node, 180, 160)])
    # 60 x 70 view pixels at 0.5 mm each: a 30 x 35 mm box, drawn as a closed four-corner curve.
    assert abs(boxes[0][1][0] - boxes[0][0][0]) == pytest.approx(30.0)
    assert abs(boxes[0][1][1] - boxes[0][0][1]) == pytest.approx(35.0)
    assert a_box_prompt[0]._node.GetNumberOfControlPoints() == 4


def test_a_click_asked_for_by_another_panel_since_wins_over_a_pending_box(a_box_prompt, a_scene):
    prompt, view, _slice_node, _state = a_box_prompt
    boxes = []
    prompt.request("Drag a box", boxes.append)
    interaction = a_scene.GetNodeByID("vtkMRMLInteractionNodeSingleton")
    interaction.SetCurrentInteractionMode(interaction.Place)   # as the point picker does for its click
    view.interactor().fire("LeftButtonPressEvent", 120, 90)
    view.interactor().fire("LeftButtonReleaseEvent", 180, 160)
    assert boxes == [] and not prompt.armed
    assert interaction.GetCurrentInteractionMode() == interaction.Place   # the picker's mode is left alone
