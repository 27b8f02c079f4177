"""LongitudinalMatch: follow every lesion across a patient's studies, with the RECIST 1.1 response.

The Widget only wires the UI to the Logic; the work is done by
`deepradiology_mrml.logic.longitudinal.LongitudinalMatchLogic` (shared with the web app) over the core
`deepradiology.longitudinal` (registration, lesion graph, RECIST 1.1).
"""

import os

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

from deepradiology_mrml.slicer_widget import ParameterNodeGuiMixin

#: What a track's lesion can be said to be at a study: (status as the core names it, what the panel says);
#: None takes a mark back.
STATUS_CHOICES = (("absent", "gone (absent)"), ("not_evaluated", "not evaluated"),
                  ("unequivocal_progression", "unequivocal progression (non-target)"), (None, "clear the mark"))


class LongitudinalMatch(ScriptedLoadableModule):
    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = _("LongitudinalMatch")
        self.parent.categories = [translate("qSlicerAbstractCoreModule", "DeepRadiology")]
        self.parent.dependencies = []
        self.parent.contributors = ["DeepRadiology developers"]
        self.parent.helpText = _(
            "Match the same lesion across a patient's CT studies (registration, then the intra-patient "
            "lesion graph of Yan et al., CVPR 2018), show each lesion's track and compute the RECIST 1.1 "
            "response at every time point. Add each study's CT volume (its RECISTAssist lesion table is chosen "
            "for you). Select a track to see its lesion in every study; split or merge tracks to correct a "
            "match, and say when a lesion is gone or was not evaluated at a study: the response follows.")
        self.parent.acknowledgementText = _(
            "Method: Yan, Lu, Summers et al., Deep Lesion Graphs in the Wild (CVPR 2018); RECIST 1.1 "
            "(Eisenhauer et al., EJC 2009).")
        # Sample Data lists the phantom patient once the application has started (Slicer's module
        # template registers its samples the same way); the module tests on the MRML wheel have no app.
        from deepradiology_mrml.scene import in_slicer

        if in_slicer():
            slicer.app.connect("startupCompleted()", registerSampleData)


def registerSampleData():
    """Add "DeepRadiology phantom patient (3 CT studies)" to the Sample Data module (rendered locally)."""
    import SampleData

    from deepradiology_mrml.sample_data import register_phantom_sample

    icon = os.path.join(os.path.dirname(__file__), "Resources", "Icons", "LongitudinalMatch.png")
    register_phantom_sample(SampleData.SampleDataLogic, loadPhantomPatient, thumbnail=icon)


def loadPhantomPatient():
    """Render the phantom patient's three studies into the scene and show the baseline."""
    with slicer.util.tryWithErrorDisplay(_("Cannot load the phantom patient."), waitCursor=True):
        from deepradiology_mrml.sample_data import load_phantom_patient
        from deepradiology_mrml.slicer_setup import ensure_python_dependencies

        ensure_python_dependencies()
        cts = load_phantom_patient(slicer.mrmlScene)
        slicer.util.setSliceViewerLayers(background=cts[0], fit=True)


@parameterNodeWrapper
class LongitudinalMatchParameterNode:
    """register: register follow-ups to the baseline first; forcePatient: match different patient ids."""

    register: bool = True
    forcePatient: bool = False


class LongitudinalMatchWidget(ParameterNodeGuiMixin, ScriptedLoadableModuleWidget, VTKObservationMixin):
    def __init__(self, parent=None) -> None:
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)
        self.logic = None
        self._studies = []   # (volume node, lesion table node, date text)

    def setup(self) -> None:
        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/LongitudinalMatch.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.logic = LongitudinalMatchLogic()

        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)
        self.ui.addStudyButton.connect("clicked(bool)", self.onAddStudy)
        self.ui.removeStudyButton.connect("clicked(bool)", self.onRemoveStudy)
        self.ui.applyButton.connect("clicked(bool)", self.onApplyButton)
        self.ui.splitButton.connect("clicked(bool)", self.onSplit)
        self.ui.mergeButton.connect("clicked(bool)", self.onMerge)
        self.ui.statusButton.connect("clicked(bool)", self.onSetStatus)
        self.ui.statusComboBox.clear()
        self.ui.statusComboBox.addItems([label for _status, label in STATUS_CHOICES])
        self.ui.studyVolumeSelector.connect("currentNodeChanged(vtkMRMLNode*)", self.onStudyVolumeChanged)
        # clicked(QModelIndex) is plain QAbstractItemView API, present whatever the table view's version.
        self.ui.tracksTableView.connect("clicked(QModelIndex)", self.onTrackClicked)
        self.ui.trackComboBox.connect("currentTextChanged(QString)", self.onTrackChosen)
        self.initializeParameterNode()
        self._updateButtons()

    def enter(self) -> None:
        self.initializeParameterNode()

    def onSceneStartClose(self, caller, event) -> None:
        super().onSceneStartClose(caller, event)
        self._studies = []
        self.logic.reset()

    def onSceneEndClose(self, caller, event) -> None:
        if self.parent.isEntered:
            self.initializeParameterNode()
        self._refreshStudies()

    def initializeParameterNode(self) -> None:
        self.setParameterNode(self.logic.getParameterNode())

    # --- studies list -------------------------------------------------------------------------
    def onStudyVolumeChanged(self, volume) -> None:
        """Offer the chosen volume's own RECISTAssist table (one table per study)."""
        table = self.logic.studyTable(volume) if volume is not None else None
        if table is not None:
            self.ui.lesionTableSelector.setCurrentNode(table)

    def onAddStudy(self) -> None:
        volume = self.ui.studyVolumeSelector.currentNode()
        table = self.ui.lesionTableSelector.currentNode()
        if volume is not None and table is None:
            table = self.logic.studyTable(volume)
        if volume is None or table is None:
            slicer.util.errorDisplay(_("Choose a CT volume and its lesion table first."))
            return
        if any(v is volume for v, _t, _d in self._studies):
            slicer.util.errorDisplay(_("This volume is already in the list."))
            return
        self._studies.append((volume, table, self.ui.studyDateEdit.text.strip()))
        self.ui.studyDateEdit.text = ""
        self._refreshStudies()

    def onRemoveStudy(self) -> None:
        rows = sorted({index.row() for index in self.ui.studiesTable.selectedIndexes()}, reverse=True)
        for row in rows:
            del self._studies[row]
        self._refreshStudies()

    def _refreshStudies(self) -> None:
        import qt

        table = self.ui.studiesTable
        table.setRowCount(len(self._studies))
        for row, (volume, lesions, date) in enumerate(self._studies):
            date = date or self.logic.studyDate(volume)
            for column, text in enumerate((volume.GetName(), lesions.GetName(), date)):
                table.setItem(row, column, qt.QTableWidgetItem(text))
        self._updateButtons()

    def _updateButtons(self, caller=None, event=None) -> None:
        self.ui.applyButton.enabled = len(self._studies) >= 2
        self.ui.applyButton.toolTip = (_("Match every lesion across the studies and compute the RECIST 1.1 response.")
                                       if len(self._studies) >= 2 else _("Add at least two studies."))
        has_result = self.logic is not None and self.logic.shared is not None and self.logic.shared.result is not None
        for widget in (self.ui.splitButton, self.ui.mergeButton, self.ui.statusButton):
            widget.enabled = has_result

    # --- matching -----------------------------------------------------------------------------
    def onApplyButton(self) -> None:
        from deepradiology.progress import Cancelled
        from deepradiology_mrml.slicer_progress import ProgressDialog

        with slicer.util.tryWithErrorDisplay(_("Lesion matching failed."), waitCursor=True):
            try:
                with ProgressDialog(_("LongitudinalMatch"), _("Registering and matching the studies")) as progress:
                    result = self.logic.process(self._studies, register=self._parameterNode.register,
                                                forcePatient=self._parameterNode.forcePatient, progress=progress)
            except Cancelled:
                self.ui.statusLabel.text = _("Cancelled: the earlier result (if any) is kept.")
                return
            self._showResult(result)

    def _showResult(self, result) -> None:
        shared = self.logic.shared
        self.ui.tracksTableView.setMRMLTableNode(shared.tracks_table)
        self.ui.responseTableView.setMRMLTableNode(shared.response_table)
        slicer.modules.plots.logic().ShowChartInLayout(shared.plot_chart)
        ids = [t.track_id for t in result.tracks]
        for combo, items in ((self.ui.trackComboBox, ids), (self.ui.mergeTrackComboBox, ids),
                             (self.ui.splitStudyComboBox, result.studies[1:]),
                             (self.ui.statusStudyComboBox, result.studies[1:])):
            current = combo.currentText
            combo.clear()
            combo.addItems(items)
            if current in items:   # keep the radiologist's choice across the redraw a correction causes
                combo.setCurrentText(current)
        summary = ", ".join(f"{r.study}: {r.overall_response}" for r in result.response)
        self.ui.statusLabel.text = "\n".join([_("{n} tracks. Response: {s}").format(n=len(ids), s=summary)]
                                             + list(result.warnings))
        self._updateButtons()

    def onTrackClicked(self, index) -> None:
        if self.logic.shared is None or self.logic.shared.result is None:
            return
        rows = self.logic.shared.track_rows()
        if 0 <= index.row() < len(rows):
            # Choosing it in the combo box triggers onTrackChosen, which jumps the views.
            self.ui.trackComboBox.setCurrentText(rows[index.row()]["track"])

    def onTrackChosen(self, track_id) -> None:
        if not track_id or self.logic.shared is None or self.logic.shared.result is None:
            return
        with slicer.util.tryWithErrorDisplay(_("Cannot show this track."), waitCursor=False):
            self.logic.showTrack(str(track_id))

    def onSplit(self) -> None:
        with slicer.util.tryWithErrorDisplay(_("Cannot split the track."), waitCursor=True):
            self.logic.shared.split(self.ui.trackComboBox.currentText, from_study=self.ui.splitStudyComboBox.currentText)
            self._showResult(self.logic.shared.result)

    def onSetStatus(self) -> None:
        with slicer.util.tryWithErrorDisplay(_("Cannot set the lesion's status."), waitCursor=True):
            status = STATUS_CHOICES[self.ui.statusComboBox.currentIndex][0]
            self.logic.setStatus(self.ui.trackComboBox.currentText, self.ui.statusStudyComboBox.currentText, status)
            self._showResult(self.logic.shared.result)

    def onMerge(self) -> None:
        with slicer.util.tryWithErrorDisplay(_("Cannot merge the tracks."), waitCursor=True):
            self.logic.shared.merge(self.ui.trackComboBox.currentText, self.ui.mergeTrackComboBox.currentText)
            self._showResult(self.logic.shared.result)


class LongitudinalMatchLogic(ScriptedLoadableModuleLogic):
    """Slicer's side of the Logic: dependencies on first use, then the shared Logic does the work."""

    def __init__(self) -> None:
        ScriptedLoadableModuleLogic.__init__(self)
        self.shared = None
        # the radiologist's marks, kept across a new matching: (study, (earlier study, lesion id)) -> status
        self._marks: dict = {}

    def getParameterNode(self):
        return LongitudinalMatchParameterNode(super().getParameterNode())

    def reset(self) -> None:
        self.shared = None
        self._marks = {}

    @staticmethod
    def studyTable(volumeNode):
        """The volume's own RECISTAssist lesion table (None when nothing was measured on it)."""
        from deepradiology_mrml.logic.recist_study import study_table

        return study_table(slicer.mrmlScene, volumeNode)

    @staticmethod
    def studyDate(volumeNode) -> str:
        """The study date from the volume's subject-hierarchy study item (DICOM.StudyDate), else ""."""
        from deepradiology_mrml.subject_hierarchy import study_date  # light: no first-use install needed

        return study_date(volumeNode)

    def setStatus(self, trackId: str, study: str, status) -> None:
        """Say what the track's lesion is at ``study``: "absent" (gone), "not_evaluated",
        "unequivocal_progression", or None to clear; the tables, plot and response follow, and the mark
        is applied again after the next matching (to the track holding the same earlier lesion)."""
        from deepradiology.errors import InputError

        if self.shared is None or self.shared.result is None:
            raise InputError("LongitudinalMatch", "match the lesions first")
        result = self.shared.result
        self.shared.set_status(trackId, study, status)
        anchor = self._anchor(result, result.track(trackId), study)
        if anchor is not None:
            if status is None:
                self._marks.pop((study, anchor), None)
            else:
                self._marks[(study, anchor)] = status

    @staticmethod
    def _anchor(result, track, study):
        """(earlier study, lesion id): the track's lesion at the last study before ``study``."""
        before = result.studies[:result.studies.index(study)] if study in result.studies else []
        for earlier in reversed(before):
            if track.lesions.get(earlier):
                return earlier, track.lesions[earlier][0]
        return None

    def _reapplyMarks(self, result) -> list:
        """Put the remembered marks on the new tracks; returns the warnings of those that no longer fit."""
        from deepradiology.errors import InputError

        warnings = []
        for (study, (earlier, lesion_id)), status in list(self._marks.items()):
            track = next((t for t in result.tracks if lesion_id in t.lesions.get(earlier, [])), None)
            if track is None or study not in result.studies:
                warnings.append(f"the mark '{status}' at {study} for {lesion_id} ({earlier}) no longer fits a track")
                continue
            try:
                self.shared.set_status(track.track_id, study, status)
            except InputError as exc:
                warnings.append(f"the mark '{status}' at {study} for {lesion_id} was not applied: {exc}")
        return warnings

    def process(self, studies, *, register: bool = True, forcePatient: bool = False, progress=None):
        """Match ``studies`` [(volume node, lesion table node or Lesion list, date text)]; returns the result."""
        from deepradiology_mrml.slicer_setup import ensure_python_dependencies

        ensure_python_dependencies()
        from deepradiology_mrml.logic.longitudinal import LongitudinalMatchLogic as SharedLogic
        from deepradiology_mrml.logic.longitudinal import StudyInput

        if self.shared is None or self.shared.scene is not slicer.mrmlScene:
            self.shared = SharedLogic(slicer.mrmlScene)
        inputs = [StudyInput(volume, lesions, date) for volume, lesions, date in studies]
        result = self.shared.run(inputs, register=register, force_patient=forcePatient, progress=progress)
        result.warnings.extend(self._reapplyMarks(result))
        return result

    def showTrack(self, track_id: str) -> list:
        """Show the track's lesion at baseline and at the latest study, axial views side by side
        (`deepradiology_mrml.views.show_side_by_side`). Returns the views used."""
        from deepradiology_mrml.views import show_side_by_side

        jumps = self.shared.jump_positions(track_id)
        studies = [s for s in self.shared.result.studies if s in jumps]
        shown = studies[:1] + studies[1:][-1:]
        return show_side_by_side(slicer.mrmlScene, [(self.shared.volume_node(s), jumps[s]) for s in shown])


class LongitudinalMatchTest(ScriptedLoadableModuleTest):
    """Runs the Logic on a synthetic three-study patient (the project's phantom)."""

    def setUp(self):
        slicer.mrmlScene.Clear()

    def runTest(self):
        self.setUp()
        self.test_phantom_series_is_tracked_with_recist()
        self.setUp()
        self.test_a_target_not_read_at_a_follow_up_is_not_evaluated_until_marked_gone()

    def test_phantom_series_is_tracked_with_recist(self):
        self.delayDisplay("Making a three-study phantom patient")
        from deepradiology.longitudinal.phantom_eval import phantom_lesion, pairwise_scores
        from deepradiology.phantom import generate_phantom
        from deepradiology_mrml.tables import lesions_to_table
        from deepradiology_mrml.volumes import image_to_volume_node

        phantom = generate_phantom(1, n_studies=3, spacing=(1.6, 1.6, 4.0))
        studies = []
        for s in phantom.studies:
            volume = image_to_volume_node(slicer.mrmlScene, s.ct, s.plan.study_id)
            lesions = [phantom_lesion(t, patient=phantom.plan.patient_id, study=s.plan.study_id) for t in s.lesions]
            studies.append((volume, lesions_to_table(slicer.mrmlScene, lesions, f"{s.plan.study_id} lesions"),
                            s.plan.date))
        logic = LongitudinalMatchLogic()
        result = logic.process(studies)
        scores = pairwise_scores(result)
        self.assertGreaterEqual(scores["precision"], 0.98)
        self.assertGreaterEqual(scores["recall"], 0.98)
        self.assertEqual(result.response[0].overall_response, "baseline")
        self.assertIsNotNone(logic.shared.plot_chart)
        logic.showTrack(result.tracks[0].track_id)
        self.delayDisplay("Test passed")

    def test_a_target_not_read_at_a_follow_up_is_not_evaluated_until_marked_gone(self):
        self.delayDisplay("A follow-up whose reading leaves out one target")
        from deepradiology.longitudinal.phantom_eval import phantom_lesion
        from deepradiology.longitudinal.recist11 import target_diameter_mm
        from deepradiology.phantom import generate_phantom
        from deepradiology_mrml.volumes import image_to_volume_node

        phantom = generate_phantom(1, n_studies=3, spacing=(1.6, 1.6, 4.0))
        volumes, lesions = [], []
        for s in phantom.studies:
            volumes.append(image_to_volume_node(slicer.mrmlScene, s.ct, s.plan.study_id))
            lesions.append([phantom_lesion(t, patient=phantom.plan.patient_id, study=s.plan.study_id)
                            for t in s.lesions])
        logic = LongitudinalMatchLogic()
        studies = lambda: [(v, list(ls), s.plan.date) for v, ls, s in zip(volumes, lesions, phantom.studies)]  # noqa: E731
        first = logic.process(studies(), register=False)
        last = first.studies[-1]
        target = next(t for t in first.tracks if t.track_id in first.targets and t.lesions.get(last))
        dropped = target.lesions[last][0]
        lesions[-1] = [les for les in lesions[-1] if les.lesion_id != dropped]       # the reader missed it
        result = logic.process(studies(), register=False)
        track = next(t for t in result.tracks if t.lesions.get(first.studies[0]) == target.lesions[first.studies[0]])
        at_last = result.response[-1]
        # RECIST 1.1: a target not assessed leaves no sum, and the time point is NE unless others show PD
        self.assertIsNone(at_last.sum_mm)
        self.assertIn(at_last.overall_response, ("NE", "PD"))
        # the radiologist says the targets without a lesion there are gone (the phantom's truth: they are)
        targets = [t for t in result.tracks if t.track_id in result.targets]
        gone = [t for t in targets if not t.lesions.get(last)]
        self.assertIn(track, gone)
        for t in gone:
            logic.setStatus(t.track_id, last, "absent")
        by_hand = sum(max(target_diameter_mm(les) for les in lesions[-1] if les.lesion_id in t.lesions[last])
                      for t in targets if t.lesions.get(last))
        self.assertAlmostEqual(logic.shared.result.response[-1].sum_mm, by_hand, delta=0.2)
        self.assertNotEqual(logic.shared.result.response[-1].overall_response, "NE")
        again = logic.process(studies(), register=False)        # a new matching keeps the mark
        self.assertAlmostEqual(again.response[-1].sum_mm, by_hand, delta=0.2)
        self.delayDisplay("Test passed")
