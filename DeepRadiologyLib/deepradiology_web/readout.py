"""What a reader sees under the cursor and about each slice view: slice number, HU, window, orientation.

The slice views are images rendered on the server, so the server tracks the mouse: each slice view's
interactor reports mouse moves (display pixels); the view's slice node maps them to RAS mm
(``XYToRAS``), the volume node maps RAS to voxel indices (``RASToIJK``), and the voxel's value (HU for
CT) is read from the volume node's array. Positions are shown in LPS mm, the frame of the rest of the
app. Window presets are (width, level) in HU.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CursorReadout", "WINDOW_PRESETS", "screen_directions"]

#: Common CT windows (width, level) in HU, as radiology texts give them.
WINDOW_PRESETS = {
    "Abdomen": (400.0, 40.0),
    "Liver": (150.0, 60.0),
    "Lung": (1500.0, -600.0),
    "Bone": (1800.0, 400.0),
    "Mediastinum": (350.0, 50.0),
}

_RAS_LETTERS = (("L", "R"), ("P", "A"), ("I", "S"))   # (negative, positive) end of each RAS axis


def screen_directions(xy_to_ras: np.ndarray) -> tuple[str, str]:
    """The patient directions of a slice view's screen right and screen up ("L", "A", ...).

    Args:
        xy_to_ras: the slice node's 4x4 XY-to-RAS matrix (columns 0 and 1: screen x and y in RAS).
    """
    letters = []
    for column in (0, 1):
        axis = np.asarray(xy_to_ras, dtype=float)[:3, column]
        dominant = int(np.argmax(np.abs(axis)))
        letters.append(_RAS_LETTERS[dominant][1 if axis[dominant] > 0 else 0])
    return letters[0], letters[1]


def _matrix(vtk_matrix) -> np.ndarray:
    return np.array([[vtk_matrix.GetElement(r, c) for c in range(4)] for r in range(4)], dtype=float)


class CursorReadout:
    """Keeps ``cursor_readout`` (the text under the cursor), ``view_info`` (per view: orientation, slice)
    and ``window_readout`` in the tab's state, and applies ``window_preset``.

    Args:
        state: the tab's trame state.
        viewer: the tab's `viewer.ViewerManager`.
        studies: the tab's `studies.StudyList` (the volume on screen).
    """

    def __init__(self, *, state, viewer, studies) -> None:
        self._state = state
        self._viewer = viewer
        self._studies = studies
        state.cursor_readout = ""
        state.window_readout = ""
        state.window_preset = None
        state.window_presets = list(WINDOW_PRESETS)
        state.change("window_preset")(self._on_preset)
        for view in viewer.slice_views():
            # Before the slice view's interactor style (priority 0), which may end the event's handling.
            view.interactor().AddObserver("MouseMoveEvent", lambda caller, _e, v=view: self._on_move(v, caller), 100.0)
        studies.on_change(lambda _study: self.refresh_window())
        self.refresh_window()

    def _display(self):
        study = self._studies.current
        return study.node.GetDisplayNode() if study is not None and study.node is not None else None

    def refresh_window(self) -> None:
        display = self._display()
        study = self._studies.current
        unit = " HU" if study is not None and study.info.kind == "ct" else ""   # a film's pixels are no HU
        text = f"W {display.GetWindow():.0f} / L {display.GetLevel():.0f}{unit}" if display is not None else ""
        with self._state:
            self._state.window_readout = text

    def _on_preset(self, window_preset=None, **_) -> None:
        display = self._display()
        if display is None or window_preset not in WINDOW_PRESETS:
            return
        display.AutoWindowLevelOff()
        display.SetWindowLevel(*WINDOW_PRESETS[window_preset])
        self.refresh_window()
        self._viewer.schedule_render()

    def readout_at(self, view, x: float, y: float) -> str:
        """The text for display pixel (x, y) of ``view``: view, slice, LPS mm and the voxel value."""
        study = self._studies.current
        slice_node = view.get_view_node()
        if study is None or slice_node is None:
            return ""
        xy_to_ras = _matrix(slice_node.GetXYToRAS())
        ras = xy_to_ras @ np.array([x, y, 0.0, 1.0])
        from vtkmodules.vtkCommonMath import vtkMatrix4x4

        ras_to_ijk = vtkMatrix4x4()
        study.node.GetRASToIJKMatrix(ras_to_ijk)
        ijk = _matrix(ras_to_ijk) @ ras
        index = np.round(ijk[:3]).astype(int)
        right, up = screen_directions(xy_to_ras)
        name = slice_node.GetOrientation() or slice_node.GetName()   # "Axial", not "Red"
        image = study.node.GetImageData()
        dims = image.GetDimensions() if image is not None else (0, 0, 0)
        where = f"{name}: screen right {right}, up {up}; LPS ({-ras[0]:.1f}, {-ras[1]:.1f}, {ras[2]:.1f}) mm"
        if image is None or np.any(index < 0) or np.any(index >= np.asarray(dims)):
            return where + "; outside the image"
        value = image.GetScalarComponentAsDouble(int(index[0]), int(index[1]), int(index[2]), 0)
        unit = " HU" if study.info.kind == "ct" else ""
        if study.info.kind == "radiograph":   # one image: no slice to count, no axial/sagittal/coronal
            return f"Radiograph: pixel ({index[0]}, {index[1]}); {value:.0f}"
        # 0-based voxel k, the number the lesion tables and the RECIST results line give for a key slice
        return f"{where}; slice {index[2]} of 0-{dims[2] - 1}; {value:.0f}{unit}"

    def _on_move(self, view, interactor) -> None:
        x, y = interactor.GetEventPosition()
        text = self.readout_at(view, x, y)
        if text != self._state.cursor_readout:
            with self._state:
                self._state.cursor_readout = text
