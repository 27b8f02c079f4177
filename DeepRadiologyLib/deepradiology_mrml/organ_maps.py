"""An organ map node in, the core's organ map out: (label `Image` on the CT's grid, {label: organ name}).

RECISTAssist takes an optional organ map (`deepradiology.recist.organs`: it names a measured lesion's
location and refuses a click on a normal organ) as either

* a ``vtkMRMLSegmentationNode`` (e.g. TotalSegmentator's output): its segments are burnt into one label
  image on the CT volume's grid (`segmentations.segmentation_to_labelmap`), named by segment name; or
* a ``vtkMRMLLabelMapVolumeNode``: on the CT's voxel grid it is taken as it is; on another (TotalSegmentator
  at 1.5 mm, a crop, flipped axes) it is resampled onto the CT's grid by nearest neighbour in physical
  space through the core (`deepradiology.io.label_grid.labels_on_grid`: both nodes' world IJKToRAS,
  parent transforms included, become LPS in the bridge, so RAS and LPS are not mixed); one that does not
  lie on the CT is refused. Its values are named by its colour table, "label N" where the table has no
  name for a value.

`OrganMapCache` keeps the converted map per (organ map node, CT node) until either changes (their MTimes,
their voxels' MTimes, the segments' and the colour table's), so a click does not convert it again.

Frames: images are LPS (the bridge converts from the nodes' RAS); arrays are [k, j, i].
"""

from __future__ import annotations

import numpy as np

from deepradiology.errors import InputError

__all__ = ["organ_map_from_node", "organ_map_source", "OrganMapCache"]

#: Names a colour table gives a value it does not define (older Slicer versions write "(none)").
_NO_NAMES = {"", "(none)"}


def organ_map_from_node(node, volume_node):
    """The core's organ map for measuring on ``volume_node`` (the CT) from an organ map node.

    Returns:
        (label `Image` [k, j, i] int on the CT's grid, {label value: organ name}).

    Raises:
        InputError: a node of another kind, an empty map, or a label map that does not lie on the CT
            (no overlap, too little of it, organs on the air outside the patient; the sentence says which).
    """
    from deepradiology.io.label_grid import labels_on_grid

    from .segmentations import segment_labels, segmentation_to_labelmap
    from .volumes import volume_node_to_image

    if node is None:
        raise InputError("organ map", "no organ map node given")
    name = node.GetName() or "organ map"
    if node.IsA("vtkMRMLSegmentationNode"):
        if node.GetSegmentation().GetNumberOfSegments() == 0:
            raise InputError(name, "the organ map segmentation has no segments")
        labels = segmentation_to_labelmap(node, volume_node)
        names = segment_labels(node)
    elif node.IsA("vtkMRMLLabelMapVolumeNode"):
        ct = volume_node_to_image(volume_node)
        raw = volume_node_to_image(node)
        array = np.asarray(raw.array)
        if not np.issubdtype(array.dtype, np.integer):
            if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
                raise InputError(name, "is not a label map (values must be whole numbers)")
        if np.any(array < 0):
            raise InputError(name, "is not a label map (values must be 0 or more)")
        labels = labels_on_grid(raw.with_array(array.astype(np.int32)), ct, what=f"the organ map {name!r}")
        names = _colour_names(node, [int(v) for v in np.unique(labels.array) if v > 0])
    else:
        raise InputError(name, f"an organ map is a label map volume or a segmentation, not a {node.GetClassName()}")
    if not np.any(np.asarray(labels.array) > 0):
        raise InputError(name, "the organ map holds no organ (every voxel is 0)")
    return labels, names


def _colour_names(node, values: list[int]) -> dict[int, str]:
    """{value: name} from the label map's colour table; "label N" where it names no colour N.

    A name that is only the value's number is no organ name: Slicer 5.8 gives a loaded label map its
    default "GenericColors" table (vtkSlicerColorLogic::GetDefaultLabelMapColorNodeID), whose colour 1 is
    named "1". Where the table names no value so, the colour table or JSON beside the node's file
    (``S0_organs.txt`` beside ``S0_organs.nii.gz``, as the phantom writes it; `deepradiology.io.organ_names`)
    names them instead.
    """
    display = node.GetDisplayNode()
    colours = display.GetColorNode() if display is not None else None
    names = {}
    for value in values:
        name = ""
        if colours is not None and value < colours.GetNumberOfColors():
            name = (colours.GetColorName(value) or "").strip()
        names[value] = name if name not in _NO_NAMES and name != str(value) else f"label {value}"
    if all(names[v] == f"label {v}" for v in values):
        sidecar = _names_beside_file(node, values)
        if sidecar:
            names = {v: sidecar.get(v, f"label {v}") for v in values}
    return names


def _names_beside_file(node, values: list[int]) -> dict[int, str] | None:
    """{value: name} from a colour table or JSON beside the file the node was loaded from; None without."""
    from deepradiology.io.organ_names import read_names_file, sidecar_names_file

    storage = node.GetStorageNode() if hasattr(node, "GetStorageNode") else None
    path = storage.GetFileName() if storage is not None else None
    sidecar = sidecar_names_file(path) if path else None
    return read_names_file(sidecar, set(values)) if sidecar is not None else None


def organ_map_source(node) -> str:
    """Where the names of an organ map node come from, in words, for the results line."""
    if node is None:
        return ""
    name = node.GetName() or "organ map"
    if node.IsA("vtkMRMLSegmentationNode"):
        return f"segmentation '{name}'"
    display = node.GetDisplayNode()
    colours = display.GetColorNode() if display is not None else None
    table = f", names from colour table '{colours.GetName()}'" if colours is not None else ", no colour table"
    first = (colours.GetColorName(1) or "").strip() if colours is not None and colours.GetNumberOfColors() > 1 else ""
    if first in _NO_NAMES or first == "1":     # numbers only: `_colour_names` looks beside the file
        from deepradiology.io.organ_names import sidecar_names_file

        storage = node.GetStorageNode() if hasattr(node, "GetStorageNode") else None
        sidecar = sidecar_names_file(storage.GetFileName()) if storage is not None and storage.GetFileName() else None
        table = f", names from {sidecar.name} beside its file" if sidecar is not None else ", organ names unknown"
    return f"label map '{name}'{table}"


class OrganMapCache:
    """`organ_map_from_node`, remembered per (organ map node, CT node) while neither has changed.

    What counts as a change (VTK modification times, which only grow): either node's own MTime, its
    voxels' (``GetImageData().GetMTime()``: editing voxels in place fires ``ImageDataModifiedEvent``
    without touching the node's MTime), its parent transforms', a label map's colour table (the names),
    and a segmentation's segments (names, tags, each segment's source representation, e.g. the binary
    labelmap the Segment Editor paints). A refusal is not remembered: the next click tries again.
    """

    def __init__(self, max_entries: int = 2) -> None:
        self.max_entries = max_entries          # label maps can be hundreds of MB: keep few
        self._entries: dict[tuple[str, str], tuple] = {}   # ids -> (node, CT node, stamp, result)
        self.conversions = 0                    # how many times a map was converted (not taken from here)

    def get(self, node, volume_node):
        """(labels `Image` on the CT's grid, {label: name}), as `organ_map_from_node` gives them."""
        if node is None or volume_node is None:
            return organ_map_from_node(node, volume_node)
        key = (node.GetID() or str(id(node)), volume_node.GetID() or str(id(volume_node)))
        stamp = _stamp(node) + ("|",) + _stamp(volume_node)
        cached = self._entries.get(key)
        # the very same node objects (Slicer reuses IDs after a scene clear, `node_cache`), unchanged
        if cached is not None and cached[0] is node and cached[1] is volume_node and cached[2] == stamp:
            return cached[3]
        result = organ_map_from_node(node, volume_node)
        self.conversions += 1
        self._entries.pop(key, None)
        while len(self._entries) >= self.max_entries:
            self._entries.pop(next(iter(self._entries)))
        self._entries[key] = (node, volume_node, stamp, result)
        return result

    def clear(self) -> None:
        self._entries.clear()


def _stamp(node) -> tuple:
    """The modification times that change what a node converts to (see `OrganMapCache`)."""
    stamp = [node.GetMTime()]
    if node.IsA("vtkMRMLVolumeNode"):
        image = node.GetImageData()
        stamp.append(image.GetMTime() if image is not None else 0)
        display = node.GetDisplayNode()
        colours = display.GetColorNode() if display is not None else None
        stamp += [display.GetMTime() if display is not None else 0, colours.GetMTime() if colours is not None else 0]
    if node.IsA("vtkMRMLSegmentationNode"):
        segmentation = node.GetSegmentation()
        stamp.append(segmentation.GetMTime())
        source_name = segmentation.GetSourceRepresentationName()
        for n in range(segmentation.GetNumberOfSegments()):
            segment = segmentation.GetNthSegment(n)
            data = segment.GetRepresentation(source_name)
            stamp += [segmentation.GetNthSegmentID(n), segment.GetMTime(), data.GetMTime() if data is not None else 0]
    transform = node.GetParentTransformNode() if hasattr(node, "GetParentTransformNode") else None
    while transform is not None:                # the world geometry depends on every parent transform
        # the node's MTime stays when its matrix is set: the transform object's changes
        to_parent = transform.GetTransformToParent()
        stamp += [transform.GetMTime(), to_parent.GetMTime() if to_parent is not None else 0]
        transform = transform.GetParentTransformNode()
    return tuple(stamp)
