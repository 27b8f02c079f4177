"""RECIST 1.1 thresholds and single rules (Eisenhauer et al., EJC 2009), one small function per rule.

The time-point response itself (NE, non-targets, new lesions, Tables 4 and 5) is `engine.evaluate`;
these helpers are the per-rule building blocks and stay for callers that need one rule.

All diameters are in mm. A lymph node is measured on its short axis, any other lesion on its long
axis (`Lesion.measured_diameter_mm`). Percentages are fractions (0.30 = 30 %). Thresholds are
inclusive, as the guideline words them: "at least a 30 % decrease", "at least a 20 % increase ... and
an absolute increase of at least 5 mm".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from ..lesion import Lesion

__all__ = [
    "MIN_LESION_MM", "MIN_NODE_SHORT_AXIS_MM", "NORMAL_NODE_SHORT_AXIS_MM", "MAX_TARGETS", "MAX_TARGETS_PER_ORGAN",
    "PR_DECREASE", "PD_INCREASE", "PD_ABSOLUTE_MM", "is_measurable_at_baseline", "organ_of",
    "select_target_lesions", "target_diameter_mm", "sum_of_diameters", "nadir_sum", "is_complete_response",
    "is_partial_response", "is_progressive_disease", "target_response", "overall_response",
]

MIN_LESION_MM = 10.0             #: a non-nodal lesion is measurable when its long axis is >= 10 mm
MIN_NODE_SHORT_AXIS_MM = 15.0    #: a lymph node is measurable (pathological, target-able) when short axis >= 15 mm
NORMAL_NODE_SHORT_AXIS_MM = 10.0  #: a node below 10 mm short axis counts as normal (needed for CR)
MAX_TARGETS = 5
MAX_TARGETS_PER_ORGAN = 2
PR_DECREASE = 0.30               #: PR: sum decreased by >= 30 % from the baseline sum
PD_INCREASE = 0.20               #: PD: sum increased by >= 20 % over the nadir ...
PD_ABSOLUTE_MM = 5.0             #: ... and by >= 5 mm in absolute terms
_EPS = 1e-9                      # float round-off must not flip a category sitting exactly at a threshold


def is_measurable_at_baseline(lesion: Lesion, *, slice_thickness_mm: float | None = None) -> bool:
    """Measurable at baseline: long axis >= 10 mm and >= twice the slice thickness (when given), or for
    a lymph node short axis >= 15 mm."""
    if lesion.is_lymph_node:
        return (lesion.short_axis_mm or 0.0) >= MIN_NODE_SHORT_AXIS_MM - _EPS
    least = max(MIN_LESION_MM, 2.0 * slice_thickness_mm) if slice_thickness_mm else MIN_LESION_MM
    return (lesion.long_axis_mm or 0.0) >= least - _EPS


def organ_of(lesion: Lesion) -> str:
    """The organ a lesion counts against for the per-organ limit; all lymph nodes form one 'organ'.

    The lesion's ``location`` only ("unknown" without one): a coarse type is not an organ.
    """
    if lesion.is_lymph_node:
        return "lymph node"
    return (lesion.location or "unknown").lower()


def target_diameter_mm(lesion: Lesion | None) -> float:
    """The diameter RECIST sums: short axis for nodes, long axis otherwise; 0 for a vanished lesion."""
    if lesion is None:
        return 0.0
    return float(lesion.measured_diameter_mm or 0.0)


def select_target_lesions(lesions: Iterable[Lesion], *, max_total: int = MAX_TARGETS,
                          max_per_organ: int = MAX_TARGETS_PER_ORGAN) -> tuple[list[Lesion], list[Lesion]]:
    """Split baseline lesions into target and non-target lesions.

    Targets are the largest measurable lesions (by the diameter RECIST measures), at most
    ``max_total`` in all and ``max_per_organ`` per organ. Every other lesion, measurable or not, is
    a non-target lesion followed qualitatively.

    Returns:
        (targets, non_targets), targets largest first, non-targets in input order.
    """
    lesions = list(lesions)
    ranked = sorted((les for les in lesions if is_measurable_at_baseline(les)),
                    key=lambda les: -target_diameter_mm(les))
    per_organ: dict[str, int] = defaultdict(int)
    targets: list[Lesion] = []
    for les in ranked:
        organ = organ_of(les)
        if len(targets) < max_total and per_organ[organ] < max_per_organ:
            targets.append(les)
            per_organ[organ] += 1
    chosen = {id(t) for t in targets}
    return targets, [les for les in lesions if id(les) not in chosen]


def sum_of_diameters(diameters_mm: Iterable[float]) -> float:
    """Sum of the target diameters (mm); vanished targets contribute 0."""
    return float(sum(float(d) for d in diameters_mm))


def nadir_sum(previous_sums_mm: Sequence[float]) -> float:
    """The smallest sum on study so far, baseline included (the reference for progression)."""
    if not previous_sums_mm:
        raise ValueError("the nadir needs at least the baseline sum")
    return float(min(previous_sums_mm))


def is_complete_response(diameters_mm: Sequence[float], node_flags: Sequence[bool]) -> bool:
    """CR of targets: every non-nodal target gone (0 mm) and every nodal target < 10 mm short axis."""
    for d, node in zip(diameters_mm, node_flags):
        if node and d >= NORMAL_NODE_SHORT_AXIS_MM - _EPS:
            return False
        if not node and d > _EPS:
            return False
    return True


def is_partial_response(current_sum_mm: float, baseline_sum_mm: float) -> bool:
    """PR: the sum decreased by at least 30 % from the baseline sum."""
    if baseline_sum_mm <= 0:
        return False
    return (baseline_sum_mm - current_sum_mm) >= PR_DECREASE * baseline_sum_mm - _EPS


def is_progressive_disease(current_sum_mm: float, nadir_sum_mm: float, *, new_lesion: bool = False) -> bool:
    """PD: a new lesion, or the sum increased over the nadir by >= 20 % AND by >= 5 mm."""
    if new_lesion:
        return True
    increase = current_sum_mm - nadir_sum_mm
    return increase >= PD_ABSOLUTE_MM - _EPS and increase >= PD_INCREASE * nadir_sum_mm - _EPS


def target_response(diameters_mm: Sequence[float], node_flags: Sequence[bool], *, baseline_sum_mm: float,
                    nadir_sum_mm: float) -> str:
    """Response of the target lesions at one follow-up: "CR", "PR", "PD" or "SD".

    PD is checked first (a sum that grew from a nadir is progression even if still below baseline).
    """
    current = sum_of_diameters(diameters_mm)
    if is_progressive_disease(current, nadir_sum_mm):
        return "PD"
    if is_complete_response(diameters_mm, node_flags):
        return "CR"
    if is_partial_response(current, baseline_sum_mm):
        return "PR"
    return "SD"


def overall_response(target: str, *, non_targets_present: bool, new_lesion: bool,
                     non_target_progression: bool = False) -> str:
    """Overall response at a time point (RECIST 1.1 table 1, patients with target lesions).

    A new lesion or unequivocal non-target progression is PD whatever the targets did; complete
    response of the targets with non-target lesions still present is PR (non-CR/non-PD).
    """
    if new_lesion or non_target_progression or target == "PD":
        return "PD"
    if target == "CR" and non_targets_present:
        return "PR"
    return target
