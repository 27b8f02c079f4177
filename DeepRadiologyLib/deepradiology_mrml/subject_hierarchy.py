"""Put nodes in Slicer's subject hierarchy as patient -> study -> nodes (Data module's tree).

A saved scene then opens with each volume, its RECIST lines, masks and table under the study they
belong to, instead of one flat list.
"""

from __future__ import annotations

__all__ = ["file_under_study", "study_date", "DATE_ATTRIBUTE"]

#: Attribute holding the DICOM study date (Slicer's DICOM import sets it on the subject-hierarchy study item).
DATE_ATTRIBUTE = "DICOM.StudyDate"


def study_date(volume_node) -> str:
    """The volume's study date: Slicer's DICOM import keeps ``DICOM.StudyDate`` on the subject-hierarchy
    *study* item above the volume (checked in Slicer v5.8.1 vtkMRMLSubjectHierarchyConstants.h); a
    ``DICOM.StudyDate`` attribute on the volume node itself (our own loaders) is the fallback. "" if none.
    Imports nothing, so a Widget may call it before the first-use install."""
    scene = volume_node.GetScene()
    sh = scene.GetSubjectHierarchyNode() if scene is not None else None
    if sh is not None:
        item = sh.GetItemByDataNode(volume_node)
        while item and item != sh.GetSceneItemID():
            value = sh.GetItemAttribute(item, DATE_ATTRIBUTE)
            if value:
                return value
            item = sh.GetItemParent(item)
    return volume_node.GetAttribute(DATE_ATTRIBUTE) or ""


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
