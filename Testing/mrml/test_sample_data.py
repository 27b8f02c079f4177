"""The phantom patient as Slicer Sample Data: filed and dated the way Slicer's DICOM import files studies."""

from __future__ import annotations

import numpy as np

from deepradiology.phantom import ORGAN_LABELS, plan_patient
from deepradiology_mrml.logic.longitudinal import study_date
from deepradiology_mrml.sample_data import SAMPLE_CATEGORY, load_phantom_patient, register_phantom_sample

#: registerCustomSampleDataSource's keyword arguments, read from Modules/Scripted/SampleData/SampleData.py
#: at Slicer v5.8.1 and v5.12.0 (identical in both).
SLICER_SAMPLE_DATA_KEYWORDS = {"category", "sampleName", "uris", "fileNames", "nodeNames", "customDownloader",
                               "thumbnailFileName", "loadFileTypes", "loadFiles", "loadFileProperties",
                               "checksums", "loadFileType"}


def test_the_three_studies_sit_under_one_patient_each_dated_on_its_study_item(a_scene):
    cts = load_phantom_patient(a_scene, spacing=(1.6, 1.6, 5.0))
    plan = plan_patient(0, n_studies=3)
    assert len(cts) == 3
    sh = a_scene.GetSubjectHierarchyNode()
    patients = [sh.GetItemParent(sh.GetItemParent(sh.GetItemByDataNode(ct))) for ct in cts]
    assert len(set(patients)) == 1 and sh.GetItemName(patients[0]) == plan.patient_id
    for ct, study in zip(cts, plan.studies):
        item = sh.GetItemParent(sh.GetItemByDataNode(ct))
        assert sh.GetItemLevel(item) == "Study"
        assert sh.GetItemAttribute(item, "DICOM.StudyDate") == study.date.replace("-", "")
        assert study_date(ct) == study.date.replace("-", "")   # what LongitudinalMatch reads
        assert ct.GetAttribute("DICOM.StudyDate") is None        # not on the volume: Slicer's convention
        assert np.allclose(ct.GetSpacing(), (1.6, 1.6, 5.0))


def test_each_study_has_an_organ_label_map_whose_colour_table_names_the_organs(a_scene):
    load_phantom_patient(a_scene, spacing=(1.6, 1.6, 5.0))
    maps = [a_scene.GetNthNodeByClass(i, "vtkMRMLLabelMapVolumeNode")
            for i in range(a_scene.GetNumberOfNodesByClass("vtkMRMLLabelMapVolumeNode"))]
    assert len(maps) == 3
    colors = maps[0].GetDisplayNode().GetColorNode()
    assert colors.GetColorName(ORGAN_LABELS["liver"]) == "liver"
    assert colors.GetColorName(ORGAN_LABELS["kidney_left"]) == "kidney_left"
    labels = np.unique(_voxels(maps[0]))
    assert ORGAN_LABELS["liver"] in labels and ORGAN_LABELS["spleen"] in labels


def _voxels(node) -> np.ndarray:
    from vtk.util.numpy_support import vtk_to_numpy

    return vtk_to_numpy(node.GetImageData().GetPointData().GetScalars())


class _RecordingSampleDataLogic:
    calls: list[dict] = []

    @staticmethod
    def registerCustomSampleDataSource(**kwargs):
        _RecordingSampleDataLogic.calls.append(kwargs)


def test_registration_uses_only_slicers_keywords_and_clicking_loads_the_patient():
    loaded = []
    register_phantom_sample(_RecordingSampleDataLogic, lambda: loaded.append(True), thumbnail="icon.png")
    kwargs = _RecordingSampleDataLogic.calls[-1]
    assert set(kwargs) <= SLICER_SAMPLE_DATA_KEYWORDS
    assert kwargs["category"] == SAMPLE_CATEGORY
    # SampleDataSource requires equally long uris / fileNames / nodeNames / checksums lists.
    assert len({len(kwargs[k]) for k in ("uris", "fileNames", "nodeNames", "checksums")}) == 1
    kwargs["customDownloader"](object())        # what the Sample Data button does on click
    assert loaded == [True]
