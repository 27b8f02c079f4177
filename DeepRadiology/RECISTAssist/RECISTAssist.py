"""RECISTAssist: click a lesion on an axial CT slice, get its RECIST long and short axes and a 3D mask.

The Widget only wires the UI to the Logic; the work is done by
`deepradiology_mrml.logic.recist.RECISTAssistLogic` (shared with the web app) over the core
`deepradiology.recist` (adaptive 2D segmentation, sub-pixel RECIST axes, slice propagation).
"""

from typing import Annotated, Optional, Union

import slicer
from slicer.i18n import tr as _
from slicer.i18n import translate
from slicer.parameterNodeWrapper import Choice, WithinRange, parameterNodeWrapper
from slicer.ScriptedLoadableModule import (
    ScriptedLoadableModule,
    ScriptedLoadableModuleLogic,
    ScriptedLoadableModuleTest,
    ScriptedLoadableModuleWidget,
)
from slicer.util import VTKObservationMixin

from deepradiology_mrml.slicer_widget import ParameterNodeGuiMixin

#: Names of the helper markups the panel places (a point for the click, an ROI for the box).
CLICK_NODE_NAME = "RECIST click"
BOX_NODE_NAME = "RECIST box"


class RECISTAssist(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = _("RECISTAssist")
        self.parent.categories = [translate("qSlicerAbstractCoreModule", "DeepRadiology")]
        self.parent.dependencies = []
        self.parent.contributors = ["DeepRadiology developers"]
        self.parent.helpText = _(
            "Click inside a lesion (or draw a box around it) on an axial CT slice. RECISTAssist segments the "
            "lesion on that slice, draws its RECIST long axis and the perpendicular short axis as lines "
            "(L<n> long / L<n> short), propagates the mask to the neighbouring slices for a 3D segment and "
            "its volume, and lists the lesion in its study's table (one table per volume, filed under the "
            "study). Measuring a lesion already listed updates its row instead of adding a second one. Drag an "
            "endpoint to correct a line: the row follows, and the mask and volume are made again when the drag "
            "ends. Undo takes back the last action. Lines and masks are shown only in the views showing their "
            "volume. A click in air, on an organ or where no lesion stands out is refused with the reason. "
            "With an organ map (a segmentation such as TotalSegmentator's, or a label map on the CT's grid) "
            "the location is the organ it names and a click on a normal organ is refused; without one the "
            "location reads unknown.")
        self.parent.acknowledgementText = _(
            "Methods: Tang et al., Accurate Semi-Automatic RECIST Labeling on CT Scans with Cascaded CNNs "
            "(MICCAI 2018); Cai et al., Slice-Propagated 3D Mask Generation from 2D RECIST (MICCAI 2018).")


@parameterNodeWrapper
class RECISTAssistParameterNode:
    """inputVolume: the CT; propagate3D: make the 3D mask; maxDiameterMm: the largest lesion accepted;
    method: adaptive (no weights), auto or model (the installed learned cascade); organMap: optional
    organ labels (a segmentation, or a label map on the CT's grid) naming the location."""

    inputVolume: slicer.vtkMRMLScalarVolumeNode
    # typing.Union, not "|": Slicer 5.8's Python 3.9 evaluates these annotations.
    organMap: Optional[Union[slicer.vtkMRMLSegmentationNode, slicer.vtkMRMLLabelMapVolumeNode]]
    propagate3D: bool = True
    maxDiameterMm: Annotated[float, WithinRange(5.0, 350.0)] = 100.0
    method: Annotated[str, Choice(["adaptive", "auto", "model"])] = "adaptive"


class RECISTAssistWidget(ParameterNodeGuiMixin, ScriptedLoadableModuleWidget, VTKObservationMixin):
    def __init__(self, parent=None) -> None:
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)
        self.logic = None

    def setup(self) -> None:
        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/RECISTAssist.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.logic = RECISTAssistLogic()

        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)
        self.ui.pointPlaceWidget.setMRMLScene(slicer.mrmlScene)
        self.ui.boxPlaceWidget.setMRMLScene(slicer.mrmlScene)
        self.ui.applyButton.connect("clicked(bool)", self.onApplyButton)
        self.ui.undoButton.connect("clicked(bool)", self.onUndoButton)
        self.ui.removeButton.connect("clicked(bool)", self.onRemoveButton)
        self.initializeParameterNode()
        self._helperNodes()
        self._updateButtons()

    def enter(self) -> None:
        self.initializeParameterNode()
        self._helperNodes()

    def onSceneStartClose(self, caller, event) -> None:
        super().onSceneStartClose(caller, event)
        self.logic.reset()

    def onSceneEndClose(self, caller, event) -> None:
        if self.parent.isEntered:
            self.initializeParameterNode()
            self._helperNodes()

    def initializeParameterNode(self) -> None:
        self.setParameterNode(self.logic.getParameterNode())
        if not self._parameterNode.inputVolume:
            first = slicer.mrmlScene.GetFirstNodeByClass("vtkMRMLScalarVolumeNode")
            if first:
                self._parameterNode.inputVolume = first

    def _helperNodes(self) -> None:
        """The point list and ROI the place widgets drop into (hidden, never saved); a placed point
        measures at once."""
        click, box = self.logic.helperNodes()
        self.ui.pointPlaceWidget.setCurrentNode(click)
        self.ui.boxPlaceWidget.setCurrentNode(box)
        if not self.hasObserver(click, click.PointPositionDefinedEvent, self.onPointPlaced):
            self.addObserver(click, click.PointPositionDefinedEvent, self.onPointPlaced)

    def _updateButtons(self, caller=None, event=None) -> None:
        volume = self._parameterNode.inputVolume if self._parameterNode else None
        self.ui.applyButton.enabled = volume is not None
        self.ui.applyButton.toolTip = _("Measure the lesion at the placed point (or in the box)") if volume \
            else _("Select a CT volume first")
        shared = self.logic.shared if self.logic else None
        self.ui.undoButton.enabled = bool(shared and shared.can_undo)
        self.ui.removeButton.enabled = bool(shared and volume and shared.lesions_of(volume))
        # the table of the chosen volume: one table per study
        table = shared.table_for(volume) if shared and volume else None
        if self.ui.lesionTableView.mrmlTableNode() is not table:
            self.ui.lesionTableView.setMRMLTableNode(table)

    def onPointPlaced(self, caller, event) -> None:
        import qt

        # Measuring inside PointPositionDefinedEvent would run while the markups widget is still
        # handling the click (and may remove the point it is processing): measure right after it.
        qt.QTimer.singleShot(0, self.onApplyButton)

    def onApplyButton(self) -> None:
        from deepradiology.progress import Cancelled
        from deepradiology_mrml.slicer_progress import ProgressDialog

        click, box = self.logic.helperNodes()
        point = list(click.GetNthControlPointPositionWorld(0)) if click.GetNumberOfControlPoints() else None
        corners = self.logic.boxCorners(box) if point is None else None
        if point is None and corners is None:
            self.ui.statusLabel.text = _("Place a point inside a lesion (or draw a box around it) first.")
            return
        p = self._parameterNode
        with slicer.util.tryWithErrorDisplay(_("No lesion measured."), waitCursor=True):
            try:
                with ProgressDialog(_("RECISTAssist"), _("Measuring the lesion")) as progress:
                    lesion = self.logic.process(p.inputVolume, pointRas=point, boxRas=corners,
                                                propagate=p.propagate3D, maxDiameterMm=p.maxDiameterMm,
                                                method=p.method, progress=progress, organMap=p.organMap)
            except Cancelled:
                self.ui.statusLabel.text = _("Cancelled: nothing was added to the scene.")
                return
            finally:
                # a measured (or refused) click or box must not measure again at the next Measure
                self.logic.clearHelpers()
                self._updateButtons()
            from deepradiology.recist.results_line import recist_results_line
            from deepradiology_mrml.organ_maps import organ_map_source

            updated = self.logic.shared.last_action == "updated"   # the lesion was listed: its record updated
            self.ui.statusLabel.text = recist_results_line(lesion, organ_map_source=organ_map_source(p.organMap),
                                                           already_listed_as=lesion.lesion_id if updated else "")
        self._updateButtons()

    def onUndoButton(self) -> None:
        with slicer.util.tryWithErrorDisplay(_("Nothing to undo."), waitCursor=False):
            self.ui.statusLabel.text = self.logic.undoLast()
        self._updateButtons()

    def onRemoveButton(self) -> None:
        with slicer.util.tryWithErrorDisplay(_("No lesion removed."), waitCursor=False):
            volume = self._parameterNode.inputVolume
            rows = self.logic.shared.rows(volume) if self.logic.shared and volume else []
            selected = self.ui.lesionTableView.selectionModel().selectedRows() if self.ui.lesionTableView.model() else []
            lesion_id = rows[selected[0].row()]["lesion"] if selected and selected[0].row() < len(rows) else \
                (rows[-1]["lesion"] if rows else None)
            if lesion_id is None:
                self.ui.statusLabel.text = _("This volume has no lesion to remove.")
                return
            removed = self.logic.undo(lesion_id)
            self.ui.statusLabel.text = _("{name} removed").format(name=removed)
        self._updateButtons()


class RECISTAssistLogic(ScriptedLoadableModuleLogic):
    """Slicer's side of the Logic: dependencies on first use, then the shared Logic does the work."""

    def __init__(self) -> None:
        ScriptedLoadableModuleLogic.__init__(self)
        self.shared = None

    def getParameterNode(self):
        return RECISTAssistParameterNode(super().getParameterNode())

    def reset(self) -> None:
        if self.shared is not None:
            self.shared.close()
        self.shared = None

    def _shared(self, method: str = "adaptive"):
        from deepradiology_mrml.slicer_setup import ensure_python_dependencies

        ensure_python_dependencies()
        if method in ("auto", "model"):
            # the learned methods run torch networks: the cascade (MONAI) or an imported nnInteractive model
            from deepradiology.recist.nninteractive import find_nninteractive

            if method == "model" and find_nninteractive() is not None:
                ensure_python_dependencies("torch", "nninteractive")
            else:
                ensure_python_dependencies("torch")
        from deepradiology_mrml.logic.recist import RECISTAssistLogic as SharedLogic

        if self.shared is None or self.shared.scene is not slicer.mrmlScene:
            self.shared = SharedLogic(slicer.mrmlScene)
        return self.shared

    @staticmethod
    def helperNodes():
        """The click point list and the box ROI (made hidden from the user and not saved with the scene)."""
        from deepradiology_mrml.helper_markups import helper_node

        return (helper_node(slicer.mrmlScene, "vtkMRMLMarkupsFiducialNode", CLICK_NODE_NAME, max_points=1),
                helper_node(slicer.mrmlScene, "vtkMRMLMarkupsROINode", BOX_NODE_NAME))

    def clearHelpers(self) -> None:
        """Empty the click and the box, so that the next Measure needs a new one."""
        from deepradiology_mrml.helper_markups import clear_helper

        for node in self.helperNodes():
            clear_helper(node)

    @staticmethod
    def boxCorners(box):
        """The ROI's two in-plane corners (RAS mm) on its centre's axial plane, None when it is not placed."""
        if box is None or not box.GetNumberOfControlPoints():
            return None
        centre, size = [0.0] * 3, [0.0] * 3
        box.GetCenterWorld(centre)
        box.GetSizeWorld(size)
        return ([centre[0] - size[0] / 2, centre[1] - size[1] / 2, centre[2]],
                [centre[0] + size[0] / 2, centre[1] + size[1] / 2, centre[2]])

    def process(self, volumeNode, pointRas=None, boxRas=None, *, propagate: bool = True,
                maxDiameterMm: float = 100.0, method: str = "adaptive", progress=None, organMap=None):
        """Measure the lesion at ``pointRas`` (RAS mm) or in ``boxRas`` (two RAS corners); returns its record
        (the record it already had when the volume lists this lesion: updated, not doubled).

        ``organMap`` (a segmentation or label-map node, optional) becomes the core's (labels, names) pair
        on the CT's grid (a label map on another grid is resampled, nearest neighbour in physical space): the location is then the organ it names, and a region that is most of an organ
        is refused (NotALesionError, nothing added to the scene)."""
        shared = self._shared(method)
        organs = {}
        if organMap is not None:
            # converted once per organ map and CT, again only after either node changed (OrganMapCache)
            labels, names = shared.organ_map_of(organMap, volumeNode)
            organs = {"organ_labels": labels, "label_names": names}
        return shared.measure(volumeNode, pointRas, box_ras=boxRas, propagate=propagate,
                              max_diameter_mm=maxDiameterMm, method=method, progress=progress, **organs)

    def undoLast(self) -> str:
        """Undo the last measurement, re-measurement or endpoint edit; says what was undone."""
        return self._shared().undo_last()

    def undo(self, lesionId=None) -> str:
        """Remove one lesion's lines, segment and row (the last one when ``lesionId`` is None)."""
        return self._shared().undo(lesionId)


class RECISTAssistTest(ScriptedLoadableModuleTest):
    """Runs the Logic on the project's phantom: measure, edit, undo, a refused click; a table per study and
    one record per lesion; the helper markups."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        self.test_phantom_lesions_are_measured_edited_and_undone()
        self.setUp()
        self.test_an_organ_map_names_the_location_and_refuses_an_organ()
        self.setUp()
        self.test_each_study_has_its_own_table_and_a_lesion_measured_twice_keeps_one_record()
        self.setUp()
        self.test_the_click_and_box_helpers_are_hidden_unsaved_and_cleared()

    def test_phantom_lesions_are_measured_edited_and_undone(self):
        self.delayDisplay("Making a phantom study")
        import numpy as np

        from deepradiology.frames import lps_to_ras
        from deepradiology.phantom import generate_phantom
        from deepradiology.recist import NoLesionError
        from deepradiology_mrml.volumes import image_to_volume_node

        study = generate_phantom(1, n_studies=1, spacing=(1.6, 1.6, 4.0)).studies[0]
        volume = image_to_volume_node(slicer.mrmlScene, study.ct, "phantom CT")
        logic = RECISTAssistLogic()
        for truth in study.lesions[:3]:
            lesion = logic.process(volume, lps_to_ras(np.asarray(truth["centre_lps"])))
            self.assertAlmostEqual(lesion.long_axis_mm, truth["long_axis_mm"],
                                   delta=max(1.6, 0.05 * truth["long_axis_mm"]))
            self.assertIsNotNone(slicer.mrmlScene.GetFirstNodeByName(f"{lesion.lesion_id} long"))
        nodes = slicer.mrmlScene.GetNumberOfNodes()
        with self.assertRaises(NoLesionError):
            logic.process(volume, lps_to_ras(study.ct.index_to_lps([1, 1, 10])))
        self.assertEqual(slicer.mrmlScene.GetNumberOfNodes(), nodes)
        line = slicer.mrmlScene.GetFirstNodeByName("L1 long")
        p0 = np.array(line.GetNthControlPointPosition(0))
        p1 = np.array(line.GetNthControlPointPosition(1))
        line.SetNthControlPointPosition(1, *(p1 + (p1 - p0) * 0.1))
        edited = logic.shared.update_from_lines("L1")
        self.assertAlmostEqual(edited.long_axis_mm, 1.1 * np.linalg.norm(p1 - p0), delta=0.01)
        self.assertEqual(logic.undo("L2"), "L2")
        self.assertIsNone(slicer.mrmlScene.GetFirstNodeByName("L2 long"))
        self.assertEqual([row["lesion"] for row in logic.shared.rows()], ["L1", "L3"])
        self.delayDisplay("Test passed")

    def test_an_organ_map_names_the_location_and_refuses_an_organ(self):
        self.delayDisplay("Measuring with and without an organ map")
        import dataclasses

        import numpy as np

        from deepradiology.errors import InputError
        from deepradiology.frames import lps_to_ras
        from deepradiology.phantom import ORGAN_LABELS, generate_phantom
        from deepradiology.recist import NotALesionError
        from deepradiology.recist.results_line import location_text
        from deepradiology_mrml.organ_maps import organ_map_source
        from deepradiology_mrml.segmentations import labelmap_to_segmentation
        from deepradiology_mrml.volumes import image_to_labelmap_node, image_to_volume_node

        study = generate_phantom(1, n_studies=1, spacing=(1.6, 1.6, 4.0)).studies[0]
        volume = image_to_volume_node(slicer.mrmlScene, study.ct, "phantom CT")
        names = {value: name for name, value in ORGAN_LABELS.items()}
        organs = labelmap_to_segmentation(slicer.mrmlScene, study.organs, names, reference_volume=volume,
                                          name="phantom organs")
        liver = max((t for t in study.lesions if t["organ"] == "liver"), key=lambda t: t["long_axis_mm"])
        logic = RECISTAssistLogic()
        named = logic.process(volume, lps_to_ras(np.asarray(liver["centre_lps"])), organMap=organs)
        self.assertEqual(named.location, "liver")
        self.assertTrue(location_text(named, organ_map_source(organs)).startswith("location: liver (from organ map: "))
        bare = logic.process(volume, lps_to_ras(np.asarray(liver["centre_lps"])))
        self.assertEqual(bare.location, "unknown")
        self.assertEqual(location_text(bare), "location unknown: no organ map")

        # A map in which the clicked structure is a whole organ: the region is that organ, refused, and
        # nothing is added to the scene.
        other = next(t for t in study.lesions if t is not liver)
        as_organ = np.where(study.lesions_map.array == other["label"], 9, 0).astype(np.uint8)
        organ_node = labelmap_to_segmentation(slicer.mrmlScene, study.organs.with_array(as_organ), {9: "gland"},
                                              reference_volume=volume, name="gland map")
        nodes = slicer.mrmlScene.GetNumberOfNodes()
        with self.assertRaises(NotALesionError):
            logic.process(volume, lps_to_ras(np.asarray(other["centre_lps"])), organMap=organ_node)
        self.assertEqual(slicer.mrmlScene.GetNumberOfNodes(), nodes)

        # A label map on a coarser grid (every second voxel) is resampled onto the CT's and says so; one
        # lying beside the CT (a metre away) is refused rather than read at wrong voxels.
        coarse = dataclasses.replace(study.organs, array=study.organs.array[::2, ::2, ::2],
                                     spacing=tuple(2 * s for s in study.organs.spacing))
        label_node = image_to_labelmap_node(slicer.mrmlScene, coarse, "coarse organs")
        resampled = logic.process(volume, lps_to_ras(np.asarray(liver["centre_lps"])), organMap=label_node)
        self.assertIn("resampled onto the CT's grid", location_text(resampled, organ_map_source(label_node)))
        far = dataclasses.replace(study.organs, origin=tuple(np.asarray(study.organs.origin) + [0.0, 0.0, 1000.0]))
        far_node = image_to_labelmap_node(slicer.mrmlScene, far, "far organs")
        with self.assertRaises(InputError):
            logic.process(volume, lps_to_ras(np.asarray(liver["centre_lps"])), organMap=far_node)
        self.delayDisplay("Test passed")

    def test_each_study_has_its_own_table_and_a_lesion_measured_twice_keeps_one_record(self):
        self.delayDisplay("Two phantom studies, the same lesion measured twice")
        import numpy as np

        from deepradiology.frames import lps_to_ras
        from deepradiology.phantom import generate_phantom
        from deepradiology_mrml.tables import table_to_records
        from deepradiology_mrml.volumes import image_to_volume_node

        studies = generate_phantom(1, n_studies=2, spacing=(1.6, 1.6, 4.0)).studies
        volumes = [image_to_volume_node(slicer.mrmlScene, s.ct, s.plan.study_id) for s in studies]
        logic = RECISTAssistLogic()
        truth = max(studies[0].lesions, key=lambda t: t["volume_ml"])
        centre = np.asarray(truth["centre_lps"])
        first = logic.process(volumes[0], lps_to_ras(centre), propagate=False)
        logic.process(volumes[1], lps_to_ras(np.asarray(studies[1].lesions[0]["centre_lps"])), propagate=False)
        # the same lesion again, a little off its centre (a quarter of its short axis)
        off = centre + np.array([0.25 * truth["short_axis_mm"], 0.0, 0.0])
        again = logic.process(volumes[0], lps_to_ras(off), propagate=False)
        self.assertEqual(logic.shared.last_action, "updated")
        self.assertEqual(again.lesion_id, first.lesion_id)
        tables = [logic.shared.table_for(v) for v in volumes]
        self.assertIsNot(tables[0], tables[1])
        self.assertEqual([r["lesion"] for r in table_to_records(tables[0])], [first.lesion_id])
        self.assertEqual(len(table_to_records(tables[1])), 1)
        self.assertTrue(tables[0].GetName().startswith(studies[0].plan.study_id))
        self.assertEqual(logic.undoLast(), f"{first.lesion_id}: re-measurement undone")
        self.assertEqual(len(table_to_records(tables[0])), 1)

    def test_the_click_and_box_helpers_are_hidden_unsaved_and_cleared(self):
        self.delayDisplay("Helper markups")
        logic = RECISTAssistLogic()
        click, box = logic.helperNodes()
        self.assertEqual(logic.helperNodes(), (click, box))
        for node in (click, box, click.GetDisplayNode(), box.GetDisplayNode()):
            self.assertTrue(node.GetHideFromEditors())
            self.assertFalse(node.GetSaveWithScene())
        click.AddControlPoint([0.0, 0.0, 0.0])
        box.AddControlPoint([0.0, 0.0, 0.0])
        self.assertIsNotNone(logic.boxCorners(box))
        logic.clearHelpers()
        self.assertEqual((click.GetNumberOfControlPoints(), box.GetNumberOfControlPoints()), (0, 0))
        self.assertIsNone(logic.boxCorners(box))
        self.delayDisplay("Test passed")
