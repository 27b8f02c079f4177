"""Pancreas panel (PancreasSegment): segment the pancreas and overlay its probability map.

`deepradiology_mrml.logic.pancreas.PancreasSegmentLogic.segment` runs the installed model out of
process and adds a pancreas segment and a probability volume; the panel shows the volume (mL), the
confidence with its reasons, and lays the probability map over the CT. No model ships with
DeepRadiology: without one installed the panel says so and how to get one, and offers no button.
"""

from __future__ import annotations

from deepradiology.pancreas.model import NO_MODEL_MESSAGE
from deepradiology_mrml.logic.pancreas import PancreasSegmentLogic

from .base import Workspace

__all__ = ["PancreasPanel"]


class PancreasPanel:
    key = "pancreas"
    title = "Pancreas"

    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace
        self._logic = PancreasSegmentLogic(workspace.scene)
        state = workspace.state
        state.update({"pancreas_models": [], "pancreas_model": None, "pancreas_devices": ["cpu"],
                      "pancreas_device": "cpu", "pancreas_howto": NO_MODEL_MESSAGE, "pancreas_result": "",
                      "pancreas_reasons": [], "pancreas_overlay": True, "pancreas_model_info": ""})
        self._devices_asked = False
        self.refresh_models()
        state.change("pancreas_overlay")(self._on_overlay)
        state.change("pancreas_model")(self._on_model)
        self._probability_node = None

    def refresh_models(self, *_args) -> None:
        """Read the installed pancreas models again (a model imported or removed while the app runs), keeping
        the choice where it is still installed; called when the panel is shown and when its list opens."""
        models = PancreasSegmentLogic.available_models()
        state = self._ws.state
        keep = state.pancreas_model if state.pancreas_model in models else (models[0] if models else None)
        update = {"pancreas_models": models, "pancreas_model": keep,
                  "pancreas_model_info": PancreasSegmentLogic.model_summary(keep) if keep else ""}
        if models and not self._devices_asked:
            # Asking for devices imports torch (seconds); without a model there is nothing to run anyway.
            devices = PancreasSegmentLogic.available_devices()
            update.update({"pancreas_devices": devices, "pancreas_device": devices[-1]})
            self._devices_asked = True
        state.update(update)

    on_show = refresh_models

    def segment(self) -> None:
        study = self._ws.studies.current
        if study is None or study.info.kind == "radiograph":
            with self._ws.state as state:
                state.pancreas_result = "Choose an abdominal CT study first."
            return
        model, device = self._ws.state.pancreas_model, self._ws.state.pancreas_device
        self._ws.jobs.start("Segmenting the pancreas",
                            lambda progress: self._logic.segment(study.node, model=model, device=device,
                                                                 progress=progress),
                            on_done=self._show)

    def _show(self, outcome) -> None:
        self._probability_node = self._ws.scene.GetNodeByID(outcome.probability_node_id)
        with self._ws.state as state:
            licence = outcome.summary.get("licence") or "not stated"
            state.pancreas_result = (f"Pancreas volume {outcome.volume_ml:.1f} mL; confidence {outcome.confidence} "
                                     f"(mean probability {outcome.mean_probability:.2f}, model {outcome.model}, "
                                     f"licence: {licence})")
            state.pancreas_reasons = list(outcome.reasons)
        self._on_overlay(self._ws.state.pancreas_overlay)

    def _on_menu(self, opened) -> None:
        if opened:
            self.refresh_models()

    def _on_model(self, pancreas_model, **_):
        """Show the chosen model's training data and licence before it is run."""
        self._ws.state.pancreas_model_info = PancreasSegmentLogic.model_summary(pancreas_model) if pancreas_model else ""

    def _on_overlay(self, pancreas_overlay, **_):
        if self._probability_node is not None:
            self._ws.viewer.show_overlay(self._probability_node if pancreas_overlay else None, opacity=0.45)

    def build_ui(self) -> None:
        from trame.widgets import html
        from trame.widgets import vuetify3 as v3

        with html.Div(classes="pa-1"):
            html.Div("Segment the pancreas on the CT on screen; its probability map is laid over the slices.",
                     classes="text-body-2")
            v3.VAlert(v_if="!pancreas_models.length", text=("pancreas_howto",), type="info", density="compact",
                      classes="my-2", id="pancreas-howto", title="No pancreas model installed")
            with html.Div(v_if="pancreas_models.length"):
                v3.VSelect(v_model=("pancreas_model",), items=("pancreas_models",), label="Model", density="compact",
                           hide_details=True, classes="my-1", update_menu=(self._on_menu, "[$event]"))
                html.Div("{{ pancreas_model_info }}", classes="text-caption", id="pancreas-model-info")
                v3.VSelect(v_model=("pancreas_device",), items=("pancreas_devices",), label="Device",
                           density="compact", hide_details=True, classes="my-1")
                v3.VBtn("Segment the pancreas", click=self.segment, color="primary", size="small", classes="my-2",
                        id="pancreas-run", disabled=("job_running",))
                v3.VCheckbox(v_model=("pancreas_overlay",), label="Show the probability map", density="compact",
                             hide_details=True)
                html.Div("{{ pancreas_result }}", classes="text-body-2", id="pancreas-result")
                html.Li("{{ r }}", v_for="r in pancreas_reasons", classes="text-caption")
