"""RECISTAssist's real table feeds LongitudinalMatch (issue 12: 'a lesion record has no lesion_id').

Expected tracks come from the phantom's truth (each planted lesion's ``track_id``), not from the code:
the lesion measured at truth lesion T5's centre in both studies must land in one track, apart from T2's.
The study dates are put where Slicer's DICOM import puts them: on the subject-hierarchy study item.
"""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology.frames import lps_to_ras


def _put_under(sh, volume, study_item):
    """Place the volume under the study item (Slicer's SH plugins make the volume's item; the wheel may not)."""
    item = sh.GetItemByDataNode(volume)
    if item:
        sh.SetItemParent(item, study_item)
    else:
        sh.CreateItem(study_item, volume)
    assert sh.GetItemParent(sh.GetItemByDataNode(volume)) == study_item


@pytest.mark.slow
def test_recist_tables_of_two_studies_are_tracked_with_dates_from_the_study_items(a_scene, a_coarse_phantom_patient):
    from deepradiology_mrml.logic.longitudinal import LongitudinalMatchLogic, StudyInput
    from deepradiology_mrml.logic.recist import RECISTAssistLogic
    from deepradiology_mrml.volumes import image_to_volume_node

    sh = a_scene.GetSubjectHierarchyNode()
    patient = sh.CreateSubjectItem(sh.GetSceneItemID(), "phantom patient")
    inputs, measured = [], {}
    for n, (study, date) in enumerate(zip(a_coarse_phantom_patient.studies[:2], ("20200105", "20200402"))):
        volume = image_to_volume_node(a_scene, study.ct, f"study {n}")
        study_item = sh.CreateStudyItem(patient, f"study {n}")
        _put_under(sh, volume, study_item)
        sh.SetItemAttribute(study_item, "DICOM.StudyDate", date)
        logic = RECISTAssistLogic(a_scene)
        for truth in study.lesions:
            if truth["track_id"] in ("T2", "T5"):
                lesion = logic.measure(volume, lps_to_ras(np.asarray(truth["centre_lps"])), propagate=False)
                measured[(n, truth["track_id"])] = lesion.lesion_id
        inputs.append(StudyInput(volume, logic.table_node))
    match = LongitudinalMatchLogic(a_scene)
    result = match.run(inputs, register=False)
    assert [result.studies[0], result.studies[1]] == ["study 0", "study 1"]
    rows = match.track_rows()
    track_of = {}
    for row in rows:
        for n in (0, 1):
            for lesion_id in filter(None, row[f"study {n} lesion"].split(", ")):
                track_of[(n, lesion_id)] = row["track"]
    t5 = {track_of[(n, measured[(n, "T5")])] for n in (0, 1)}
    t2 = {track_of[(n, measured[(n, "T2")])] for n in (0, 1)}
    assert len(t5) == 1 and len(t2) == 1 and t5 != t2


def test_the_study_date_is_read_from_the_subject_hierarchy_study_item(a_scene):
    from deepradiology.image import Image
    from deepradiology_mrml.logic.longitudinal import study_date
    from deepradiology_mrml.volumes import image_to_volume_node

    volume = image_to_volume_node(a_scene, Image(np.zeros((2, 4, 4), np.float32), spacing=(1.0, 1.0, 1.0)), "ct")
    assert study_date(volume) == ""
    sh = a_scene.GetSubjectHierarchyNode()
    study_item = sh.CreateStudyItem(sh.CreateSubjectItem(sh.GetSceneItemID(), "p"), "s")
    _put_under(sh, volume, study_item)
    sh.SetItemAttribute(study_item, "DICOM.StudyDate", "20210301")
    assert study_date(volume) == "20210301"


@pytest.mark.slow
def test_one_recist_session_over_two_studies_feeds_matching_and_retrieval_per_study(a_scene, a_coarse_phantom_patient,
                                                                                    tmp_path):
    """As in Slicer: one RECISTAssist panel, two study volumes; each volume's own table goes to
    LongitudinalMatch, and Add measured lesions takes each volume's lesions once."""
    from deepradiology_mrml.logic.longitudinal import LongitudinalMatchLogic, StudyInput
    from deepradiology_mrml.logic.recist import RECISTAssistLogic
    from deepradiology_mrml.logic.recist_study import study_table
    from deepradiology_mrml.logic.retrieval import LesionRetrievalLogic
    from deepradiology_mrml.volumes import image_to_volume_node

    logic = RECISTAssistLogic(a_scene)
    volumes, measured = [], {}
    for n, study in enumerate(a_coarse_phantom_patient.studies[:2]):
        volume = image_to_volume_node(a_scene, study.ct, f"study {n}")
        volumes.append(volume)
        for truth in study.lesions:
            if truth["track_id"] in ("T2", "T5"):
                measured[(n, truth["track_id"])] = logic.measure(
                    volume, lps_to_ras(np.asarray(truth["centre_lps"])), propagate=False).lesion_id
    tables = [study_table(a_scene, v) for v in volumes]
    assert tables[0] is not tables[1]
    match = LongitudinalMatchLogic(a_scene)
    match.run([StudyInput(v, t, date) for v, t, date in zip(volumes, tables, ("20200105", "20200402"))],
              register=False)
    track_of = {}
    for row in match.track_rows():
        for n in (0, 1):
            for lesion_id in filter(None, row[f"study {n} lesion"].split(", ")):
                track_of[(n, lesion_id)] = row["track"]
    assert track_of[(0, measured[(0, "T5")])] == track_of[(1, measured[(1, "T5")])]
    assert track_of[(0, measured[(0, "T2")])] == track_of[(1, measured[(1, "T2")])]
    assert track_of[(0, measured[(0, "T5")])] != track_of[(0, measured[(0, "T2")])]
    retrieval = LesionRetrievalLogic(a_scene, tmp_path / "lesions.sqlite", create=True)
    try:
        added = [retrieval.add_measured_lesions(v, patient="P", study=f"study {n}").added
                 for n, v in enumerate(volumes)]
    finally:
        retrieval.close()
    assert added == [2, 2]
