"""An organ map node in, the core's organ map out: (label `Image` on the CT's grid, {label: organ name}).

RECISTAssist takes an optional organ map (`deepradiology.recist.organs`: it names a measured lesion's
location and refuses a click on a normal organ) as either

* a ``vtkMRMLSegmentationNode`` (e.g. TotalSegmentator's output): its segments are burnt into one label
  image on the CT volume's grid (`segmentations.segmentation_to_labelmap`), named by segment name; or
* a ``vtkMRMLLabelMapVolumeNode``: it must lie on the CT's voxel grid (size, spacing, origin, directions;
  `deepradiology.io.require_same_grid`), and its values are named by its colour table, "label N" where
  the table has no name for a value.

Frames: images are LPS (the bridge converts from the nodes' RAS); arrays are [k, j, i].
"""

from __future__ import annotations

import numpy as np

from deepradiology.errors import InputError

__all__ = ["organ_map_from_node", "organ_map_source"]

#: Names a colour table gives a value it does not define (older Slicer versions write "(none)").
_NO_NAMES = {"", "(none)"}


def organ_map_from_node(node, volume_node):
    """The core's organ map for measuring on ``volume_node`` (the CT) from an organ map node.

    Returns:
        (label `Image` [k, j, i] int on the CT's grid, {label value: organ name}).

    Raises:
        InputError: a node of another kind, an empty map, or a label map off the CT's grid (the
            sentence says what differs and to resample it).
    """
    from deepradiology.io import require_same_grid

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
        labels = require_same_grid(volume_node_to_image(node), ct, what=f"the organ map {name!r}")
        array = np.asarray(labels.array)
        if not np.issubdtype(array.dtype, np.integer):
            if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
                raise InputError(name, "is not a label map (values must be whole numbers)")
        labels = labels.with_array(array.astype(np.int32), modality="", meta={})
        names = _colour_names(node, [int(v) for v in np.unique(labels.array) if v > 0])
    else:
        raise InputError(name, f"an organ map is a label map volume or a segmentation, not a {node.GetClassName()}")
    if not np.any(np.asarray(labels.array) > 0):
        raise InputError(name, "the organ map holds no organ (every voxel is 0)")
    return labels, names


def _colour_names(node, values: list[int]) -> dict[int, str]:
    """{value: name} from the label map's colour table; "label N" where it names no colour N."""
    display = node.GetDisplayNode()
    colours = display.GetColorNode() if display is not None else None
    names = {}
    for value in values:
        name = ""
        if colours is not None and value < colours.GetNumberOfColors():
            name = (colours.GetColorName(value) or "").strip()
        names[value] = name if name not in _NO_NAMES else f"label {value}"
    return names


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
    return f"label map '{name}'{table}"
