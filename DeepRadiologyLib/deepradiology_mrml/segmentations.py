"""Label image (core `Image`, LPS) <-> segmentation node (RAS) with named, coloured segments.

A label image holds one integer per voxel (0 = background); a segmentation node holds named segments.
Each segment made here carries its label value in the segment tag `LABEL_VALUE_TAG`, so that
`segmentation_to_labelmap` gives back the same numbers (pancreas stays 5), also after a ``.mrb`` round
trip. Geometry goes through `deepradiology_mrml.volumes` (LPS <-> RAS in one place); colours are RGB
in [0, 1] (Slicer stores them with 8-bit precision).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from deepradiology.errors import InputError
from deepradiology.image import Image

from .scene import remove_node
from .volumes import image_to_labelmap_node, image_to_volume_node, volume_node_to_image

__all__ = ["LESION_TERMINOLOGY", "PANCREAS_TERMINOLOGY", "TERMINOLOGY_TAG", "set_terminology",
           "labelmap_to_segmentation", "segmentation_to_labelmap", "add_segment_from_mask", "remove_segment",
           "segment_labels", "find_segment_id", "default_color", "LABEL_VALUE_TAG"]

#: Segment tag holding the segment's value in a label image.
LABEL_VALUE_TAG = "DeepRadiology.LabelValue"

Color = tuple[float, float, float]

# Distinct, colour-blind-friendly colours (Okabe-Ito, then Tol's muted), RGB in [0, 1], cycled by label.
_PALETTE: tuple[Color, ...] = (
    (0.902, 0.624, 0.0), (0.337, 0.706, 0.914), (0.0, 0.620, 0.451), (0.941, 0.894, 0.259),
    (0.0, 0.447, 0.698), (0.835, 0.369, 0.0), (0.800, 0.475, 0.655), (0.533, 0.133, 0.333),
    (0.267, 0.667, 0.600), (0.600, 0.600, 0.200), (0.200, 0.133, 0.533), (0.867, 0.800, 0.467),
)


def default_color(label: int) -> Color:
    """The colour a segment of this label value gets when the caller gives none (RGB in [0, 1])."""
    return _PALETTE[(int(label) - 1) % len(_PALETTE)]


def _check_color(color, name: str) -> Color:
    rgb = np.asarray(color, dtype=float).reshape(-1)
    if rgb.shape != (3,) or not np.all((rgb >= 0) & (rgb <= 1)):
        raise InputError(name, f"a segment colour must be three numbers in [0, 1], got {color!r}")
    return (float(rgb[0]), float(rgb[1]), float(rgb[2]))


def _segments(node) -> list[tuple[str, object]]:
    segmentation = node.GetSegmentation()
    return [(segmentation.GetNthSegmentID(n), segmentation.GetNthSegment(n))
            for n in range(segmentation.GetNumberOfSegments())]


def segment_labels(node) -> dict[int, str]:
    """Label value -> segment name for every segment of ``node``.

    Segments made elsewhere (no `LABEL_VALUE_TAG`) get the next free values in their order, which is
    also what `segmentation_to_labelmap` writes for them.
    """
    segmentation = node.GetSegmentation()
    values = _values_by_id(node, [segment_id for segment_id, _ in _segments(node)])
    return {value: segmentation.GetSegment(segment_id).GetName()
            for segment_id, value in sorted(values.items(), key=lambda item: item[1])}


def _tagged_value(segment) -> int | None:
    import vtk

    text = vtk.reference("")
    if not segment.GetTag(LABEL_VALUE_TAG, text):
        return None
    try:
        return int(str(text))
    except ValueError:
        return None


def find_segment_id(node, name_or_id: str) -> str | None:
    """The ID of the segment with this ID or, failing that, this name; None when there is none."""
    segmentation = node.GetSegmentation()
    if segmentation.GetSegment(name_or_id) is not None:
        return name_or_id
    segment_id = segmentation.GetSegmentIdBySegmentName(name_or_id)
    return segment_id or None


def _import(node, label_image: Image, names: Mapping[int, str], colors: Mapping[int, Color]) -> list[str]:
    """Import the named labels of ``label_image`` into ``node``; returns the new segment IDs.

    Goes through a temporary label-map node and colour table (Slicer names and colours the imported
    segments from the table in one pass, sharing one labelmap layer), removed again before returning.
    """
    import slicer

    scene = node.GetScene()
    present = {int(v) for v in np.unique(label_image.array) if v != 0}
    before = {segment_id for segment_id, _ in _segments(node)}
    temporary = []
    try:
        labelmap = image_to_labelmap_node(scene, label_image, "DeepRadiology temporary labelmap")
        temporary.append(labelmap)
        table = scene.AddNewNodeByClass("vtkMRMLColorTableNode", "DeepRadiology temporary colours")
        temporary.append(table)
        table.SetTypeToUser()
        table.SetNumberOfColors(max(names) + 1)
        for value in range(max(names) + 1):
            table.SetColor(value, "", 0.0, 0.0, 0.0, 0.0)
        for value, name in names.items():
            table.SetColor(value, name, *colors[value], 1.0)
        labelmap.GetDisplayNode().SetAndObserveColorNodeID(table.GetID())
        if present and not slicer.vtkSlicerSegmentationsModuleLogic.ImportLabelmapToSegmentationNode(
                labelmap, node, ""):
            raise InputError(label_image.source or node.GetName(), "Slicer could not import the label image")
    finally:
        for temp in temporary:
            remove_node(scene, temp)
    segmentation = node.GetSegmentation()
    new_ids = [segment_id for segment_id, _ in _segments(node) if segment_id not in before]
    by_name = {segmentation.GetSegment(segment_id).GetName(): segment_id for segment_id in new_ids}
    for value, name in names.items():
        if value not in present:  # a named structure the image does not show still gets its (empty) segment
            by_name[name] = segmentation.AddEmptySegment("", name, list(colors[value]))
            new_ids.append(by_name[name])
        segment = segmentation.GetSegment(by_name[name])
        segment.SetColor(*colors[value])
        segment.SetTag(LABEL_VALUE_TAG, str(value))
    return new_ids


def _check_labels(label_image: Image, segment_names: Mapping[int, str], source: str) -> dict[int, str]:
    if not isinstance(label_image, Image):
        raise InputError(source, f"expected a deepradiology Image, got {type(label_image).__name__}")
    dtype = np.asarray(label_image.array).dtype
    if not (np.issubdtype(dtype, np.integer) or dtype == bool):
        raise InputError(source, f"a label image needs integer voxels, got {dtype}")
    names = {}
    for value, name in segment_names.items():
        if int(value) != value or int(value) <= 0:
            raise InputError(source, f"segment label values must be positive integers, got {value!r}")
        if not str(name).strip():
            raise InputError(source, f"label {value} has an empty segment name")
        names[int(value)] = str(name)
    if not names:
        raise InputError(source, "no segment names were given")
    unnamed = sorted(int(v) for v in np.unique(label_image.array) if v != 0 and int(v) not in names)
    if unnamed:
        raise InputError(source, f"label values {unnamed} appear in the image but have no segment name")
    return names


def labelmap_to_segmentation(scene, label_image: Image, segment_names: Mapping[int, str], *,
                             colors: Mapping[int, Sequence[float]] | None = None, reference_volume=None,
                             node=None, name: str = "Segmentation"):
    """Make (or fill) a segmentation node with one named, coloured segment per label value.

    Args:
        scene: the ``vtkMRMLScene``.
        label_image: integer label image (LPS geometry, array [k, j, i]); 0 is background.
        segment_names: label value -> segment name, e.g. ``{5: "pancreas"}``. Every non-zero value in
            the image must be named; a named value absent from the image gets an empty segment.
        colors: label value -> RGB in [0, 1]; `default_color` for values not given.
        reference_volume: the volume node whose grid the segmentation's binary labelmaps use (the
            usual choice: the CT the labels were made on). When None, the label image's own grid.
        node: an existing segmentation node to add to; segments with the same names are replaced, others
            kept. A new node named ``name`` is made when None.
        name: name of a new node.

    Returns:
        the ``vtkMRMLSegmentationNode`` (with display nodes).

    Raises:
        InputError: non-integer labels, unnamed label values, bad colours, or ``node`` not a
            segmentation node. Nothing is left in the scene when it raises.
    """
    source = label_image.source if isinstance(label_image, Image) and label_image.source else "label image"
    names = _check_labels(label_image, segment_names, source)
    colors = dict(colors or {})
    rgb = {value: _check_color(colors.get(value, default_color(value)), f"colour of {name!r}")
           for value, name in names.items()}
    if node is not None and not node.IsA("vtkMRMLSegmentationNode"):
        raise InputError(node.GetName(), f"expected a segmentation node, got a {node.GetClassName()}")
    created = node is None
    if created:
        node = scene.AddNewNodeByClass("vtkMRMLSegmentationNode", name)
    try:
        if created:
            node.CreateDefaultDisplayNodes()
            _set_reference_geometry(node, label_image, reference_volume)
        for segment_name in names.values():
            old = node.GetSegmentation().GetSegmentIdBySegmentName(segment_name)
            if old:
                node.GetSegmentation().RemoveSegment(old)
        _import(node, label_image, names, rgb)
    except Exception:
        if created:
            remove_node(scene, node)
        raise
    return node


def _set_reference_geometry(node, label_image: Image, reference_volume) -> None:
    scene = node.GetScene()
    if reference_volume is not None:
        node.SetReferenceImageGeometryParameterFromVolumeNode(reference_volume)
        return
    temp = image_to_labelmap_node(scene, label_image.with_array(np.zeros(label_image.array.shape, np.uint8)),
                                  "DeepRadiology temporary geometry")
    try:
        node.SetReferenceImageGeometryParameterFromVolumeNode(temp)
    finally:
        remove_node(scene, temp)


#: ``vtkSegment::GetTerminologyEntryTagName()`` (Slicer v5.8.1 Libs/vtkSegmentationCore/vtkSegment.cxx).
TERMINOLOGY_TAG = "TerminologyEntry"
_CONTEXT = "Segmentation category and type - DICOM master list"
_ANATOMY = "Anatomic codes - DICOM master list"


def _entry(category: tuple[str, str], kind: tuple[str, str]) -> str:
    """Slicer's terminology-entry text: context~category~type~modifier~anatomic context~region~region modifier,
    each code as scheme^value^meaning (codes from Slicer v5.8.1's DICOM master list)."""
    return (f"{_CONTEXT}~SCT^{category[0]}^{category[1]}~SCT^{kind[0]}^{kind[1]}~^^~{_ANATOMY}~^^~^^")


#: A measured lesion: category Morphologically Altered Structure (SCT 49755003), type Mass (SCT 4147007).
LESION_TERMINOLOGY = _entry(("49755003", "Morphologically Altered Structure"), ("4147007", "Mass"))
#: The pancreas: category Anatomical Structure (SCT 123037004), type Pancreas (SCT 15776009).
PANCREAS_TERMINOLOGY = _entry(("123037004", "Anatomical Structure"), ("15776009", "Pancreas"))


def set_terminology(node, segment_id: str, entry: str) -> None:
    """Give a segment its category/type codes, so that a DICOM SEG export names what it is."""
    node.GetSegmentation().GetSegment(segment_id).SetTag(TERMINOLOGY_TAG, entry)


def add_segment_from_mask(node, mask_image: Image, name: str, color: Sequence[float] | None = None, *,
                          label_value: int | None = None) -> str:
    """Add one segment made of the non-zero voxels of ``mask_image`` to a segmentation node.

    Args:
        node: a ``vtkMRMLSegmentationNode`` in a scene.
        mask_image: the mask (LPS geometry); any grid, it is resampled onto the segmentation's.
        name: the segment's name; a segment of the same name is replaced.
        color: RGB in [0, 1]; `default_color` of the label value when None.
        label_value: the value `segmentation_to_labelmap` writes for it; the next free one when None.

    Returns:
        the new segment's ID.
    """
    if not node.IsA("vtkMRMLSegmentationNode"):
        raise InputError(node.GetName(), f"expected a segmentation node, got a {node.GetClassName()}")
    if not str(name).strip():
        raise InputError(node.GetName(), "a segment needs a non-empty name")
    old = node.GetSegmentation().GetSegmentIdBySegmentName(name)
    if old:
        node.GetSegmentation().RemoveSegment(old)
    if label_value is None:
        used = segment_labels(node)
        label_value = max(used, default=0) + 1
    rgb = _check_color(default_color(label_value) if color is None else color, f"colour of {name!r}")
    mask = (np.asarray(mask_image.array) != 0).astype(np.uint8) * np.uint8(1)
    # The temporary table maps 1 -> name; the real label value is kept in the tag.
    new_ids = _import(node, mask_image.with_array(mask), {1: name}, {1: rgb})
    segment = node.GetSegmentation().GetSegment(new_ids[0])
    segment.SetTag(LABEL_VALUE_TAG, str(int(label_value)))
    return new_ids[0]


def remove_segment(node, name_or_id: str) -> None:
    """Remove the segment with this ID or name from a segmentation node.

    Raises:
        InputError: when the node has no such segment.
    """
    segment_id = find_segment_id(node, name_or_id)
    if segment_id is None:
        raise InputError(node.GetName(), f"has no segment called {name_or_id!r}")
    node.GetSegmentation().RemoveSegment(segment_id)


def segmentation_to_labelmap(node, reference_volume, *, segment_names: Sequence[str] | None = None) -> Image:
    """Burn the segments of a segmentation node into one label image on a reference grid.

    Args:
        node: a ``vtkMRMLSegmentationNode``.
        reference_volume: the grid of the result: a volume node, or a core `Image` (LPS).
        segment_names: only these segments (names or IDs); all when None.

    Returns:
        an integer `Image` (LPS geometry, array [k, j, i]) where each segment's voxels hold its label
        value (`segment_labels`); where segments overlap, the later segment wins. Unsigned 8-bit when
        the values fit, else 16- or 32-bit.

    Raises:
        InputError: when a named segment does not exist or the node is not a segmentation.
    """
    import slicer
    import vtk

    if node is None or not node.IsA("vtkMRMLSegmentationNode"):
        raise InputError(getattr(node, "GetName", lambda: "segmentation")(), "expected a segmentation node")
    scene = node.GetScene()
    temporary = []
    # Exporting gives the exported label map a colour table of its own (newer Slicer makes one per export):
    # those made here go with the temporary nodes, or every call would leave one in the scene.
    colour_tables_before = _node_ids(scene, "vtkMRMLColorTableNode")
    try:
        if isinstance(reference_volume, Image):
            reference_volume = image_to_volume_node(scene, reference_volume, "DeepRadiology temporary reference")
            temporary.append(reference_volume)
        reference = volume_node_to_image(reference_volume)
        ids_in_order = [segment_id for segment_id, _ in _segments(node)]
        value_of = _values_by_id(node, ids_in_order)
        wanted = ids_in_order
        if segment_names is not None:
            wanted = []
            for item in segment_names:
                segment_id = find_segment_id(node, item)
                if segment_id is None:
                    raise InputError(node.GetName(), f"has no segment called {item!r}")
                wanted.append(segment_id)
        top = max([value_of[s] for s in wanted], default=0)
        dtype = np.uint8 if top < 256 else np.uint16 if top < 65536 else np.uint32
        out = np.zeros(reference.array.shape, dtype=dtype)
        exported = scene.AddNewNodeByClass("vtkMRMLLabelMapVolumeNode", "DeepRadiology temporary export")
        temporary.append(exported)
        segment_names_wanted = [node.GetSegmentation().GetSegment(s).GetName() for s in wanted]
        if len(set(segment_names_wanted)) == len(wanted):
            # One pass: Slicer writes each segment with the index of its name in a colour table.
            table = scene.AddNewNodeByClass("vtkMRMLColorTableNode", "DeepRadiology temporary colours")
            temporary.append(table)
            table.SetTypeToUser()
            table.SetNumberOfColors(top + 1)
            for value in range(top + 1):
                table.SetColor(value, "", 0.0, 0.0, 0.0, 0.0)
            for segment_id, segment_name in zip(wanted, segment_names_wanted):
                table.SetColor(value_of[segment_id], segment_name, 1.0, 1.0, 1.0, 1.0)
            batches = [(wanted, table)]
        else:  # duplicate names cannot be told apart in a table: one segment at a time
            batches = [([segment_id], None) for segment_id in wanted]
        for batch, table in batches:
            ids = vtk.vtkStringArray()
            for segment_id in batch:
                ids.InsertNextValue(segment_id)
            if not slicer.vtkSlicerSegmentationsModuleLogic.ExportSegmentsToLabelmapNode(
                    node, ids, exported, reference_volume, slicer.vtkSegmentation.EXTENT_REFERENCE_GEOMETRY, table):
                raise InputError(node.GetName(), f"Slicer could not export segments {list(batch)}")
            exported_array = volume_node_to_image(exported).array
            if table is not None:
                out[...] = exported_array
            else:
                out[exported_array != 0] = value_of[batch[0]]
    finally:
        for temp in temporary:
            remove_node(scene, temp)
        for made in _node_ids(scene, "vtkMRMLColorTableNode") - colour_tables_before:
            remove_node(scene, scene.GetNodeByID(made))
    return reference.with_array(out, modality="", source=node.GetName(), meta={})


def _node_ids(scene, class_name: str) -> set[str]:
    """IDs of the scene's nodes of one class."""
    return {scene.GetNthNodeByClass(n, class_name).GetID() for n in range(scene.GetNumberOfNodesByClass(class_name))}


def _values_by_id(node, ids_in_order: list[str]) -> dict[str, int]:
    """Segment ID -> label value, with the same rule as `segment_labels`."""
    segmentation = node.GetSegmentation()
    taken: dict[int, str] = {}
    untagged = []
    for segment_id in ids_in_order:
        value = _tagged_value(segmentation.GetSegment(segment_id))
        if value is None or value in taken:
            untagged.append(segment_id)
        else:
            taken[value] = segment_id
    next_value = 1
    for segment_id in untagged:
        while next_value in taken:
            next_value += 1
        taken[next_value] = segment_id
    return {segment_id: value for value, segment_id in taken.items()}
