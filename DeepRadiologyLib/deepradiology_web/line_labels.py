"""RECIST line labels a reader can read: one per axis, at different ends of the lesion, never on top of each other.

Slicer writes a markups line's name and length at the line's midpoint. A RECIST pair crosses near its
midpoints, so the long- and short-axis labels land on one another, and the default handles (large
filled spheres) hide the lesion edge being measured. In the web app each RECIST line pair
(`deepradiology_mrml.markups.recist_line_pairs`) is therefore drawn with small hollow handles and no
Slicer label, and its two labels are page elements (state ``line_labels``: per slice view, a list of
{text, x, y, dx, dy} with x, y in percent of the view and dx, dy which side of the anchor the text
lies on). Each label sits just beyond an end of its line, outside the lesion; the long axis takes one
end and the short axis the end farthest from it.

Positions come from the slice node: world RAS mm -> view pixels through the inverse of ``XYToRAS``.
A pair is labelled in a view only when both its lines lie in that view's slice (within half a slice).
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["LineLabels", "place_pair_labels", "style_recist_line"]

#: Handle size (Slicer's glyph scale, % of the view) and line thickness (fraction of the handle):
#: small hollow circles that leave the lesion edge under them visible, and a line still easy to see.
HANDLE_SCALE = 1.4
LINE_THICKNESS = 0.35
#: A rough width of one label character in page pixels (13 px bold sans-serif), to keep labels apart.
CHAR_PX = 7.5
LABEL_HEIGHT_PX = 18


def style_recist_line(node) -> None:
    """Small hollow handles, no Slicer-drawn label (the page draws it, see the module docstring)."""
    from slicer import vtkMRMLMarkupsDisplayNode

    display = node.GetDisplayNode()
    if display is None:
        return
    display.SetPropertiesLabelVisibility(False)
    display.SetPointLabelsVisibility(False)
    display.SetGlyphType(vtkMRMLMarkupsDisplayNode.Circle2D)
    display.SetUseGlyphScale(True)
    display.SetGlyphScale(HANDLE_SCALE)
    display.SetLineThickness(LINE_THICKNESS)


def _side(vector) -> tuple[int, int]:
    """Which side of an end a label goes, away from the line (screen x right, y down): -1, 0 or +1."""
    x, y = vector
    return (1 if x >= 0 else -1), (1 if y >= 0 else -1)


def _box(anchor, side, text: str) -> tuple[float, float, float, float]:
    """A label's estimated box (x0, y0, x1, y1) in page pixels, the text beside ``anchor`` on ``side``."""
    width, height = CHAR_PX * len(text) + 8, LABEL_HEIGHT_PX
    x0 = anchor[0] + 6 if side[0] > 0 else anchor[0] - 6 - width
    y0 = anchor[1] + 4 if side[1] > 0 else anchor[1] - 4 - height
    return x0, y0, x0 + width, y0 + height


def _overlap(a, b) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def place_pair_labels(long_px, short_px, long_text: str, short_text: str) -> list[dict]:
    """Labels for one RECIST pair given its lines' ends in view pixels (x right, y down), shape (2, 2) each.

    Each label is put beyond one end of its line (on the side away from the line's middle); of the
    four (long end, short end) choices the one whose label boxes overlap least, then lie farthest
    apart, wins.

    Returns:
        two dicts {role, text, x, y, dx, dy}: anchor (x, y) in pixels, and the side (dx, dy) the text takes.
    """
    long_px, short_px = np.asarray(long_px, float), np.asarray(short_px, float)
    best = None
    for i, j in itertools.product(range(2), range(2)):
        la, sa = long_px[i], short_px[j]
        ls, ss = _side(la - long_px.mean(axis=0)), _side(sa - short_px.mean(axis=0))
        lb, sb = _box(la, ls, long_text), _box(sa, ss, short_text)
        centres = np.array([(lb[0] + lb[2]) / 2 - (sb[0] + sb[2]) / 2, (lb[1] + lb[3]) / 2 - (sb[1] + sb[3]) / 2])
        score = (_overlap(lb, sb), -float(np.hypot(*centres)))
        if best is None or score < best[0]:
            best = (score, (la, ls), (sa, ss))
    _, (la, ls), (sa, ss) = best
    return [{"role": "long", "text": long_text, "x": float(la[0]), "y": float(la[1]), "dx": ls[0], "dy": ls[1]},
            {"role": "short", "text": short_text, "x": float(sa[0]), "y": float(sa[1]), "dx": ss[0], "dy": ss[1]}]


def _matrix(vtk_matrix) -> np.ndarray:
    return np.array([[vtk_matrix.GetElement(r, c) for c in range(4)] for r in range(4)], dtype=float)


def _length_mm(points) -> float:
    return float(np.linalg.norm(np.subtract(points[1], points[0])))


class LineLabels:
    """Keeps state ``line_labels`` ({view tag: [label, ...]}) in step with the RECIST lines and the views.

    Refreshed whenever a slice view changes (slice, pan, zoom, size) and whenever the viewer is asked
    to render (a measurement, an edit, an undo, a study switch all end with one).

    Args:
        state: the tab's trame state.
        scene: the tab's MRML scene.
        viewer: the tab's `viewer.ViewerManager`.
    """

    def __init__(self, *, state, scene, viewer) -> None:
        self._state = state
        self._scene = scene
        self._viewer = viewer
        self._styled: set[str] = set()
        state.line_labels = {}
        for view in viewer.slice_views():
            view.modified.connect(lambda *_: self.refresh())
        viewer.on_render(self.refresh)

    def _pairs(self):
        from deepradiology_mrml.markups import recist_line_pairs

        for long_node, short_node in recist_line_pairs(self._scene):
            for node in (long_node, short_node):
                if node.GetID() not in self._styled and node.GetDisplayNode() is not None:
                    style_recist_line(node)
                    self._styled.add(node.GetID())
            yield long_node, short_node

    def labels_for_view(self, view) -> list[dict]:
        """The labels of the pairs lying in this view's slice, anchors in percent of the view."""
        slice_node = view.get_view_node()
        if slice_node is None:
            return []
        width, height = slice_node.GetDimensions()[:2]
        if width < 2 or height < 2:
            return []
        xy_to_ras = _matrix(slice_node.GetXYToRAS())
        ras_to_xy = np.linalg.inv(xy_to_ras)
        slice_to_ras = _matrix(slice_node.GetSliceToRAS())
        normal = slice_to_ras[:3, 2] / (np.linalg.norm(slice_to_ras[:3, 2]) or 1.0)
        origin = slice_to_ras[:3, 3]
        tolerance = 0.5 * float(view.get_slice_step() or 1.0) + 1e-3
        labels = []
        for long_node, short_node in self._pairs():
            ends = []
            for node in (long_node, short_node):
                display = node.GetDisplayNode()
                if node.GetNumberOfControlPoints() != 2 or display is None or not display.GetVisibility():
                    break
                ends.append([node.GetNthControlPointPositionWorld(n) for n in range(2)])
            if len(ends) != 2:
                continue
            world = np.asarray(ends, dtype=float).reshape(4, 3)
            if np.any(np.abs((world - origin) @ normal) > tolerance):
                continue   # not on this slice: Slicer does not draw the lines here either
            xy = (ras_to_xy @ np.c_[world, np.ones(4)].T).T[:, :2]
            px = np.c_[xy[:, 0], height - xy[:, 1]]   # screen y runs down the page
            name = long_node.GetName().rsplit(" ", 1)[0]
            texts = (f"{name} long {_length_mm(ends[0]):.1f} mm", f"{name} short {_length_mm(ends[1]):.1f} mm")
            for label in place_pair_labels(px[:2], px[2:], *texts):
                label.update(key=f"{long_node.GetID()}-{label['role']}", x=round(100 * label["x"] / width, 2),
                             y=round(100 * label["y"] / height, 2))
                labels.append(label)
        return labels

    def refresh(self) -> None:
        labels = {view.get_singleton_tag(): self.labels_for_view(view) for view in self._viewer.slice_views()}
        if labels != self._state.line_labels:
            with self._state:
                self._state.line_labels = labels


def label_overlay_ui(view_tag: str) -> None:
    """The page elements of one slice view's labels (inside the view's box; they never take the mouse)."""
    from trame.widgets import html

    with html.Div(style="position: absolute; inset: 0; pointer-events: none; overflow: hidden; z-index: 2;"):
        html.Div(
            "{{ lab.text }}", v_for=f"lab in (line_labels['{view_tag}'] || [])", key="lab.key",
            classes=("'recist-label recist-label-' + lab.role",),
            style=("{position: 'absolute', left: lab.x + '%', top: lab.y + '%', whiteSpace: 'nowrap',"
                   " transform: 'translate(' + (lab.dx > 0 ? '6px' : 'calc(-100% - 6px)') + ', '"
                   " + (lab.dy > 0 ? '4px' : 'calc(-100% - 4px)') + ')',"
                   " color: lab.role === 'long' ? '#ffd900' : '#d9b800', font: 'bold 13px sans-serif',"
                   " background: 'rgba(0,0,0,0.55)', padding: '0 4px', borderRadius: '2px'}",),
        )
