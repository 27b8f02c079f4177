"""A per-node cache that cannot hand a new node an old node's entry.

Slicer reuses node IDs after ``mrmlScene.Clear()`` (the first volume of every scene is
``vtkMRMLScalarVolumeNode1``), so a cache keyed by ID alone would score a new film from the old
film's pixels. An entry here is valid only for the very same node object (identity, the cache keeps
a reference) whose image data has not been modified since (VTK modified time), otherwise it is a miss.
"""

from __future__ import annotations

__all__ = ["NodeCache"]


def _stamp(node) -> int:
    """The node's image-data modified time (0 for nodes without image data)."""
    getter = getattr(node, "GetImageData", None)
    data = getter() if getter is not None else None
    return int(data.GetMTime()) if data is not None else 0


class NodeCache:
    """Mapping from a MRML node to a value, valid while the node is the same object with the same pixels."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[object, int, object]] = {}

    def get(self, node, default=None):
        if node is None:
            return default
        entry = self._entries.get(node.GetID())
        if entry is None or entry[0] is not node or entry[1] != _stamp(node):
            return default
        return entry[2]

    def __setitem__(self, node, value) -> None:
        self._entries[node.GetID()] = (node, _stamp(node), value)

    def __contains__(self, node) -> bool:
        sentinel = object()
        return self.get(node, sentinel) is not sentinel

    def clear(self) -> None:
        self._entries.clear()
