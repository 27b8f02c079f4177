"""The RECIST panel's box prompt: drag a box around a lesion, get it measured within that box.

`box_prompt.BoxPrompt` turns the drag into two corners (LPS mm, on the slice shown); the measurement
is `RECISTAssistLogic.measure(..., box_ras=...)`, whose result joins the panel's lesions exactly as a
click's does. The panel's message names the box (its corners, LPS mm), so the reader sees which box
gave the numbers.
"""

from __future__ import annotations

import numpy as np

from ..box_prompt import BoxPrompt

__all__ = ["RECISTBox", "describe_box"]


def describe_box(corners_lps) -> str:
    """ "box (x0, y0) to (x1, y1) mm LPS at z mm": the box as dragged, corners in LPS mm."""
    (x0, y0, z0), (x1, y1, _z1) = np.asarray(corners_lps, dtype=float)
    return f"box ({x0:.1f}, {y0:.1f}) to ({x1:.1f}, {y1:.1f}) mm LPS at z {z0:.1f} mm"


class RECISTBox:
    """Arms the box prompt for a RECIST panel and measures in the box it gives.

    Args:
        panel: the `recist.RECISTPanel` (its workspace, Logic and ``_measured``).
    """

    def __init__(self, panel) -> None:
        self._panel = panel
        ws = panel._ws
        self._prompt = BoxPrompt(scene=ws.scene, viewer=ws.viewer, state=ws.state)
        ws.state.recist_box = ""
        ws.studies.on_change(lambda _study: self._prompt.clear())   # a box belongs to the study it was drawn on

    def ask_for_box(self) -> None:
        self._panel._ws.picker.cancel()   # one prompt at a time: a click now is not a measurement
        self._prompt.request("Drag a box around the lesion in the axial view (press, drag, release).",
                             self._measure_in)

    def cancel(self) -> None:
        if self._prompt.armed:
            self._prompt.cancel()

    def clear(self) -> None:
        self._prompt.clear()

    def _measure_in(self, corners_lps) -> None:
        from deepradiology.frames import lps_to_ras

        panel = self._panel
        study = panel._ws.studies.current
        if study is None:
            return
        box_ras = lps_to_ras(np.asarray(corners_lps, dtype=float))
        propagate = bool(panel._ws.state.recist_propagate)
        described = describe_box(corners_lps)

        def done(lesion) -> None:
            panel._measured(study, lesion)
            with panel._ws.state as state:
                state.recist_box = described
                state.recist_last = f"{state.recist_last} (measured in the {described})"

        with panel._ws.state as state:
            state.recist_box = described
        panel._ws.jobs.start(
            "Measuring the lesion in the box",
            lambda progress: panel._logic.measure(study.node, box_ras=box_ras, propagate=propagate, progress=progress),
            on_done=done)

    def build_button(self) -> None:
        from trame.widgets import vuetify3 as v3

        v3.VBtn("Draw a box", click=self.ask_for_box, size="small", variant="outlined", classes="ml-2",
                id="recist-box", disabled=("job_running",))
