"""Put nodes in Slicer's subject hierarchy as patient -> study -> nodes (Data module's tree).

A saved scene then opens with each volume, its RECIST lines, masks and table under the study they
belong to, instead of one flat list.
"""

from __future__ import annotations

__all__ = ["file_under_study"]


def file_under_study(scene, patient: str, study: str, nodes) -> int:
    """Make (or reuse) the patient item ``patient`` and its study item ``study``; move ``nodes`` under it.

    Returns:
        the study's subject hierarchy item id (0 when the scene has no subject hierarchy).
    """
    sh = scene.GetSubjectHierarchyNode() if hasattr(scene, "GetSubjectHierarchyNode") else None
    if sh is None:
        return 0
    root = sh.GetSceneItemID()
    patient_item = sh.GetItemChildWithName(root, patient) or sh.CreateSubjectItem(root, patient)
    study_item = sh.GetItemChildWithName(patient_item, study) or sh.CreateStudyItem(patient_item, study)
    for node in nodes:
        if node is None:
            continue
        item = sh.GetItemByDataNode(node) or sh.CreateItem(study_item, node)
        sh.SetItemParent(item, study_item)
    return study_item
