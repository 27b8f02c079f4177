"""Core `Image` (LPS) <-> MRML volume node (RAS).

Both sides index voxels the same way: the core's ``array[k, j, i]`` is exactly what
``slicer.util.arrayFromVolume`` gives, and voxel (i, j, k) is the same voxel on both sides. Only the
frame of the geometry differs: the core's ``ijk_to_lps`` (origin, spacing in mm, LPS direction columns)
becomes the node's ``IJKToRAS`` by negating the first two rows (`deepradiology.frames.LPS_TO_RAS`).
A volume under a linear parent transform is read in world RAS (the transform is applied).
"""

from __future__ import annotations

import numpy as np

from deepradiology.errors import InputError
from deepradiology.frames import LPS_TO_RAS
from deepradiology.image import Image

from .scene import remove_node

__all__ = ["image_to_volume_node", "image_to_labelmap_node", "volume_node_to_image", "ijk_to_ras_of_node",
           "MODALITY_ATTRIBUTE"]

#: Node attribute holding the image's modality ("CT", "MR", "CR" ...), so a round trip keeps it.
MODALITY_ATTRIBUTE = "DeepRadiology.Modality"

# VTK cannot store these numpy types; they are widened without losing values.
_WIDEN = {np.dtype(bool): np.uint8, np.dtype(np.float16): np.float32}


def _vtk_matrix(m: np.ndarray):
    from vtkmodules.vtkCommonMath import vtkMatrix4x4

    out = vtkMatrix4x4()
    for r in range(4):
        for c in range(4):
            out.SetElement(r, c, float(m[r, c]))
    return out


def _numpy_matrix(vtk_matrix) -> np.ndarray:
    return np.array([[vtk_matrix.GetElement(r, c) for c in range(4)] for r in range(4)])


def _image_data(array: np.ndarray):
    """A ``vtkImageData`` holding a deep copy of ``array`` [k, j, i] (i varies fastest, as in VTK)."""
    from vtkmodules.util import numpy_support
    from vtkmodules.vtkCommonDataModel import vtkImageData

    array = np.asarray(array)
    if array.dtype in _WIDEN:
        array = array.astype(_WIDEN[array.dtype])
    k, j, i = array.shape
    image_data = vtkImageData()
    image_data.SetDimensions(i, j, k)
    scalars = numpy_support.numpy_to_vtk(np.ascontiguousarray(array).reshape(-1), deep=True)
    scalars.SetName("ImageScalars")
    image_data.GetPointData().SetScalars(scalars)
    return image_data


def _check_node(node, labelmap: bool, name: str):
    wanted = "vtkMRMLLabelMapVolumeNode" if labelmap else "vtkMRMLScalarVolumeNode"
    if not node.IsA(wanted) or (not labelmap and node.IsA("vtkMRMLLabelMapVolumeNode")):
        raise InputError(name, f"node {node.GetName()!r} is a {node.GetClassName()}, expected a {wanted}")


def image_to_volume_node(scene, image: Image, name: str, *, node=None, labelmap: bool = False):
    """Put an `Image` into the scene as a scalar volume node (or a label-map volume node).

    Args:
        scene: the ``vtkMRMLScene`` (from `deepradiology_mrml.scene.create_scene` or ``slicer.mrmlScene``).
        image: the core image; its geometry is LPS mm and becomes the node's RAS ``IJKToRAS``.
        name: the node's name, as the radiologist will see it in the data tree.
        node: an existing volume node to overwrite (array and geometry); a new node is made when None.
        labelmap: make a ``vtkMRMLLabelMapVolumeNode`` (integer labels shown in colour) instead of a
            ``vtkMRMLScalarVolumeNode``.

    Returns:
        the volume node, with display nodes. Voxel values are copied, never shared with ``image``.

    Raises:
        InputError: when ``node`` is of the wrong class, or a label map is asked of non-integer voxels.
    """
    if labelmap and not np.issubdtype(np.asarray(image.array).dtype, np.integer) \
            and np.asarray(image.array).dtype != bool:
        raise InputError(image.source or name, f"a label map needs integer voxels, got {image.array.dtype}")
    class_name = "vtkMRMLLabelMapVolumeNode" if labelmap else "vtkMRMLScalarVolumeNode"
    created = node is None
    if created:
        node = scene.AddNewNodeByClass(class_name, name)
    else:
        _check_node(node, labelmap, name)
        node.SetName(name)
    try:
        node.SetIJKToRASMatrix(_vtk_matrix(image.ijk_to_ras))
        node.SetAndObserveImageData(_image_data(image.array))
        if image.modality:
            node.SetAttribute(MODALITY_ATTRIBUTE, image.modality)
        if node.GetDisplayNode() is None:
            node.CreateDefaultDisplayNodes()
        _apply_window(node, image)
    except Exception:
        if created:  # a failure leaves no half-made node behind
            remove_node(scene, node)
        raise
    return node


def image_to_labelmap_node(scene, image: Image, name: str, *, node=None):
    """`image_to_volume_node` with ``labelmap=True``: integer labels as a label-map volume node."""
    return image_to_volume_node(scene, image, name, node=node, labelmap=True)


def _apply_window(node, image: Image) -> None:
    """Use the file's own window (DICOM 0028,1050/1051) when it has one; else Slicer's automatic one."""
    display = node.GetDisplayNode()
    if display is None or not display.IsA("vtkMRMLScalarVolumeDisplayNode") or node.IsA("vtkMRMLLabelMapVolumeNode"):
        return
    try:
        centre = float(str(image.meta.get("window_center", "")).split("\\")[0])
        width = float(str(image.meta.get("window_width", "")).split("\\")[0])
    except ValueError:
        display.AutoWindowLevelOn()
        return
    if width > 0:
        display.AutoWindowLevelOff()
        display.SetWindowLevel(width, centre)


def ijk_to_ras_of_node(node) -> np.ndarray:
    """The 4x4 matrix taking voxel (i, j, k, 1) of ``node`` to world RAS mm (parent transform applied).

    Raises:
        InputError: when the node sits under a non-linear transform (harden it first).
    """
    from vtkmodules.vtkCommonMath import vtkMatrix4x4

    matrix = vtkMatrix4x4()
    node.GetIJKToRASMatrix(matrix)
    ijk_to_ras = _numpy_matrix(matrix)
    parent = node.GetParentTransformNode()
    if parent is not None:
        if not parent.IsTransformToWorldLinear():
            raise InputError(node.GetName(), "the volume is under a non-linear transform; harden it first")
        to_world = vtkMatrix4x4()
        parent.GetMatrixTransformToWorld(to_world)
        ijk_to_ras = _numpy_matrix(to_world) @ ijk_to_ras
    return ijk_to_ras


def volume_node_to_image(node, *, modality: str | None = None) -> Image:
    """Copy a scalar or label-map volume node into a core `Image` (LPS geometry, array [k, j, i]).

    Args:
        node: a ``vtkMRMLScalarVolumeNode`` or ``vtkMRMLLabelMapVolumeNode`` with image data.
        modality: overrides the modality; by default it is the one `image_to_volume_node` stored on the
            node, or "" when unknown.

    Returns:
        an `Image` whose ``array`` is a copy (safe to keep after the node changes), ``source`` is the
        node name, and ``ijk_to_lps`` is the node's world ``IJKToRAS`` in LPS.

    Raises:
        InputError: when the node has no voxels, holds more than one component per voxel (a colour or
            vector volume), or sits under a non-linear transform.
    """
    from vtkmodules.util import numpy_support

    name = node.GetName() if node is not None else "volume"
    if node is None or not node.IsA("vtkMRMLVolumeNode"):
        raise InputError(name, "expected a volume node")
    image_data = node.GetImageData()
    if image_data is None or image_data.GetPointData().GetScalars() is None:
        raise InputError(name, "the volume node holds no voxels")
    scalars = image_data.GetPointData().GetScalars()
    if scalars.GetNumberOfComponents() != 1:
        raise InputError(name, f"expected one value per voxel, the volume has {scalars.GetNumberOfComponents()}")
    i, j, k = image_data.GetDimensions()
    array = numpy_support.vtk_to_numpy(scalars).reshape(k, j, i).copy()

    ijk_to_lps = LPS_TO_RAS @ ijk_to_ras_of_node(node)
    axes = ijk_to_lps[:3, :3]
    spacing = np.linalg.norm(axes, axis=0)
    direction = axes / spacing
    if modality is None:
        modality = node.GetAttribute(MODALITY_ATTRIBUTE) or ""
    return Image(array, spacing=tuple(spacing), origin=tuple(ijk_to_lps[:3, 3]), direction=direction,
                 modality=modality, source=name)
