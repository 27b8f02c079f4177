"""One browser tab's DeepRadiology app: trame-slicer views, the study list, and the module panels.

Run by the broker (`deepradiology_web.session`) as ``python -m deepradiology_web.app --port P
--case case.json``, one process per tab, listening on loopback and answering only requests that
carry the secret the broker gave it (``DEEPRADIOLOGY_WORKER_SECRET``). ``deepradiology serve`` is the
command users run.

The app is assembled from one manager per job, each handed its collaborators:
`viewer.ViewerManager` (views), `studies.StudyList` (images -> volume nodes), `picking.PointPicker`
(clicks -> points), `jobs.JobRunner` (background work), and one panel per installed module Logic.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from .default_data import Case
from .jobs import JobRunner
from .lesion_book import LesionBook
from .line_labels import LineLabels
from .panels import Workspace, available_panels
from .picking import PointPicker
from .readout import CursorReadout
from .security import worker_secret_middleware
from .studies import StudyList
from .uploads import ACCEPTED_SUFFIXES, ORGAN_MAP_SUFFIXES, ORGAN_NAMES_SUFFIXES, UploadManager
from .viewer import ViewerManager

__all__ = ["DeepRadiologyApp", "main", "SECRET_ENV"]

#: Environment variable through which the broker hands a worker its secret (not on the command line,
#: where ``ps`` would show it).
SECRET_ENV = "DEEPRADIOLOGY_WORKER_SECRET"

log = logging.getLogger("deepradiology.web")


class DeepRadiologyApp:
    """Builds one tab: scene and views, the case's studies, the panels, and the page.

    Args:
        server: a trame server (``trame.app.get_server(client_type="vue3")``).
        case: the images to open.
        slicer_app: trame-slicer's `SlicerApp`; made here when None.
    """

    def __init__(self, server, *, case: Case, slicer_app=None) -> None:
        from trame_slicer import module as trame_slicer_module
        from trame_slicer.core import SlicerApp

        from .scene_setup import prepare_scene_for_logic

        self.server = server
        server.enable_module(trame_slicer_module)
        self.slicer_app = slicer_app or SlicerApp()
        prepare_scene_for_logic(self.slicer_app)
        state = server.state
        state.trame__title = "DeepRadiology"
        self.viewer = ViewerManager(server, self.slicer_app)
        self.jobs = JobRunner(state=state, set_busy=self.viewer.set_busy)
        self.picker = PointPicker(scene=self.slicer_app.scene, markups_logic=self.slicer_app.markups_logic,
                                  state=state)
        self.studies = StudyList(scene=self.slicer_app.scene, case=case, state=state)
        self.studies.on_change(self._show_study)
        self.readout = CursorReadout(state=state, viewer=self.viewer, studies=self.studies)
        self.line_labels = LineLabels(state=state, scene=self.slicer_app.scene, viewer=self.viewer)
        self.uploads = UploadManager(scene=self.slicer_app.scene, studies=self.studies, state=state)
        self.workspace = Workspace(server=server, scene=self.slicer_app.scene, viewer=self.viewer,
                                   picker=self.picker, jobs=self.jobs, studies=self.studies,
                                   lesions=LesionBook(studies=self.studies), case=case)
        panel_classes, self.missing_logic = available_panels()
        self.panels = [cls(self.workspace) for cls in panel_classes]
        state.panel_keys = [p.key for p in self.panels]
        state.missing_logic = [name.rsplit(".", 1)[-1] for name in self.missing_logic]
        state.panel_tab = self.panels[0].key if self.panels else None
        state.change("panel_tab")(self._panel_shown)
        state.centre_lps = ""
        state.centre_error = ""
        self._build_ui()
        if self.studies.current is not None:
            self.viewer.read_as_radiograph(self.studies.current.info.kind == "radiograph")
            self.viewer.show_volume(self.studies.current.node)

    def _panel_shown(self, panel_tab, **_) -> None:
        """A panel's choices that depend on installed models (imported or removed while the app runs) are read
        again when its tab is opened (`on_show`)."""
        for panel in self.panels:
            if panel.key == panel_tab and hasattr(panel, "on_show"):
                panel.on_show()

    def _show_study(self, study) -> None:
        """A radiograph is read in one large 2D view; a volume in the slice views and the 3D view."""
        state = self.server.state
        # An error was about the study that was on screen: it does not belong over the next one.
        with state:
            state.job_error = ""
            state.upload_error = ""
            state.upload_message = ""
            state.organ_upload_error = ""
            state.organ_upload_message = ""
            state.centre_error = ""
        self.viewer.read_as_radiograph(study.info.kind == "radiograph")
        self.viewer.show_volume(study.node)

    # -- actions ---------------------------------------------------------------------------------
    def centre_views(self, text: str | None = None) -> None:
        """Move the slice views to the point typed as "x, y, z" (world LPS mm).

        The page passes the field's text with the click: the field's own state update may arrive after it.
        """
        from deepradiology.errors import InputError
        from deepradiology.frames import parse_point

        state = self.server.state
        try:
            point = parse_point(text if text is not None else (state.centre_lps or ""))
        except InputError as exc:
            state.centre_error = exc.problem
            return
        state.centre_error = ""
        self.viewer.centre_on(point)

    # -- the page --------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        from trame.widgets import html
        from trame.widgets import vuetify3 as v3
        from trame_vuetify.ui.vuetify3 import SinglePageWithDrawerLayout

        with SinglePageWithDrawerLayout(self.server, width=480) as layout:
            self.layout = layout
            layout.title.set_text("DeepRadiology")
            with layout.toolbar:
                v3.VSpacer()
                v3.VSelect(v_model=("study_index",), items=("studies",), label="Study", density="compact",
                           hide_details=True, style="max-width: 380px", classes="mx-2", id="study-select")
                v3.VSelect(v_model=("window_preset",), items=("window_presets",), label="Window",
                           density="compact", hide_details=True, style="max-width: 160px", classes="mx-2",
                           id="window-preset", clearable=False)
                html.Div("{{ window_readout }}", classes="text-caption mx-2", id="window-readout")
                # A radiograph has one layout: the choice is shown, but there is nothing to choose.
                v3.VSelect(v_model=("viewer_layout",), items=("viewer_layouts",), label="Layout",
                           density="compact", hide_details=True, style="max-width: 180px", classes="mx-2",
                           id="viewer-layout", disabled=("viewer_radiograph",))
            with layout.drawer:
                with html.Div(classes="pa-2"):
                    self._build_job_bar(html, v3)
                    v3.VAlert(v_show="pick_prompt", text=("pick_prompt",), type="info", density="compact",
                              classes="my-1", id="pick-prompt")
                    with html.Div(classes="d-flex align-center my-1"):
                        v3.VTextField(v_model=("centre_lps",), label="Centre views on x, y, z (LPS mm)",
                                      density="compact", hide_details="auto", id="centre-lps",
                                      error_messages=("centre_error",),
                                      keydown_enter=(self.centre_views, "[$event.target.value]"))
                        v3.VBtn("Go", click=(self.centre_views, "[centre_lps]"), size="small", classes="ml-2", id="centre-go")
                    v3.VFileInput(v_model=("upload_file",), label="Open an image (NIfTI, DICOM file, PNG/JPEG)",
                                  accept=",".join(ACCEPTED_SUFFIXES), density="compact", hide_details="auto",
                                  prepend_icon="mdi-folder-open", error_messages=("upload_error",),
                                  messages=("upload_message",), id="open-file", classes="my-1")
                    v3.VFileInput(v_model=("organ_upload_file",), multiple=True,
                                  label="Organ map for this CT (label map + its colour table, or organ masks)",
                                  accept=",".join(ORGAN_MAP_SUFFIXES + ORGAN_NAMES_SUFFIXES), density="compact",
                                  hide_details="auto",
                                  prepend_icon="mdi-map-legend", error_messages=("organ_upload_error",),
                                  messages=("organ_upload_message",), id="open-organ-map", classes="my-1")
                    self._build_panels(html, v3)
            with layout.content:
                with html.Div(style="position: relative; width: 100%; height: 100%;"):
                    self.viewer.place_views(layout)
                    # What is under the cursor (slice, LPS mm, HU), at the views' top edge.
                    html.Div("{{ cursor_readout }}", v_show="cursor_readout", id="cursor-readout",
                             style="position: absolute; left: 40px; top: 4px; z-index: 5; pointer-events: none;"
                                   " background: rgba(0,0,0,0.6); color: #fff; font: 12px monospace;"
                                   " padding: 1px 4px;")
                    # Covers the views (only) while a job may change the scene: they do not render then.
                    with html.Div(v_if="job_running", id="views-busy",
                                  style="position: absolute; inset: 0; z-index: 10; background: rgba(0,0,0,0.35);"
                                        " display: flex; align-items: center; justify-content: center;"):
                        html.Div("{{ job_title }}...", classes="text-h6 text-white")
            with layout.footer:
                html.Div("Research software; not for diagnostic use.", classes="text-caption")

    def _build_job_bar(self, html, v3) -> None:
        with html.Div(v_show="job_running", id="job-bar", classes="my-1"):
            html.Div("{{ job_title }}: {{ job_message }}", classes="text-caption")
            with html.Div(classes="d-flex align-center"):
                v3.VProgressLinear(model_value=("job_progress",), height=8, color="primary", rounded=True)
                v3.VBtn("Cancel", click=self.jobs.cancel, size="small", variant="outlined", classes="ml-2",
                        id="job-cancel", disabled=("job_cancelling",))
        v3.VAlert(v_show="job_error", text=("job_error",), type="error", density="compact", closable=True,
                  classes="my-1", id="job-error")

    def _build_panels(self, html, v3) -> None:
        if not self.panels:
            html.Div("No DeepRadiology module Logic is installed, so there are no tools to show.",
                     classes="text-body-2 my-2", id="no-panels")
            return
        with v3.VTabs(v_model=("panel_tab",), density="compact", show_arrows=True, id="panel-tabs"):
            for panel in self.panels:
                v3.VTab(panel.title, value=panel.key, id=f"tab-{panel.key}", classes="text-none px-2", min_width=0)
        with v3.VWindow(v_model=("panel_tab",)):
            for panel in self.panels:
                # No slide animation: a panel is either shown or not (and screenshots never catch it half-way).
                with v3.VWindowItem(value=panel.key, id=f"panel-{panel.key}", transition=False,
                                    reverse_transition=False):
                    panel.build_ui()
        html.Div("Not installed here: {{ missing_logic.join(', ') }}", v_show="missing_logic.length",
                 classes="text-caption text-medium-emphasis mt-2", id="missing-logic")


def main(argv: list[str] | None = None) -> int:
    """Start one tab's worker; called by the broker, never by users directly."""
    parser = argparse.ArgumentParser(prog="python -m deepradiology_web.app",
                                     description="one browser tab's DeepRadiology worker (started by the broker)")
    parser.add_argument("--port", type=int, required=True, help="loopback port to listen on")
    parser.add_argument("--case", required=True, help="the case JSON written by deepradiology serve")
    parser.add_argument("--timeout", type=int, default=60,
                        help="seconds without a connected browser before the worker exits (default 60)")
    args = parser.parse_args(argv)
    secret = os.environ.pop(SECRET_ENV, "")
    if not secret:
        print(f"refusing to start without {SECRET_ENV}: run 'deepradiology serve' instead", file=sys.stderr)
        return 2
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    sys.argv = sys.argv[:1]  # trame reads sys.argv itself; the worker's options are not for it

    from trame.app import get_server

    server = get_server(client_type="vue3")
    DeepRadiologyApp(server, case=Case.load(args.case))
    server.controller.on_server_bind.add(lambda ws: ws.app.middlewares.append(worker_secret_middleware(secret)))
    server.start(port=args.port, host="127.0.0.1", open_browser=False, timeout=args.timeout,
                 show_connection_info=False, disable_logging=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
