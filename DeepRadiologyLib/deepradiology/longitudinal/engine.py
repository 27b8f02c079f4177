"""The RECIST 1.1 engine (Eisenhauer et al., EJC 2009): an `Assessment` in, one category per time point out.

Baseline (first time point):
  * a listed target must be measurable: a non-nodal lesion with long axis >= 10 mm and >= twice the
    slice thickness (when given); a lymph node with short axis >= 15 mm. A node of 10-15 mm is
    pathological but not measurable (followed as a non-target); a node under 10 mm is normal (ignored).
    A non-measurable listed target is followed as a non-target; the reasons say so.
  * at most 5 targets, at most 2 per organ (all lymph nodes together count as one organ); over the
    limit the largest are kept and the others followed as non-targets. The organ is the input's; when
    it is missing the per-organ limit cannot be checked for that lesion and the reasons say so.
  * the sum adds the long axis of non-nodal targets and the short axis of nodal targets.

Targets at a follow-up: "absent" counts 0 mm, "not_evaluated" (or not listed, or present without its
measurement) is unknown and never 0 mm. PD: sum >= 20 % and >= 5 mm over the nadir (the smallest sum
before this time point, baseline included), or a target back after a complete response (overall CR at
the last evaluable time point). With a target not evaluated the response is NE, unless the evaluated
ones alone already make PD. CR: every non-nodal target absent and every nodal target < 10 mm short axis.
PR: sum >= 30 % below the baseline sum. Otherwise SD. Thresholds are inclusive, as the guideline words
them.

Non-targets: PD on unequivocal progression (or a lesion back after a CR), NE when one is not
evaluated, CR when all are absent and every node < 10 mm short axis, else Non-CR/Non-PD.

New lesions: an unequivocal one is PD. An equivocal one is not PD at that time point; when a later time
point lists it as unequivocal, PD is declared there and dated from the first sighting (in the reasons).

Overall: Table 4 of the guideline when there are targets, Table 5 (non-target disease only) otherwise.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field

from ..errors import InputError
from . import recist11 as rules
from .assessment import Assessment, NonTargetEntry, TargetEntry, TimePoint

__all__ = ["TimePointResult", "Evaluation", "evaluate"]

_EPS = 1e-9  # round-off must not move a sum that sits exactly on a threshold


@dataclass
class TimePointResult:
    """One time point's categories. ``sum_mm`` is None when a target was not evaluated; ``nadir_mm`` is
    the smallest sum so far, this time point's included when it has one (baseline included). PD at a
    time point is judged against the nadir before it, which ``reasons`` name; ``nadir_before_mm``."""

    date: str
    target_response: str | None
    non_target_response: str | None
    overall: str
    sum_mm: float | None
    nadir_mm: float | None
    reasons: list[str] = field(default_factory=list)
    target_diameters_mm: dict[str, float | None] = field(default_factory=dict)   # None = not evaluated
    new_lesions: list[str] = field(default_factory=list)
    nadir_before_mm: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Evaluation:
    """The engine's result: per time point categories, and the baseline's choice of lesions."""

    time_points: list[TimePointResult]
    targets: list[str]
    non_targets: list[str]
    ignored: list[str]


def _fmt(mm: float) -> str:
    return f"{mm:.1f} mm"


def _organ_group(e: TargetEntry) -> str | None:
    """The organ a target counts against for the 2-per-organ limit (None: unknown)."""
    if e.node:
        return "lymph node"
    return e.organ.lower() or None


@dataclass
class _Baseline:
    targets: list[TargetEntry]
    non_targets: list[NonTargetEntry]
    ignored: list[str]
    reasons: list[str]


def _choose_baseline(tp: TimePoint, thickness: float | None, source: str) -> _Baseline:
    reasons: list[str] = []
    min_long = max(rules.MIN_LESION_MM, 2.0 * thickness) if thickness else rules.MIN_LESION_MM
    candidates: list[TargetEntry] = []
    non_targets = list(tp.non_targets)
    ignored: list[str] = []
    for e in tp.targets:
        if e.status != "present":
            raise InputError(source, f"baseline ({tp.date}) target {e.id!r}: status {e.status!r}; a baseline target "
                             "must be present and measured")
        d = e.short_mm if e.node else e.long_mm
        if d is None:
            raise InputError(source, f"baseline ({tp.date}) target {e.id!r}: no {'short_mm' if e.node else 'long_mm'}; "
                             "a baseline target must be measured")
        if e.node and d < rules.NORMAL_NODE_SHORT_AXIS_MM - _EPS:
            ignored.append(e.id)
            reasons.append(f"{e.id}: node of {_fmt(d)} short axis is normal (< 10 mm): not a lesion, not followed")
        elif e.node and d < rules.MIN_NODE_SHORT_AXIS_MM - _EPS:
            non_targets.append(NonTargetEntry(e.id, e.organ, True, e.short_mm, "present", e.long_mm))
            reasons.append(f"{e.id}: node of {_fmt(d)} short axis is pathological but not measurable (< 15 mm): "
                           "followed as a non-target")
        elif not e.node and d < min_long - _EPS:
            why = f"< {_fmt(min_long)}" + (f" (twice the {_fmt(thickness)} slice thickness)" if min_long > 10 else "")
            non_targets.append(NonTargetEntry(e.id, e.organ, False, e.short_mm, "present", e.long_mm))
            reasons.append(f"{e.id}: long axis {_fmt(d)} {why} is not measurable: followed as a non-target")
        else:
            candidates.append(e)
    ranked = sorted(candidates, key=lambda e: -(e.short_mm if e.node else e.long_mm))
    per_organ: dict[str, int] = defaultdict(int)
    targets: list[TargetEntry] = []
    for e in ranked:
        group = _organ_group(e)
        if len(targets) >= rules.MAX_TARGETS:
            why = f"more than {rules.MAX_TARGETS} measurable lesions"
        elif group is not None and per_organ[group] >= rules.MAX_TARGETS_PER_ORGAN:
            why = f"already {rules.MAX_TARGETS_PER_ORGAN} larger targets in {group}"
        else:
            targets.append(e)
            if group is None:
                reasons.append(f"{e.id}: organ unknown, so the {rules.MAX_TARGETS_PER_ORGAN}-per-organ limit could "
                               "not be checked for it")
            else:
                per_organ[group] += 1
            continue
        non_targets.append(NonTargetEntry(e.id, e.organ, e.node, e.short_mm, "present", e.long_mm))
        reasons.append(f"{e.id}: {why}: followed as a non-target")
    order = {e.id: n for n, e in enumerate(tp.targets)}
    targets.sort(key=lambda e: order[e.id])
    return _Baseline(targets, non_targets, ignored, reasons)


def _diameter(e: TargetEntry | NonTargetEntry, node: bool) -> float | None:
    return e.short_mm if node else e.long_mm


def _target_step(tp: TimePoint, base: _Baseline, base_sum: float, nadir: float, after_cr: bool,
                 reasons: list[str]) -> tuple[str, float | None, dict[str, float | None]]:
    listed = {e.id: e for e in tp.targets}
    diameters: dict[str, float | None] = {}
    for t in base.targets:
        e = listed.get(t.id)
        if e is None:
            diameters[t.id] = None
            reasons.append(f"{t.id}: not listed at this time point: not evaluated (not counted as 0 mm)")
        elif e.status == "absent":
            diameters[t.id] = 0.0
        elif e.status == "not_evaluated":
            diameters[t.id] = None
            reasons.append(f"{t.id}: not evaluated (not counted as 0 mm)")
        else:
            d = _diameter(e, t.node)
            diameters[t.id] = d
            if d is None:
                reasons.append(f"{t.id}: present but without its {'short' if t.node else 'long'} axis: not evaluated")
    known = [d for d in diameters.values() if d is not None]
    partial = float(sum(known))
    complete = len(known) == len(diameters)
    back = [t.id for t in base.targets if diameters[t.id] is not None
            and (diameters[t.id] >= rules.NORMAL_NODE_SHORT_AXIS_MM - _EPS if t.node else diameters[t.id] > _EPS)]
    increase = partial - nadir
    grew = increase >= rules.PD_ABSOLUTE_MM - _EPS and increase >= rules.PD_INCREASE * nadir - _EPS
    label = "sum" if complete else "sum of the evaluated targets"
    if grew:
        pct = f"+{100.0 * increase / nadir:.1f} %" if nadir > 0 else "from 0 mm"
        reasons.append(f"targets PD: {label} {_fmt(partial)} is {pct} and +{_fmt(increase)} over the nadir "
                       f"{_fmt(nadir)} (PD needs >= 20 % and >= 5 mm)")
        return "PD", (partial if complete else None), diameters
    if after_cr and back:
        reasons.append(f"targets PD: {', '.join(back)} reappeared after a complete response")
        return "PD", (partial if complete else None), diameters
    if not complete:
        reasons.append(f"targets NE: not every target was evaluated, and the evaluated ones ({_fmt(partial)}) do not "
                       f"show progression over the nadir {_fmt(nadir)}")
        return "NE", None, diameters
    if increase > 0:
        reasons.append(f"sum {_fmt(partial)} is {_fmt(increase)} ({100.0 * increase / nadir if nadir else 0:.1f} %) "
                       f"over the nadir {_fmt(nadir)}: short of PD (>= 20 % and >= 5 mm)")
    nodes_ok = all(diameters[t.id] < rules.NORMAL_NODE_SHORT_AXIS_MM - _EPS for t in base.targets if t.node)
    others_gone = all(diameters[t.id] <= _EPS for t in base.targets if not t.node)
    if nodes_ok and others_gone:
        has_nodes = any(t.node for t in base.targets)
        reasons.append("targets CR: every non-nodal target is gone" +
                       (" and every nodal target is < 10 mm short axis" if has_nodes else ""))
        return "CR", partial, diameters
    change = 100.0 * (partial - base_sum) / base_sum
    if base_sum - partial >= rules.PR_DECREASE * base_sum - _EPS:
        reasons.append(f"targets PR: sum {_fmt(partial)} is {change:.1f} % from the baseline {_fmt(base_sum)} "
                       "(PR needs <= -30 %)")
        return "PR", partial, diameters
    reasons.append(f"targets SD: sum {_fmt(partial)} is {change:+.1f} % from the baseline {_fmt(base_sum)} and not PD")
    return "SD", partial, diameters


def _non_target_step(tp: TimePoint, base: _Baseline, after_cr: bool, reasons: list[str]) -> str:
    listed: dict[str, TargetEntry | NonTargetEntry] = {e.id: e for e in tp.non_targets}
    # Listed targets that the baseline demoted to non-targets are read from the follow-up's target list.
    listed.update({e.id: e for e in tp.targets if e.id not in listed})
    progressed, unknown, remaining, back = [], [], [], []
    for n in base.non_targets:
        e = listed.get(n.id)
        status = e.status if e is not None else "not_evaluated"
        if status == "unequivocal_progression":
            progressed.append(n.id)
        elif status == "not_evaluated":
            unknown.append(n.id)
        elif status == "present":
            short = e.short_mm
            if n.node and short is not None and short < rules.NORMAL_NODE_SHORT_AXIS_MM - _EPS:
                continue                     # a node back to normal size counts as gone for CR
            remaining.append(n.id)
            back.append(n.id)
    if progressed:
        reasons.append(f"non-targets PD: unequivocal progression of {', '.join(progressed)}")
        return "PD"
    if after_cr and back:
        reasons.append(f"non-targets PD: {', '.join(back)} reappeared after a complete response")
        return "PD"
    if unknown:
        reasons.append(f"non-targets NE: {', '.join(unknown)} not evaluated")
        return "NE"
    if not remaining:
        reasons.append("non-targets CR: every non-target lesion is gone" +
                       (" (nodes < 10 mm short axis)" if any(n.node for n in base.non_targets) else ""))
        return "CR"
    reasons.append(f"non-targets Non-CR/Non-PD: {', '.join(remaining)} still present, no unequivocal progression")
    return "Non-CR/Non-PD"


def _overall(target: str | None, non_target: str | None, new_pd: bool, reasons: list[str]) -> str:
    if new_pd or target == "PD" or non_target == "PD":
        return "PD"
    if target is not None:                                   # Table 4: patients with target lesions
        if target == "NE":
            return "NE"
        if target == "CR":
            if non_target in (None, "CR"):
                return "CR"
            reasons.append(f"overall PR: targets CR but non-targets {non_target} (Table 4)")
            return "PR"
        return target                                        # PR or SD, non-targets non-PD or NE
    if non_target is not None:                               # Table 5: non-target disease only
        return non_target
    reasons.append("no target or non-target lesion at baseline: response cannot be assessed unless a new lesion "
                   "appears")
    return "NE"


def evaluate(assessment: Assessment) -> Evaluation:
    """RECIST 1.1 at every time point of ``assessment`` (module docstring for the rules).

    Raises:
        InputError: a baseline target that is not present or not measured.
    """
    tps = assessment.time_points
    thickness = tps[0].slice_thickness_mm or assessment.slice_thickness_mm
    base = _choose_baseline(tps[0], thickness, assessment.source)
    base_sum = float(sum(_diameter(t, t.node) for t in base.targets))
    reasons = list(base.reasons)
    if base.targets:
        reasons.append(f"baseline: {len(base.targets)} target(s) {', '.join(t.id for t in base.targets)}, sum "
                       f"{_fmt(base_sum)} (long axes of non-nodal, short axes of nodal targets)")
    elif base.non_targets:
        reasons.append("baseline: no measurable target lesion; non-target disease only (Table 5)")
    else:
        reasons.append("baseline: no lesion listed")
    out = [TimePointResult(tps[0].date, "baseline", "baseline", "baseline", round(base_sum, 3) if base.targets else None,
                           round(base_sum, 3) if base.targets else None, reasons,
                           {t.id: _diameter(t, t.node) for t in base.targets})]
    sums = [base_sum]
    last_overall = None      # the last evaluable overall response: a lesion back after a CR is PD
    equivocal_since: dict[str, int] = {}
    for n, tp in enumerate(tps[1:], start=1):
        reasons = []
        nadir = min(sums)
        target, total, diameters = None, None, {}
        if base.targets:
            target, total, diameters = _target_step(tp, base, base_sum, nadir, last_overall == "CR", reasons)
        non_target = _non_target_step(tp, base, last_overall == "CR", reasons) if base.non_targets else None
        new_pd = False
        for e in tp.new_lesions:
            # "(liver)", "(outside the organ map)": a location label, which does not always read after "in"
            where = f" ({e.organ})" if e.organ else ""
            if e.equivocal:
                equivocal_since.setdefault(e.id, n)
                reasons.append(f"new lesion {e.id}{where} is equivocal: not PD at this time point; if a later study "
                               f"confirms it, PD dates from {tps[equivocal_since[e.id]].date}")
                continue
            new_pd = True
            first = equivocal_since.get(e.id)
            if first is not None and first < n:
                reasons.append(f"new lesion {e.id}{where} confirmed: PD, dated from its first sighting "
                               f"{tps[first].date} (equivocal then)")
                note = f"new lesion {e.id} seen here as equivocal was confirmed on "
                if not any(r.startswith(note) for r in out[first].reasons):
                    out[first].reasons.append(f"{note}{tp.date}: progression dates from this time point")
            else:
                reasons.append(f"new lesion {e.id}{where} (unequivocal): PD")
        overall = _overall(target, non_target, new_pd, reasons)
        if total is not None:
            sums.append(total)
        out.append(TimePointResult(tp.date, target, non_target, overall,
                                   None if total is None else round(total, 3),
                                   round(min(sums), 3) if base.targets else None, reasons, diameters,
                                   [e.id for e in tp.new_lesions],
                                   nadir_before_mm=round(nadir, 3) if base.targets else None))
        if overall != "NE":
            last_overall = overall
    return Evaluation(out, [t.id for t in base.targets], [e.id for e in base.non_targets], base.ignored)
