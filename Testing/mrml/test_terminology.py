"""Segments carry DICOM terminology (SNOMED CT category/type), so a DICOM SEG export names them (issue 12).
Expected codes are SNOMED CT's own: 49755003 Morphologically altered structure, 4147007 Mass."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.slow
def test_a_measured_lesion_s_segment_is_coded_as_a_mass(a_scene, a_coarse_phantom_patient):
    from deepradiology.frames import lps_to_ras
    from deepradiology_mrml.logic.recist import RECISTAssistLogic
    from deepradiology_mrml.volumes import image_to_volume_node

    study = a_coarse_phantom_patient.studies[0]
    volume = image_to_volume_node(a_scene, study.ct, "ct")
    truth = next(t for t in study.lesions if t["organ"] in ("kidney_left", "spleen"))
    logic = RECISTAssistLogic(a_scene)
    logic.measure(volume, lps_to_ras(np.asarray(truth["centre_lps"])), propagate=False)
    segment = logic.segmentation_node.GetSegmentation().GetNthSegment(0)
    import vtk

    value = vtk.reference("")
    assert segment.GetTag("TerminologyEntry", value)  # the wrapped GetTag(name, std::string&) form
    entry = str(value)
    fields = entry.split("~")
    assert fields[1] == "SCT^49755003^Morphologically Altered Structure"
    assert fields[2] == "SCT^4147007^Mass"
