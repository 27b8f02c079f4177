"""A web tab's managers in-process, for the panel tests that drive the Logic chain on a real MRML
scene and trame state without a browser: a real `StudyList` and `LesionBook` over a `Case`, jobs run
at once on the test's thread, and a viewer that draws nothing."""

from __future__ import annotations

import itertools

_SERVERS = itertools.count()


class InlineJobs:
    """Runs each job at once on this thread (the app runs it on a worker thread); an error goes to
    ``error`` as the app's job bar shows it, and to the job's ``on_error`` as `jobs.JobRunner` sends it."""

    def __init__(self, state) -> None:
        self.state = state
        self.error = ""

    def start(self, _title, work, *, on_done=None, on_error=None, **_):
        from deepradiology.errors import DeepRadiologyError

        try:
            value = work(lambda *_: None)
        except DeepRadiologyError as exc:
            self.error = str(exc)
            self.state.job_error = self.error
            if on_error is not None:
                on_error(self.error)
            return
        if on_done is not None:
            on_done(value)


class QuietViewer:
    def __init__(self) -> None:
        self.centred = []
        self.overlays = []

    def centre_on(self, lps):
        self.centred.append(lps)

    def schedule_render(self):
        pass

    def slice_views(self):   # draws nothing: no views to drag a box in
        return []

    def show_volume(self, _node):
        pass

    def show_overlay(self, node, opacity=0.5):
        self.overlays.append(node)


class _Markups:
    def place_node(self, *_a, **_k):
        pass

    def disable_place_mode(self):
        pass


def make_workspace(scene, case):
    """(workspace, study list) for ``case`` on ``scene``, as `app.DeepRadiologyApp` wires them."""
    from trame.app import get_server

    from deepradiology_web.lesion_book import LesionBook
    from deepradiology_web.panels.base import Workspace
    from deepradiology_web.picking import PointPicker
    from deepradiology_web.studies import StudyList

    server = get_server(f"inprocess-{next(_SERVERS)}", client_type="vue3")
    state = server.state
    state.job_error = ""
    studies = StudyList(scene=scene, case=case, state=state)
    picker = PointPicker(scene=scene, markups_logic=_Markups(), state=state)
    workspace = Workspace(server=server, scene=scene, viewer=QuietViewer(), picker=picker, jobs=InlineJobs(state),
                          studies=studies, lesions=LesionBook(studies=studies), case=case)
    return workspace, studies
