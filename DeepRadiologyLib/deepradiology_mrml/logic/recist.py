"""RECISTAssist's Logic: a click on a CT volume node in, a RECIST line pair, a 3D segment and a table row out.

Per lesion ``L<n>`` the scene gets:

* two markups lines, ``"L<n> long"`` and ``"L<n> short"`` (`deepradiology_mrml.markups.add_recist_lines`),
  on the lesion's key slice;
* a segment ``"L<n>"`` in the segmentation node ``"RECIST lesion masks"`` (the propagated 3D mask);
* a row in the table node ``"RECIST lesions"``: lesion, slice, long mm, short mm, volume mL, location.

Dragging an endpoint of either line updates that lesion's row (`update_from_lines`, also wired to the
lines' point-modified events). `undo` removes one lesion (its lines, segment and row). Points are RAS mm
(Slicer's frame); the core works in LPS and the conversion happens in the bridge. A failed measurement
(a click in air, on an organ, on a non-CT volume, a zero-area box) raises the core's `InputError` /
`NoLesionError` before any node is made, and any failure while making nodes removes what was made, so
nothing half-made stays in the scene. The Logic never opens dialogs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from deepradiology.errors import InputError
from deepradiology.frames import ras_to_lps
from deepradiology.lesion import Lesion
from deepradiology.progress import ProgressCallback
from deepradiology_mrml.scene import remove_node

__all__ = ["RECISTAssistLogic", "MeasuredLesion", "TABLE_NAME", "SEGMENTATION_NAME", "TABLE_COLUMNS"]

TABLE_NAME = "RECIST lesions"
SEGMENTATION_NAME = "RECIST lesion masks"
#: Columns of the lesion table, in order.
TABLE_COLUMNS = ("lesion", "slice", "long mm", "short mm", "volume mL", "location")


@dataclass
class MeasuredLesion:
    """One lesion the Logic made: its record and the IDs of its nodes and segment."""

    lesion: Lesion
    long_node_id: str
    short_node_id: str
    segment_id: str
    observers: list = field(default_factory=list)    # (node, tag) pairs to remove on undo


def _cropped_mask(image, mask: np.ndarray):
    """The mask on its bounding box (plus one voxel) of ``image``'s grid: importing a box a few cm wide
    into the segmentation is several times faster than importing the whole volume."""
    from deepradiology import Image

    kk, jj, ii = np.nonzero(mask)
    lo = np.maximum([kk.min() - 1, jj.min() - 1, ii.min() - 1], 0)
    hi = np.minimum([kk.max() + 2, jj.max() + 2, ii.max() + 2], mask.shape)
    box = mask[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]].astype(np.uint8)
    origin = image.index_to_lps([lo[2], lo[1], lo[0]])
    return Image(box, spacing=image.spacing, origin=tuple(origin), direction=image.direction,
                 source=f"{image.source} lesion mask")



class RECISTAssistLogic:
    """Measure lesions at clicks and keep their lines, segments and table rows in ``scene`` (module docstring)."""

    def __init__(self, scene) -> None:
        self.scene = scene
        self.measured: dict[str, MeasuredLesion] = {}
        self.table_node = None
        self.segmentation_node = None
        self._updating = False

    # --- measuring ---------------------------------------------------------------------------
    def _next_name(self) -> str:
        n = 1
        taken = set(self.measured)
        while f"L{n}" in taken or self.scene.GetFirstNodeByName(f"L{n} long") is not None:
            n += 1
        return f"L{n}"

    def measure(self, volume_node, point_ras=None, *, box_ras=None, propagate: bool = True,
                max_diameter_mm: float | None = None, method: str = "adaptive", organ_labels=None,
                label_names: dict[int, str] | None = None, progress: ProgressCallback | None = None,
                model: str | None = None) -> Lesion:
        """Measure the lesion at ``point_ras`` (RAS mm) or in ``box_ras`` (two RAS corners on one slice).

        Args:
            volume_node: the CT volume node (HU).
            point_ras: a point inside the lesion, RAS mm.
            box_ras: ((x1, y1, z1), (x2, y2, z2)) RAS mm corners of a box around the lesion on one slice.
            propagate: also make the 3D mask and volume.
            max_diameter_mm: the largest lesion accepted (core default 100 mm).
            method: "adaptive" (no weights), "model" or "auto" (the installed learned cascade).
            model: with method "model", an installed model by name (e.g. an nnInteractive model: its 3D
                mask from the point or box; the record's ``extra["model"]`` names it and its licence).
            organ_labels, label_names: an organ label `Image` on the volume's grid to name the location.
            progress: callback(fraction, message).

        Returns:
            the lesion record (axes LPS mm, lengths mm, volume mL), also listed in `lesions`.

        Raises:
            InputError / NoLesionError / ModelError: nothing is added to the scene then.
        """
        from deepradiology.recist import MAX_DIAMETER_MM, measure_lesion
        from deepradiology_mrml.volumes import volume_node_to_image

        if volume_node is None:
            raise InputError("input volume", "no volume selected")
        if point_ras is None and box_ras is None:
            raise InputError("point", "place a point inside the lesion (or draw a box around it)")
        image = volume_node_to_image(volume_node)
        click = box = None
        k = None
        if box_ras is not None:
            corners = np.asarray(box_ras, dtype=float)
            if corners.shape != (2, 3) or not np.all(np.isfinite(corners)):
                raise InputError("box", "a box is two RAS corners (x, y, z)")
            a, b = image.lps_to_index(ras_to_lps(corners))
            if abs(a[2] - b[2]) > 0.5:
                raise InputError("box", "both corners must lie on the same axial slice")
            k = int(round(a[2]))
            box = (a[0], a[1], b[0], b[1])
        else:
            point = np.asarray(point_ras, dtype=float).reshape(-1)
            if point.shape != (3,) or not np.all(np.isfinite(point)):
                raise InputError("point", f"expected an (x, y, z) RAS point in mm, got {point_ras!r}")
            click = tuple(image.lps_to_index(ras_to_lps(point)))
        name = self._next_name()
        result = measure_lesion(image, click=click, box=box, slice_index=k, lesion_id=name, propagate=propagate,
                                organ_labels=organ_labels, label_names=label_names,
                                max_diameter_mm=max_diameter_mm or MAX_DIAMETER_MM, method=method, progress=progress,
                                model=model)
        self._add_nodes(volume_node, image, result)
        return result.lesion

    def _add_nodes(self, volume_node, image, result) -> None:
        """Lines, segment and row for one measurement; on any failure, remove whatever this call made."""
        from deepradiology_mrml.markups import add_recist_lines
        from deepradiology_mrml.segmentations import add_segment_from_mask

        lesion = result.lesion
        made_nodes, made_segment = [], None
        made_segmentation = self.segmentation_node is None or self.scene.GetNodeByID(
            self.segmentation_node.GetID()) is None
        made_table = self.table_node is None or self.scene.GetNodeByID(self.table_node.GetID()) is None
        try:
            long_node, short_node = add_recist_lines(self.scene, lesion.lesion_id, lesion.long_axis_lps,
                                                     lesion.short_axis_lps)
            made_nodes += [long_node, short_node]
            if made_segmentation:
                self.segmentation_node = self.scene.AddNewNodeByClass("vtkMRMLSegmentationNode", SEGMENTATION_NAME)
                made_nodes.append(self.segmentation_node)
                self.segmentation_node.CreateDefaultDisplayNodes()
                self.segmentation_node.SetReferenceImageGeometryParameterFromVolumeNode(volume_node)
            if result.volume is not None:
                mask = result.volume.mask
            else:
                mask = np.zeros(image.array.shape, dtype=bool)
                mask[result.slice.slice_index] = result.slice.mask
            made_segment = add_segment_from_mask(self.segmentation_node, _cropped_mask(image, mask),
                                                 lesion.lesion_id)
            from deepradiology_mrml.segmentations import LESION_TERMINOLOGY, set_terminology

            set_terminology(self.segmentation_node, made_segment, LESION_TERMINOLOGY)
            entry = MeasuredLesion(lesion, long_node.GetID(), short_node.GetID(), made_segment)
            self.measured[lesion.lesion_id] = entry
            if made_table:
                self.table_node = None
            self._write_table()
            if made_table:
                made_nodes.append(self.table_node)
            self._observe(entry, long_node, short_node)
        except Exception:
            self.measured.pop(lesion.lesion_id, None)
            if made_segment and not made_segmentation and self.segmentation_node is not None:
                self.segmentation_node.GetSegmentation().RemoveSegment(made_segment)
            for node in reversed(made_nodes):
                remove_node(self.scene, node)
            if made_segmentation:
                self.segmentation_node = None
            if made_table:
                self.table_node = None
            elif self.table_node is not None:
                self._write_table()
            raise

    # --- the table ---------------------------------------------------------------------------
    def rows(self) -> list[dict]:
        """The table's rows, one per lesion in measuring order."""
        rows = []
        for entry in self.measured.values():
            lesion = entry.lesion
            rows.append({"lesion": lesion.lesion_id, "slice": lesion.slice_index,
                         "long mm": round(float(lesion.long_axis_mm), 2),
                         "short mm": round(float(lesion.short_axis_mm), 2),
                         "volume mL": None if lesion.volume_ml is None else round(float(lesion.volume_ml), 3),
                         "location": lesion.location})
        return rows

    def _write_table(self) -> None:
        from deepradiology_mrml.tables import records_to_table

        from deepradiology_mrml.tables import LESION_RECORDS_ATTRIBUTE, lesion_records_json

        self.table_node = records_to_table(self.scene, self.rows(), TABLE_NAME, node=self.table_node,
                                           columns=TABLE_COLUMNS)
        # The full records (axes LPS mm) ride on the table, so LongitudinalMatch and LesionRetrieval can
        # take this table as a study's lesions (`tables.table_to_lesions`) while it shows readable columns.
        self.table_node.SetAttribute(LESION_RECORDS_ATTRIBUTE,
                                     lesion_records_json([e.lesion for e in self.measured.values()]))

    @property
    def lesions(self) -> list[Lesion]:
        """The measured lesions, in order."""
        return [entry.lesion for entry in self.measured.values()]

    # --- edits -------------------------------------------------------------------------------
    def _observe(self, entry: MeasuredLesion, long_node, short_node) -> None:
        event = getattr(long_node, "PointModifiedEvent", None)
        if event is None:
            return
        for node in (long_node, short_node):
            tag = node.AddObserver(event, lambda caller, _event, lesion_id=entry.lesion.lesion_id:
                                   self._on_line_moved(lesion_id))
            entry.observers.append((node, tag))

    def _on_line_moved(self, lesion_id: str) -> None:
        if self._updating or lesion_id not in self.measured:
            return
        try:
            self.update_from_lines(lesion_id)
        except InputError:
            pass        # a line mid-edit (fewer than 2 points): the next event brings it back

    def update_from_lines(self, lesion_id: str) -> Lesion:
        """Re-read a lesion's two lines (after the user dragged an endpoint) and update its row.

        Returns:
            the updated record: axes, lengths (mm) and ``extra["edited"] = True``.
        """
        from deepradiology_mrml.markups import recist_from_lines

        entry = self._entry(lesion_id)
        long_node = self.scene.GetNodeByID(entry.long_node_id)
        short_node = self.scene.GetNodeByID(entry.short_node_id)
        if long_node is None or short_node is None:
            raise InputError(lesion_id, "its RECIST lines were deleted from the scene")
        long_lps, short_lps, long_mm, short_mm = recist_from_lines(long_node, short_node)
        lesion = entry.lesion
        lesion.long_axis_lps = tuple(map(tuple, long_lps.tolist()))
        lesion.short_axis_lps = tuple(map(tuple, short_lps.tolist()))
        lesion.long_axis_mm = round(long_mm, 3)
        lesion.short_axis_mm = round(short_mm, 3)
        lesion.extra["edited"] = True
        self._updating = True
        try:
            self._write_table()
        finally:
            self._updating = False
        return lesion

    def _entry(self, lesion_id: str) -> MeasuredLesion:
        if lesion_id not in self.measured:
            raise InputError(lesion_id, f"no such lesion; measured lesions: {', '.join(self.measured) or 'none'}")
        return self.measured[lesion_id]

    def undo(self, lesion_id: str | None = None) -> str:
        """Remove one lesion (the last measured when ``lesion_id`` is None): its lines, segment and row.

        Returns:
            the id of the removed lesion.

        Raises:
            InputError: nothing to undo, or no such lesion.
        """
        if not self.measured:
            raise InputError("undo", "no lesion to undo")
        lesion_id = lesion_id or next(reversed(self.measured))
        entry = self._entry(lesion_id)
        for node, tag in entry.observers:
            node.RemoveObserver(tag)
        for node_id in (entry.long_node_id, entry.short_node_id):
            remove_node(self.scene, self.scene.GetNodeByID(node_id))
        if self.segmentation_node is not None:
            segmentation = self.segmentation_node.GetSegmentation()
            if segmentation.GetSegment(entry.segment_id) is not None:
                segmentation.RemoveSegment(entry.segment_id)
        del self.measured[lesion_id]
        if self.table_node is not None:
            self._write_table()
        return lesion_id
