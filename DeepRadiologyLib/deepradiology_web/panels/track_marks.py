"""What a track's lesion is at a study: gone ("absent"), not evaluated, or unequivocally progressing.

RECIST 1.1 tells a lesion the reader looked for and found gone (0 mm in the sum; all targets gone is
CR) from one nobody assessed (the time point is NE unless the assessed ones already show PD). A track
with no lesion at a study is "not evaluated" until the radiologist says otherwise here.

Each mark goes through the core twice, so that it holds now and after the next matching:
`LongitudinalMatchLogic.set_status` (the core's `corrections.set_status` rebuilds the response; the
tables and plot follow) and a status record in the study's lesion book (`lesion_book.LesionBook.set_mark`,
the record form `deepradiology.longitudinal.records` reads when the lesions are matched again).
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["TrackMarks", "STATUS_CHOICES", "cell_text"]

#: (status as the core names it, what the page says); None takes a mark back.
STATUS_CHOICES = (("absent", "gone (absent)"), ("not_evaluated", "not evaluated"),
                  ("unequivocal_progression", "unequivocal progression (non-target)"), ("clear", "clear the mark"))

#: How a study cell reads when the track has no measurement there.
_CELL = {"absent": "gone", "not_evaluated": "not evaluated"}


def cell_text(status: str, value):
    """A tracks-table diameter cell: the diameter, else what the lesion is at that study."""
    if value not in ("", None):
        return f"{value} (unequivocal PD)" if status == "unequivocal_progression" else value
    return _CELL.get(status, value)


class TrackMarks:
    """The tracks panel's status control (module docstring).

    Args:
        workspace: the tab's `panels.base.Workspace` (studies, lesion book, state).
        logic: the tracks panel's `LongitudinalMatchLogic` (its ``result`` after a matching).
        refresh: called after a mark changed the response, to redraw the tables and chart.
    """

    def __init__(self, workspace, logic, *, refresh: Callable[[], None]) -> None:
        self._ws = workspace
        self._logic = logic
        self._refresh = refresh
        workspace.state.update({"marks_tracks": [], "marks_studies": [], "marks_track": None, "marks_study": None,
                                "marks_status": "absent", "marks_message": "", "marks_error": "",
                                "marks_choices": [{"value": v, "title": t} for v, t in STATUS_CHOICES]})

    # -- after a matching ------------------------------------------------------------------------
    def offer(self) -> None:
        """Fill the choices from the logic's result (after each matching)."""
        result = self._logic.result
        with self._ws.state as state:
            state.marks_tracks = [t.track_id for t in result.tracks] if result else []
            state.marks_studies = list(result.studies[1:]) if result else []   # the baseline defines the lesions
            # keep the radiologist's choice across the redraw a mark causes
            if state.marks_track not in state.marks_tracks:
                state.marks_track = state.marks_tracks[0] if state.marks_tracks else None
            if state.marks_study not in state.marks_studies:
                state.marks_study = state.marks_studies[-1] if state.marks_studies else None
            state.marks_message = state.marks_error = ""

    def decorate(self, rows: list[dict], records: list[dict], studies: list[str]) -> None:
        """Write "gone" / "not evaluated" into the empty study cells of the tracks table's ``rows``
        (display rows, same order as the tracks ``records``), so the two never read alike."""
        for row, record in zip(rows, records):
            for study in studies:
                key = f"{study} diameter (mm)"
                if key in row:
                    row[key] = cell_text(str(record.get(f"{study} status") or ""), row[key])

    # -- the action ------------------------------------------------------------------------------
    def apply(self, track_id=None, study_id=None, status=None) -> None:
        """Set what ``track_id``'s lesion is at ``study_id`` (the page's choices when not given)."""
        from deepradiology.errors import InputError

        state = self._ws.state
        track_id = track_id or state.marks_track
        study_id = study_id or state.marks_study
        status = status or state.marks_status
        result = self._logic.result
        if result is None or not track_id or not study_id:
            self._say(error="Match the lesions first, then choose a track and a study.")
            return
        core_status = None if status == "clear" else status
        try:
            track = result.track(track_id)
            ref = self._earlier_lesion(result, track, study_id) if core_status != "unequivocal_progression" else None
            self._logic.set_status(track_id, study_id, core_status)
        except InputError as exc:
            self._say(error=f"{exc.source}: {exc.problem}" if getattr(exc, "source", "") else str(exc))
            return
        self._record(result, track, study_id, core_status, ref)
        self._refresh()
        said = dict(STATUS_CHOICES)[status]
        self._say(message=f"{track_id} at {study_id}: {said}; the response is recomputed.")

    def _earlier_lesion(self, result, track, study_id: str) -> str | None:
        """The id of the track's lesion at the last study before ``study_id`` (what a mark names)."""
        from deepradiology.errors import InputError

        before = result.studies[:result.studies.index(study_id)] if study_id in result.studies else []
        for study in reversed(before):
            if track.lesions.get(study):
                return track.lesions[study][0]
        raise InputError(track.track_id, f"has no lesion before {study_id}: there is nothing to mark there")

    def _record(self, result, track, study_id: str, status: str | None, ref: str | None) -> None:
        """Keep the mark in the study's lesion book, so that the next matching has it too."""
        import dataclasses

        open_study = self._open_study(study_id)
        if open_study is None:
            return
        book = self._ws.lesions
        if status == "unequivocal_progression" or (status is None and track.lesions.get(study_id)):
            # a measured lesion carries the status in its own record
            for lesion_id in track.lesions.get(study_id, []):
                record = next((r for r in book.lesions_for(open_study) if r.lesion_id == lesion_id), None)
                if record is not None:
                    extra = {k: v for k, v in (record.extra or {}).items() if k != "status"}
                    if status:
                        extra["status"] = status
                    book.replace(open_study, lesion_id, dataclasses.replace(record, extra=extra))
            return
        if ref is not None:
            book.set_mark(open_study, same_as=ref, status=status, patient=open_study.info.patient,
                          study_id=study_id)

    def _open_study(self, study_id: str):
        node_id = self._logic.volume_node(study_id).GetID()
        return next((s for s in self._ws.studies.studies if s.node_id == node_id), None)

    def _say(self, *, message: str = "", error: str = "") -> None:
        with self._ws.state as state:
            state.marks_message, state.marks_error = message, error

    # -- page ------------------------------------------------------------------------------------
    def build_ui(self) -> None:
        from trame.widgets import html
        from trame.widgets import vuetify3 as v3

        with html.Div(classes="my-2", id="marks"):
            html.Div("What a lesion is at a study (gone is not the same as not evaluated)",
                     classes="text-subtitle-2")
            with html.Div(classes="d-flex align-center"):
                v3.VSelect(v_model=("marks_track",), items=("marks_tracks",), label="Track", density="compact",
                           hide_details=True, classes="mr-1", id="marks-track", style="max-width: 90px")
                v3.VSelect(v_model=("marks_study",), items=("marks_studies",), label="Study", density="compact",
                           hide_details=True, classes="mr-1", id="marks-study", style="max-width: 90px")
                v3.VSelect(v_model=("marks_status",), items=("marks_choices",), label="Status", density="compact",
                           hide_details=True, classes="mr-1", id="marks-status")
                v3.VBtn("Set", click=(self.apply, "[marks_track, marks_study, marks_status]"), size="small",
                        variant="outlined", id="marks-set", disabled=("job_running",))
            html.Div("{{ marks_message }}", v_show="marks_message", classes="text-caption", id="marks-message")
            v3.VAlert(v_show="marks_error", text=("marks_error",), type="error", density="compact", closable=True,
                      classes="my-1", id="marks-error")
