"""Chest X-ray panel (CXRTriage): findings with heatmaps for the film on screen, and report labels.

`deepradiology_mrml.logic.cxr.CXRTriageLogic` does the work: ``run`` scores the film with the
installed model and fills its findings table; ``show_finding`` makes a finding's heatmap volume
(laid over the film here) and its boxes; ``label_report_text`` labels a report (no model needed)
and sets its labels beside the image's findings, flagging disagreements. Without a model the panel
says how to get one; report labelling still works.
"""

from __future__ import annotations

from deepradiology_mrml.logic.cxr import CXRTriageLogic

from .base import Workspace
from .widgets import display_value, records_table, table_headers

__all__ = ["CXRPanel"]

_COLUMNS = [("finding", "Finding"), ("probability", "p"), ("operating_point", "Op. point"), ("flagged", "Flag"),
            ("report", "Report"), ("report_sentence", "Deciding sentence"), ("disagreement", "Disagreement")]


class CXRPanel:
    key = "cxr"
    title = "Chest X-ray"

    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace
        self._logic = CXRTriageLogic(workspace.scene)
        self._model_ready: bool | None = None
        self._heatmap_node = None
        self._findings = []
        state = workspace.state
        state.update({"cxr_model_ready": False, "cxr_model_status": "", "cxr_is_film": False, "cxr_film": "",
                      "cxr_headers": table_headers(_COLUMNS), "cxr_rows": [], "cxr_report_text": "",
                      "cxr_selected": -1, "cxr_message": ""})
        workspace.studies.on_change(self._on_study)
        self._on_study(workspace.studies.current)

    def _check_model(self) -> None:
        """Ask once, when a film is first on screen: loading a model imports torch, which takes seconds."""
        if self._model_ready is None:
            self._model_ready, status = self._logic.model_status()
            with self._ws.state as state:
                state.cxr_model_ready, state.cxr_model_status = self._model_ready, status

    def _on_study(self, study) -> None:
        is_film = study is not None and study.info.kind == "radiograph"
        if is_film:
            self._check_model()
        with self._ws.state as state:
            state.cxr_is_film = is_film
            state.cxr_film = study.info.name if is_film else ""
            state.cxr_rows, state.cxr_selected, state.cxr_message = [], -1, ""
        self._findings = []

    # -- actions -------------------------------------------------------------------------------
    def triage(self) -> None:
        study = self._ws.studies.current
        if study is None or study.info.kind != "radiograph":
            return
        self._ws.jobs.start("Reading the chest X-ray", lambda progress: self._logic.run(study.node, progress=progress),
                            on_done=lambda _score: self._show_findings(self._logic.findings_table(study.node)))

    def label_report(self, text: str | None = None) -> None:
        """Label the pasted report; with a scored film on screen, beside the image's findings."""
        text = text if text is not None else (self._ws.state.cxr_report_text or "")
        if not text.strip():
            with self._ws.state as state:
                state.cxr_message = "Paste a report's findings and impression first."
            return
        study = self._ws.studies.current
        film = study.node if study is not None and study.info.kind == "radiograph" else None
        labels, table = self._logic.label_report_text(text, volume_node=film)
        asserted = [name for name, value in labels.labels.items() if value == 1]
        groups = {word: [f for f in labels.states if f != "normal" and labels.display(f)[0] == word]
                  for word in ("uncertain", "negated")}
        with self._ws.state as state:
            state.cxr_message = (("The report asserts: " + ", ".join(asserted)) if asserted
                                 else "The report asserts no finding.") + \
                "".join(f" {word.capitalize()}: {', '.join(names)}." for word, names in groups.items() if names)
        self._show_findings(table)

    def _show_findings(self, table_node) -> None:
        from deepradiology_mrml.tables import table_to_records

        self._findings = table_to_records(table_node)
        rows = []
        for n, record in enumerate(self._findings):
            row = {key: display_value(record.get(key)) for key, _ in _COLUMNS}
            row["flagged"] = "yes" if record.get("flagged") else ""
            row["_index"] = n
            rows.append(row)
        with self._ws.state as state:
            state.cxr_rows = rows

    def show_heatmap(self, index) -> None:
        """Lay the clicked finding's heatmap over the film (needs a scored film)."""
        from deepradiology.errors import DeepRadiologyError

        study = self._ws.studies.current
        if study is None or not 0 <= int(index) < len(self._findings) or not self._model_ready:
            return
        finding = str(self._findings[int(index)]["finding"])
        try:
            self._heatmap_node, _boxes = self._logic.show_finding(study.node, finding, heatmap_node=self._heatmap_node)
        except DeepRadiologyError as exc:
            with self._ws.state as state:
                state.cxr_message = str(exc)
            return
        with self._ws.state as state:
            state.cxr_selected = int(index)
            state.cxr_message = f"Heatmap: {finding}"
        self._ws.viewer.show_overlay(self._heatmap_node, opacity=0.45)

    # -- page ----------------------------------------------------------------------------------
    def build_ui(self) -> None:
        from trame.widgets import html
        from trame.widgets import vuetify3 as v3

        with html.Div(classes="pa-1"):
            with html.Div(v_if="!cxr_is_film", classes="text-body-2", id="cxr-no-film"):
                html.Div("Open a chest X-ray (PNG, JPEG or DICOM) with 'Open an image' above, or give it to "
                         "'deepradiology serve', and choose it in the study list.")
            with html.Div(v_if="cxr_is_film"):
                html.Div("{{ cxr_film }}", classes="text-subtitle-2", id="cxr-film")
                v3.VAlert(v_if="!cxr_model_ready", text=("cxr_model_status",), type="info", density="compact",
                          classes="my-2", id="cxr-model-status", title="No chest X-ray model installed")
                html.Div("{{ cxr_model_status }}", v_if="cxr_model_ready", classes="text-caption")
                v3.VBtn("Read the film", v_if="cxr_model_ready", click=self.triage, color="primary", size="small",
                        classes="my-2", id="cxr-run", disabled=("job_running",))
            html.Div("Report labels", classes="text-subtitle-2 mt-2")
            v3.VTextarea(v_model=("cxr_report_text",), label="Paste the report (findings and impression)", rows=3,
                         auto_grow=True, density="compact", hide_details=True, id="cxr-report-text")
            v3.VBtn("Label the report", click=(self.label_report, "[cxr_report_text]"), size="small",
                    variant="outlined", classes="my-2", id="cxr-label")
            html.Div("{{ cxr_message }}", classes="text-body-2", id="cxr-message")
            with html.Div(v_show="cxr_rows.length"):
                html.Div("Findings (click one with an image probability for its heatmap)", classes="text-subtitle-2")
                records_table(headers="cxr_headers", rows="cxr_rows", element_id="cxr-findings",
                              click_row=self.show_heatmap, selected="cxr_selected")
