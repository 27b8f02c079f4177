"""The RECIST 1.1 assessment file: what was seen at each time point, read and checked before any rule runs.

Input (``deepradiology longitudinal response ASSESSMENT.json``; diameters in mm)::

    {"slice_thickness_mm": 5,                                  # optional (measurability: >= 2x it)
     "time_points": [                                          # first = baseline, then in date order
       {"date": "2024-01-15",
        "targets":     [{"id": "T1", "organ": "liver", "node": false,
                         "long_mm": 32, "short_mm": 20, "status": "present"}],
        "non_targets": [{"id": "N1", "organ": "lymph node", "node": true,
                         "short_mm": 12, "status": "present"}],
        "new_lesions": [{"id": "X1", "organ": "lung", "equivocal": true}]}]}

Target status: present | absent | not_evaluated. Non-target status: present | absent |
unequivocal_progression | not_evaluated. "absent" means looked at and gone (0 mm); "not_evaluated"
means not looked at, or not measurable this time; it never counts as 0 mm. A baseline target or
non-target that a follow-up does not list is not evaluated there. ``organ`` may be omitted
(unknown); it is never guessed.

Output (`output_dict`): ``{"time_points": [{"date", "target_response", "non_target_response",
"overall", "sum_mm", "nadir_mm", "reasons"}]}``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..io.jsonfile import read_json

__all__ = ["TARGET_STATUSES", "NON_TARGET_STATUSES", "TargetEntry", "NonTargetEntry", "NewLesionEntry",
           "TimePoint", "Assessment", "assessment_from_dict", "read_assessment", "output_dict", "assessment_to_dict"]

TARGET_STATUSES = ("present", "absent", "not_evaluated")
NON_TARGET_STATUSES = ("present", "absent", "unequivocal_progression", "not_evaluated")
_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})([T ]\d{2}:?\d{2}(:?\d{2}(\.\d+)?)?)?$")


@dataclass
class TargetEntry:
    """A measured lesion at one time point. ``long_mm``/``short_mm``: None when not measured."""

    id: str
    organ: str = ""
    node: bool = False
    long_mm: float | None = None
    short_mm: float | None = None
    status: str = "present"


@dataclass
class NonTargetEntry:
    """A lesion followed qualitatively. ``short_mm`` matters for nodes (< 10 mm is normal)."""

    id: str
    organ: str = ""
    node: bool = False
    short_mm: float | None = None
    status: str = "present"
    long_mm: float | None = None     # kept when a listed target is demoted to non-target


@dataclass
class NewLesionEntry:
    id: str
    organ: str = ""
    equivocal: bool = False


@dataclass
class TimePoint:
    """One study's reading. ``date`` as given (YYYY-MM-DD or YYYYMMDD, optionally a time after it)."""

    date: str
    targets: list[TargetEntry] = field(default_factory=list)
    non_targets: list[NonTargetEntry] = field(default_factory=list)
    new_lesions: list[NewLesionEntry] = field(default_factory=list)
    slice_thickness_mm: float | None = None
    order_key: str = ""            # the date as YYYY-MM-DD (and time), for the order check


@dataclass
class Assessment:
    """Time points in date order; the first is the baseline. ``source`` names the file in errors."""

    time_points: list[TimePoint]
    source: str = "assessment"
    slice_thickness_mm: float | None = None


def _where(n: int, tp: dict) -> str:
    date = tp.get("date") if isinstance(tp, dict) else None
    return f"time point {n + 1}" + (f" ({date})" if isinstance(date, str) and date else "")


def _number(value, what: str, source: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise InputError(source, f"{what} must be a non-negative number of mm or null, got {value!r}")
    return float(value)


def _entries(tp: dict, key: str, where: str, source: str) -> list[dict]:
    items = tp.get(key, [])
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(e, dict) for e in items):
        raise InputError(source, f"{where}: '{key}' must be a list of objects")
    for e in items:
        if not isinstance(e.get("id"), (str, int)) or isinstance(e.get("id"), bool) or str(e.get("id")) == "":
            raise InputError(source, f"{where}: an entry of '{key}' has no 'id'")
    return items


def _organ(e: dict, where: str, source: str) -> str:
    organ = e.get("organ") or ""
    if not isinstance(organ, str):
        raise InputError(source, f"{where}: 'organ' must be text, got {organ!r}")
    return organ.strip()


def _node(e: dict, where: str, source: str) -> bool | None:
    """The entry's node flag; None when not given (a follow-up entry then takes the baseline's)."""
    node = e.get("node")
    if node is None:
        return None
    if not isinstance(node, bool):
        raise InputError(source, f"{where}: 'node' must be true or false, got {node!r}")
    return node


def _status(e: dict, allowed: tuple[str, ...], where: str, source: str) -> str:
    status = e.get("status", "present")
    if status not in allowed:
        raise InputError(source, f"{where}: status {status!r} is not one of {', '.join(allowed)}")
    return status


def _date(tp: dict, where: str, source: str) -> tuple[str, str]:
    """(the date as given, its sort key YYYY-MM-DD[ hh:mm:ss])."""
    import datetime

    date = tp.get("date")
    match = _DATE.match(date.strip()) if isinstance(date, str) else None
    if match is None:
        raise InputError(source, f"{where}: 'date' must be YYYY-MM-DD, got {date!r}")
    y, m, d = (int(g) for g in match.groups()[:3])
    try:
        datetime.date(y, m, d)
    except ValueError:
        raise InputError(source, f"{where}: {date!r} is not a calendar date") from None
    clock = (match.group(4) or "").strip(" T").replace(":", "")
    return date.strip(), f"{y:04d}-{m:02d}-{d:02d}" + (f" {clock}" if clock else "")


def _time_point(n: int, tp, source: str) -> TimePoint:
    where = _where(n, tp)
    if not isinstance(tp, dict):
        raise InputError(source, f"{where}: must be an object with 'date', 'targets', 'non_targets', 'new_lesions'")
    date, key = _date(tp, where, source)
    out = TimePoint(date, slice_thickness_mm=_number(tp.get("slice_thickness_mm"), f"{where}: slice_thickness_mm",
                                                     source), order_key=key)
    seen: dict[str, str] = {}
    for key in ("targets", "non_targets", "new_lesions"):
        for e in _entries(tp, key, where, source):
            lid = str(e["id"])
            here = f"{where}, {key[:-1].replace('_', '-')} {lid!r}"
            if lid in seen:
                raise InputError(source, f"{here}: id listed twice in one time point (also as {seen[lid]})")
            seen[lid] = key[:-1].replace("_", "-")
            organ, node = _organ(e, here, source), _node(e, here, source)
            if key == "targets":
                out.targets.append(TargetEntry(lid, organ, node, _number(e.get("long_mm"), f"{here}: long_mm", source),
                                               _number(e.get("short_mm"), f"{here}: short_mm", source),
                                               _status(e, TARGET_STATUSES, here, source)))
            elif key == "non_targets":
                out.non_targets.append(NonTargetEntry(lid, organ, node,
                                                      _number(e.get("short_mm"), f"{here}: short_mm", source),
                                                      _status(e, NON_TARGET_STATUSES, here, source),
                                                      _number(e.get("long_mm"), f"{here}: long_mm", source)))
            else:
                equivocal = e.get("equivocal", False)
                if not isinstance(equivocal, bool):
                    raise InputError(source, f"{here}: 'equivocal' must be true or false, got {equivocal!r}")
                out.new_lesions.append(NewLesionEntry(lid, organ, equivocal))
    return out


def _check_series(a: Assessment) -> None:
    """Baseline present, dates strictly increasing, follow-up ids known and consistent with the baseline."""
    source = a.source
    base = a.time_points[0]
    for e in [*base.targets, *base.non_targets]:
        e.node = bool(e.node)
    if base.new_lesions:
        raise InputError(source, f"time point 1 ({base.date}) is the baseline: it cannot have new lesions "
                         f"({', '.join(e.id for e in base.new_lesions)}); list them as targets or non-targets")
    if not base.targets and not base.non_targets and any(tp.targets or tp.non_targets for tp in a.time_points[1:]):
        raise InputError(source, f"time point 1 ({base.date}) is the baseline but lists no lesion, while later time "
                         "points do: the baseline is missing")
    for n in range(1, len(a.time_points)):
        prev, tp = a.time_points[n - 1], a.time_points[n]
        if tp.order_key <= prev.order_key:
            raise InputError(source, f"time point {n + 1} ({tp.date}): dates out of order, not after time point "
                             f"{n} ({prev.date}); list time points oldest first")
    targets = {e.id: e for e in base.targets}
    non_targets = {e.id: e for e in base.non_targets}
    for n, tp in enumerate(a.time_points[1:], start=1):
        where = f"time point {n + 1} ({tp.date})"
        for e in tp.targets:
            if e.id not in targets:
                hint = " (it is a baseline non-target)" if e.id in non_targets else ""
                raise InputError(source, f"{where}: target {e.id!r} is not a baseline target{hint}; "
                                 f"baseline targets are {', '.join(targets) or 'none'}")
            if e.node is not None and e.node != targets[e.id].node:
                raise InputError(source, f"{where}: target {e.id!r} is node={e.node} here but node="
                                 f"{targets[e.id].node} at baseline")
            e.node = targets[e.id].node
        for e in tp.non_targets:
            if e.id not in non_targets:
                hint = " (it is a baseline target)" if e.id in targets else ""
                raise InputError(source, f"{where}: non-target {e.id!r} is not a baseline non-target{hint}; "
                                 f"baseline non-targets are {', '.join(non_targets) or 'none'}")
            e.node = non_targets[e.id].node
        for e in tp.new_lesions:
            if e.id in targets or e.id in non_targets:
                raise InputError(source, f"{where}: new lesion {e.id!r} has the id of a baseline lesion")


def assessment_from_dict(data, *, source: str = "assessment") -> Assessment:
    """Parse and check an assessment (module docstring).

    Raises:
        InputError: naming the entry at fault: malformed values, unknown ids (a follow-up lesion that is
            not a baseline one), a missing baseline, dates out of order or repeated.
    """
    if not isinstance(data, dict) or "time_points" not in data:
        raise InputError(source, 'expected {"time_points": [{"date", "targets", "non_targets", "new_lesions"}, ...]}')
    tps = data["time_points"]
    if not isinstance(tps, list):
        raise InputError(source, "'time_points' must be a list")
    if not tps:
        raise InputError(source, "no time points: the baseline (the first time point) is missing")
    a = Assessment([_time_point(n, tp, source) for n, tp in enumerate(tps)], source=source,
                   slice_thickness_mm=_number(data.get("slice_thickness_mm"), "slice_thickness_mm", source))
    _check_series(a)
    return a


def read_assessment(path: str | Path) -> Assessment:
    """Read and check an assessment JSON file. Raises `InputError` naming the file and the entry."""
    return assessment_from_dict(read_json(path), source=str(path))


def output_dict(results) -> dict:
    """The engine's results (`engine.TimePointResult`) as the documented output JSON."""
    return {"time_points": [{"date": r.date, "target_response": r.target_response,
                             "non_target_response": r.non_target_response, "overall": r.overall,
                             "sum_mm": r.sum_mm, "nadir_mm": r.nadir_mm, "reasons": list(r.reasons)}
                            for r in results]}


def assessment_to_dict(assessment: Assessment, evaluation=None) -> dict:
    """The assessment as the documented input JSON (what `assessment_from_dict` reads back).

    Args:
        evaluation: the engine's `Evaluation` of it; when given, each lesion is written in the list of
            the role the engine gave it at baseline (a demoted target as a non-target, a normal node left
            out), so that reading the file back gives the same response.
    """
    base = assessment.time_points[0]
    if evaluation is None:
        chosen, followed = {e.id for e in base.targets}, {e.id for e in base.non_targets}
    else:
        chosen, followed = set(evaluation.targets), set(evaluation.non_targets)

    def target(e):
        return {"id": e.id, "organ": e.organ, "node": bool(e.node), "long_mm": e.long_mm, "short_mm": e.short_mm,
                "status": e.status}

    def non_target(e):
        return {"id": e.id, "organ": e.organ, "node": bool(e.node), "short_mm": e.short_mm, "status": e.status}

    points = []
    for tp in assessment.time_points:
        t = [target(e) for e in tp.targets if e.id in chosen]
        nt = [non_target(e) for e in tp.non_targets if e.id in followed and e.id not in chosen]
        listed = {e["id"] for e in nt}
        nt += [non_target(e) for e in tp.targets if e.id in followed and e.id not in chosen and e.id not in listed]
        points.append({"date": tp.date, "targets": t, "non_targets": nt,
                       "new_lesions": [{"id": e.id, "organ": e.organ, "equivocal": e.equivocal} for e in tp.new_lesions]})
    out = {"time_points": points}
    if assessment.slice_thickness_mm:
        out["slice_thickness_mm"] = assessment.slice_thickness_mm
    return out
