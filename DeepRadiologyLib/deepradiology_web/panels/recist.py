"""RECIST panel (RECISTAssist): click a lesion, get its long and short axes, 3D mask and table row.

All measuring is `deepradiology_mrml.logic.recist.RECISTAssistLogic.measure`: it finds the lesion
under the click, draws the two RECIST lines on its key slice, adds its 3D segment and writes the
lesion table node. The panel shows that table node and moves the views to the key slice, where the
lines are. Each measured lesion also joins the study's lesions for the tracks panel.
"""

from __future__ import annotations

import dataclasses

from deepradiology_mrml.logic.recist import RECISTAssistLogic

from .base import Workspace
from .widgets import display_value, records_table, table_headers

__all__ = ["RECISTPanel"]


class RECISTPanel:
    key = "recist"
    title = "RECIST"

    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace
        self._logic = RECISTAssistLogic(workspace.scene)
        self._study_of: dict[str, object] = {}  # lesion id -> the study it was measured on
        state = workspace.state
        state.update({"recist_headers": [], "recist_rows": [], "recist_last": "", "recist_propagate": True,
                      "recist_selected": -1})

    # -- actions -------------------------------------------------------------------------------
    def ask_for_click(self) -> None:
        self._ws.picker.request("Click inside the lesion to measure it.", self._measure_at)

    def _measure_at(self, point_lps) -> None:
        from deepradiology.frames import lps_to_ras

        study = self._ws.studies.current
        if study is None:
            return
        point_ras = lps_to_ras(point_lps)
        propagate = bool(self._ws.state.recist_propagate)
        self._ws.jobs.start(
            "Measuring the lesion",
            lambda progress: self._logic.measure(study.node, point_ras, propagate=propagate, progress=progress),
            on_done=lambda lesion: self._measured(study, lesion))

    def _measured(self, study, lesion) -> None:
        import numpy as np

        self._study_of[lesion.lesion_id] = study
        # The tracks panel matches lesions per study: give the record its study and patient.
        self._ws.lesions.add(study, dataclasses.replace(
            lesion, study=study.info.study_id or study.info.name, patient=study.info.patient, extra={}))
        volume = f", volume {lesion.volume_ml:.1f} mL" if lesion.volume_ml is not None else ""
        with self._ws.state as state:
            state.recist_last = (f"{lesion.lesion_id}: long axis {lesion.long_axis_mm:.1f} mm, short axis "
                                 f"{lesion.short_axis_mm:.1f} mm{volume}")
        self._show_table()
        # The lines lie on the lesion's key slice, which may not be the clicked one: go there.
        self._ws.viewer.centre_on(np.mean(np.asarray(lesion.long_axis_lps, dtype=float), axis=0))

    def undo(self) -> None:
        from deepradiology.errors import InputError

        try:
            removed = self._logic.undo()
        except InputError as exc:
            with self._ws.state as state:
                state.recist_last = exc.problem
            return
        study = self._study_of.pop(removed, None)
        if study is not None:  # the tracks panel must not match a lesion the radiologist took back
            self._ws.lesions.remove(study, removed)
        with self._ws.state as state:
            state.recist_last = f"{removed} removed"
        self._show_table()
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
            row["_index"] = n
            rows.append(row)
        with self._ws.state as state:
            state.recist_headers = table_headers([columns[0], ("study", "study"), *columns[1:]])
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
            with html.Div(classes="d-flex my-2"):
                v3.VBtn("Measure a lesion", click=self.ask_for_click, color="primary", size="small",
                        id="recist-measure", disabled=("job_running",))
                v3.VBtn("Undo last", click=self.undo, size="small", variant="outlined", classes="ml-2",
                        id="recist-undo", disabled=("job_running || !recist_rows.length",))
            html.Div("{{ recist_last }}", classes="text-body-2 my-1", id="recist-last")
            with html.Div(v_show="recist_rows.length"):
                html.Div("Measured lesions (click one to show it)", classes="text-subtitle-2")
                records_table(headers="recist_headers", rows="recist_rows", element_id="recist-table",
                              click_row=self.select_lesion, selected="recist_selected")
