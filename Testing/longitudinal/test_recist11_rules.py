"""RECIST 1.1's per-lesion diameter rule (the engine's categories are in test_recist11_engine.py)."""

from __future__ import annotations

from deepradiology.lesion import Lesion
from deepradiology.longitudinal import recist11 as r


def test_nodes_are_measured_on_the_short_axis_and_other_lesions_on_the_long_axis():
    assert r.target_diameter_mm(Lesion("n", long_axis_mm=30.0, short_axis_mm=18.0, is_lymph_node=True)) == 18.0
    assert r.target_diameter_mm(Lesion("l", long_axis_mm=30.0, short_axis_mm=18.0)) == 30.0


def test_a_vanished_lesion_contributes_zero_mm():
    assert r.target_diameter_mm(None) == 0.0
