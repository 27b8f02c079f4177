"""Which study a RECISTAssist node belongs to: a node reference to the study's volume, and a place
under the study in the subject hierarchy.

Each study volume gets its own lesion table (``"<study> RECIST lesions"``) and mask segmentation
(``"<study> RECIST lesion masks"``); they and the lesion lines refer to the volume through the node
reference `VOLUME_REFERENCE` (saved in ``.mrb`` files), so LongitudinalMatch and LesionRetrieval take
only the chosen volume's lesions. The study's name is that of the subject-hierarchy item the volume is
filed under (Slicer's DICOM import makes patient -> study -> series), else the volume's own name.
"""

from __future__ import annotations

__all__ = ["VOLUME_REFERENCE", "study_name", "file_with_volume", "study_table", "nodes_of_volume"]

#: Node reference role from a table, segmentation or line to the volume it was measured on.
VOLUME_REFERENCE = "DeepRadiologyMeasuredVolume"


def _sh(scene):
    return scene.GetSubjectHierarchyNode() if hasattr(scene, "GetSubjectHierarchyNode") else None


def _parent_item(volume_node) -> int:
    """The SH item the volume is filed under (0 when it sits at the scene's top level or has no item)."""
    sh = _sh(volume_node.GetScene())
    if sh is None:
        return 0
    item = sh.GetItemByDataNode(volume_node)
    parent = sh.GetItemParent(item) if item else 0
    return 0 if parent in (0, sh.GetSceneItemID()) else parent


def study_name(volume_node) -> str:
    """The study's name: its subject-hierarchy parent item's name, else the volume's name."""
    parent = _parent_item(volume_node)
    if parent:
        return _sh(volume_node.GetScene()).GetItemName(parent)
    return volume_node.GetName()


def file_with_volume(volume_node, nodes) -> None:
    """Refer ``nodes`` to ``volume_node`` and file them beside it (under its study) in the hierarchy."""
    scene = volume_node.GetScene()
    sh = _sh(scene)
    parent = _parent_item(volume_node)
    for node in nodes:
        if node is None:
            continue
        node.SetNodeReferenceID(VOLUME_REFERENCE, volume_node.GetID())
        if sh is not None and parent:
            item = sh.GetItemByDataNode(node) or sh.CreateItem(parent, node)
            sh.SetItemParent(item, parent)


def nodes_of_volume(scene, class_name: str, volume_node) -> list:
    """The nodes of ``class_name`` measured on ``volume_node`` (their `VOLUME_REFERENCE`), scene order."""
    out = []
    for n in range(scene.GetNumberOfNodesByClass(class_name)):
        node = scene.GetNthNodeByClass(n, class_name)
        if node.GetNodeReferenceID(VOLUME_REFERENCE) == volume_node.GetID():
            out.append(node)
    return out


def study_table(scene, volume_node):
    """The RECISTAssist lesion table of ``volume_node`` (the last one made), None when it has none."""
    tables = nodes_of_volume(scene, "vtkMRMLTableNode", volume_node)
    return tables[-1] if tables else None
