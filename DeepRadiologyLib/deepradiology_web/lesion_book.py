"""The lesions marked on each open study, shared by the panels of one tab.

A study starts with the lesions of its prior reading (`default_data.CaseImage.lesions`, a lesion JSON
file) and gains those the radiologist measures in the RECIST panel. LongitudinalMatch matches them
across studies; LesionRetrieval can query with any of them. Axes are LPS mm, as in `Lesion`.

A record may also be a status mark without a measurement: ``extra["status"]`` "absent" (looked at,
gone) or "not_evaluated", naming the earlier lesion it follows in ``extra["same_as"]``
(`deepradiology.longitudinal.records`); the matching gives it to that lesion's track.
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
            if old.lesion_id == lesion.lesion_id or old.long_axis_lps is None:
                continue  # itself, or a status mark without a measurement
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

    def set_mark(self, study, *, same_as: str, status: str | None, patient: str = "", study_id: str = "") -> None:
        """Say that the lesion ``same_as`` (an earlier study's record id) is "absent" or "not_evaluated"
        at ``study``, or (``status`` None) take that mark back. One mark per lesion per study: an
        existing one is replaced. The mark's id is ``<study id>-<same_as>-mark`` unless one exists."""
        from deepradiology.lesion import Lesion

        if status not in (None, "absent", "not_evaluated"):
            raise ValueError(f"a mark is 'absent' or 'not_evaluated', not {status!r}")
        records = self._lesions.setdefault(study.node_id, [])
        kept = [r for r in records if not _marks(r, same_as)]
        old = [r for r in records if _marks(r, same_as)]
        if status is not None:
            mark_id = old[0].lesion_id if old else f"{study_id}-{same_as}-mark"
            kept.append(Lesion(mark_id, patient=patient, study=study_id,
                               extra={"status": status, "same_as": same_as}))
        self._lesions[study.node_id] = kept
        for listener in self._listeners:
            listener(study)

    def marks_for(self, study) -> list:
        """The status marks (no measurement) of ``study``."""
        return [r for r in self._lesions.get(study.node_id, []) if _is_mark(r)]

    def on_change(self, listener: Callable[[object], None]) -> None:
        self._listeners.append(listener)


def _is_mark(record) -> bool:
    return str((record.extra or {}).get("status", "")) in ("absent", "not_evaluated")


def _marks(record, same_as: str) -> bool:
    """Whether ``record`` is a status mark of the lesion ``same_as``."""
    return _is_mark(record) and str(record.extra.get("same_as") or record.lesion_id) == same_as
