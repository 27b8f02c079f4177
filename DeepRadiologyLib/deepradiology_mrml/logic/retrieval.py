"""LesionRetrieval's Logic: query the lesion database from a click or a RECIST lesion in the scene.

The scene holds RAS mm; the core works in LPS mm (conversions through the bridge). Results carry the
neighbour's record, its distance, the cue that dominated, and its thumbnail (PNG bytes, also as a numpy
array). `load_neighbour` brings a neighbour's image into the scene where the file is available.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deepradiology.errors import InputError
from deepradiology.frames import ras_to_lps
from deepradiology.lesion import Lesion
from deepradiology.progress import ProgressCallback, report
from deepradiology_mrml.scene import remove_node

__all__ = ["LesionRetrievalLogic", "RetrievalResult"]


@dataclass
class RetrievalResult:
    """One neighbour as a front end shows it: rank, distance, metadata, thumbnail."""

    rank: int
    distance: float
    record: dict
    thumbnail_png: bytes | None
    closest_by: str

    @property
    def thumbnail_array(self) -> np.ndarray | None:
        """The thumbnail as a (rows, cols) uint8 array, None for metadata-only lesions."""
        if self.thumbnail_png is None:
            return None
        from PIL import Image as PILImage

        return np.asarray(PILImage.open(io.BytesIO(self.thumbnail_png)))

    @property
    def has_image(self) -> bool:
        return bool(self.record.get("has_image"))

    @property
    def label(self) -> str:
        """One line for a results list: type, size, location, patient, distance."""
        r = self.record
        size = f"{r['long_axis_mm']:.1f} mm" if r.get("long_axis_mm") else "size ?"
        loc = r.get("normalized_location")
        where = f"({loc[0]:.2f}, {loc[1]:.2f}, {loc[2]:.2f})" if loc else ""
        return (f"{self.rank}. {r.get('lesion_type') or 'unknown type'}, {size} {where} patient {r.get('patient')} "
                f"study {r.get('study')}  d={self.distance:.3f} ({self.closest_by or '-'})")


class LesionRetrievalLogic:
    """Queries a lesion database from the scene.

    Args:
        scene: a ``vtkMRMLScene`` (`deepradiology_mrml.scene.create_scene` or ``slicer.mrmlScene``).
        db_path: the SQLite lesion database.
        embedder: the embedder the database was built with (default: its descriptor).
        create: create an empty database when the file does not exist.
    """

    def __init__(self, scene, db_path: str | Path, *, embedder=None, create: bool = False) -> None:
        from deepradiology.retrieval import LesionDatabase

        self.scene = scene
        self.db = LesionDatabase(db_path, create=create)
        self.embedder = embedder or self._database_descriptor()

    def _database_descriptor(self):
        from deepradiology.retrieval import DescriptorEmbedder

        for name in self.db.embedding_models():
            if name.startswith("descriptor-v"):
                inner = name[name.index("(") + 1:-1]
                return DescriptorEmbedder(weights={k: float(v) for k, v in (p.split("=") for p in inner.split(","))})
        return DescriptorEmbedder()

    def close(self) -> None:
        self.db.close()

    # -- queries --------------------------------------------------------------------------------------
    def _results(self, lesion: Lesion, image, *, k: int, other_patients: bool, types, size_range_mm,
                 progress: ProgressCallback | None = None) -> list[RetrievalResult]:
        from deepradiology.retrieval import QueryFilters, find_similar

        if other_patients and not lesion.patient:
            raise InputError("other patients", "the query lesion has no patient id, so its patient cannot be left out")
        filters = QueryFilters(other_patients_than=lesion.patient if other_patients else None,
                               types=tuple(types or ()), size_range_mm=size_range_mm)
        found = find_similar(self.db, lesion, image=image, embedder=self.embedder, k=k, filters=filters,
                             progress=progress)
        return [RetrievalResult(rank=n.rank, distance=n.distance, record=n.to_dict(),
                                thumbnail_png=self.db.thumbnail(n.stored.id), closest_by=n.closest_by) for n in found]

    def query_lesion(self, lesion: Lesion, *, volume_node=None, k: int = 10, other_patients: bool = False,
                     types=(), size_range_mm=None, progress: ProgressCallback | None = None) -> list[RetrievalResult]:
        """Neighbours of a lesion record (axes in the LPS frame of ``volume_node``, if one is given).

        ``progress`` reaches the index build of a first query; it may raise `Cancelled` (nothing is kept)."""
        from deepradiology_mrml.volumes import volume_node_to_image

        image = volume_node_to_image(volume_node, modality="CT") if volume_node is not None else None
        return self._results(lesion, image, k=k, other_patients=other_patients, types=types, size_range_mm=size_range_mm,
                             progress=progress)

    def query_at_point(self, volume_node, point_ras, *, k: int = 10, patient: str = "", other_patients: bool = False,
                       types=(), size_range_mm=None, progress: ProgressCallback | None = None) -> list[RetrievalResult]:
        """Measure the lesion under a click (RAS mm) with RECISTAssist's core, then query with it.

        Raises:
            InputError: the point lies outside the volume, or no lesion stands out there.
        """
        from deepradiology.recist import measure_lesion
        from deepradiology_mrml.volumes import volume_node_to_image

        if volume_node is None:
            raise InputError("volume", "choose the CT volume the lesion is in")
        image = volume_node_to_image(volume_node, modality="CT")
        ijk = image.lps_to_index(ras_to_lps(np.asarray(point_ras, dtype=float)))
        if not image.contains_index(ijk):
            raise InputError("click", f"the point {np.round(point_ras, 1).tolist()} (RAS mm) lies outside the volume "
                                      f"{volume_node.GetName()}")
        report(progress, 0.1, "measuring the clicked lesion")
        lesion = measure_lesion(image, click=tuple(ijk), propagate=False, lesion_id="query").lesion
        lesion.patient = patient
        report(progress, 0.5, "searching the database")
        results = self._results(lesion, image, k=k, other_patients=other_patients, types=types,
                                size_range_mm=size_range_mm, progress=lambda f, m="": report(progress, 0.5 + 0.5 * f, m))
        report(progress, 1.0, "done")
        return results

    def query_recist(self, volume_node, long_node, short_node, *, k: int = 10, patient: str = "",
                     lesion_type: str = "", other_patients: bool = False, types=(), size_range_mm=None,
                     progress: ProgressCallback | None = None) -> list[RetrievalResult]:
        """Query with a RECIST lesion drawn as two markups lines (RECISTAssist's output)."""
        from deepradiology_mrml.markups import recist_from_lines

        long_lps, short_lps, long_mm, short_mm = recist_from_lines(long_node, short_node)
        lesion = Lesion(long_node.GetName().removesuffix(" long") or "query", patient=patient,
                        long_axis_lps=tuple(map(tuple, long_lps)), short_axis_lps=tuple(map(tuple, short_lps)),
                        long_axis_mm=max(long_mm, short_mm), short_axis_mm=min(long_mm, short_mm),
                        lesion_type=lesion_type)
        return self.query_lesion(lesion, volume_node=volume_node, k=k, other_patients=other_patients, types=types,
                                 size_range_mm=size_range_mm, progress=progress)

    def query_table_lesion(self, table_node, lesion_id: str, *, volume_node=None, k: int = 10, patient: str = "",
                           other_patients: bool = False, types=(), size_range_mm=None,
                           progress: ProgressCallback | None = None) -> list[RetrievalResult]:
        """Query with lesion ``lesion_id`` of a study's lesion table (RECISTAssist's: its records, axes LPS mm,
        ride on the table node), measured on ``volume_node``.

        Raises:
            InputError: the table carries no lesion records, or none with that id.
        """
        from deepradiology_mrml.tables import table_to_lesions

        if table_node is None:
            raise InputError("lesion table", "choose a study's lesion table (RECISTAssist's) first")
        lesions = {lesion.lesion_id: lesion for lesion in table_to_lesions(table_node)}
        if lesion_id not in lesions:
            listed = ", ".join(lesions) or "none"
            raise InputError(table_node.GetName(), f"has no lesion {lesion_id!r} (it lists: {listed})")
        lesion = lesions[lesion_id]
        if patient:
            lesion.patient = patient
        return self.query_lesion(lesion, volume_node=volume_node, k=k, other_patients=other_patients, types=types,
                                 size_range_mm=size_range_mm, progress=progress)

    # -- database from the scene ---------------------------------------------------------------------
    def add_recist_table(self, table_node, volume_node=None):
        """Add the lesions of RECISTAssist's table node (measured on ``volume_node``) to the database."""
        from deepradiology.retrieval import import_recist_table
        from deepradiology_mrml.tables import table_to_records
        from deepradiology_mrml.volumes import volume_node_to_image

        image = volume_node_to_image(volume_node, modality="CT") if volume_node is not None else None
        path = ""
        if volume_node is not None and volume_node.GetStorageNode() is not None:
            path = volume_node.GetStorageNode().GetFileName() or ""
        return import_recist_table(self.db, table_to_records(table_node), image=image, image_path=path,
                                   embedder=self.embedder, source=f"scene:{table_node.GetName()}")

    def add_measured_lesions(self, volume_node, *, patient: str = "", study: str = "", table_node=None):
        """Add every RECIST lesion measured on ``volume_node`` (RECISTAssist's line pairs that refer to it,
        with the location and volume of its table row; ``table_node`` defaults to the volume's own lesion
        table) to the database. Lines measured on other volumes are left out; lines that refer to no
        volume (drawn by hand, or from a scene saved before lines kept their volume) are taken only when
        the scene holds this one volume.

        A lesion's type is taken from its location words where they name one of DeepLesion's types.
        """
        from deepradiology.lesion import LESION_TYPES
        from deepradiology.retrieval import import_lesions
        from deepradiology.retrieval.importers import lesion_from_record
        from deepradiology_mrml.markups import recist_from_lines, recist_line_pairs
        from deepradiology_mrml.tables import table_to_records
        from deepradiology_mrml.volumes import volume_node_to_image

        from deepradiology_mrml.logic.recist_study import VOLUME_REFERENCE, study_table

        if volume_node is None:
            raise InputError("volume", "choose the CT volume the lesions were measured on")
        if table_node is None:
            table_node = study_table(self.scene, volume_node)
        only_volume = self.scene.GetNumberOfNodesByClass("vtkMRMLScalarVolumeNode") == 1
        rows = {}
        if table_node is not None:
            for record in table_to_records(table_node):
                try:
                    row = lesion_from_record(record, source=table_node.GetName())
                    rows[row.lesion_id] = row
                except InputError:
                    continue
        lesions = []
        for long_node, short_node in recist_line_pairs(self.scene):
            measured_on = long_node.GetNodeReferenceID(VOLUME_REFERENCE)
            if measured_on != volume_node.GetID() and not (measured_on is None and only_volume):
                continue
            name = long_node.GetName().removesuffix(" long")
            long_lps, short_lps, long_mm, short_mm = recist_from_lines(long_node, short_node)
            row = rows.get(name)
            location = row.location if row is not None else ""
            lesion_type = next((t for t in LESION_TYPES.values() if t in location.lower()), "")
            lesions.append(Lesion(name, patient=patient, study=study, long_axis_lps=tuple(map(tuple, long_lps)),
                                  short_axis_lps=tuple(map(tuple, short_lps)), long_axis_mm=max(long_mm, short_mm),
                                  short_axis_mm=min(long_mm, short_mm), location=location, lesion_type=lesion_type,
                                  volume_ml=row.volume_ml if row is not None else None,
                                  slice_index=row.slice_index if row is not None else None))
        if not lesions:
            raise InputError(volume_node.GetName(), "has no RECIST lesions measured on it (measure some with "
                                                    "RECISTAssist first)")
        image = volume_node_to_image(volume_node, modality="CT")
        path = ""
        if volume_node.GetStorageNode() is not None:
            path = volume_node.GetStorageNode().GetFileName() or ""
        return import_lesions(self.db, lesions, image=image, image_path=path, embedder=self.embedder,
                              source=f"scene:{volume_node.GetName()}",
                              uid_prefix=f"scene/{volume_node.GetName()}/{patient}/{study}")

    # -- neighbours into the scene -------------------------------------------------------------------
    def load_neighbour(self, result: RetrievalResult):
        """Load a neighbour's image (a DeepLesion key slice or a volume) with its RECIST lines.

        Returns:
            (volume node, (long line node, short line node) or None).

        Raises:
            InputError: the neighbour is metadata-only or its image file is missing.
        """
        from deepradiology.io import read_deeplesion_slice, read_volume
        from deepradiology_mrml.markups import add_recist_lines
        from deepradiology_mrml.volumes import image_to_volume_node

        stored = self.db.get(int(result.record["id"]))
        path = Path(stored.image_path) if stored.image_path else None
        if path is None or not path.exists():
            raise InputError(stored.uid, "this lesion has no image available here (metadata-only record or moved file)")
        lesion = stored.lesion
        if path.suffix.lower() == ".png":
            spacing = tuple((lesion.extra.get("dl_info") or {}).get("spacing") or (1.0, 1.0, 1.0))
            image = read_deeplesion_slice(path, spacing=spacing)
        else:
            image = read_volume(path)
        name = f"{lesion.lesion_type or 'lesion'} {lesion.patient}/{lesion.study} #{stored.id}"
        node = image_to_volume_node(self.scene, image, name)
        lines = None
        try:
            if lesion.long_axis_lps is not None and lesion.short_axis_lps is not None:
                lines = add_recist_lines(self.scene, name, lesion.long_axis_lps, lesion.short_axis_lps)
        except Exception:
            remove_node(self.scene, node)      # no half-made result
            raise
        return node, lines

    def results_to_table(self, results: list[RetrievalResult], name: str = "Similar lesions"):
        """The results as a table node (one row per neighbour; no thumbnails)."""
        from deepradiology_mrml.tables import records_to_table

        keys = ("rank", "distance", "closest_by", "lesion_type", "long_axis_mm", "short_axis_mm", "patient", "study",
                "uid", "image_path")
        return records_to_table(self.scene, [{k: r.record.get(k) for k in keys} for r in results], name)
