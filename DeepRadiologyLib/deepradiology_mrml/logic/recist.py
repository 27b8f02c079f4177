"""RECISTAssist's Logic: a click on a CT volume node in, a RECIST line pair, a 3D segment and a table row out.

Per lesion ``L<n>`` (numbered across the scene) the scene gets:

* two markups lines, ``"L<n> long"`` and ``"L<n> short"`` (`deepradiology_mrml.markups.add_recist_lines`),
  on the lesion's key slice;
* a segment ``"L<n>"`` in the study's segmentation node ``"<study> RECIST lesion masks"`` (the 3D mask);
* a row in the study's table node ``"<study> RECIST lesions"``: lesion, slice, long mm, short mm,
  volume mL, location.

One table and one segmentation per study volume (`recist_study`): they and the lines refer to the
volume and are filed under its study in the subject hierarchy, and in Slicer they are drawn only in
the views showing that volume (`deepradiology_mrml.study_views`). ``per_study=False`` keeps one table
and one segmentation for every volume (the web app, which lists all studies' lesions in one table and
keeps its per-study records itself).

One lesion, one record: measuring a lesion the volume already lists (the new 3D mask shares at least
half of the smaller mask with the old one, or the click lies inside the old mask and the masks touch, or
one record's centre lies inside the other's extent, `deepradiology.longitudinal.records.same_lesion`) moves that lesion's lines, replaces its segment and
updates its row; no second record is made (``update_same_lesion=False`` turns this off).

Dragging an endpoint updates the row's lengths at once (point-modified events); when the drag ends
(or `update_from_lines` is called) the mask and volume are made again from the new endpoints
(`deepradiology.recist.edit.follow_edited_endpoints`, the same for every front end); a front end whose
own records follow the lines listens with `on_line_edited`. `undo_last` undoes the last action (a measurement, an
update, an edit); `undo` removes one lesion (its lines, segment and row). Points are RAS mm (Slicer's
frame); the core works in LPS and the conversion happens in the bridge. A failed measurement raises the
core's `InputError` / `NoLesionError` before any node is made, and any failure while making nodes
removes what was made, so nothing half-made stays in the scene. The Logic never opens dialogs.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace

import numpy as np

from deepradiology.errors import InputError
from deepradiology.frames import ras_to_lps
from deepradiology.lesion import Lesion
from deepradiology.progress import ProgressCallback
from deepradiology_mrml.logic.lesion_mask import MaskBox
from deepradiology_mrml.scene import remove_node

__all__ = ["RECISTAssistLogic", "MeasuredLesion", "StudyNodes", "TABLE_NAME", "SEGMENTATION_NAME", "TABLE_COLUMNS"]

TABLE_NAME = "RECIST lesions"
SEGMENTATION_NAME = "RECIST lesion masks"
#: Columns of the lesion table, in order.
TABLE_COLUMNS = ("lesion", "slice", "long mm", "short mm", "volume mL", "location")


@dataclass
class MeasuredLesion:
    """One lesion the Logic made: its record, the IDs of its nodes and segment, and its mask."""

    lesion: Lesion
    long_node_id: str
    short_node_id: str
    segment_id: str
    observers: list = field(default_factory=list)    # (node, tag) pairs to remove on undo
    volume_node_id: str = ""
    mask: MaskBox | None = None
    propagated: bool = True
    committed: tuple | None = None    # (record, long LPS, short LPS, mask, propagated) after the last action


@dataclass
class StudyNodes:
    """The table and segmentation of one study volume ("" key: every volume, ``per_study=False``)."""

    table_node: object = None
    segmentation_node: object = None


def _alive(scene, node):
    return node is not None and scene.GetNodeByID(node.GetID()) is node


class RECISTAssistLogic:
    """Measure lesions at clicks and keep their lines, segments and table rows in ``scene`` (module docstring)."""

    def __init__(self, scene, *, per_study: bool = True, update_same_lesion: bool = True) -> None:
        self.scene = scene
        self.per_study = per_study
        self.update_same_lesion = update_same_lesion
        self.measured: dict[str, MeasuredLesion] = {}
        self.studies: dict[str, StudyNodes] = {}
        self.last_action = ""                  # "added" | "updated": what the last `measure` did
        self._history: list[tuple] = []        # ("add", id) | ("update"/"edit", id, committed state before)
        self._current = ""                     # study key of the last volume measured on
        self._updating = False
        self._edit_listeners: list = []        # front ends told of each endpoint edit (`on_line_edited`)
        self._views = None
        self._organ_maps = None                # OrganMapCache, made on first use

    def organ_map_of(self, organ_map_node, volume_node):
        """(organ labels `Image` on ``volume_node``'s grid, {label: name}) for ``measure``'s
        ``organ_labels`` / ``label_names``, from a segmentation or label-map node; converted (and
        resampled when off the CT's grid) once, then taken from `organ_maps.OrganMapCache` until either
        node changes."""
        from deepradiology_mrml.organ_maps import OrganMapCache

        if self._organ_maps is None:
            self._organ_maps = OrganMapCache()
        return self._organ_maps.get(organ_map_node, volume_node)

    # --- per study ---------------------------------------------------------------------------
    def _key(self, volume_node) -> str:
        return volume_node.GetID() if self.per_study else ""

    def _study(self, volume_node) -> StudyNodes:
        return self.studies.setdefault(self._key(volume_node), StudyNodes())

    @property
    def table_node(self):
        """The lesion table of the volume measured last (of every volume when ``per_study=False``)."""
        nodes = self.studies.get(self._current)
        return nodes.table_node if nodes is not None else None

    @property
    def segmentation_node(self):
        """The mask segmentation of the volume measured last (of every volume when ``per_study=False``)."""
        nodes = self.studies.get(self._current)
        return nodes.segmentation_node if nodes is not None else None

    def table_for(self, volume_node):
        """The lesion table of ``volume_node`` (None before its first lesion)."""
        nodes = self.studies.get(self._key(volume_node))
        return nodes.table_node if nodes is not None else None

    def segmentation_for(self, volume_node):
        """The mask segmentation of ``volume_node`` (None before its first lesion)."""
        nodes = self.studies.get(self._key(volume_node))
        return nodes.segmentation_node if nodes is not None else None

    def lesions_of(self, volume_node) -> list[Lesion]:
        """The lesions measured on ``volume_node``, in order."""
        return [e.lesion for e in self.measured.values() if e.volume_node_id == volume_node.GetID()]

    def _entries_of(self, key: str) -> list[MeasuredLesion]:
        return [e for e in self.measured.values() if not self.per_study or e.volume_node_id == key]

    def _segmentation_of(self, entry: MeasuredLesion):
        return self.studies[entry.volume_node_id if self.per_study else ""].segmentation_node

    def _volume(self, entry: MeasuredLesion):
        node = self.scene.GetNodeByID(entry.volume_node_id)
        if node is None:
            raise InputError(entry.lesion.lesion_id, "the volume it was measured on is no longer in the scene")
        return node

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
            progress: callback(fraction, message); it may raise `Cancelled` (nothing is added then).

        Returns:
            the lesion record (axes LPS mm, lengths mm, volume mL). When the volume already lists this
            lesion, that record is updated (its id kept, ``extra["remeasured"] = True``) and
            `last_action` is "updated"; otherwise a new record is added ("added").

        Raises:
            InputError / NoLesionError / ModelError / Cancelled: nothing is added to the scene then.
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
        mask = self._full_mask(image, result)
        if click is not None:
            clicked = (click[2], click[1], click[0])
        else:
            clicked = (k, (box[1] + box[3]) / 2.0, (box[0] + box[2]) / 2.0)
        same = self._same_lesion(volume_node, result.lesion, mask, clicked) if self.update_same_lesion else None
        self._current = self._key(volume_node)
        if same is not None:
            self._remeasure(same, result.lesion, mask, propagated=result.volume is not None)
            self.last_action = "updated"
            return same.lesion
        self._add_nodes(volume_node, image, result, mask)
        self.last_action = "added"
        return result.lesion

    @staticmethod
    def _full_mask(image, result) -> MaskBox:
        if result.volume is not None:
            return MaskBox.from_mask(result.volume.mask)
        mask = np.zeros(image.array.shape, dtype=bool)
        mask[result.slice.slice_index] = result.slice.mask
        return MaskBox.from_mask(mask)

    def _same_lesion(self, volume_node, lesion: Lesion, mask: MaskBox, clicked_kji) -> MeasuredLesion | None:
        """The lesion of this volume that the new measurement is: the masks overlap (`MaskBox.same_lesion`),
        or the click (voxel k, j, i) lies in the listed lesion's mask, or one centre lies in the other's extent."""
        from deepradiology.longitudinal.records import same_lesion

        for entry in self.measured.values():
            if entry.volume_node_id != volume_node.GetID():
                continue
            if entry.mask is not None and (entry.mask.same_lesion(mask) or
                                           (entry.mask.overlap(mask) and entry.mask.contains(clicked_kji))):
                return entry
            if same_lesion(entry.lesion, lesion)[0]:
                return entry
        return None

    def _add_nodes(self, volume_node, image, result, mask: MaskBox) -> None:
        """Lines, segment and row for one measurement; on any failure, remove whatever this call made."""
        from deepradiology_mrml.logic.recist_study import file_with_volume, study_name
        from deepradiology_mrml.markups import add_recist_lines
        from deepradiology_mrml.segmentations import LESION_TERMINOLOGY, add_segment_from_mask, set_terminology

        lesion = result.lesion
        study = self._study(volume_node)
        made_nodes, made_segment = [], None
        made_segmentation = not _alive(self.scene, study.segmentation_node)
        made_table = not _alive(self.scene, study.table_node)
        prefix = f"{study_name(volume_node)} " if self.per_study else ""
        try:
            long_node, short_node = add_recist_lines(self.scene, lesion.lesion_id, lesion.long_axis_lps,
                                                     lesion.short_axis_lps)
            made_nodes += [long_node, short_node]
            if made_segmentation:
                study.segmentation_node = self.scene.AddNewNodeByClass("vtkMRMLSegmentationNode",
                                                                       prefix + SEGMENTATION_NAME)
                made_nodes.append(study.segmentation_node)
                study.segmentation_node.CreateDefaultDisplayNodes()
                study.segmentation_node.SetReferenceImageGeometryParameterFromVolumeNode(volume_node)
            made_segment = add_segment_from_mask(study.segmentation_node, mask.to_image(image), lesion.lesion_id)
            set_terminology(study.segmentation_node, made_segment, LESION_TERMINOLOGY)
            entry = MeasuredLesion(lesion, long_node.GetID(), short_node.GetID(), made_segment,
                                   volume_node_id=volume_node.GetID(), mask=mask,
                                   propagated=result.volume is not None)
            self.measured[lesion.lesion_id] = entry
            if made_table:
                study.table_node = self.scene.AddNewNodeByClass("vtkMRMLTableNode", prefix + TABLE_NAME)
                made_nodes.append(study.table_node)
            self._write_table(self._key(volume_node))
            if self.per_study:
                file_with_volume(volume_node, [long_node, short_node, study.segmentation_node, study.table_node])
            self._observe(entry, long_node, short_node)
            entry.committed = self._state(entry)
            self._history.append(("add", lesion.lesion_id))
            self._show_in_study_views()
        except Exception:
            self.measured.pop(lesion.lesion_id, None)
            if made_segment and not made_segmentation and study.segmentation_node is not None:
                study.segmentation_node.GetSegmentation().RemoveSegment(made_segment)
            for node in reversed(made_nodes):
                remove_node(self.scene, node)
            if made_segmentation:
                study.segmentation_node = None
            if made_table:
                study.table_node = None
            elif study.table_node is not None:
                self._write_table(self._key(volume_node))
            raise

    # --- one record per lesion: a re-measurement, an edit, and their undo -------------------------
    def _state(self, entry: MeasuredLesion) -> tuple:
        """What undo puts back: the record, both axes (LPS mm) and the mask."""
        lesion = copy.deepcopy(entry.lesion)
        return (lesion, lesion.long_axis_lps, lesion.short_axis_lps, entry.mask, entry.propagated)

    def _lines(self, entry: MeasuredLesion):
        long_node = self.scene.GetNodeByID(entry.long_node_id)
        short_node = self.scene.GetNodeByID(entry.short_node_id)
        if long_node is None or short_node is None:
            raise InputError(entry.lesion.lesion_id, "its RECIST lines were deleted from the scene")
        return long_node, short_node

    def _replace_mask(self, entry: MeasuredLesion, mask: MaskBox) -> None:
        from deepradiology_mrml.segmentations import LESION_TERMINOLOGY, add_segment_from_mask, set_terminology
        from deepradiology_mrml.volumes import volume_node_to_image

        segmentation_node = self._segmentation_of(entry)
        image = volume_node_to_image(self._volume(entry))
        new_id = add_segment_from_mask(segmentation_node, mask.to_image(image), entry.lesion.lesion_id)
        segmentation = segmentation_node.GetSegmentation()
        if segmentation.GetSegment(entry.segment_id) is not None:
            segmentation.RemoveSegment(entry.segment_id)
        set_terminology(segmentation_node, new_id, LESION_TERMINOLOGY)
        entry.segment_id, entry.mask = new_id, mask

    def _set_lines(self, entry: MeasuredLesion, long_lps, short_lps) -> None:
        from deepradiology_mrml.markups import set_line_lps

        self._updating = True
        try:
            for node, points in zip(self._lines(entry), (long_lps, short_lps)):
                set_line_lps(node, points)
        finally:
            self._updating = False

    def _remeasure(self, entry: MeasuredLesion, lesion: Lesion, mask: MaskBox, *, propagated: bool) -> None:
        """The new measurement of a lesion already listed: same id, same nodes, new values."""
        before = entry.committed
        self._set_lines(entry, lesion.long_axis_lps, lesion.short_axis_lps)
        self._replace_mask(entry, mask)
        entry.lesion = replace(lesion, lesion_id=entry.lesion.lesion_id,
                               extra={**lesion.extra, "remeasured": True})
        entry.propagated = propagated
        self._write_table(self._key(self._volume(entry)))
        entry.committed = self._state(entry)
        self._history.append(("update", entry.lesion.lesion_id, before))

    def _restore(self, entry: MeasuredLesion, state: tuple) -> None:
        lesion, long_lps, short_lps, mask, propagated = state
        self._set_lines(entry, long_lps, short_lps)
        if mask is not None and mask is not entry.mask:
            self._replace_mask(entry, mask)
        entry.lesion, entry.propagated = copy.deepcopy(lesion), propagated
        entry.committed = self._state(entry)
        self._write_table(self._key(self._volume(entry)))

    @property
    def can_undo(self) -> bool:
        """Whether `undo_last` has something to undo."""
        return any(action[1] in self.measured for action in self._history)

    def undo_last(self) -> str:
        """Undo the last action: a new lesion is removed; an update or an endpoint edit is put back.

        Returns:
            what was undone, in words ("L2 removed", "L1: edit undone", "L1: re-measurement undone").

        Raises:
            InputError: nothing to undo.
        """
        while self._history and self._history[-1][1] not in self.measured:
            self._history.pop()          # a lesion removed some other way
        if not self._history:
            raise InputError("undo", "nothing to undo")
        action = self._history.pop()
        if action[0] == "add":
            return f"{self.undo(action[1])} removed"
        kind, lesion_id, before = action
        self._restore(self.measured[lesion_id], before)
        return f"{lesion_id}: {'edit' if kind == 'edit' else 're-measurement'} undone"

    # --- the table ---------------------------------------------------------------------------
    def rows(self, volume_node=None) -> list[dict]:
        """The table's rows, one per lesion in measuring order (of ``volume_node``'s table when given,
        else of the table last written)."""
        key = self._current if volume_node is None else self._key(volume_node)
        return self._rows(key)

    def _rows(self, key: str) -> list[dict]:
        rows = []
        for entry in self._entries_of(key):
            lesion = entry.lesion
            rows.append({"lesion": lesion.lesion_id, "slice": lesion.slice_index,
                         "long mm": round(float(lesion.long_axis_mm), 2),
                         "short mm": round(float(lesion.short_axis_mm), 2),
                         "volume mL": None if lesion.volume_ml is None else round(float(lesion.volume_ml), 3),
                         "location": lesion.location})
        return rows

    def _write_table(self, key: str) -> None:
        from deepradiology_mrml.tables import LESION_RECORDS_ATTRIBUTE, lesion_records_json, records_to_table

        study = self.studies.get(key)
        if study is None or not _alive(self.scene, study.table_node):
            return
        records_to_table(self.scene, self._rows(key), study.table_node.GetName(), node=study.table_node,
                         columns=TABLE_COLUMNS)
        # The full records (axes LPS mm) ride on the table, so LongitudinalMatch and LesionRetrieval can
        # take this table as a study's lesions (`tables.table_to_lesions`) while it shows readable columns.
        study.table_node.SetAttribute(LESION_RECORDS_ATTRIBUTE,
                                      lesion_records_json([e.lesion for e in self._entries_of(key)]))

    @property
    def lesions(self) -> list[Lesion]:
        """The measured lesions of every volume, in order."""
        return [entry.lesion for entry in self.measured.values()]

    # --- views -------------------------------------------------------------------------------
    def _show_in_study_views(self) -> None:
        """Per study: its lines and masks only in the views showing its volume (`study_views`)."""
        if not self.per_study:
            return
        from deepradiology_mrml.study_views import StudyViews

        if self._views is None:
            self._views = StudyViews(self.scene, self._nodes_by_volume)
        self._views.update()

    def _nodes_by_volume(self) -> dict:
        out = {}
        for key, study in self.studies.items():
            volume = self.scene.GetNodeByID(key)
            if volume is None:
                continue
            nodes = [study.segmentation_node]
            for entry in self._entries_of(key):
                nodes += [self.scene.GetNodeByID(entry.long_node_id), self.scene.GetNodeByID(entry.short_node_id)]
            out[volume] = [n for n in nodes if n is not None]
        return out

    def close(self) -> None:
        """Stop watching the views and the lines (the scene is closing)."""
        if self._views is not None:
            self._views.stop()
            self._views = None
        for entry in self.measured.values():
            for node, tag in entry.observers:
                node.RemoveObserver(tag)
            entry.observers = []

    # --- edits -------------------------------------------------------------------------------
    def _observe(self, entry: MeasuredLesion, long_node, short_node) -> None:
        moved = getattr(long_node, "PointModifiedEvent", None)
        ended = getattr(long_node, "PointEndInteractionEvent", None)
        lesion_id = entry.lesion.lesion_id
        for node in (long_node, short_node):
            # while a point moves only the lengths follow; when the drag ends the mask is made again
            for event, remask in ((moved, False), (ended, True)):
                if event is not None:
                    entry.observers.append((node, node.AddObserver(
                        event, lambda caller, _event, lid=lesion_id, again=remask: self._on_line_edited(lid, again))))

    def on_line_edited(self, listener) -> None:
        """Call ``listener(lesion_id, released)`` after each endpoint edit the Logic followed (every move:
        ``released`` False; the end of the drag: True), so a front end's own records follow the lines."""
        self._edit_listeners.append(listener)

    def _on_line_edited(self, lesion_id: str, remask: bool) -> None:
        if self._updating or lesion_id not in self.measured:
            return
        try:
            self.update_from_lines(lesion_id, remask=remask)
        except InputError:
            pass        # a line mid-edit (fewer than 2 points): the next event brings it back
        for listener in self._edit_listeners:
            listener(lesion_id, remask)

    def update_from_lines(self, lesion_id: str, *, remask: bool = False) -> Lesion:
        """Re-read a lesion's two lines (after the user dragged an endpoint) and update its row.

        Without ``remask`` (while a drag goes on) only the lengths follow. With it (the end of a drag:
        the lines' point-end-interaction event) the edit is committed: the mask and volume are made again
        from the new endpoints (`deepradiology.recist.edit.follow_edited_endpoints`, propagated when the
        lesion was) and `undo_last` can put the lines back. Endpoints off the lesion's axial slice keep the
        old mask, with a warning in ``extra["warnings"]``.

        Returns:
            the updated record: axes, lengths (mm), volume (mL) and ``extra["edited"] = True``.
        """
        from deepradiology.recist.edit import follow_edited_endpoints
        from deepradiology_mrml.markups import recist_from_lines
        from deepradiology_mrml.volumes import volume_node_to_image

        entry = self._entry(lesion_id)
        long_lps, short_lps, _long_mm, _short_mm = recist_from_lines(*self._lines(entry))
        before = entry.committed
        image = volume_node_to_image(self._volume(entry)) if remask else None
        mask = follow_edited_endpoints(entry.lesion, long_lps, short_lps, image=image, propagate=entry.propagated)
        if mask is not None:
            self._replace_mask(entry, MaskBox.from_mask(mask))
        self._updating = True
        try:
            self._write_table(self._key(self._volume(entry)))
        finally:
            self._updating = False
        if remask:
            entry.committed = self._state(entry)
            self._history.append(("edit", lesion_id, before))
        return entry.lesion

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
        key = entry.volume_node_id if self.per_study else ""
        segmentation_node = self.studies.get(key, StudyNodes()).segmentation_node
        if _alive(self.scene, segmentation_node):
            segmentation = segmentation_node.GetSegmentation()
            if segmentation.GetSegment(entry.segment_id) is not None:
                segmentation.RemoveSegment(entry.segment_id)
        del self.measured[lesion_id]
        self._write_table(key)
        return lesion_id
