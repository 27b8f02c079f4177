"""The lesions marked on each open study, shared by the panels of one tab.

A study starts with the lesions of its prior reading (`default_data.CaseImage.lesions`, a lesion JSON
file) and gains those the radiologist measures in the RECIST panel. LongitudinalMatch matches them
across studies; LesionRetrieval can query with any of them. Axes are LPS mm, as in `Lesion`.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["LesionBook"]


class LesionBook:
    """Lesion records per open study (keyed by the study's volume node id).

    Args:
        studies: the tab's `studies.StudyList`; prior readings are loaded from it here.
    """

    def __init__(self, *, studies) -> None:
        from deepradiology.lesion import load_lesions

        self._studies = studies
        self._lesions: dict[str, list] = {}
        self._listeners: list[Callable[[object], None]] = []
        for study in studies.studies:
            self._lesions[study.node_id] = load_lesions(study.info.lesions) if study.info.lesions else []

    def lesions_for(self, study) -> list:
        """The lesions marked on ``study`` (an `OpenStudy`), prior reading first, in marking order."""
        return list(self._lesions.setdefault(study.node_id, []))

    def add(self, study, lesion) -> None:
        """Record a lesion measured on ``study``; listeners hear about it."""
        self._lesions.setdefault(study.node_id, []).append(lesion)
        for listener in self._listeners:
            listener(study)

    def replace(self, study, lesion_id: str, lesion) -> bool:
        """Put ``lesion`` in place of the record ``lesion_id`` of ``study`` (an edit or a re-measurement);
        False when the study has no such record."""
        records = self._lesions.setdefault(study.node_id, [])
        for n, old in enumerate(records):
            if old.lesion_id == lesion_id:
                records[n] = lesion
                for listener in self._listeners:
                    listener(study)
                return True
        return False

    def record_at(self, study, lesion):
        """The record of ``study`` that is the same lesion as ``lesion`` (a new measurement), or None.

        Same lesion: each record's long-axis midpoint lies inside the other's extent, i.e. within half
        the larger long axis of the other's midpoint (LPS mm), and the two key slices are within that
        distance too. One lesion keeps one record per study (issue 11, item 3).
        """
        import numpy as np

        centre = np.mean(np.asarray(lesion.long_axis_lps, dtype=float), axis=0)
        best, best_distance = None, np.inf
        for old in self._lesions.get(study.node_id, []):
            if old.lesion_id == lesion.lesion_id:
                continue
            old_centre = np.mean(np.asarray(old.long_axis_lps, dtype=float), axis=0)
            distance = float(np.linalg.norm(centre - old_centre))
            reach = 0.5 * max(float(old.long_axis_mm), float(lesion.long_axis_mm))
            if distance <= reach and distance < best_distance:
                best, best_distance = old, distance
        return best

    def remove(self, study, lesion_id: str) -> None:
        """Forget a lesion measured on ``study`` (the radiologist undid it)."""
        kept = [les for les in self._lesions.get(study.node_id, []) if les.lesion_id != lesion_id]
        self._lesions[study.node_id] = kept
        for listener in self._listeners:
            listener(study)

    def on_change(self, listener: Callable[[object], None]) -> None:
        self._listeners.append(listener)
