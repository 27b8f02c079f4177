"""A radiologist's corrections to the tracks: split a track, merge two, or say what a lesion is at a study.

The response follows every correction.
"""

from __future__ import annotations

from ..errors import InputError
from .graph import LesionTrack
from .tracking import TrackingResult, rebuild_response

__all__ = ["split_track", "merge_tracks", "set_status"]


def _next_track_id(result: TrackingResult) -> str:
    numbers = [int(t.track_id[1:]) for t in result.tracks if t.track_id[1:].isdigit()]
    return f"T{max(numbers, default=0) + 1}"


def _refresh_status(track: LesionTrack, studies: list[str]) -> None:
    present = [studies.index(s) for s in track.lesions]
    first, last = min(present), max(present)
    new, gone = first > 0, last < len(studies) - 1
    track.split_from = track.merged_into = None
    track.status = "new and vanished" if new and gone else "new" if new else "vanished" if gone else "persistent"


def split_track(result: TrackingResult, track_id: str, *, from_study: str) -> str:
    """Cut ``track_id`` before ``from_study``: that study and later ones become a new track.

    Returns:
        The new track's id. The response is recomputed.

    Raises:
        InputError: unknown track or study, or nothing to split (the track has no lesion on one side).
    """
    track = result.track(track_id)
    if from_study not in result.studies:
        raise InputError(from_study, f"no such study; studies are {', '.join(result.studies)}")
    cut = result.studies.index(from_study)
    before = {s: ids for s, ids in track.lesions.items() if result.studies.index(s) < cut}
    after = {s: ids for s, ids in track.lesions.items() if result.studies.index(s) >= cut}
    if not before or not after:
        raise InputError(track_id, f"cannot split before {from_study}: the track needs lesions on both sides")
    new = LesionTrack(_next_track_id(result), after, events=[f"split by the user from {track_id} at {from_study}"])
    track.lesions = before
    track.events.append(f"split by the user at {from_study} (later lesions now in {new.track_id})")
    old = result.statuses.pop(track_id, {})
    for s, st in old.items():
        target = new.track_id if result.studies.index(s) >= cut else track_id
        result.statuses.setdefault(target, {})[s] = st
    new.matches = [m for m in track.matches if result.studies.index(m.study_a) >= cut]
    track.matches = [m for m in track.matches if result.studies.index(m.study_b) < cut]
    for t in (track, new):
        _refresh_status(t, result.studies)
    result.tracks.append(new)
    rebuild_response(result)
    return new.track_id


def merge_tracks(result: TrackingResult, keep: str, absorb: str) -> None:
    """Join track ``absorb`` into ``keep`` (the same lesion, which the matching missed).

    Raises:
        InputError: unknown tracks, the same track twice, or both tracks holding a lesion of one study.
    """
    if keep == absorb:
        raise InputError(keep, "cannot merge a track with itself")
    a, b = result.track(keep), result.track(absorb)
    clash = sorted(set(a.lesions) & set(b.lesions))
    if clash:
        raise InputError(absorb, f"cannot merge into {keep}: both have a lesion in {', '.join(clash)}; "
                         "split one of them first")
    a.lesions = {s: a.lesions.get(s, []) + b.lesions.get(s, []) for s in result.studies
                 if s in a.lesions or s in b.lesions}
    a.matches += b.matches
    moved = result.statuses.pop(absorb, {})
    for s, st in moved.items():
        if not a.lesions.get(s) or st == "unequivocal_progression":
            result.statuses.setdefault(keep, {})[s] = st
    a.events.append(f"merged by the user with {absorb}")
    result.tracks.remove(b)
    for t in result.tracks:
        if t.split_from == absorb:
            t.split_from = keep
        if t.merged_into == absorb:
            t.merged_into = keep
    _refresh_status(a, result.studies)
    rebuild_response(result)


def set_status(result: TrackingResult, track_id: str, study: str, status: str | None) -> None:
    """Say what the lesion of ``track_id`` is at ``study``: "absent" (looked at, gone: 0 mm),
    "not_evaluated", "unequivocal_progression" (non-targets), "present"; None clears it.

    Raises:
        InputError: unknown track, study or status, or "absent" for a track that has a lesion there.
    """
    from .response import STATUSES

    track = result.track(track_id)
    if study not in result.studies:
        raise InputError(study, f"no such study; studies are {', '.join(result.studies)}")
    if status is not None and status not in STATUSES:
        raise InputError(status, f"status must be one of {', '.join(STATUSES)}")
    if status == "absent" and track.lesions.get(study):
        raise InputError(track_id, f"has lesion {', '.join(track.lesions[study])} at {study}; remove it before "
                         "marking the lesion absent there")
    if status is None:
        result.statuses.get(track_id, {}).pop(study, None)
    else:
        result.statuses.setdefault(track_id, {})[study] = status
    rebuild_response(result)
