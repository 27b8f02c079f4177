"""The phantom's abdomen: organs as analytic shapes with typical Hounsfield units.

Patient frame: LPS mm with the origin at the body's centre at the level of the pancreas; +x is the
patient's left, +y posterior, +z superior. Organs are painted in list order, later over earlier.
"""

from __future__ import annotations

from dataclasses import dataclass

from .shapes import Ellipsoid, EllipticCylinder

__all__ = ["Organ", "ORGANS", "ORGAN_LABELS"]


@dataclass(frozen=True)
class Organ:
    """A named structure: its shapes (union), its HU and its label in the organ map (0 = no label)."""

    name: str
    shapes: tuple
    hu: float
    label: int = 0


#: Label values in the phantom's organ label map (the ground truth for segmentation).
ORGAN_LABELS = {"liver": 1, "spleen": 2, "kidney_left": 3, "kidney_right": 4, "pancreas": 5, "bone": 6,
                "aorta": 7, "lung": 8}

ORGANS: tuple[Organ, ...] = (
    Organ("subcutaneous fat", (EllipticCylinder((0, 5), (160, 112)),), -100),
    Organ("abdominal wall", (EllipticCylinder((0, 5), (150, 103)),), 45),
    Organ("visceral fat", (EllipticCylinder((0, 5), (141, 95)),), -85),
    Organ("lung", (Ellipsoid((-72, 25, 105), (62, 70, 55)), Ellipsoid((72, 25, 105), (62, 70, 55))), -850,
          ORGAN_LABELS["lung"]),
    Organ("bowel", (Ellipsoid((10, -45, -45), (70, 35, 35)),), 15),
    Organ("liver", (Ellipsoid((-62, 0, 28), (62, 66, 62)), Ellipsoid((-20, -25, 45), (40, 35, 35))), 60,
          ORGAN_LABELS["liver"]),
    Organ("spleen", (Ellipsoid((88, 38, 38), (28, 42, 45), angle_deg=-30),), 50, ORGAN_LABELS["spleen"]),
    Organ("kidney_left", (Ellipsoid((70, 48, -12), (26, 22, 48), angle_deg=20),), 150,
          ORGAN_LABELS["kidney_left"]),
    Organ("kidney_right", (Ellipsoid((-70, 48, -20), (26, 22, 48), angle_deg=-20),), 150,
          ORGAN_LABELS["kidney_right"]),
    Organ("pancreas", (Ellipsoid((-18, 8, -2), (18, 15, 22)), Ellipsoid((12, 14, 2), (26, 12, 15), angle_deg=15),
                       Ellipsoid((44, 22, 6), (20, 11, 13), angle_deg=25)), 100, ORGAN_LABELS["pancreas"]),
    Organ("aorta", (EllipticCylinder((4, 42), (11, 11)),), 180, ORGAN_LABELS["aorta"]),
    Organ("vertebra", (EllipticCylinder((0, 72), (19, 16)),), 280, ORGAN_LABELS["bone"]),
    Organ("spinal canal", (EllipticCylinder((0, 98), (9, 8)),), 20),
    Organ("posterior elements", (EllipticCylinder((0, 112), (22, 7)),), 500, ORGAN_LABELS["bone"]),
)
