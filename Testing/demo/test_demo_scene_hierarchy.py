"""The demo's scene is filed patient -> study -> nodes in the subject hierarchy, and keeps it in the .mrb."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("slicer", reason="needs the slicer-core wheel (pip install 'deepradiology[mrml]')")


def test_nodes_are_filed_under_their_study_and_patient_and_survive_saving(a_scene, tmp_path):
    from deepradiology import Image
    from deepradiology_mrml.mrb import load_mrb, save_mrb
    from deepradiology_mrml.subject_hierarchy import file_under_study
    from deepradiology_mrml.volumes import image_to_volume_node

    image = Image(np.zeros((4, 4, 4), np.int16), spacing=(1.0, 1.0, 1.0))
    ct0, ct1 = image_to_volume_node(a_scene, image, "S0 CT"), image_to_volume_node(a_scene, image, "S1 CT")
    table = a_scene.AddNewNodeByClass("vtkMRMLTableNode", "S0 RECIST lesions")
    file_under_study(a_scene, "patient-7", "S0 (2024-01-15)", [ct0, table])
    file_under_study(a_scene, "patient-7", "S1 (2024-04-15)", [ct1])
    save_mrb(a_scene, tmp_path / "scene.mrb")

    scene = load_mrb(tmp_path / "scene.mrb")
    sh = scene.GetSubjectHierarchyNode()

    def parents(name):
        item = sh.GetItemByDataNode(scene.GetFirstNodeByName(name))
        study = sh.GetItemParent(item)
        return sh.GetItemName(study), sh.GetItemName(sh.GetItemParent(study)), sh.GetItemLevel(study)

    assert parents("S0 CT") == ("S0 (2024-01-15)", "patient-7", "Study")
    assert parents("S0 RECIST lesions") == ("S0 (2024-01-15)", "patient-7", "Study")
    assert parents("S1 CT") == ("S1 (2024-04-15)", "patient-7", "Study")
