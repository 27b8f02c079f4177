"""RECIST 1.1 thresholds (Eisenhauer et al., EJC 2009) and the diameter a target contributes to the sum.

The rules themselves (measurability, target selection, NE, non-targets, new lesions, Tables 4 and 5)
live in one place, `engine.evaluate`; this module holds only the guideline's numbers and the one
per-lesion rule other modules need (which diameter is summed).

All diameters are in mm. A lymph node is measured on its short axis, any other lesion on its long
axis (`Lesion.measured_diameter_mm`). Percentages are fractions (0.30 = 30 %). Thresholds are
inclusive, as the guideline words them: "at least a 30 % decrease", "at least a 20 % increase ... and
an absolute increase of at least 5 mm".
"""

from __future__ import annotations

from ..lesion import Lesion

__all__ = [
    "MIN_LESION_MM", "MIN_NODE_SHORT_AXIS_MM", "NORMAL_NODE_SHORT_AXIS_MM", "MAX_TARGETS", "MAX_TARGETS_PER_ORGAN",
    "PR_DECREASE", "PD_INCREASE", "PD_ABSOLUTE_MM", "target_diameter_mm",
]

MIN_LESION_MM = 10.0             #: a non-nodal lesion is measurable when its long axis is >= 10 mm
MIN_NODE_SHORT_AXIS_MM = 15.0    #: a lymph node is measurable (pathological, target-able) when short axis >= 15 mm
NORMAL_NODE_SHORT_AXIS_MM = 10.0  #: a node below 10 mm short axis counts as normal (needed for CR)
MAX_TARGETS = 5
MAX_TARGETS_PER_ORGAN = 2
PR_DECREASE = 0.30               #: PR: sum decreased by >= 30 % from the baseline sum
PD_INCREASE = 0.20               #: PD: sum increased by >= 20 % over the nadir ...
PD_ABSOLUTE_MM = 5.0             #: ... and by >= 5 mm in absolute terms


def target_diameter_mm(lesion: Lesion | None) -> float:
    """The diameter RECIST sums: short axis for nodes, long axis otherwise; 0 for a vanished lesion."""
    if lesion is None:
        return 0.0
    return float(lesion.measured_diameter_mm or 0.0)
