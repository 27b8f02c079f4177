"""RECIST panel (RECISTAssist): click a lesion, get its long and short axes, 3D mask and table row.

All measuring is `deepradiology_mrml.logic.recist.RECISTAssistLogic.measure`: it finds the lesion
under the click, draws the two RECIST lines on its key slice, adds its 3D segment and writes the
lesion table node. The panel shows that table node and moves the views to the key slice, where the
lines are. Each measured lesion also joins the study's lesions for the tracks panel.

Lesion or not: the study's organ map (`studies.OpenStudy.measure_options`) goes with every measurement.
With one, the location is the organ the map names ("from organ map") and a click on a normal organ is
refused: the refusal is shown in place of a measurement. Without one the location reads "unknown".
"""

from __future__ import annotations

import dataclasses

from deepradiology.recist.results_line import recist_results_line
from deepradiology_mrml.logic.recist import RECISTAssistLogic

from .base import Workspace
from .widgets import display_value, records_table, table_headers

__all__ = ["RECISTPanel"]


def _organ_map_source(study) -> str:
    """Where the study's organ map came from, in words; "" when it has none (or cannot say)."""
    return study.organ_map_source() if hasattr(study, "organ_map_source") else ""


class RECISTPanel:
    key = "recist"
    title = "RECIST"

    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace
        # One display table for every study (with a study column); the lesion book keeps one record per
        # lesion and study itself, so the Logic neither splits tables per study nor merges re-measurements.
        self._logic = RECISTAssistLogic(workspace.scene, per_study=False, update_same_lesion=False)
        self._logic.on_line_edited(self._on_line_edited)
        self._study_of: dict[str, object] = {}  # lesion id -> the study it was measured on
        self._record_of: dict[str, str] = {}    # lesion id -> the id of its record in the lesion book
        self._history: list[tuple] = []         # ("measure", id, record it replaced) | ("edit", id, points)
        self._committed: dict[str, tuple] = {}  # lesion id -> its lines' RAS endpoints after the last action
        self._edit_open = False
        self._restoring = False
        from .recist_box import RECISTBox

        self._box = RECISTBox(self)   # "Draw a box": a drag measures within the box
        workspace.studies.on_change(self._show_markups_of)
        state = workspace.state
        state.update({"recist_headers": [], "recist_rows": [], "recist_last": "", "recist_propagate": True,
                      "recist_selected": -1, "recist_refused": False, "recist_organ_map": ""})
        self.refresh_methods()
        workspace.studies.on_change(lambda study: self.show_organ_map_of(study))
        if hasattr(workspace.studies, "on_organ_map"):
            workspace.studies.on_organ_map(self._organ_map_added)
        if workspace.studies.current is not None:
            self.show_organ_map_of(workspace.studies.current)

    def refresh_methods(self, *_args) -> None:
        """Offer adaptive and every installed nnInteractive model (`recist_method_choices`), keeping the choice.

        Called at start, when the panel is shown and when the method list opens, so that a model imported or
        removed (`deepradiology models import`) while the app runs is offered or withdrawn without a reload."""
        from deepradiology.recist.nninteractive import recist_method_choices

        self._methods = recist_method_choices()
        state = self._ws.state
        labels = [c["label"] for c in self._methods]
        keep = state["recist_method"] if "recist_method" in state and state["recist_method"] in labels else labels[0]
        state.update({"recist_methods": labels, "recist_method": keep})

    on_show = refresh_methods

    def _on_method_menu(self, opened) -> None:
        if opened:
            self.refresh_methods()

    def _method_options(self) -> dict:
        """measure()'s method and model for the chosen entry."""
        chosen = next((c for c in self._methods if c["label"] == self._ws.state.recist_method), self._methods[0])
        return {"method": chosen["method"], "model": chosen["model"]}

    # -- actions -------------------------------------------------------------------------------
    def ask_for_click(self) -> None:
        self._box.cancel()
        self._ws.picker.request("Click inside the lesion to measure it.", self._measure_at)

    def _measure_at(self, point_lps) -> None:
        from deepradiology.frames import lps_to_ras

        study = self._ws.studies.current
        if study is None:
            return
        point_ras = lps_to_ras(point_lps)
        propagate = bool(self._ws.state.recist_propagate)
        options = self._method_options()
        # The organ map is read inside the job (a folder of masks takes a moment), then kept by the study.
        self._ws.jobs.start(
            "Measuring the lesion",
            lambda progress: self._logic.measure(study.node, point_ras, propagate=propagate, progress=progress,
                                                 **options, **study.measure_options()),
            on_done=lambda lesion: self._measured(study, lesion), on_error=self._refused)

    def _refused(self, message: str) -> None:
        """A click the core refused (a normal organ, air, no lesion): say why, in place of a measurement,
        and take the clicked-point marker away (nothing was measured there)."""
        self._ws.picker.clear()
        self._ws.viewer.schedule_render()
        with self._ws.state as state:
            state.recist_last = f"Not measured: {message.removeprefix('click: ')}"
            state.recist_refused = True

    def _organ_map_added(self, study) -> None:
        if study is self._ws.studies.current:
            self.show_organ_map_of(study)

    def show_organ_map_of(self, study) -> None:
        """The line under the buttons saying which organ map the study on screen has, if any."""
        source = _organ_map_source(study)
        with self._ws.state as state:
            state.recist_organ_map = (f"Organ map: {source}; locations come from it and a click on a normal organ "
                                      "is refused." if source else
                                      "No organ map for this study: locations read \"unknown\".")

    def _book_record(self, study, lesion, record_id: str):
        """The lesion as the study's lesion book keeps it: with its study, patient and record id."""
        return dataclasses.replace(lesion, lesion_id=record_id, study=study.info.study_id or study.info.name,
                                   patient=study.info.patient, extra={"measured_as": lesion.lesion_id})

    def _measured(self, study, lesion) -> None:
        import numpy as np

        self._study_of[lesion.lesion_id] = study
        # One lesion, one record per study: a lesion the study already lists (its prior reading, or an
        # earlier measurement) gets this measurement in its record, under its id, instead of a second one.
        same = self._ws.lesions.record_at(study, self._book_record(study, lesion, lesion.lesion_id))
        record_id = same.lesion_id if same is not None else lesion.lesion_id
        self._record_of[lesion.lesion_id] = record_id
        if same is not None:
            self._ws.lesions.replace(study, record_id, self._book_record(study, lesion, record_id))
        else:
            self._ws.lesions.add(study, self._book_record(study, lesion, record_id))
        self._history.append(("measure", lesion.lesion_id, same))
        self._committed[lesion.lesion_id] = self._line_points(lesion.lesion_id)
        source = _organ_map_source(study)
        with self._ws.state as state:
            state.recist_last = recist_results_line(lesion, organ_map_source=source,
                                                    already_listed_as=record_id if same is not None else "")
            state.recist_refused = False
        self._show_table()
        self._show_markups_of(study)
        # The lines lie on the lesion's key slice, which may not be the clicked one: go there.
        self._ws.viewer.centre_on(np.mean(np.asarray(lesion.long_axis_lps, dtype=float), axis=0))

    # -- edits: a dragged endpoint re-measures the row; each drag is one undo step ----------------
    def _line_nodes(self, lesion_id: str):
        entry = self._logic.measured.get(lesion_id)
        if entry is None:
            return None, None
        return self._ws.scene.GetNodeByID(entry.long_node_id), self._ws.scene.GetNodeByID(entry.short_node_id)

    def _line_points(self, lesion_id: str):
        """Both lines' endpoints as RAS mm lists ((long p0, p1), (short p0, p1)), or None mid-edit."""
        points = []
        for node in self._line_nodes(lesion_id):
            if node is None or node.GetNumberOfControlPoints() != 2:
                return None
            points.append(tuple(tuple(node.GetNthControlPointPositionWorld(n)) for n in range(2)))
        return tuple(points)

    def _on_line_edited(self, lesion_id: str, released: bool) -> None:
        """The Logic followed a dragged endpoint (`RECISTAssistLogic.on_line_edited`: the lengths, and at
        the release the mask): the row and the study's record follow. One drag, up to its release, is one
        undo step."""
        if self._restoring or lesion_id not in self._logic.measured:
            return
        now = self._line_points(lesion_id)
        before = self._committed.get(lesion_id)
        if now is not None and now != before:
            if not (self._history and self._history[-1][0] == "edit" and self._history[-1][1] == lesion_id
                    and self._edit_open):
                self._history.append(("edit", lesion_id, before))
                self._edit_open = True
            self._refresh_record(lesion_id)    # at the release too: the record takes the remade mask's volume
        if released:
            self._edit_open = False
            if now is not None:
                self._committed[lesion_id] = now

    def _refresh_record(self, lesion_id: str) -> None:
        """The table row and the study's lesion record follow the lines (the Logic has re-measured them)."""
        from deepradiology.errors import InputError

        try:
            lesion = self._logic.update_from_lines(lesion_id)
        except InputError:
            return      # a line mid-edit
        study = self._study_of.get(lesion_id)
        if study is not None:
            record_id = self._record_of.get(lesion_id, lesion_id)
            self._ws.lesions.replace(study, record_id, self._book_record(study, lesion, record_id))
        with self._ws.state as state:
            state.recist_last = (f"{lesion_id} edited: long axis {lesion.long_axis_mm:.1f} mm, short axis "
                                 f"{lesion.short_axis_mm:.1f} mm")
        self._show_table()
        self._ws.viewer.schedule_render()

    def undo(self) -> None:
        """Undo the last action: an endpoint drag puts the lines back, a measurement removes its lesion
        (and gives a record it updated its earlier values back). The clicked-point marker goes too."""
        from deepradiology.errors import InputError
        from deepradiology.frames import ras_to_lps
        from deepradiology_mrml.markups import set_line_lps

        self._ws.picker.clear()
        self._box.clear()
        self._edit_open = False
        while self._history and self._history[-1][1] not in self._logic.measured:
            self._history.pop()   # a lesion removed some other way
        if not self._history:
            with self._ws.state as state:
                state.recist_last = "Nothing to undo."
            self._ws.viewer.schedule_render()
            return
        kind, lesion_id, before = self._history.pop()
        if kind == "edit":
            self._restoring = True
            try:
                for node, points in zip(self._line_nodes(lesion_id), before):
                    set_line_lps(node, ras_to_lps(points))
            finally:
                self._restoring = False
            self._committed[lesion_id] = before
            self._refresh_record(lesion_id)
            with self._ws.state as state:
                state.recist_last = f"{lesion_id}: edit undone, " + state.recist_last.split(": ", 1)[1]
            return
        try:
            removed = self._logic.undo(lesion_id)
        except InputError as exc:
            with self._ws.state as state:
                state.recist_last = exc.problem
            return
        study = self._study_of.pop(removed, None)
        record_id = self._record_of.pop(removed, removed)
        self._committed.pop(removed, None)
        if study is not None:  # the tracks panel must not match a lesion the radiologist took back
            if before is not None:
                self._ws.lesions.replace(study, record_id, before)
            else:
                self._ws.lesions.remove(study, record_id)
        with self._ws.state as state:
            state.recist_last = f"{removed} removed"
        self._show_table()
        self._ws.viewer.schedule_render()

    def _show_markups_of(self, study) -> None:
        """Lines and masks measured on one study are drawn only while that study is on screen."""
        segmentation = self._logic.segmentation_node
        display = segmentation.GetDisplayNode() if segmentation is not None else None
        for lesion_id, entry in self._logic.measured.items():
            visible = self._study_of.get(lesion_id) is study
            for node in self._line_nodes(lesion_id):
                if node is not None and node.GetDisplayNode() is not None:
                    node.GetDisplayNode().SetVisibility(visible)
            if display is not None:
                display.SetSegmentVisibility(entry.segment_id, visible)
        self._ws.viewer.schedule_render()

    def select_lesion(self, index) -> None:
        """Centre the views on a measured lesion (on its study)."""
        import numpy as np

        lesions = self._logic.lesions
        if index is None or not 0 <= int(index) < len(lesions):
            return
        lesion = lesions[int(index)]
        study = self._study_of.get(lesion.lesion_id)
        if study is not None and study is not self._ws.studies.current:
            self._ws.studies.show(study)
        with self._ws.state as state:
            state.recist_selected = int(index)
        self._ws.viewer.centre_on(np.mean(np.asarray(lesion.long_axis_lps, dtype=float), axis=0))

    def _show_table(self) -> None:
        from deepradiology_mrml.logic.recist import TABLE_COLUMNS
        from deepradiology_mrml.tables import table_to_records

        records = table_to_records(self._logic.table_node) if self._logic.table_node is not None else []
        columns = [(c, c) for c in TABLE_COLUMNS]
        rows = []
        for n, record in enumerate(records):
            row = {key: display_value(record.get(key)) for key, _ in columns}
            study = self._study_of.get(str(record.get("lesion")))
            row["study"] = (study.info.study_id or study.info.name) if study is not None else ""
            row["record"] = self._record_of.get(str(record.get("lesion")), "")
            row["_index"] = n
            rows.append(row)
        with self._ws.state as state:
            state.recist_headers = table_headers([columns[0], ("study", "study"), ("record", "record"), *columns[1:]])
            state.recist_rows = rows

    # -- page ----------------------------------------------------------------------------------
    def build_ui(self) -> None:
        from trame.widgets import html
        from trame.widgets import vuetify3 as v3

        with html.Div(classes="pa-1"):
            html.Div("Click a lesion: RECIST long and short axes on its key slice, its 3D mask and volume.",
                     classes="text-body-2")
            v3.VCheckbox(v_model=("recist_propagate",), label="Also segment in 3D (volume in mL)",
                         density="compact", hide_details=True)
            # Shown only when a model is installed: adaptive, or an imported nnInteractive model.
            v3.VSelect(v_model=("recist_method",), items=("recist_methods",), label="Method", density="compact",
                       hide_details=True, id="recist-method", v_show="recist_methods.length > 1",
                       update_menu=(self._on_method_menu, "[$event]"))
            with html.Div(classes="d-flex my-2"):
                v3.VBtn("Measure a lesion", click=self.ask_for_click, color="primary", size="small",
                        id="recist-measure", disabled=("job_running",))
                self._box.build_button()
                v3.VBtn("Undo last", click=self.undo, size="small", variant="outlined", classes="ml-2",
                        id="recist-undo", disabled=("job_running || !recist_rows.length",))
                # (undo works on the last action: an endpoint drag, or a whole measurement)
            html.Div("{{ recist_organ_map }}", classes="text-caption my-1", id="recist-organ-map")
            html.Div("{{ recist_last }}", classes=("recist_refused ? 'text-body-2 my-1 text-error' : 'text-body-2 my-1'",),
                     id="recist-last")
            with html.Div(v_show="recist_rows.length"):
                html.Div("Measured lesions (click one to show it)", classes="text-subtitle-2")
                records_table(headers="recist_headers", rows="recist_rows", element_id="recist-table",
                              click_row=self.select_lesion, selected="recist_selected")
