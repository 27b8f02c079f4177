"""RECIST axes (LPS) <-> a pair of markups line nodes (RAS)."""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology.errors import InputError
from deepradiology.frames import lps_to_ras
from deepradiology_mrml.markups import (add_fiducial, add_recist_lines, fiducial_lps, recist_from_lines,
                                        recist_line_pairs)


def test_a_phantom_lesions_recist_pair_round_trips_endpoints_and_diameters(a_scene, a_coarse_phantom_patient):
    lesion = a_coarse_phantom_patient.studies[0].lesions[0]
    long_node, short_node = add_recist_lines(a_scene, lesion["lesion_id"], lesion["long_axis_lps"],
                                             lesion["short_axis_lps"])
    assert long_node.GetName() == f"{lesion['lesion_id']} long"
    assert short_node.GetName() == f"{lesion['lesion_id']} short"
    long_lps, short_lps, long_mm, short_mm = recist_from_lines(long_node, short_node)
    assert np.allclose(long_lps, lesion["long_axis_lps"])
    assert np.allclose(short_lps, lesion["short_axis_lps"])
    assert long_mm == pytest.approx(lesion["long_axis_mm"], abs=1e-6)
    assert short_mm == pytest.approx(lesion["short_axis_mm"], abs=1e-6)


def test_recist_lines_hold_ras_points_and_slicer_measures_the_same_length(a_scene):
    long_lps = [[10.0, 20.0, 30.0], [40.0, 20.0, 30.0]]
    long_node, _ = add_recist_lines(a_scene, "L1", long_lps, [[25.0, 12.0, 30.0], [25.0, 28.0, 30.0]])
    points = np.array([long_node.GetNthControlPointPosition(n) for n in range(2)])
    assert np.allclose(points, lps_to_ras(np.array(long_lps)))
    assert long_node.GetMeasurement("length").GetValue() == pytest.approx(30.0)
    assert long_node.GetMeasurement("length").GetUnits() == "mm"


def test_recist_pairs_are_found_again_by_their_link(a_scene):
    add_recist_lines(a_scene, "L1", [[0, 0, 0], [10, 0, 0]], [[5, -2, 0], [5, 2, 0]])
    add_recist_lines(a_scene, "L2", [[0, 0, 9], [20, 0, 9]], [[9, -4, 9], [9, 4, 9]])
    a_scene.AddNewNodeByClass("vtkMRMLMarkupsLineNode", "a ruler the user drew")
    pairs = recist_line_pairs(a_scene)
    assert [(a.GetName(), b.GetName()) for a, b in pairs] == [("L1 long", "L1 short"), ("L2 long", "L2 short")]


def test_an_axis_that_is_not_two_points_is_refused_and_adds_no_lines(a_scene):
    with pytest.raises(InputError, match="two 3D endpoints"):
        add_recist_lines(a_scene, "L1", [[0, 0, 0], [10, 0, 0]], [[5, -2, 0]])
    assert a_scene.GetNumberOfNodesByClass("vtkMRMLMarkupsLineNode") == 0


def test_a_line_the_user_emptied_is_refused_when_read_back(a_scene):
    long_node, short_node = add_recist_lines(a_scene, "L1", [[0, 0, 0], [10, 0, 0]], [[5, -2, 0], [5, 2, 0]])
    short_node.RemoveAllControlPoints()
    with pytest.raises(InputError, match="needs 2 points"):
        recist_from_lines(long_node, short_node)


def test_a_fiducial_is_stored_in_ras_and_read_back_in_lps(a_scene):
    node = add_fiducial(a_scene, "click", [1.0, -2.0, 3.0])
    assert np.allclose(node.GetNthControlPointPosition(0), [-1.0, 2.0, 3.0])
    assert np.allclose(fiducial_lps(node), [[1.0, -2.0, 3.0]])
    add_fiducial(a_scene, "second click", [4.0, 5.0, 6.0], node=node)
    assert node.GetNumberOfControlPoints() == 2 and node.GetNthControlPointLabel(1) == "second click"
