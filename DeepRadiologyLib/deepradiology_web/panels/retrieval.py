"""Retrieval panel (LesionRetrieval): click a lesion, see the most similar lesions in the database.

`deepradiology_mrml.logic.retrieval.LesionRetrievalLogic.query_at_point` measures the clicked
lesion with RECISTAssist's core and searches the lesion database; the panel lists the neighbours
with their thumbnails, type, size, distance and the cue that matched best. A neighbour that lies in
a study open in this tab can be shown with one click.
"""

from __future__ import annotations

import base64
from pathlib import Path

from deepradiology_mrml.logic.retrieval import LesionRetrievalLogic

from .base import Workspace

__all__ = ["RetrievalPanel"]

#: How many neighbours a query returns.
NEIGHBOURS = 8


class RetrievalPanel:
    key = "retrieval"
    title = "Similar lesions"

    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace
        self._db = workspace.case.lesion_database or ""
        self._results: list = []
        state = workspace.state
        state.update({"retrieval_neighbours": [], "retrieval_query": "",
                      "retrieval_has_db": bool(self._db and Path(self._db).is_file()),
                      "retrieval_other_patients": False, "retrieval_empty": ""})

    def ask_for_click(self) -> None:
        self._ws.picker.request("Click a lesion in a slice view to find similar lesions.", self._query_at)

    def _query_at(self, point_lps) -> None:
        from deepradiology.frames import lps_to_ras

        study = self._ws.studies.current
        if study is None:
            return
        point_ras = lps_to_ras(point_lps)
        other = bool(self._ws.state.retrieval_other_patients)
        db_path = self._db

        def work(progress):
            # SQLite connections belong to the thread that made them: open the database in the job's thread.
            logic = LesionRetrievalLogic(self._ws.scene, db_path)
            try:
                return logic.query_at_point(study.node, point_ras, k=NEIGHBOURS, patient=study.info.patient,
                                            other_patients=other, progress=progress)
            finally:
                logic.close()

        with self._ws.state as state:
            state.retrieval_query = "Lesion at ({:.1f}, {:.1f}, {:.1f}) mm LPS on {}".format(*point_lps, study.info.name)
            state.retrieval_empty = ""
        self._ws.jobs.start("Searching similar lesions", work,
                            on_done=lambda results: self._show(results, other=other, patient=study.info.patient))

    def _show(self, results, *, other: bool = False, patient: str = "") -> None:
        self._results = list(results)
        items = []
        for n, result in enumerate(self._results):
            record = result.record
            thumb = ("data:image/png;base64," + base64.b64encode(result.thumbnail_png).decode()
                     if result.thumbnail_png else "")
            size = f"{record['long_axis_mm']:.1f} x {record['short_axis_mm']:.1f} mm" \
                if record.get("long_axis_mm") and record.get("short_axis_mm") else "size unknown"
            items.append({"index": n, "rank": result.rank, "thumbnail": thumb,
                          "type": record.get("lesion_type") or "unknown type", "size": size,
                          "where": f"patient {record.get('patient') or '?'}, study {record.get('study') or '?'}",
                          "distance": f"{result.distance:.3f}", "cue": result.closest_by or "-",
                          "openable": self._open_study_for(record) is not None})
        # An empty list says why, rather than looking like a failure.
        empty = "" if items else (
            f"No similar lesions: the database holds no lesions of patients other than {patient or 'this one'}. "
            "Untick \"Other patients only\" to search this patient's own studies." if other else
            "No similar lesions: the database holds no lesions to compare with.")
        with self._ws.state as state:
            state.retrieval_neighbours = items
            state.retrieval_empty = empty

    def _open_study_for(self, record: dict):
        """The open study a neighbour's image is, if any (compared by file)."""
        path = record.get("image_path") or ""
        for study in self._ws.studies.studies:
            if path and study.info.path and Path(study.info.path) == Path(path):
                return study
        return None

    def show_neighbour(self, index) -> None:
        """Put the study holding a neighbour on screen and centre the views on that lesion."""
        import numpy as np

        result = self._results[int(index)]
        study = self._open_study_for(result.record)
        if study is None:
            return
        stored = None
        logic = LesionRetrievalLogic(self._ws.scene, self._db)
        try:
            stored = logic.db.get(int(result.record["id"]))
        finally:
            logic.close()
        lesion = stored.lesion
        if lesion.long_axis_lps is None:
            return
        self._ws.studies.show(study)
        self._ws.viewer.centre_on(np.mean(np.asarray(lesion.long_axis_lps, dtype=float), axis=0))

    def build_ui(self) -> None:
        from trame.widgets import html
        from trame.widgets import vuetify3 as v3

        with html.Div(classes="pa-1"):
            with html.Div(v_if="!retrieval_has_db", classes="text-body-2", id="retrieval-no-db"):
                html.Div("No lesion database is open. Build one with 'deepradiology retrieval import DB.sqlite "
                         "--deeplesion DL_info.csv' (or from your own RECIST tables) and start the server with "
                         "'deepradiology serve --lesion-db DB.sqlite'.")
            with html.Div(v_if="retrieval_has_db"):
                html.Div("Click a lesion to find the most similar lesions in the database.", classes="text-body-2")
                v3.VCheckbox(v_model=("retrieval_other_patients",), label="Other patients only", density="compact",
                             hide_details=True)
                v3.VBtn("Find similar lesions", click=self.ask_for_click, color="primary", size="small",
                        classes="my-2", id="retrieval-pick", disabled=("job_running",))
                html.Div("{{ retrieval_query }}", classes="text-caption", id="retrieval-query")
                v3.VAlert(v_show="retrieval_empty", text=("retrieval_empty",), type="info", density="compact",
                          classes="my-1", id="retrieval-empty")
                with v3.VList(density="compact", id="retrieval-results", v_show="retrieval_neighbours.length"):
                    with v3.VListItem(v_for="n in retrieval_neighbours", key="n.index", classes="retrieval-neighbour px-1",
                                      click=(self.show_neighbour, "[n.index]")):
                        with html.Div(classes="d-flex align-center"):
                            with html.Div(v_if="n.thumbnail", classes="mr-2"):
                                html.Img(src=("n.thumbnail",), width=96, height=96,
                                         classes="retrieval-thumbnail", style="image-rendering: auto")
                                # Hovering shows the thumbnail large enough to read the lesion's edge.
                                with v3.VTooltip(activator="parent", location="end", max_width=300):
                                    html.Img(src=("n.thumbnail",), width=256, height=256, classes="retrieval-preview",
                                             style="image-rendering: auto; width: 256px; height: 256px; max-width: none")
                            html.Div("no image", v_else=True, classes="mr-2 text-caption",
                                     style="width:96px;height:96px;border:1px solid #ccc")
                            with html.Div():
                                html.Div("{{ n.rank }}. {{ n.type }}, {{ n.size }}", classes="text-body-2")
                                html.Div("{{ n.where }}; distance {{ n.distance }} (closest by {{ n.cue }})",
                                         classes="text-caption")
                                html.Div("click to show it", v_if="n.openable", classes="text-caption text-primary")
