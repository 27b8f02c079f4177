"""PancreasSegment: automatic pancreas segmentation in abdominal CT, with its volume and a confidence map.

The Widget only wires the UI to the Logic. The work is done out of process by
`deepradiology_mrml.logic.pancreas.PancreasSegmentLogic` (shared with the web app), which runs
``PythonSlicer -m deepradiology pancreas segment`` so that Slicer stays responsive, and adds a segment
and a probability volume only when the run succeeded.
"""

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

from deepradiology_mrml.slicer_widget import ParameterNodeGuiMixin, add_load_model_button


class PancreasSegment(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = _("PancreasSegment")
        self.parent.categories = [translate("qSlicerAbstractCoreModule", "DeepRadiology")]
        self.parent.dependencies = []
        self.parent.contributors = ["DeepRadiology developers"]
        self.parent.helpText = _(
            "Choose an abdominal CT and press Apply. The pancreas is located at low resolution, segmented at "
            "full resolution, and shown as a segment with its probability as a colour layer; its volume (mL) "
            "and a confidence flag (low when the probabilities are undecided or the volume is implausible) "
            "appear in the panel. No model ships with DeepRadiology: press Load model... and choose a pancreas "
            "model checkpoint (.pt) you were given or trained yourself; it is verified, and its training data "
            "and licence are shown, before it is installed.")
        self.parent.acknowledgementText = _(
            "Methods: Roth et al., DeepOrgan (MICCAI 2015) and spatial aggregation of holistically-nested "
            "networks (MedIA 2018); Cai et al., pancreas segmentation with a convolutional LSTM (MICCAI 2017); "
            "Isensee et al., nnU-Net (Nature Methods 2021), through MONAI's DynUNet.")


@parameterNodeWrapper
class PancreasSegmentParameterNode:
    """inputVolume: the CT; device: where the network runs ("cpu", or "cuda" where torch sees a GPU; the
    device combo box lists only the devices of this machine, so it is filled by the Widget, not bound)."""

    inputVolume: slicer.vtkMRMLScalarVolumeNode
    device: str = "cpu"


class PancreasSegmentWidget(ParameterNodeGuiMixin, ScriptedLoadableModuleWidget, VTKObservationMixin):
    def __init__(self, parent=None) -> None:
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)
        self.logic = None
        self._running = False
        self._cancelRequested = False

    def setup(self) -> None:
        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/PancreasSegment.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.logic = PancreasSegmentLogic()
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)
        self.ui.applyButton.connect("clicked(bool)", self.onApplyButton)
        self.ui.cancelButton.connect("clicked(bool)", self.onCancelButton)
        self.ui.modelComboBox.connect("currentTextChanged(QString)", self._showModelInfo)
        self.loadModelButton = add_load_model_button(self, "pancreas-segmentation", lambda card: self._fillModels())
        self.ui.deviceComboBox.connect("currentTextChanged(QString)", self.onDeviceChosen)
        self.initializeParameterNode()
        self._fillModels()

    def enter(self) -> None:
        self.initializeParameterNode()
        self._fillModels()
        self._fillDevices()

    def _fillDevices(self) -> None:
        """"cpu", plus "cuda" only when this machine's torch sees a GPU (checked on entering the module,
        not at start-up: it imports torch when installed and installs nothing)."""
        devices = self.logic.availableDevices()
        wanted = self._parameterNode.device if self._parameterNode else "cpu"
        combo = self.ui.deviceComboBox
        was = combo.blockSignals(True)
        combo.clear()
        combo.addItems(devices)
        combo.setCurrentText(wanted if wanted in devices else "cpu")
        combo.blockSignals(was)
        if self._parameterNode:
            self._parameterNode.device = combo.currentText

    def onDeviceChosen(self, text) -> None:
        if self._parameterNode and text:
            self._parameterNode.device = str(text)

    def onSceneEndClose(self, caller, event) -> None:
        if self.parent.isEntered:
            self.initializeParameterNode()

    def initializeParameterNode(self) -> None:
        self.setParameterNode(self.logic.getParameterNode())
        if not self._parameterNode.inputVolume:
            first = slicer.mrmlScene.GetFirstNodeByClass("vtkMRMLScalarVolumeNode")
            if first:
                self._parameterNode.inputVolume = first

    def _fillModels(self) -> None:
        """List the installed pancreas models; say plainly when there is none."""
        with slicer.util.tryWithErrorDisplay(_("Cannot list the installed models."), waitCursor=False):
            names = self.logic.availableModels()
            current = self.ui.modelComboBox.currentText
            self.ui.modelComboBox.clear()
            for name in names:
                self.ui.modelComboBox.addItem(name)
            if current in names:
                self.ui.modelComboBox.setCurrentText(current)
            self.ui.noModelLabel.visible = not names
        self._updateButtons()

    def _showModelInfo(self, name: str = "") -> None:
        """Training data and licence of the chosen model, so the user knows the terms before running it."""
        self.ui.modelInfoLabel.text = self.logic.modelSummary(name) if name else ""

    def _updateButtons(self, caller=None, event=None) -> None:
        ready = bool(self._parameterNode and self._parameterNode.inputVolume and self.ui.modelComboBox.count)
        self.ui.applyButton.enabled = ready and not self._running
        self.ui.cancelButton.enabled = self._running
        self.ui.applyButton.toolTip = _("Segment the pancreas") if ready else _(
            "Select a CT volume and install a pancreas model first")

    def _progress(self, fraction: float, message: str = "") -> None:
        from deepradiology.progress import Cancelled

        self.ui.progressBar.value = int(round(100 * fraction))
        self.ui.statusLabel.text = message
        slicer.app.processEvents()  # the network runs in another process; keep the UI alive
        if self._cancelRequested:
            raise Cancelled("cancelled by the user")

    def onCancelButton(self) -> None:
        self._cancelRequested = True

    def onApplyButton(self) -> None:
        from deepradiology.progress import Cancelled

        p = self._parameterNode
        self._running, self._cancelRequested = True, False
        self._updateButtons()
        try:
            with slicer.util.tryWithErrorDisplay(_("Pancreas segmentation failed."), waitCursor=False):
                try:
                    outcome = self.logic.process(p.inputVolume, model=self.ui.modelComboBox.currentText,
                                                 device=p.device, progress=self._progress)
                except Cancelled:
                    self.ui.statusLabel.text = _("Cancelled: nothing was added to the scene.")
                    return
                self.ui.volumeLabel.text = _("{volume:.1f} mL").format(volume=outcome.volume_ml)
                self.ui.confidenceLabel.text = outcome.confidence if not outcome.reasons else \
                    "{}: {}".format(outcome.confidence, "; ".join(outcome.reasons))
                self.ui.statusLabel.text = _("Done with model {model}.").format(model=outcome.model)
                probability = slicer.mrmlScene.GetNodeByID(outcome.probability_node_id)
                slicer.util.setSliceViewerLayers(background=p.inputVolume, foreground=probability,
                                                 foregroundOpacity=0.4)
        finally:
            self._running = False
            self.ui.progressBar.value = 0
            self._updateButtons()


class PancreasSegmentLogic(ScriptedLoadableModuleLogic):
    """Slicer's side of the Logic: dependencies on first use, then the shared Logic does the work."""

    def __init__(self) -> None:
        ScriptedLoadableModuleLogic.__init__(self)
        self.shared = None

    def getParameterNode(self):
        return PancreasSegmentParameterNode(super().getParameterNode())

    def _shared(self, model: str = ""):
        from deepradiology_mrml.slicer_setup import ensure_python_dependencies

        ensure_python_dependencies("torch")
        from deepradiology_mrml.logic.pancreas import PancreasSegmentLogic as SharedLogic

        if model and SharedLogic.needs_nnunet(model):
            # the segmentation subprocess is Slicer's own Python: nnunetv2 must be installed there
            ensure_python_dependencies("torch", "nnunet")

        if self.shared is None or self.shared.scene is not slicer.mrmlScene:
            self.shared = SharedLogic(slicer.mrmlScene)
        return self.shared

    _devices = None   # asked once per session: importing torch to ask takes seconds

    @classmethod
    def availableDevices(cls) -> list:
        """"cpu", plus "cuda" when torch is installed and sees a GPU."""
        from deepradiology_mrml.logic.pancreas import PancreasSegmentLogic as SharedLogic

        import importlib.util

        if cls._devices is not None:
            return list(cls._devices)
        devices = SharedLogic.available_devices()
        if importlib.util.find_spec("torch") is not None:   # without torch, ask again once it is installed
            cls._devices = devices
        return list(devices)

    def availableModels(self) -> list:
        from deepradiology_mrml.logic.pancreas import PancreasSegmentLogic as SharedLogic

        return SharedLogic.available_models()

    def modelSummary(self, name: str) -> str:
        from deepradiology_mrml.logic.pancreas import PancreasSegmentLogic as SharedLogic

        return SharedLogic.model_summary(name)

    def process(self, volumeNode, *, model=None, device: str = "cpu", progress=None):
        """Segment the pancreas of ``volumeNode``; returns a `PancreasOutcome` (node IDs, mL, confidence)."""
        return self._shared(model or "").segment(volumeNode, model=model or None, device=device, progress=progress)


class PancreasSegmentTest(ScriptedLoadableModuleTest):
    """Segments a phantom CT through the Logic (the real subprocess, files and scene nodes) with a checkpoint
    built without training whose networks answer 0.9 at every voxel, so the expected nodes, figures and
    confidence follow from the CT's grid alone; a run cancelled once the subprocess reports progress
    leaves the scene as it was. The accuracy of trained models is tested with the core, not here."""

    #: The constant checkpoint's answer: logit(0.9) at every voxel.
    PROBABILITY = 0.9

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        self.test_cuda_is_offered_only_where_torch_sees_a_gpu()
        self.setUp()
        self.test_phantom_pancreas_is_segmented_and_a_cancel_leaves_nothing()

    def test_cuda_is_offered_only_where_torch_sees_a_gpu(self):
        import numpy as np
        import torch

        from deepradiology import Image
        from deepradiology.errors import InputError
        from deepradiology_mrml.volumes import image_to_volume_node

        logic = PancreasSegmentLogic()
        gpu = torch.cuda.is_available()
        self.assertEqual(logic.availableDevices(), ["cpu", "cuda"] if gpu else ["cpu"])
        if not gpu:
            volume = image_to_volume_node(slicer.mrmlScene, Image(np.full((4, 8, 8), -100, np.int16)), "CT")
            nodes = slicer.mrmlScene.GetNumberOfNodes()
            with self.assertRaises(InputError):
                logic.process(volume, device="cuda")
            self.assertEqual(slicer.mrmlScene.GetNumberOfNodes(), nodes)

    def test_phantom_pancreas_is_segmented_and_a_cancel_leaves_nothing(self):
        import tempfile
        from pathlib import Path

        import numpy as np
        import vtk

        from deepradiology.pancreas.testing import constant_probability_checkpoint
        from deepradiology.phantom import generate_phantom
        from deepradiology.progress import Cancelled
        from deepradiology_mrml.volumes import image_to_volume_node

        self.delayDisplay("Building a constant pancreas checkpoint (no training)")
        with tempfile.TemporaryDirectory() as tmp:
            # Coarse grids keep the run to seconds on a CPU; the CT is at the model's spacing.
            checkpoint = constant_probability_checkpoint(
                Path(tmp) / "pancreas-constant.pt", probability=self.PROBABILITY, spacing_mm=(6.4, 6.4, 8.0),
                coarse_spacing_mm=(12.8, 12.8, 16.0), patch=(8, 16, 16), coarse_patch=(8, 8, 8))
            ct = generate_phantom(0, n_studies=1, spacing=(3.2, 3.2, 8.0)).studies[0].ct
            volume = image_to_volume_node(slicer.mrmlScene, ct, "phantom CT")
            logic = PancreasSegmentLogic()
            logic._shared().threads = 1  # one torch thread: a busy test machine is not oversubscribed
            nodes = slicer.mrmlScene.GetNumberOfNodes()

            seen = []

            def cancel_once_the_subprocess_reports(fraction, message=""):
                seen.append(message)
                if message not in ("exporting the CT", "starting"):  # the Logic's own messages
                    raise Cancelled("test cancel")

            with self.assertRaises(Cancelled):
                logic.process(volume, model=str(checkpoint), progress=cancel_once_the_subprocess_reports)
            self.assertNotIn(seen[-1], ("exporting the CT", "starting"), "cancelled before the subprocess ran")
            self.assertEqual(slicer.mrmlScene.GetNumberOfNodes(), nodes, "a cancelled run left nodes behind")

            outcome = logic.process(volume, model=str(checkpoint))
        seg = slicer.mrmlScene.GetNodeByID(outcome.segmentation_node_id)
        prob = slicer.mrmlScene.GetNodeByID(outcome.probability_node_id)
        segment_id = seg.GetSegmentation().GetSegmentIdBySegmentName("pancreas")
        self.assertTrue(segment_id)
        # Every voxel answers 0.9 >= 0.5, so the mask is the whole CT: its volume is the CT's own.
        whole_ct_ml = ct.array.size * float(np.prod(ct.spacing)) / 1000.0
        self.assertAlmostEqual(outcome.volume_ml, whole_ct_ml, delta=0.01 * whole_ct_ml)
        self.assertEqual(outcome.confidence, "low")
        self.assertTrue(any("plausible" in reason for reason in outcome.reasons), outcome.reasons)
        probability = slicer.util.arrayFromVolume(prob)
        self.assertEqual(probability.shape, ct.array.shape)
        self.assertTrue(np.allclose(probability, self.PROBABILITY, atol=1e-3))
        # On the CT's grid (the NIfTI round trip keeps float32 geometry: within 1e-4 mm).
        self.assertTrue(np.allclose(prob.GetSpacing(), volume.GetSpacing(), atol=1e-4))
        self.assertTrue(np.allclose(prob.GetOrigin(), volume.GetOrigin(), atol=1e-4))
        # The segment is coded as SNOMED CT Anatomical Structure (123037004) / Pancreas (15776009).
        entry = vtk.reference("")
        self.assertTrue(seg.GetSegmentation().GetSegment(segment_id).GetTag("TerminologyEntry", entry))
        fields = str(entry).split("~")
        self.assertEqual(fields[1].split("^")[:2], ["SCT", "123037004"])
        self.assertEqual(fields[2].split("^")[:2], ["SCT", "15776009"])
        self.delayDisplay("Test passed")
