"""LesionRetrieval: click a lesion (or pick a RECIST lesion) and see the most similar lesions of past patients.

The Widget only wires the UI to the Logic; the work is done by
`deepradiology_mrml.logic.retrieval.LesionRetrievalLogic` (shared with the web app) over the core
`deepradiology.retrieval` (SQLite lesion database, FAISS index, descriptor or learned embedding).
"""

from typing import Annotated

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

#: The point list the place widget drops the click into.
CLICK_NODE_NAME = "Retrieval click"
#: Lesion types offered by the type filter ("any" keeps all); DeepLesion's coarse types (the .ui lists them too).
TYPE_CHOICES = ["any", "bone", "abdomen", "mediastinum", "liver", "lung", "kidney", "soft tissue", "pelvis"]


class LesionRetrieval(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = _("LesionRetrieval")
        self.parent.categories = [translate("qSlicerAbstractCoreModule", "DeepRadiology")]
        self.parent.dependencies = []
        self.parent.contributors = ["DeepRadiology developers"]
        self.parent.helpText = _(
            "Choose a lesion database, then click inside a lesion (or choose a RECIST long-axis line measured "
            "with RECISTAssist). The most similar lesions of the database are listed, closest first, with "
            "their thumbnail, type, size, body location, source study and the cue that made them close "
            "(location, size, appearance or type). Filter by patient, type and size. Double-click a result to "
            "load its slice or volume where its image is available. To grow the database, measure lesions with "
            "RECISTAssist and press Add measured lesions.")
        self.parent.acknowledgementText = _(
            "Method: Yan et al., Deep Lesion Graphs in the Wild: Relationship Learning and Organization of "
            "Significant Radiology Images from Multiple Categories (CVPR 2018); data: NIH DeepLesion.")


@parameterNodeWrapper
class LesionRetrievalParameterNode:
    """databasePath: the SQLite file; inputVolume: the CT; recistLongLine: a RECIST long axis; lesionTable: a
    study's lesion table (RECISTAssist's), whose lesion is chosen in the lesion combo box; the rest are the
    query's filters."""

    databasePath: str = ""
    inputVolume: slicer.vtkMRMLScalarVolumeNode
    recistLongLine: slicer.vtkMRMLMarkupsLineNode
    lesionTable: slicer.vtkMRMLTableNode
    patientId: str = ""
    neighbours: Annotated[int, WithinRange(1, 50)] = 10
    otherPatients: bool = False
    lesionType: Annotated[str, Choice(TYPE_CHOICES)] = "any"
    minSizeMm: Annotated[float, WithinRange(0.0, 400.0)] = 0.0
    maxSizeMm: Annotated[float, WithinRange(0.0, 400.0)] = 400.0


class LesionRetrievalWidget(ParameterNodeGuiMixin, ScriptedLoadableModuleWidget, VTKObservationMixin):
    def __init__(self, parent=None) -> None:
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)
        self.logic = None
        self._results = []

    def setup(self) -> None:
        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/LesionRetrieval.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.logic = LesionRetrievalLogic()
        self.ui.databasePathLineEdit.filters = self.ui.databasePathLineEdit.Files
        self.ui.databasePathLineEdit.nameFilters = ["Lesion database (*.db *.sqlite)", "All files (*)"]

        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)
        self.ui.pointPlaceWidget.setMRMLScene(slicer.mrmlScene)
        self.ui.databasePathLineEdit.connect("currentPathChanged(QString)", self.onDatabaseChanged)
        self.ui.queryButton.connect("clicked(bool)", self.onQueryButton)
        self.ui.lesionTableSelector.connect("currentNodeChanged(vtkMRMLNode*)", self._fillLesions)
        self.ui.addLesionsButton.connect("clicked(bool)", self.onAddLesionsButton)
        self.ui.resultsListWidget.connect("itemDoubleClicked(QListWidgetItem*)", self.onResultDoubleClicked)
        self.initializeParameterNode()
        self._clickNode()
        self._updateButtons()

    def cleanup(self) -> None:
        super().cleanup()
        if self.logic:
            self.logic.reset()

    def enter(self) -> None:
        self.initializeParameterNode()
        self._clickNode()

    def onSceneEndClose(self, caller, event) -> None:
        if self.parent.isEntered:
            self.initializeParameterNode()
            self._clickNode()

    def initializeParameterNode(self) -> None:
        self.setParameterNode(self.logic.getParameterNode())
        if not self._parameterNode.inputVolume:
            first = slicer.mrmlScene.GetFirstNodeByClass("vtkMRMLScalarVolumeNode")
            if first:
                self._parameterNode.inputVolume = first
        self.ui.databasePathLineEdit.currentPath = self._parameterNode.databasePath

    def _clickNode(self) -> None:
        click = slicer.mrmlScene.GetFirstNodeByName(CLICK_NODE_NAME)
        if click is None:
            click = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode", CLICK_NODE_NAME)
            click.CreateDefaultDisplayNodes()
            click.SetMaximumNumberOfControlPoints(1)
        self.ui.pointPlaceWidget.setCurrentNode(click)
        if not self.hasObserver(click, click.PointPositionDefinedEvent, self.onPointPlaced):
            self.addObserver(click, click.PointPositionDefinedEvent, self.onPointPlaced)

    def _fillLesions(self, table=None) -> None:
        """List the chosen study table's lesions (their ids, as RECISTAssist names them)."""
        self.ui.lesionComboBox.clear()
        if table is None:
            return
        with slicer.util.tryWithErrorDisplay(_("This table lists no lesions."), waitCursor=False):
            for lesionId in self.logic.tableLesionIds(table):
                self.ui.lesionComboBox.addItem(lesionId)

    def _updateButtons(self, caller=None, event=None) -> None:
        p = self._parameterNode
        ready = bool(p and p.databasePath and p.inputVolume)
        self.ui.queryButton.enabled = ready
        self.ui.addLesionsButton.enabled = ready
        self.ui.queryButton.toolTip = (_("Query with the placed point, or the chosen RECIST lesion") if ready
                                       else _("Choose a lesion database and a CT volume first"))

    def onDatabaseChanged(self, path) -> None:
        if self._parameterNode:
            self._parameterNode.databasePath = path

    def onPointPlaced(self, caller, event) -> None:
        import qt

        # The query removes the click's point: not while the markups node is still processing the event
        # that placed it (Slicer defers such changes the same way: a node "cannot be deleted while a node
        # event is being processed", qSlicerSubjectHierarchyMarkupsPlugin.h, v5.8.1-v5.12.0).
        qt.QTimer.singleShot(0, self.onQueryButton)

    def onQueryButton(self) -> None:
        from deepradiology.progress import Cancelled
        from deepradiology_mrml.slicer_progress import ProgressDialog

        p = self._parameterNode
        click = slicer.mrmlScene.GetFirstNodeByName(CLICK_NODE_NAME)
        point = list(click.GetNthControlPointPositionWorld(0)) if click and click.GetNumberOfControlPoints() else None
        types = () if p.lesionType == "any" else (p.lesionType,)
        with slicer.util.tryWithErrorDisplay(_("No similar lesions found."), waitCursor=True):
            try:
                # The first query after an import builds the database's index: progress and Cancel.
                with ProgressDialog(_("LesionRetrieval"), _("Searching similar lesions")) as progress:
                    self._results = self.logic.query(
                        p.databasePath, p.inputVolume, pointRas=point, recistLongLine=p.recistLongLine,
                        lesionTable=p.lesionTable, lesionId=self.ui.lesionComboBox.currentText,
                        patient=p.patientId, k=p.neighbours, otherPatients=p.otherPatients, types=types,
                        sizeRangeMm=(p.minSizeMm, p.maxSizeMm), progress=progress)
            except Cancelled:
                self.ui.statusLabel.text = _("Cancelled: the earlier results are kept.")
                return
            finally:
                if click is not None:
                    click.RemoveAllControlPoints()
            self._showResults()

    def onAddLesionsButton(self) -> None:
        p = self._parameterNode
        with slicer.util.tryWithErrorDisplay(_("No lesions added."), waitCursor=True):
            report = self.logic.addMeasuredLesions(p.databasePath, p.inputVolume, patient=p.patientId)
            self.ui.statusLabel.text = _("{added} lesions added ({already} already there, {skipped} skipped)").format(
                added=report.added, already=report.already_present, skipped=len(report.skipped))

    def _showResults(self) -> None:
        import qt

        self.ui.resultsListWidget.clear()
        for result in self._results:
            item = qt.QListWidgetItem(result.label)
            if result.thumbnail_png is not None:
                pixmap = qt.QPixmap()
                pixmap.loadFromData(qt.QByteArray(result.thumbnail_png))
                item.setIcon(qt.QIcon(pixmap))
            item.setToolTip(_("{uid}\nimage: {image}").format(uid=result.record["uid"],
                                                                 image=result.record["image_path"] or _("none (metadata only)")))
            self.ui.resultsListWidget.addItem(item)
        self.ui.statusLabel.text = _("{n} similar lesions").format(n=len(self._results))

    def onResultDoubleClicked(self, item) -> None:
        row = self.ui.resultsListWidget.row(item)
        with slicer.util.tryWithErrorDisplay(_("Cannot load this lesion."), waitCursor=True):
            node, _lines = self.logic.loadNeighbour(self._results[row])
            slicer.util.setSliceViewerLayers(background=node, fit=True)
            self.ui.statusLabel.text = _("Loaded {name}").format(name=node.GetName())


class LesionRetrievalLogic(ScriptedLoadableModuleLogic):
    """Slicer's side of the Logic: dependencies on first use, then the shared Logic does the work."""

    def __init__(self) -> None:
        ScriptedLoadableModuleLogic.__init__(self)
        self.shared = None

    def getParameterNode(self):
        return LesionRetrievalParameterNode(super().getParameterNode())

    def reset(self) -> None:
        if self.shared is not None:
            self.shared.close()
        self.shared = None

    def _shared(self, databasePath: str, create: bool = False):
        from deepradiology_mrml.slicer_setup import ensure_python_dependencies

        ensure_python_dependencies("retrieval")  # the index is FAISS
        from deepradiology_mrml.logic.retrieval import LesionRetrievalLogic as SharedLogic

        if self.shared is None or self.shared.scene is not slicer.mrmlScene or str(self.shared.db.path) != str(databasePath):
            self.reset()
            self.shared = SharedLogic(slicer.mrmlScene, databasePath, create=create)
        return self.shared

    @staticmethod
    def tableLesionIds(tableNode) -> list:
        """The lesion ids of a study's lesion table (RECISTAssist's records on the table node)."""
        from deepradiology_mrml.tables import table_to_lesions

        return [lesion.lesion_id for lesion in table_to_lesions(tableNode)]

    def query(self, databasePath, volumeNode, *, pointRas=None, recistLongLine=None, lesionTable=None, lesionId="",
              patient="", k=10, otherPatients=False, types=(), sizeRangeMm=None, progress=None):
        """Similar lesions to the lesion at ``pointRas`` (RAS mm), else to lesion ``lesionId`` of the study table
        ``lesionTable``, else to the RECIST lesion of ``recistLongLine``. ``progress`` may raise `Cancelled`
        (while the database's index is built, on a first query); nothing is kept then."""
        from deepradiology.errors import InputError

        shared = self._shared(databasePath)
        options = {"k": k, "other_patients": otherPatients, "types": types, "size_range_mm": sizeRangeMm,
                   "progress": progress}
        if pointRas is not None:
            return shared.query_at_point(volumeNode, pointRas, patient=patient, **options)
        if lesionTable is not None and lesionId:
            return shared.query_table_lesion(lesionTable, lesionId, volume_node=volumeNode, patient=patient,
                                             **options)
        if recistLongLine is not None:
            from deepradiology_mrml.markups import SHORT_AXIS_REFERENCE

            short = recistLongLine.GetNodeReference(SHORT_AXIS_REFERENCE)
            if short is None:
                raise InputError(recistLongLine.GetName(), "is not a RECIST long axis (no short-axis partner)")
            return shared.query_recist(volumeNode, recistLongLine, short, patient=patient, **options)
        raise InputError("query", "place a point inside a lesion, or choose a study's lesion or a RECIST lesion first")

    def addMeasuredLesions(self, databasePath, volumeNode, *, patient=""):
        """Add RECISTAssist's lesions of ``volumeNode`` (its line pairs and its study's lesion table) to the
        database; lesions measured on other volumes are left out."""
        return self._shared(databasePath, create=True).add_measured_lesions(volumeNode, patient=patient)

    def loadNeighbour(self, result):
        """Load a result's image and RECIST lines into the scene."""
        return self.shared.load_neighbour(result)


class LesionRetrievalTest(ScriptedLoadableModuleTest):
    """Builds a phantom lesion database, queries it by click, by a lesion of the study's table that
    RECISTAssist's Logic measured, and by RECIST lines, and loads a neighbour."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        self.test_a_phantom_lesion_finds_lesions_of_its_type_in_other_patients()

    def test_a_phantom_lesion_finds_lesions_of_its_type_in_other_patients(self):
        import tempfile
        from pathlib import Path

        import numpy as np

        from deepradiology.frames import lps_to_ras
        from deepradiology.phantom import generate_phantom
        from deepradiology.retrieval.phantom_database import PHANTOM_DATABASE_SPACING, phantom_lesion_database
        from deepradiology_mrml.markups import add_recist_lines
        from deepradiology_mrml.volumes import image_to_volume_node

        self.delayDisplay("Making a phantom lesion database")
        db_path = phantom_lesion_database(Path(tempfile.mkdtemp()), seeds=(11, 12, 13))

        query = generate_phantom(14, n_studies=1, spacing=PHANTOM_DATABASE_SPACING)
        study = query.studies[0]
        volume = image_to_volume_node(slicer.mrmlScene, study.ct, "query CT")
        truth = next(t for t in study.lesions if t["lesion_type"] == "liver")
        logic = LesionRetrievalLogic()
        results = logic.query(str(db_path), volume, pointRas=lps_to_ras(np.asarray(truth["centre_lps"])), k=5)
        self.assertEqual(len(results), 5)
        self.assertEqual(results[0].record["lesion_type"], "liver")
        self.assertIsNotNone(results[0].thumbnail_array)

        # RECISTAssist's real output: measure the same liver lesion, then query with it from its study table.
        from deepradiology_mrml.logic.recist import RECISTAssistLogic
        from deepradiology_mrml.tables import LESION_RECORDS_ATTRIBUTE

        lesionId = RECISTAssistLogic(slicer.mrmlScene).measure(
            volume, lps_to_ras(np.asarray(truth["centre_lps"])), propagate=False).lesion_id
        tables = [slicer.mrmlScene.GetNthNodeByClass(n, "vtkMRMLTableNode")
                  for n in range(slicer.mrmlScene.GetNumberOfNodesByClass("vtkMRMLTableNode"))]
        table = next(t for t in tables if lesionId in (t.GetAttribute(LESION_RECORDS_ATTRIBUTE) or ""))
        self.assertIn(lesionId, logic.tableLesionIds(table))
        by_table = logic.query(str(db_path), volume, lesionTable=table, lesionId=lesionId, k=3)
        self.assertEqual(by_table[0].record["lesion_type"], "liver")
        long_node, _short = add_recist_lines(slicer.mrmlScene, "Q1", truth["long_axis_lps"], truth["short_axis_lps"])
        by_recist = logic.query(str(db_path), volume, recistLongLine=long_node, patient=query.plan.patient_id,
                                otherPatients=True, k=3)
        self.assertEqual(by_recist[0].record["lesion_type"], "liver")
        node, lines = logic.loadNeighbour(by_recist[0])
        self.assertIsNotNone(node.GetImageData())
        self.assertIsNotNone(lines)
        logic.reset()
        self.delayDisplay("Test passed")
