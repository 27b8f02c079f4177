"""RECIST 1.1 response of a tracked series: the tracks become an `Assessment`, which `engine` scores.

Every lesion a track holds at the baseline study is offered to the engine, which picks the targets
(measurable, largest, at most 5 and 2 per organ; organ = the lesion's ``location``, taken as unknown
when ``extra["location_source"]`` says it was guessed, e.g. from HU)
and follows the rest as non-targets. At a follow-up a followed track's status is, in this order:

* the status a user set for that track and study (`TrackingResult.statuses`: "absent",
  "not_evaluated", "unequivocal_progression", "present");
* "present" with the track's measurement there (fragments that split off it add their diameters, as
  RECIST asks for split lesions);
* "absent" (0 mm) when the track merged into another one (RECIST: coalesced lesions are measured as
  one, the other counts 0 mm);
* otherwise "not_evaluated": a lesion nobody marked at a follow-up is *not* taken as gone. Mark it
  absent (a record with ``extra["status"] = "absent"``, or `corrections.set_status`) when it is.

A track first seen after the baseline (and not a split fragment) is a new lesion at every study it is
seen in; equivocal when its lesion record says ``extra["equivocal"] = True``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..lesion import Lesion
from .assessment import Assessment, NewLesionEntry, NonTargetEntry, TargetEntry, TimePoint
from .engine import Evaluation, evaluate
from .graph import LesionTrack

__all__ = ["TimePointResponse", "baseline_targets", "response_over_time", "tracks_to_assessment", "STATUSES",
           "lesion_statuses"]

#: What a followed lesion can be at a study, as the tables show it.
STATUSES = ("present", "absent", "not_evaluated", "unequivocal_progression")


@dataclass
class TimePointResponse:
    """The response at one study. Diameters and sums in mm (None: not evaluated); changes in percent.

    ``nadir_mm`` is the nadir this study is judged against (smallest complete sum before it), so that
    ``change_from_nadir_pct`` is the figure the 20 % rule reads.
    """

    study: str
    date: str
    sum_mm: float | None
    baseline_sum_mm: float
    nadir_mm: float | None
    change_from_baseline_pct: float | None
    change_from_nadir_pct: float | None
    target_diameters_mm: dict[str, float | None]
    new_lesions: list[str] = field(default_factory=list)
    target_response: str | None = ""
    overall_response: str = ""
    note: str = ""
    non_target_response: str | None = None
    reasons: list[str] = field(default_factory=list)
    lesion_status: dict[str, str] = field(default_factory=dict)   # track id -> one of STATUSES

    def to_dict(self) -> dict:
        return asdict(self)


#: ``extra["location_source"]`` values that mark a location as guessed (from HU, shape): not an organ.
GUESSED_LOCATION = ("hu", "guess", "guessed", "intensity")


def _organ(lesion: Lesion) -> str:
    """The organ the input gives ("" = unknown; the engine says so). A guessed location is no organ."""
    if str(lesion.extra.get("location_source", "")).lower() in GUESSED_LOCATION:
        return ""
    return lesion.location


def _track_lesions(track: LesionTrack, study: str, lesions: dict[str, dict[str, Lesion]]) -> list[Lesion]:
    return [lesions[study][i] for i in track.lesions.get(study, []) if i in lesions.get(study, {})]


def _measure(track: LesionTrack, study: str, tracks: list[LesionTrack],
             lesions: dict[str, dict[str, Lesion]]) -> tuple[float | None, float | None] | None:
    """(long mm, short mm) of a track at a study, split fragments added; None when it has no lesion there."""
    own = _track_lesions(track, study, lesions)
    if not own:
        return None
    # Two lesions of one study in a track were merged by T1 as one lesion marked twice: keep the larger.
    main = max(own, key=lambda les: (les.measured_diameter_mm or 0.0))
    parts = [main] + [les for frag in tracks if frag.split_from == track.track_id
                      for les in _track_lesions(frag, study, lesions)]
    longs = [p.long_axis_mm for p in parts]
    shorts = [p.short_axis_mm for p in parts]
    return (None if any(v is None for v in longs) else float(sum(longs)),
            None if any(v is None for v in shorts) else float(sum(shorts)))


def lesion_statuses(tracks: list[LesionTrack], studies: list[str], lesions: dict[str, dict[str, Lesion]],
                    statuses: dict[str, dict[str, str]] | None = None) -> dict[str, dict[str, str]]:
    """Per track and study: present | absent | not_evaluated | unequivocal_progression (module docstring).

    Studies before a track's first lesion are left out (the lesion did not exist yet).
    """
    statuses = statuses or {}
    out: dict[str, dict[str, str]] = {}
    for t in tracks:
        seen = [n for n, s in enumerate(studies) if t.lesions.get(s)]
        first = min(seen) if seen else len(studies)
        last = max(seen) if seen else -1
        row = {}
        for n, s in enumerate(studies):
            if n < first and s not in statuses.get(t.track_id, {}):
                continue
            if s in statuses.get(t.track_id, {}):
                row[s] = statuses[t.track_id][s]
            elif t.lesions.get(s):
                row[s] = "present"
            elif t.merged_into and n > last:
                row[s] = "absent"
            else:
                row[s] = "not_evaluated"
        out[t.track_id] = row
    return out


def tracks_to_assessment(tracks: list[LesionTrack], studies: list[str], lesions: dict[str, dict[str, Lesion]], *,
                         dates: list[str] | None = None,
                         statuses: dict[str, dict[str, str]] | None = None) -> Assessment:
    """The engine's input from tracks: every baseline track offered as a target candidate (see module)."""
    dates = dates or [""] * len(studies)
    status = lesion_statuses(tracks, studies, lesions, statuses)
    base = studies[0]
    at_base = [t for t in tracks if t.lesions.get(base)]
    points = []
    for n, study in enumerate(studies):
        tp = TimePoint(dates[n] or study)
        if n == 0:
            for t in at_base:
                les = max(_track_lesions(t, base, lesions), key=lambda x: (x.measured_diameter_mm or 0.0))
                long_mm, short_mm = _measure(t, base, tracks, lesions)
                measured = short_mm if les.is_lymph_node else long_mm
                if measured is None:      # a lesion without its axes can only be followed qualitatively
                    tp.non_targets.append(NonTargetEntry(t.track_id, _organ(les), les.is_lymph_node, short_mm))
                else:
                    tp.targets.append(TargetEntry(t.track_id, _organ(les), les.is_lymph_node, long_mm, short_mm))
            points.append(tp)
            continue
        for t in at_base:
            node = max(_track_lesions(t, base, lesions), key=lambda x: (x.measured_diameter_mm or 0.0)).is_lymph_node
            st = status[t.track_id].get(study, "not_evaluated")
            m = _measure(t, study, tracks, lesions) if st in ("present", "unequivocal_progression") else None
            long_mm, short_mm = m if m is not None else (None, None)
            # The engine reads each baseline lesion from the list it chose for it (targets: the target list;
            # non-targets: the non-target list first), so the entry goes in both.
            tp.targets.append(TargetEntry(t.track_id, "", node, long_mm, short_mm,
                                          st if st in ("present", "absent") else "not_evaluated"))
            tp.non_targets.append(NonTargetEntry(t.track_id, "", node, short_mm, st, long_mm))
        for t in tracks:
            if t.lesions.get(study) and not t.lesions.get(base) and not t.split_from:
                les = _track_lesions(t, study, lesions)
                equivocal = bool(les) and all(bool(x.extra.get("equivocal", False)) for x in les)
                tp.new_lesions.append(NewLesionEntry(t.track_id, _organ(les[0]) if les else "", equivocal))
        points.append(tp)
    return Assessment(points, source="tracks")


def _evaluate(tracks, studies, lesions, dates, statuses) -> tuple[Evaluation, dict[str, dict[str, str]]]:
    assessment = tracks_to_assessment(tracks, studies, lesions, dates=dates, statuses=statuses)
    return evaluate(assessment), lesion_statuses(tracks, studies, lesions, statuses)


def baseline_targets(tracks: list[LesionTrack], baseline: str,
                     lesions: dict[str, dict[str, Lesion]]) -> tuple[list[str], list[str]]:
    """(target track ids, non-target track ids) chosen by the RECIST 1.1 rules on the baseline lesions."""
    ev, _ = _evaluate(tracks, [baseline], lesions, None, None)
    return ev.targets, ev.non_targets


def response_over_time(tracks: list[LesionTrack], studies: list[str], lesions: dict[str, dict[str, Lesion]],
                       *, dates: list[str] | None = None, statuses: dict[str, dict[str, str]] | None = None,
                       ) -> tuple[list[TimePointResponse], list[str], list[str]]:
    """RECIST 1.1 at every study (the first is the baseline), by the engine.

    Args:
        statuses: user-set status per track id and study (module docstring).

    Returns:
        (one `TimePointResponse` per study, target track ids, non-target track ids).
    """
    dates = dates or [""] * len(studies)
    ev, status = _evaluate(tracks, studies, lesions, dates, statuses)
    base_sum = ev.time_points[0].sum_mm or 0.0
    out = []
    for n, (study, tp) in enumerate(zip(studies, ev.time_points)):
        total, nadir = tp.sum_mm, tp.nadir_before_mm if n else tp.nadir_mm
        note = ""
        if n == 0 and not ev.targets:
            note = "no measurable lesion at baseline: response cannot be assessed from target lesions"
        elif tp.target_response == "NE":
            gone = [t for t, d in tp.target_diameters_mm.items() if d is None]
            note = f"not evaluated at this study: {', '.join(gone)} (mark a target absent if it is gone)"
        out.append(TimePointResponse(
            study, dates[n], total, round(base_sum, 3), nadir,
            round(100.0 * (total - base_sum) / base_sum, 2) if n and total is not None and base_sum else None,
            round(100.0 * (total - nadir) / nadir, 2) if n and total is not None and nadir else None,
            dict(tp.target_diameters_mm), list(tp.new_lesions), tp.target_response, tp.overall, note,
            tp.non_target_response, list(tp.reasons),
            {t: s[study] for t, s in status.items() if study in s}))
    return out, ev.targets, ev.non_targets
