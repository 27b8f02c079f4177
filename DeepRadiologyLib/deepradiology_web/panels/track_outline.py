"""A selected track's lesion outlined in each of its studies, not just the views moved there.

For every study where the track has a lesion, an ellipse is drawn around it on its key slice: its
axes along the lesion's RECIST long and short axes, each 3 mm longer at both ends than the measured
diameter, so the outline lies just outside the lesion edge and does not cover it. (A lesion known
only by its centre and long axis gets a circle of that diameter.) Each outline is a closed, locked
markups curve shown only while its study is on screen; switching to another study of the track
moves the views to the track's lesion there. Geometry is LPS mm (core), stored as RAS (MRML).
"""

from __future__ import annotations

import numpy as np

from deepradiology.frames import lps_to_ras

__all__ = ["TrackOutline", "outline_points_lps", "OUTLINE_RGB"]

#: Magenta: unlike CT greys, the yellow RECIST lines and the blue box prompt.
OUTLINE_RGB = (1.0, 0.3, 1.0)
MARGIN_MM = 3.0
POINTS = 32


def outline_points_lps(lesion) -> np.ndarray | None:
    """The outline's points (POINTS, 3) in LPS mm around a `deepradiology.lesion.Lesion`, or None
    when the lesion has neither axes nor a centre with a diameter."""
    from deepradiology.longitudinal.embedding import lesion_centre_lps

    angles = np.linspace(0, 2 * np.pi, POINTS, endpoint=False)
    if lesion.long_axis_lps is not None:
        p0, p1 = np.asarray(lesion.long_axis_lps, dtype=float)
        centre, u = (p0 + p1) / 2, p1 - p0
        a = np.linalg.norm(u) / 2 + MARGIN_MM
        u /= np.linalg.norm(u) or 1.0
        if lesion.short_axis_lps is not None:
            s0, s1 = np.asarray(lesion.short_axis_lps, dtype=float)
            v, b = s1 - s0, np.linalg.norm(s1 - s0) / 2 + MARGIN_MM
        else:
            v, b = np.cross(u, (0.0, 0.0, 1.0)), a
        v = v - (v @ u) * u   # in the key slice, across the long axis
        if np.linalg.norm(v) < 1e-6:
            v = np.cross(u, (0.0, 0.0, 1.0))
        v /= np.linalg.norm(v) or 1.0
        return centre + np.outer(a * np.cos(angles), u) + np.outer(b * np.sin(angles), v)
    if lesion.long_axis_mm:
        centre = np.asarray(lesion_centre_lps(lesion), dtype=float)
        r = lesion.long_axis_mm / 2 + MARGIN_MM
        return centre + np.c_[r * np.cos(angles), r * np.sin(angles), np.zeros(POINTS)]
    return None


class TrackOutline:
    """The outlines of the selected track (module docstring).

    Args:
        workspace: the tab's `panels.base.Workspace`.
        logic: the tracks panel's `LongitudinalMatchLogic` (its ``result``, ``volume_node``).
    """

    def __init__(self, workspace, logic) -> None:
        self._ws = workspace
        self._logic = logic
        self._nodes: dict[str, object] = {}       # open study's volume node id -> outline node
        self._centres: dict[str, np.ndarray] = {}  # open study's volume node id -> lesion centre, LPS mm
        self.track_id: str | None = None
        workspace.studies.on_change(self._on_study)

    def clear(self) -> None:
        from deepradiology_mrml.scene import remove_node

        for node in self._nodes.values():
            remove_node(self._ws.scene, node)
        self._nodes.clear()
        self._centres.clear()
        self.track_id = None
        self._ws.viewer.schedule_render()

    def show(self, track_id: str) -> int:
        """Outline ``track_id``'s lesion in each of its studies; returns how many outlines were drawn."""
        self.clear()
        result = self._logic.result
        if result is None:
            return 0
        track = result.track(track_id)
        for study_id, lesion_ids in track.lesions.items():
            volume = self._logic.volume_node(study_id)
            lesions = [result.lesions[study_id][i] for i in lesion_ids if i in result.lesions.get(study_id, {})]
            outlines = [p for p in (outline_points_lps(lesion) for lesion in lesions) if p is not None]
            if volume is None or not outlines:
                continue
            node = self._ws.scene.AddNewNodeByClass("vtkMRMLMarkupsClosedCurveNode", f"{track_id} at {study_id} outline")
            node.SetCurveTypeToLinear()
            node.CreateDefaultDisplayNodes()
            for p in lps_to_ras(outlines[0]):
                node.AddControlPoint([float(c) for c in p])
            node.SetLocked(True)   # an outline shows where the lesion is; it is not something to edit
            display = node.GetDisplayNode()
            display.SetPointLabelsVisibility(False)
            display.SetPropertiesLabelVisibility(False)
            display.SetGlyphScale(0.5)
            display.SetLineThickness(1.0)
            display.SetColor(*OUTLINE_RGB)
            display.SetSelectedColor(*OUTLINE_RGB)
            self._nodes[volume.GetID()] = node
            self._centres[volume.GetID()] = np.mean(outlines[0], axis=0)
        self.track_id = track_id
        self._show_for(self._ws.studies.current, centre=False)
        return len(self._nodes)

    def _show_for(self, study, *, centre: bool) -> None:
        current = study.node_id if study is not None else None
        for volume_id, node in self._nodes.items():
            if node.GetDisplayNode() is not None:
                node.GetDisplayNode().SetVisibility(volume_id == current)
        if centre and current in self._centres:
            self._ws.viewer.centre_on(self._centres[current])
        self._ws.viewer.schedule_render()

    def _on_study(self, study) -> None:
        if self._nodes:
            self._show_for(study, centre=True)
