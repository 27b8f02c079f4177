"""RECIST 1.1 response at every time point of a tracked series (rules in `recist11`).

Targets and non-targets are chosen on the baseline study among its tracked lesions. At a follow-up a
target's diameter is that of its track's lesion there (0 mm when the track is gone or has merged into
another one); fragments that split off a target add their diameters to it, as RECIST asks for split
lesions. A track seen at a follow-up but not at baseline (and not a split fragment) is a new lesion
at every time point it is seen.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..lesion import Lesion
from . import recist11
from .graph import LesionTrack

__all__ = ["TimePointResponse", "baseline_targets", "response_over_time"]


@dataclass
class TimePointResponse:
    """The response at one study. Diameters and sums in mm; changes in percent."""

    study: str
    date: str
    sum_mm: float
    baseline_sum_mm: float
    nadir_mm: float | None
    change_from_baseline_pct: float | None
    change_from_nadir_pct: float | None
    target_diameters_mm: dict[str, float]
    new_lesions: list[str] = field(default_factory=list)
    target_response: str = ""
    overall_response: str = ""
    note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def _track_lesion(track: LesionTrack, study: str, lesions: dict[str, dict[str, Lesion]]) -> Lesion | None:
    ids = track.lesions.get(study, [])
    found = [lesions[study][i] for i in ids if i in lesions.get(study, {})]
    # Two lesions of one study in a track are one lesion marked twice (T1 merge): keep the larger.
    return max(found, key=recist11.target_diameter_mm) if found else None


def baseline_targets(tracks: list[LesionTrack], baseline: str,
                     lesions: dict[str, dict[str, Lesion]]) -> tuple[list[str], list[str]]:
    """(target track ids, non-target track ids) chosen by the RECIST 1.1 rules on the baseline lesions."""
    at_baseline = {t.track_id: _track_lesion(t, baseline, lesions) for t in tracks}
    present = {tid: les for tid, les in at_baseline.items() if les is not None}
    by_lesion = {id(les): tid for tid, les in present.items()}
    targets, non_targets = recist11.select_target_lesions(list(present.values()))
    return [by_lesion[id(les)] for les in targets], [by_lesion[id(les)] for les in non_targets]


def response_over_time(tracks: list[LesionTrack], studies: list[str], lesions: dict[str, dict[str, Lesion]],
                       *, dates: list[str] | None = None) -> tuple[list[TimePointResponse], list[str], list[str]]:
    """RECIST 1.1 at every study (the first is the baseline).

    Returns:
        (one `TimePointResponse` per study, target track ids, non-target track ids).
    """
    dates = dates or [""] * len(studies)
    targets, non_targets = baseline_targets(tracks, studies[0], lesions)
    by_id = {t.track_id: t for t in tracks}
    nodes = {tid: bool(_track_lesion(by_id[tid], studies[0], lesions).is_lymph_node) for tid in targets}
    out, sums = [], []
    for n, study in enumerate(studies):
        diameters = {}
        for tid in targets:
            track = by_id[tid]
            lesion = _track_lesion(track, study, lesions)
            d = recist11.target_diameter_mm(lesion)
            for frag in tracks:
                if frag.split_from == tid:
                    d += recist11.target_diameter_mm(_track_lesion(frag, study, lesions))
            diameters[tid] = round(d, 3)
        total = recist11.sum_of_diameters(diameters.values())
        if n == 0:
            base = total
            note = "" if targets else "no measurable lesion at baseline: response cannot be assessed"
            out.append(TimePointResponse(study, dates[n], round(total, 3), round(base, 3), None, None, None,
                                         diameters, [], "baseline", "baseline", note))
            sums.append(total)
            continue
        # New relative to the baseline: seen now, absent at baseline, not a fragment of a followed lesion.
        new = [t.track_id for t in tracks if study in t.lesions and studies[0] not in t.lesions
               and not t.split_from]
        if not targets:
            overall = "PD" if new else "NE"
            out.append(TimePointResponse(study, dates[n], 0.0, 0.0, None, None, None, {}, new, "NE", overall,
                                         "no target lesions"))
            continue
        nadir = recist11.nadir_sum(sums)
        target = recist11.target_response(list(diameters.values()), [nodes[t] for t in targets],
                                          baseline_sum_mm=base, nadir_sum_mm=nadir)
        non_target_present = any(_track_lesion(by_id[t], study, lesions) is not None for t in non_targets)
        overall = recist11.overall_response(target, non_targets_present=non_target_present, new_lesion=bool(new))
        out.append(TimePointResponse(
            study, dates[n], round(total, 3), round(base, 3), round(nadir, 3),
            round(100.0 * (total - base) / base, 2) if base else None,
            round(100.0 * (total - nadir) / nadir, 2) if nadir else None, diameters, new, target, overall))
        sums.append(total)
    return out, targets, non_targets
