"""CXRTriage: chest X-ray findings with heatmaps, a triage worklist, and negation-aware report labels.

The Widget only wires the UI to the Logic. The work is done by
`deepradiology_mrml.logic.cxr.CXRTriageLogic` (shared with the web app): it loads and checks films,
scores the 14 ChestX-ray14 findings, makes heatmap volumes and ROI boxes, labels reports, and fills the
findings and worklist tables. Without an installed model the image part says how to get one; the
report part works regardless.
"""

import qt
import slicer
from slicer.i18n import tr as _
from slicer.i18n import translate
from slicer.parameterNodeWrapper import parameterNodeWrapper
from slicer.ScriptedLoadableModule import (
    ScriptedLoadableModule,
    ScriptedLoadableModuleLogic,
    ScriptedLoadableModuleTest,
    ScriptedLoadableModuleWidget,
)
from slicer.util import VTKObservationMixin

from deepradiology_mrml.panel_progress import PanelProgress
from deepradiology_mrml.slicer_widget import ParameterNodeGuiMixin, add_load_model_button


class CXRTriage(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = _("CXRTriage")
        self.parent.categories = [translate("qSlicerAbstractCoreModule", "DeepRadiology")]
        self.parent.dependencies = []
        self.parent.contributors = ["DeepRadiology developers"]
        self.parent.helpText = _(
            "Load a chest film (PNG, JPEG or DICOM) and press Score film: the 14 ChestX-ray14 findings get "
            "probabilities, those past their operating points are flagged, and a finding's heatmap and boxes "
            "can be shown over the film. Paste or load the report to see its labels (negation- and "
            "uncertainty-aware) beside the image findings, with disagreements flagged. A folder of films "
            "becomes a worklist sorted by urgency. No model ships: press Load model... and choose a chest X-ray "
            "model checkpoint (.pt); it is verified, and its training data and licence are shown, before it is "
            "installed. The report labeler needs no model.")
        self.parent.acknowledgementText = _(
            "Methods: Wang et al., ChestX-ray8 (CVPR 2017): transition layer, LSE pooling, balanced "
            "cross-entropy, heatmap localisation, and two-stage report labeling with negation and uncertainty.")


@parameterNodeWrapper
class CXRTriageParameterNode:
    """inputVolume: the film; model: an installed model name or checkpoint ('' = the installed one)."""

    inputVolume: slicer.vtkMRMLScalarVolumeNode
    model: str = ""


class CXRTriageWidget(ParameterNodeGuiMixin, ScriptedLoadableModuleWidget, VTKObservationMixin):
    def __init__(self, parent=None) -> None:
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)
        self.logic = None
        self._heatmapNode = None

    def setup(self) -> None:
        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/CXRTriage.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.logic = CXRTriageLogic()
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)
        self.ui.loadFilmButton.connect("clicked(bool)", self.onLoadFilm)
        self.ui.applyButton.connect("clicked(bool)", self.onApplyButton)
        self.ui.showHeatmapButton.connect("clicked(bool)", self.onShowHeatmap)
        self.ui.opacitySlider.connect("valueChanged(int)", self.onOpacity)
        self.ui.labelReportButton.connect("clicked(bool)", self.onLabelReport)
        self.ui.loadReportButton.connect("clicked(bool)", self.onLoadReport)
        self.ui.runFolderButton.connect("clicked(bool)", self.onRunFolder)
        # Scoring a film or a folder reports into the panel and stops at Cancel (the UI stays responsive).
        self._panelProgress = PanelProgress(self.ui.progressBar, self.ui.statusLabel, self.ui.cancelButton,
                                            slicer.app.processEvents,
                                            busy_widgets=(self.ui.applyButton, self.ui.runFolderButton,
                                                          self.ui.loadFilmButton))
        self.ui.cancelButton.connect("clicked(bool)", self._panelProgress.cancel)
        self.ui.modelLineEdit.connect("editingFinished()", self._updateModelStatus)
        self.loadModelButton = add_load_model_button(self, "cxr-classification", self._onModelLoaded)
        self.initializeParameterNode()
        self._updateModelStatus()

    def enter(self) -> None:
        self.initializeParameterNode()

    def onSceneEndClose(self, caller, event) -> None:
        if self.parent.isEntered:
            self.initializeParameterNode()

    def initializeParameterNode(self) -> None:
        self.setParameterNode(self.logic.getParameterNode())

    def _onModelLoaded(self, card) -> None:
        self._parameterNode.model = card.name
        self._updateModelStatus()

    def _updateModelStatus(self) -> None:
        model = self._parameterNode.model if self._parameterNode else ""
        usable, message = self.logic.modelStatus(model)
        self.ui.modelStatusLabel.text = message
        self.ui.findingComboBox.clear()
        if usable:
            for name in self.logic.labels(model):
                self.ui.findingComboBox.addItem(name)
        self._updateButtons()

    def _updateButtons(self, caller=None, event=None) -> None:
        film = bool(self._parameterNode and self._parameterNode.inputVolume)
        self.ui.applyButton.enabled = film
        self.ui.showHeatmapButton.enabled = film and self.ui.findingComboBox.count > 0

    def onLoadFilm(self) -> None:
        path = qt.QFileDialog.getOpenFileName(self.parent, _("Chest film"), "",
                                                      "Films (*.png *.jpg *.jpeg *.dcm *.dicom);;All files (*)")
        if not path:
            return
        with slicer.util.tryWithErrorDisplay(_("The film could not be loaded."), waitCursor=True):
            node, warnings = self.logic.loadFilm(path, model=self._parameterNode.model)
            self._parameterNode.inputVolume = node
            slicer.util.setSliceViewerLayers(background=node, foreground=None, fit=True)
            self.ui.statusLabel.text = "; ".join(warnings) if warnings else _("Loaded {name}.").format(name=node.GetName())

    def onApplyButton(self) -> None:
        from deepradiology.progress import Cancelled

        p = self._parameterNode
        try:
            with slicer.util.tryWithErrorDisplay(_("Scoring failed."), waitCursor=False):
                try:
                    with self._panelProgress as progress:
                        score = self.logic.process(p.inputVolume, model=p.model, progress=progress)
                except Cancelled:
                    self.ui.statusLabel.text = _("Cancelled: the film was not scored.")
                    return
                self.ui.findingsTableView.setMRMLTableNode(self.logic.findingsTable)
                if score.flagged:
                    self.ui.findingComboBox.setCurrentText(score.flagged[0])
                self.ui.statusLabel.text = _("Flagged: {f}").format(f=", ".join(score.flagged) or _("nothing"))
        finally:
            self._updateButtons()

    def onShowHeatmap(self) -> None:
        p = self._parameterNode
        with slicer.util.tryWithErrorDisplay(_("The heatmap could not be shown."), waitCursor=True):
            self._heatmapNode, rois = self.logic.showFinding(p.inputVolume, self.ui.findingComboBox.currentText,
                                                             heatmapNode=self._heatmapNode)
            slicer.util.setSliceViewerLayers(background=p.inputVolume, foreground=self._heatmapNode,
                                             foregroundOpacity=self.ui.opacitySlider.value / 100.0)

    def onOpacity(self, value: int) -> None:
        if self._heatmapNode is not None:
            slicer.util.setSliceViewerLayers(foregroundOpacity=value / 100.0)

    def onLabelReport(self) -> None:
        with slicer.util.tryWithErrorDisplay(_("The report could not be labelled."), waitCursor=True):
            labels, table = self.logic.labelReport(self.ui.reportTextEdit.toPlainText(),
                                                   volumeNode=self._parameterNode.inputVolume)
            self._showReport(labels, table)

    def onLoadReport(self) -> None:
        path = qt.QFileDialog.getOpenFileName(self.parent, _("Report"), "", "Reports (*.txt *.xml);;All files (*)")
        if not path:
            return
        with slicer.util.tryWithErrorDisplay(_("The report could not be read."), waitCursor=True):
            labels, table = self.logic.labelReportFile(path, volumeNode=self._parameterNode.inputVolume)
            self._showReport(labels, table)

    def _showReport(self, labels, table) -> None:
        self.ui.findingsTableView.setMRMLTableNode(table)
        asserted = [k for k, v in labels.labels.items() if v == 1]
        uncertain = [k for k, v in labels.labels.items() if v == -1]
        # Explicitly negated is not the same as never mentioned (issue 15); the table's report and
        # report_sentence columns give each finding's state and the sentence that decided it.
        negated = [k for k in labels.states if k != "normal" and labels.display(k)[0] == "negated"]
        self.ui.reportSummaryLabel.text = _("Report asserts: {a}. Uncertain: {u}. Negated: {n}.").format(
            a=", ".join(asserted) or _("nothing"), u=", ".join(uncertain) or _("nothing"),
            n=", ".join(negated) or _("nothing"))

    def onRunFolder(self) -> None:
        folder = self.ui.folderPathLineEdit.currentPath
        worklist = self.ui.worklistPathLineEdit.currentPath or None
        from deepradiology.progress import Cancelled

        try:
            with slicer.util.tryWithErrorDisplay(_("The folder could not be scored."), waitCursor=False):
                try:
                    with self._panelProgress as progress:
                        table, rows = self.logic.processFolder(folder, model=self._parameterNode.model,
                                                               worklistCsv=worklist, progress=progress)
                except Cancelled:
                    self.ui.statusLabel.text = _("Cancelled: no worklist was written.")
                    return
                self.ui.worklistTableView.setMRMLTableNode(table)
                failed = sum(1 for r in rows if r["status"] == "failed")
                self.ui.statusLabel.text = _("{n} films, {f} failed (reasons in the notes column).").format(
                    n=len(rows), f=failed)
        finally:
            self._updateButtons()


class CXRTriageLogic(ScriptedLoadableModuleLogic):
    """Slicer's side of the Logic: dependencies on first use, then the shared Logic does the work."""

    def __init__(self) -> None:
        ScriptedLoadableModuleLogic.__init__(self)
        self.shared = None
        self._modelKey = None
        self.findingsTable = None

    def getParameterNode(self):
        return CXRTriageParameterNode(super().getParameterNode())

    @staticmethod
    def _ensureDependencies() -> None:
        """At an action's first use (never from setup()): install what is missing, after asking."""
        from deepradiology_mrml.slicer_setup import ensure_python_dependencies

        ensure_python_dependencies("torch")

    def _shared(self, model: str = ""):
        from deepradiology_mrml.logic.cxr import CXRTriageLogic as SharedLogic

        if self.shared is None or self.shared.scene is not slicer.mrmlScene or self._modelKey != model:
            self.shared = SharedLogic(slicer.mrmlScene, model=model or None)
            self._modelKey = model
        return self.shared

    def modelStatus(self, model: str = ""):
        """(usable, one line) for the panel. Installs nothing: opening the module must not download
        packages or fail when the user declines; the first Score does that."""
        from deepradiology_mrml.slicer_setup import missing_requirements, requirements_for

        missing = missing_requirements(requirements_for("torch"))
        if missing:
            return False, _("Score film will first install: {p}.").format(p=", ".join(missing))
        return self._shared(model).model_status()

    def labels(self, model: str = "") -> list:
        return self._shared(model).model.labels

    def loadFilm(self, path, *, model: str = ""):
        self._ensureDependencies()
        return self._shared(model or self._modelKey or "").load_film(path)

    def process(self, volumeNode, *, model: str = "", progress=None):
        """Score ``volumeNode``; returns the `FilmScore` and keeps the findings table in ``findingsTable``."""
        self._ensureDependencies()
        shared = self._shared(model)
        score = shared.run(volumeNode, progress=progress, table_node=self.findingsTable)
        self.findingsTable = shared.findings_table_node
        return score

    def showFinding(self, volumeNode, finding: str, *, heatmapNode=None):
        return self._shared(self._modelKey or "").show_finding(volumeNode, finding, heatmap_node=heatmapNode)

    def labelReport(self, text: str, *, volumeNode=None):
        labels, table = self._shared(self._modelKey or "").label_report_text(text, volume_node=volumeNode,
                                                                            table_node=self.findingsTable)
        self.findingsTable = table
        return labels, table

    def labelReportFile(self, path, *, volumeNode=None):
        labels, table = self._shared(self._modelKey or "").label_report_file(path, volume_node=volumeNode,
                                                                            table_node=self.findingsTable)
        self.findingsTable = table
        return labels, table

    def processFolder(self, folder, *, model: str = "", worklistCsv=None, progress=None):
        self._ensureDependencies()
        return self._shared(model).run_folder(folder, worklist_csv=worklistCsv, force=True, progress=progress)


class CXRTriageTest(ScriptedLoadableModuleTest):
    """Scores a synthetic film through the Logic with a checkpoint built without training (in a second):
    its head answers a known probability (0.1) for every finding but Effusion, whose operating point is 0,
    so the expected flags follow from the checkpoint alone; then shows Effusion's heatmap and boxes and
    compares a report with it. Report labels are checked without any model. The accuracy of trained
    models is tested with the core, not here."""

    #: The probability the head gives every finding except Effusion (bias logit(0.1), zero weights).
    OTHER_PROBABILITY = 0.1

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        self.test_report_labels_without_a_model()
        self.setUp()
        self.test_a_flagged_effusion_is_shown_and_compared_with_the_report()

    def test_report_labels_without_a_model(self):
        from deepradiology_mrml.logic.cxr import CXRTriageLogic as SharedLogic

        logic = SharedLogic(slicer.mrmlScene, model="/nonexistent/model.pt")
        labels, table = logic.label_report_text("No pneumothorax. Small left pleural effusion.")
        self.assertEqual(labels.labels["Effusion"], 1)
        self.assertEqual(labels.labels["Pneumothorax"], 0)
        self.assertGreater(table.GetNumberOfRows(), 0)

    def _checkpoint(self, path):
        """Untrained and seeded: every finding but Effusion answers `OTHER_PROBABILITY` (operating point 0.5,
        so never flagged); Effusion keeps its random weights (a heatmap with a peak) and has operating point 0."""
        from deepradiology.cxr.testing import untrained_checkpoint

        others = ("Cardiomegaly", "Mass", "Pneumothorax")
        return untrained_checkpoint(path, fixed={name: self.OTHER_PROBABILITY for name in others},
                                    operating_points={"Effusion": 0.0, **{name: 0.5 for name in others}})

    def test_a_flagged_effusion_is_shown_and_compared_with_the_report(self):
        import tempfile
        from pathlib import Path

        import numpy as np
        from PIL import Image

        from deepradiology.cxr.synthetic import synthetic_film
        from deepradiology_mrml.tables import table_to_records

        self.delayDisplay("Building an untrained chest X-ray checkpoint (no training)")
        with tempfile.TemporaryDirectory() as tmp:
            checkpoint = self._checkpoint(Path(tmp) / "cxr.pt")
            film = synthetic_film(np.random.default_rng(7), size=96, prevalence=0.5)
            png = Path(tmp) / "film.png"
            Image.fromarray((film.array * 255).astype(np.uint8)).save(png)
            logic = CXRTriageLogic()
            node, _ = logic.loadFilm(png, model=str(checkpoint))
            score = logic.process(node, model=str(checkpoint))
        self.assertEqual(score.flagged, ["Effusion"])
        rows = {r["finding"]: r for r in table_to_records(logic.findingsTable)}
        for name in ("Cardiomegaly", "Mass", "Pneumothorax"):
            self.assertAlmostEqual(float(rows[name]["probability"]), self.OTHER_PROBABILITY, places=3)
        heat, rois = logic.showFinding(node, "Effusion")
        self.assertEqual(slicer.util.arrayFromVolume(heat).shape, slicer.util.arrayFromVolume(node).shape)
        self.assertGreater(len(rois), 0)
        bounds = [0.0] * 6
        node.GetRASBounds(bounds)
        for roi in rois:
            centre = [0.0, 0.0, 0.0]
            roi.GetCenter(centre)
            for axis in (0, 1):  # the box centres lie on the film (RAS mm)
                self.assertTrue(bounds[2 * axis] - 1e-6 <= centre[axis] <= bounds[2 * axis + 1] + 1e-6)
        labels, table = logic.labelReport("No pleural effusion.", volumeNode=node)
        rows = {r["finding"]: r for r in table_to_records(table)}
        self.assertIn("report does not assert", rows["Effusion"]["disagreement"])
        self.assertEqual(rows["Pneumothorax"]["disagreement"], "")
        self.delayDisplay("Test passed")
