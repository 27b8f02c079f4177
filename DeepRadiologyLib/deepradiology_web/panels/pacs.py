"""PACS panel: "Open from PACS" (the study list from QIDO-RS, a study fetched by WADO-RS and opened) and
"Send to PACS" (SEG + TID 1500 SR of the lesions measured on the study on screen, by STOW-RS).

The work is `deepradiology_web.pacs_link.PacsLink` over the core `deepradiology.dicom`; network calls
run as jobs (off the UI thread), scene work on the UI thread. Errors are one sentence in the panel
(``pacs_error``); a send says what was stored (SOP Instance UIDs) or which objects were stored before a
failure (the core's `PacsError` sentence).
"""

from __future__ import annotations

from deepradiology.errors import DeepRadiologyError

from ..pacs_link import PacsLink, iso_date
from .base import Workspace
from .widgets import records_table, table_headers

__all__ = ["PacsPanel", "STUDY_COLUMNS"]

#: The study list as a radiologist scans it.
STUDY_COLUMNS = (("patient", "Patient"), ("date", "Date"), ("description", "Description"),
                 ("modalities", "Modality"))


class PacsPanel:
    key = "pacs"
    title = "PACS"

    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace
        self.link = PacsLink(scene=workspace.scene, studies=workspace.studies, lesions=workspace.lesions)
        self._found: list[dict] = []
        self._listed_url = ""
        state = workspace.state
        state.update({"pacs_url": getattr(workspace.case, "pacs_url", "") or "", "pacs_patient": "",
                      "pacs_headers": table_headers(STUDY_COLUMNS), "pacs_rows": [], "pacs_selected": -1,
                      "pacs_error": "", "pacs_result": "", "pacs_seg_type": "binary"})

    def _say(self, *, error: str = "", result: str = "") -> None:
        with self._ws.state as state:
            state.pacs_error = error
            state.pacs_result = result

    def _run(self, title: str, work, on_done) -> None:
        """A job whose core error (`DeepRadiologyError`) lands in the panel as one sentence."""
        def guarded(progress):
            try:
                return True, work(progress)
            except DeepRadiologyError as exc:
                return False, str(exc)

        def done(outcome):
            ok, value = outcome
            if ok:
                on_done(value)
            else:
                self._say(error=value)

        self._ws.jobs.start(title, guarded, on_done=done)

    # -- Open from PACS --------------------------------------------------------------------------
    def search(self, url: str | None = None, patient: str | None = None) -> None:
        """List the PACS's studies (of a patient id when one is typed). The page passes the fields' text."""
        state = self._ws.state
        url = state.pacs_url if url is None else url
        patient = (state.pacs_patient if patient is None else patient) or ""
        self._say()
        with state:
            state.pacs_url = url
        self._run("Asking the PACS for studies", lambda progress: (url, self.link.list_studies(url, patient)),
                  self._show_studies)

    def _show_studies(self, listed) -> None:
        # The list belongs to the PACS it came from, whatever the address field says later.
        self._listed_url, found = listed
        self._found = found
        rows = [{"_index": n, "patient": _patient(s["patient_name"], s["patient_id"]), "date": iso_date(s["date"]),
                 "description": s["description"], "modalities": s["modalities"]}
                for n, s in enumerate(found)]
        with self._ws.state as state:
            state.pacs_rows = rows
            state.pacs_selected = -1
            state.pacs_result = f"{len(rows)} studies" if rows else "The PACS has no study matching this."

    def open_study(self, index) -> None:
        """Fetch the listed study ``index`` (its image series) and open it as a study on screen."""
        if index is None or not 0 <= int(index) < len(self._found):
            self._say(error="Pick a study in the list first.")
            return
        study = self._found[int(index)]
        url = self._listed_url
        with self._ws.state as state:
            state.pacs_selected = int(index)
        self._say()
        self._run("Fetching the study from the PACS", lambda progress: self.link.fetch(url, study),
                  self._opened)

    def _opened(self, fetched) -> None:
        opened = self.link.open_fetched(fetched)
        self._say(result=f"Opened {opened.info.name}.")

    # -- Send to PACS ----------------------------------------------------------------------------
    def send(self) -> None:
        """Send SEG + SR of the lesions measured on the study on screen to the PACS it came from."""
        try:
            prepared = self.link.prepare_send(self._ws.studies.current)
        except DeepRadiologyError as exc:
            self._say(error=str(exc))
            return
        seg_type = self._ws.state.pacs_seg_type or "binary"
        self._say()
        self._run("Sending SEG and SR to the PACS", lambda progress: self.link.send(prepared, seg_type=seg_type),
                  self._sent)

    def _sent(self, outcome) -> None:
        left = f"; left out: {', '.join(outcome.left_out)}" if outcome.left_out else ""
        self._say(result=f"Stored on the PACS: SEG {outcome.stored[0]} and SR {outcome.stored[1]} with "
                         f"{len(outcome.sent)} lesion{'s' if len(outcome.sent) != 1 else ''} "
                         f"({', '.join(outcome.sent)}){left}.")

    def build_ui(self) -> None:
        from trame.widgets import html
        from trame.widgets import vuetify3 as v3

        with html.Div(classes="pa-1"):
            html.Div("Open a study from a PACS (DICOMweb), and send the lesions measured on it back as a DICOM "
                     "SEG and a TID 1500 measurement report.", classes="text-body-2")
            v3.VTextField(v_model=("pacs_url",), label="DICOMweb address", placeholder="http://host:8042/dicom-web",
                          density="compact", hide_details=True, classes="my-1", id="pacs-url")
            with html.Div(classes="d-flex align-center my-1"):
                v3.VTextField(v_model=("pacs_patient",), label="Patient ID (optional)", density="compact",
                              hide_details=True, id="pacs-patient")
                v3.VBtn("List studies", click=(self.search, "[pacs_url, pacs_patient]"), size="small",
                        classes="ml-2", id="pacs-search", disabled=("job_running",))
            records_table(headers="pacs_headers", rows="pacs_rows", element_id="pacs-studies",
                          click_row=self.open_study, selected="pacs_selected")
            html.Div("Click a study to open it.", v_show="pacs_rows.length", classes="text-caption")
            with html.Div(classes="d-flex align-center my-2"):
                v3.VSelect(v_model=("pacs_seg_type",), items=(["binary", "labelmap"],), label="SEG type",
                           density="compact", hide_details=True, style="max-width: 140px", id="pacs-seg-type")
                v3.VBtn("Send to PACS", click=self.send, color="primary", size="small", classes="ml-2",
                        id="pacs-send", disabled=("job_running",))
            v3.VAlert(v_show="pacs_error", text=("pacs_error",), type="error", density="compact", classes="my-1",
                      id="pacs-error")
            html.Div("{{ pacs_result }}", classes="text-body-2", id="pacs-result")


def _patient(name: str, patient_id: str) -> str:
    """ "Doe John (12345)"; the id alone where the name is empty or only repeats it."""
    name = " ".join(name.replace("^", " ").split())
    return f"{name} ({patient_id})" if name and name != patient_id else patient_id
