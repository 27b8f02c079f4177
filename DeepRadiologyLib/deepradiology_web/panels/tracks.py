"""Tracks panel (LongitudinalMatch): match a patient's lesions across studies, follow each over time.

Everything is computed by `deepradiology_mrml.logic.longitudinal.LongitudinalMatchLogic`: it
registers the follow-ups to the baseline, matches the lesions marked on each study (the prior
reading plus any measured in the RECIST panel) and scores RECIST 1.1. The panel shows its table
nodes (tracks, response) and its plot node (diameter over time), and moves the views to a track's
lesion when a row is clicked.
"""

from __future__ import annotations

from deepradiology_mrml.logic.longitudinal import LongitudinalMatchLogic, StudyInput

from .base import Workspace
from .track_marks import TrackMarks
from .track_outline import TrackOutline
from .widgets import display_value, line_chart_svg, records_table, table_headers

__all__ = ["TracksPanel"]


class TracksPanel:
    key = "tracks"
    title = "Tracks"

    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace
        self._logic = LongitudinalMatchLogic(workspace.scene)
        self._track_ids: list[str] = []
        state = workspace.state
        state.update({"tracks_headers": [], "tracks_rows": [], "tracks_response_headers": [],
                      "tracks_response_rows": [], "tracks_chart": "", "tracks_selected": -1,
                      "tracks_overall": "", "tracks_summary": "", "tracks_note": ""})
        self._outline = TrackOutline(workspace, self._logic)   # the selected track, outlined per study
        self._marks = TrackMarks(workspace, self._logic, refresh=lambda: self._show_result(self._logic.result))
        workspace.studies.on_change(lambda _study: self._describe_inputs())
        workspace.lesions.on_change(lambda _study: self._describe_inputs())
        self._describe_inputs()

    # -- inputs --------------------------------------------------------------------------------
    def _patient_studies(self) -> list:
        """The open CT/volume studies of the patient on screen, in study-list order."""
        current = self._ws.studies.current
        if current is None:
            return []
        patient = current.info.patient
        return [s for s in self._ws.studies.volumes() if s.info.patient == patient]

    def _describe_inputs(self) -> None:
        studies = self._patient_studies()
        marked = sum(len(self._ws.lesions.lesions_for(s)) for s in studies)
        with self._ws.state as state:
            state.tracks_summary = (f"{len(studies)} studies of this patient, {marked} marked lesions"
                                    if studies else "no CT study is open")

    # -- actions -------------------------------------------------------------------------------
    def run_matching(self) -> None:
        studies = self._patient_studies()
        inputs = [StudyInput(volume_node=s.node, lesions=self._ws.lesions.lesions_for(s), date=s.info.date,
                             study_id=s.info.study_id or s.info.name) for s in studies]
        self._ws.jobs.start("Matching lesions across studies",
                            lambda progress: self._logic.run(inputs, progress=progress),
                            on_done=self._show_result)

    def _show_result(self, result) -> None:
        from deepradiology_mrml.plots import plot_series_values
        from deepradiology_mrml.tables import table_to_records

        tracks = table_to_records(self._logic.tracks_table)
        response = table_to_records(self._logic.response_table)
        self._outline.clear()
        self._track_ids = [row["track"] for row in tracks]
        studies = list(result.studies)
        track_columns = [("track", "Track"), ("status", "Status"), ("role", "Role")]
        track_columns += [(f"{s} diameter (mm)", f"{s} mm") for s in studies]
        track_columns += [(f"{studies[-1]} change (%)", "Change %")]
        response_columns = [("study", "Study"), ("target sum (mm)", "Sum mm"),
                            ("change from baseline (%)", "vs base %"), ("change from nadir (%)", "vs nadir %"),
                            ("new lesions", "New"), ("overall response", "Response")]
        series = plot_series_values(self._logic.plot_chart)
        x_title = self._logic.time_axis()[1]
        with self._ws.state as state:
            state.tracks_headers = table_headers(track_columns)
            rows = [self._row(r, track_columns, n) for n, r in enumerate(tracks)]
            self._marks.decorate(rows, tracks, studies)  # "gone" must not read as "not evaluated"
            state.tracks_rows = rows
            state.tracks_response_headers = table_headers(response_columns)
            state.tracks_response_rows = [self._row(r, response_columns, n) for n, r in enumerate(response)]
            state.tracks_chart = line_chart_svg({k: (list(x), list(y)) for k, (x, y) in series.items()},
                                                x_title=x_title, y_title="lesion diameter (mm)",
                                                # the sum is several lesions long: its own axis keeps theirs readable
                                                right=("target sum",), right_title="target sum (mm)")
            state.tracks_overall = str(response[-1].get("overall response") or "") if response else ""
            state.tracks_note = "; ".join(result.warnings) if getattr(result, "warnings", None) else ""
            state.tracks_selected = -1
        self._marks.offer()

    @staticmethod
    def _row(record: dict, columns, index: int) -> dict:
        row = {key: display_value(record.get(key)) for key, _ in columns}
        row["_index"] = index
        return row

    def select_track(self, index) -> None:
        """Show a track's lesion: on the study on screen when it is there, else its first study."""
        if index is None or not 0 <= int(index) < len(self._track_ids):
            return
        from deepradiology.frames import ras_to_lps

        index = int(index)
        self._outline.show(self._track_ids[index])
        positions = self._logic.jump_positions(self._track_ids[index])
        current = self._ws.studies.current
        by_node = {s.node_id: s for s in self._ws.studies.studies}
        target_study, target_ras = None, None
        for study_id, ras in positions.items():
            open_study = by_node.get(self._logic.volume_node(study_id).GetID())
            if open_study is current:
                target_study, target_ras = open_study, ras
                break
            if target_study is None:
                target_study, target_ras = open_study, ras
        with self._ws.state as state:
            state.tracks_selected = index
        if target_study is None:
            return
        if target_study is not current:
            self._ws.studies.show(target_study)
        self._ws.viewer.centre_on(ras_to_lps(target_ras))

    # -- page ----------------------------------------------------------------------------------
    def build_ui(self) -> None:
        from trame.widgets import html
        from trame.widgets import vuetify3 as v3

        with html.Div(classes="pa-1"):
            html.Div("Match this patient's lesions across studies and follow RECIST 1.1.",
                     classes="text-body-2")
            html.Div("{{ tracks_summary }}", classes="text-caption text-medium-emphasis", id="tracks-summary")
            v3.VBtn("Match lesions across studies", click=self.run_matching, color="primary", size="small",
                    classes="my-2", id="tracks-run", disabled=("job_running",))
            with html.Div(v_show="tracks_rows.length"):
                with html.Div(classes="d-flex align-center my-1"):
                    html.Span("RECIST 1.1 response at the last study:", classes="text-body-2 mr-2")
                    v3.VChip("{{ tracks_overall }}", color="deep-purple", size="small", id="tracks-response")
                html.Div("{{ tracks_note }}", v_show="tracks_note", classes="text-caption text-warning")
                html.Div("Tracks (click one to show its lesion)", classes="text-subtitle-2 mt-2")
                records_table(headers="tracks_headers", rows="tracks_rows", element_id="tracks-table",
                              click_row=self.select_track, selected="tracks_selected")
                self._marks.build_ui()
                html.Div("Diameter over time", classes="text-subtitle-2 mt-2")
                html.Div(v_html=("tracks_chart",), id="tracks-chart")
                html.Div("Response per study", classes="text-subtitle-2 mt-2")
                records_table(headers="tracks_response_headers", rows="tracks_response_rows",
                              element_id="tracks-response-table")
