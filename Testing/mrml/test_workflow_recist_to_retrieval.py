"""RECISTAssist's real output feeds LesionRetrieval per study (issue 12): a lesion chosen from a study's
lesion table is the query. The expected type of the nearest neighbours comes from the phantom's truth
(the planted lesion that was measured is a liver lesion), not from the code."""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology.frames import lps_to_ras


@pytest.fixture(scope="module")
def a_phantom_lesion_database(tmp_path_factory):
    """Two other phantom patients' CTs and lesions in a lesion database (SQLite + the FAISS index)."""
    from deepradiology.retrieval.phantom_database import phantom_lesion_database

    return phantom_lesion_database(tmp_path_factory.mktemp("lesion-db"), seeds=(11, 12))


@pytest.mark.slow
def test_a_lesion_of_a_study_s_recist_table_queries_the_database(a_scene, a_coarse_phantom_patient,
                                                                 a_phantom_lesion_database):
    from deepradiology.errors import InputError
    from deepradiology_mrml.logic.recist import RECISTAssistLogic
    from deepradiology_mrml.logic.retrieval import LesionRetrievalLogic
    from deepradiology_mrml.tables import LESION_RECORDS_ATTRIBUTE
    from deepradiology_mrml.volumes import image_to_volume_node

    study = a_coarse_phantom_patient.studies[0]
    volume = image_to_volume_node(a_scene, study.ct, "study 0")
    liver = next(t for t in study.lesions if t["lesion_type"] == "liver")
    lesion_id = RECISTAssistLogic(a_scene).measure(volume, lps_to_ras(np.asarray(liver["centre_lps"])),
                                                   propagate=False).lesion_id
    # The study's lesion table: the table node that carries RECISTAssist's records of this lesion.
    tables = [a_scene.GetNthNodeByClass(n, "vtkMRMLTableNode")
              for n in range(a_scene.GetNumberOfNodesByClass("vtkMRMLTableNode"))]
    table = next(t for t in tables if lesion_id in (t.GetAttribute(LESION_RECORDS_ATTRIBUTE) or ""))
    retrieval = LesionRetrievalLogic(a_scene, a_phantom_lesion_database)
    try:
        results = retrieval.query_table_lesion(table, lesion_id, volume_node=volume, k=3)
        assert len(results) == 3
        assert results[0].record["lesion_type"] == "liver"
        with pytest.raises(InputError, match="has no lesion 'L99'"):
            retrieval.query_table_lesion(table, "L99", volume_node=volume)
    finally:
        retrieval.close()
