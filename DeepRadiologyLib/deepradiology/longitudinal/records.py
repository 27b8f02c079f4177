"""One lesion, one record per study: what the matching is given, cleaned of double records and status marks.

Two records of one study are the same lesion when the centre of one lies inside the other's extent
(`same_lesion`: the ellipse of its RECIST axes in plane, half its long axis across slices; mm): a lesion
measured again on a study whose reading already lists it, maybe on another slice. They become one record
(`one_record_per_lesion`): the first record's id, so links to it hold, with the last record's
measurement (the re-measurement updates the record), and a warning. Matching two records of one lesion
would otherwise make a duplicate target track, push another target out of the five, and put the lesion
twice in the sum.

A record whose ``extra["status"]`` is "absent" or "not_evaluated" says what became of a lesion
followed from an earlier study, without a measurement: it is not matched, but given to the track of
the earlier lesion it names (``extra["same_as"]``, or the same ``lesion_id`` in an earlier study).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..errors import InputError
from ..lesion import Lesion
from .embedding import lesion_centre_lps
from .linkage import linked_groups
from .study import Study

__all__ = ["MARK_STATUSES", "same_lesion", "one_record_per_lesion", "split_status_marks", "record_status"]

#: Statuses a record can carry in ``extra["status"]``; the first two have no measurement and are not matched.
MARK_STATUSES = ("absent", "not_evaluated", "unequivocal_progression", "present")


def record_status(lesion: Lesion) -> str:
    """The record's status: ``extra["status"]`` or "present"."""
    status = str(lesion.extra.get("status", "present") or "present")
    if status not in MARK_STATUSES:
        raise InputError(lesion.lesion_id, f"status {status!r} is not one of {', '.join(MARK_STATUSES)}")
    return status


def _centre(lesion: Lesion) -> np.ndarray | None:
    try:
        return lesion_centre_lps(lesion)
    except InputError:
        return None


def _inside(centre: np.ndarray, lesion: Lesion) -> bool:
    """Whether ``centre`` (LPS mm) lies within ``lesion``'s extent: the ellipse of its RECIST axes in plane
    (semi-axes half the long and short axes), and half its long axis across the slice."""
    own = _centre(lesion)
    if own is None or not lesion.long_axis_mm:
        return False
    d = np.asarray(centre, dtype=float) - own
    a = 0.5 * float(lesion.long_axis_mm)
    b = 0.5 * float(lesion.short_axis_mm or lesion.long_axis_mm)
    if lesion.long_axis_lps is None or b <= 0:
        return float(np.linalg.norm(d)) <= a
    u = np.subtract(*lesion.long_axis_lps[::-1])
    u = u / (np.linalg.norm(u) or 1.0)
    if lesion.short_axis_lps is not None:
        v = np.subtract(*lesion.short_axis_lps[::-1])
        v = v - u * float(v @ u)
    else:
        v = np.cross(u, (0.0, 0.0, 1.0))
    if np.linalg.norm(v) < 1e-9:
        return float(np.linalg.norm(d)) <= a
    v = v / np.linalg.norm(v)
    w = d - u * float(d @ u) - v * float(d @ v)
    return (float(d @ u) / a) ** 2 + (float(d @ v) / b) ** 2 + (float(np.linalg.norm(w)) / a) ** 2 <= 1.0 + 1e-9


def same_lesion(a: Lesion, b: Lesion) -> tuple[bool, float]:
    """(whether a and b are one lesion, centre distance in mm): either centre inside the other's extent."""
    ca, cb = _centre(a), _centre(b)
    if ca is None or cb is None:
        return False, float("inf")
    return _inside(cb, a) or _inside(ca, b), float(np.linalg.norm(ca - cb))


def one_record_per_lesion(study: Study) -> tuple[Study, list[tuple[str, list[str]]], list[str]]:
    """Merge the records of ``study`` that are one lesion (module docstring).

    Returns:
        (the study with one record per lesion, [(study id, [kept id, merged ids...])], warnings).
    """
    lesions = list(study.lesions)
    notes: dict[tuple[int, int], float] = {}     # (i, j) -> centre distance in mm, for the warning

    def same(i: int, j: int) -> bool:
        found, dist = same_lesion(lesions[i], lesions[j])
        if found:
            notes[(i, j)] = dist
        return found

    groups = linked_groups(len(lesions), same)
    if all(len(g) == 1 for g in groups):
        return study, [], []
    kept, merges, warnings = [], [], []
    for members in groups:
        first, last = lesions[members[0]], lesions[members[-1]]
        if len(members) == 1:
            kept.append(first)
            continue
        others = [lesions[m].lesion_id for m in members[1:]]
        merged = replace(last, lesion_id=first.lesion_id,
                         extra={**last.extra, "same_lesion_records": [first.lesion_id, *others]})
        kept.append(merged)
        merges.append((study.study_id, [first.lesion_id, *others]))
        dist = min(d for (i, j), d in notes.items() if i in members and j in members)
        warnings.append(f"{study.study_id}: records {', '.join([first.lesion_id, *others])} are one lesion (centres "
                        f"{dist:.1f} mm apart, one inside the other): kept one record {first.lesion_id} with the "
                        f"measurement of {last.lesion_id}")
    return replace(study, lesions=kept), merges, warnings


def split_status_marks(studies: list[Study]) -> tuple[list[Study], list[tuple[str, Lesion, str, str]]]:
    """Take the records without measurement ("absent", "not_evaluated") out of the studies to match.

    Returns:
        (the studies without them, [(study id, mark record, earlier study id, earlier lesion id)]).

    Raises:
        InputError: a mark that names no lesion of an earlier study.
    """
    out, marks = [], []
    earlier: dict[str, str] = {}                 # lesion id -> study id, over the studies before
    for s in studies:
        keep = []
        for les in s.lesions:
            status = record_status(les)
            if status not in ("absent", "not_evaluated"):
                keep.append(les)
                continue
            ref = str(les.extra.get("same_as") or les.lesion_id)
            if ref not in earlier:
                raise InputError(f"{s.study_id} {les.lesion_id}", f"marked {status} but names no lesion of an "
                                 "earlier study; give extra 'same_as' = the earlier lesion's id")
            marks.append((s.study_id, les, earlier[ref], ref))
        out.append(replace(s, lesions=keep))
        for les in keep:
            earlier[les.lesion_id] = s.study_id
    return out, marks
