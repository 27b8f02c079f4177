"""RECIST axes (LPS mm, core) <-> a pair of markups line nodes (RAS mm, MRML); fiducial points.

A RECIST measurement is two lines on the key slice: the long axis (longest diameter) and the short
axis (longest diameter perpendicular to it). In the scene they are two ``vtkMRMLMarkupsLineNode`` named
``"<name> long"`` and ``"<name> short"``; the long line points to its short partner through the node
reference `SHORT_AXIS_REFERENCE`, which is saved in ``.mrb`` files, so pairs are found again after
loading (`recist_line_pairs`). Lengths are Euclidean distances in mm (the same in RAS and LPS).
"""

from __future__ import annotations

import numpy as np

from deepradiology.errors import InputError
from deepradiology.frames import lps_to_ras, ras_to_lps

from .scene import remove_node

__all__ = ["add_recist_lines", "recist_from_lines", "recist_line_pairs", "add_fiducial", "fiducial_lps",
           "set_line_lps", "SHORT_AXIS_REFERENCE", "RECIST_ROLE_ATTRIBUTE"]

#: Node reference role from a long-axis line to its short-axis line.
SHORT_AXIS_REFERENCE = "DeepRadiologyRECISTShortAxis"
#: Node attribute saying which RECIST axis a line is: "long" or "short".
RECIST_ROLE_ATTRIBUTE = "DeepRadiology.RECISTAxis"


def _segment(points, what: str) -> np.ndarray:
    pts = np.asarray(points, dtype=float)
    if pts.shape != (2, 3) or not np.all(np.isfinite(pts)):
        raise InputError(what, f"expected two 3D endpoints in mm, got {np.asarray(points).tolist()!r}")
    return pts


def set_line_lps(node, endpoints_lps) -> None:
    """Move a line node's two control points to these LPS mm endpoints (stored as RAS)."""
    pts = lps_to_ras(_segment(endpoints_lps, node.GetName()))
    node.RemoveAllControlPoints()
    for p in pts:
        node.AddControlPoint([float(c) for c in p])


def _line_lps(node) -> np.ndarray:
    if node is None or not node.IsA("vtkMRMLMarkupsLineNode"):
        raise InputError(getattr(node, "GetName", lambda: "line")(), "expected a markups line node")
    if node.GetNumberOfControlPoints() != 2:
        raise InputError(node.GetName(), f"a RECIST axis needs 2 points, the line has {node.GetNumberOfControlPoints()}")
    ras = np.array([node.GetNthControlPointPositionWorld(n) for n in range(2)], dtype=float)
    return ras_to_lps(ras)


def add_recist_lines(scene, name: str, long_lps, short_lps, *, color=(1.0, 0.85, 0.0)):
    """Add a RECIST measurement as two line nodes, ``"<name> long"`` and ``"<name> short"``.

    Args:
        scene: the ``vtkMRMLScene``.
        name: the lesion's name, e.g. "L1".
        long_lps, short_lps: each two endpoints in LPS mm, shape (2, 3).
        color: RGB in [0, 1] of both lines (the short one is drawn a little darker).

    Returns:
        (long_node, short_node), ``vtkMRMLMarkupsLineNode`` with display nodes; the long node refers to
        the short one (`SHORT_AXIS_REFERENCE`).

    Raises:
        InputError: when an axis is not two finite 3D points. No node is added then.
    """
    long_pts = _segment(long_lps, f"{name} long axis")
    short_pts = _segment(short_lps, f"{name} short axis")
    nodes = []
    try:
        for role, pts, shade in (("long", long_pts, 1.0), ("short", short_pts, 0.75)):
            node = scene.AddNewNodeByClass("vtkMRMLMarkupsLineNode", f"{name} {role}")
            nodes.append(node)
            node.CreateDefaultDisplayNodes()
            node.SetAttribute(RECIST_ROLE_ATTRIBUTE, role)
            set_line_lps(node, pts)
            display = node.GetDisplayNode()
            rgb = [c * shade for c in color]
            display.SetSelectedColor(*rgb)
            display.SetColor(*rgb)
        nodes[0].SetNodeReferenceID(SHORT_AXIS_REFERENCE, nodes[1].GetID())
    except Exception:
        for node in nodes:
            remove_node(scene, node)
        raise
    return nodes[0], nodes[1]


def recist_from_lines(long_node, short_node) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Read a RECIST measurement back from its two line nodes (world positions: transforms applied).

    Returns:
        (long_lps, short_lps, long_mm, short_mm): the endpoints as (2, 3) LPS mm arrays and the two
        diameters in mm. The long axis is whichever line the caller passed as ``long_node``, even if a
        user has since dragged it shorter than the short one (the caller decides what that means).

    Raises:
        InputError: when a node is not a line with exactly two points.
    """
    long_lps = _line_lps(long_node)
    short_lps = _line_lps(short_node)
    return (long_lps, short_lps, float(np.linalg.norm(long_lps[1] - long_lps[0])),
            float(np.linalg.norm(short_lps[1] - short_lps[0])))


def recist_line_pairs(scene) -> list[tuple[object, object]]:
    """Every (long_node, short_node) pair made by `add_recist_lines` in the scene, in scene order."""
    pairs = []
    for n in range(scene.GetNumberOfNodesByClass("vtkMRMLMarkupsLineNode")):
        node = scene.GetNthNodeByClass(n, "vtkMRMLMarkupsLineNode")
        partner = node.GetNodeReference(SHORT_AXIS_REFERENCE)
        if node.GetAttribute(RECIST_ROLE_ATTRIBUTE) == "long" and partner is not None:
            pairs.append((node, partner))
    return pairs


def add_fiducial(scene, name: str, point_lps, *, node=None):
    """Add one named point (LPS mm) as a point-list node, or as a new control point of ``node``.

    Returns:
        the ``vtkMRMLMarkupsFiducialNode`` (named ``name`` when new; the control point is labelled ``name``).
    """
    pts = np.asarray(point_lps, dtype=float).reshape(-1)
    if pts.shape != (3,) or not np.all(np.isfinite(pts)):
        raise InputError(name, f"expected one 3D point in mm, got {point_lps!r}")
    created = node is None
    if created:
        node = scene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode", name)
        node.CreateDefaultDisplayNodes()
    elif not node.IsA("vtkMRMLMarkupsFiducialNode"):
        raise InputError(node.GetName(), f"expected a point-list node, got a {node.GetClassName()}")
    index = node.AddControlPoint([float(c) for c in lps_to_ras(pts)])
    node.SetNthControlPointLabel(index, name)
    return node


def fiducial_lps(node) -> np.ndarray:
    """All control points of a markups node in LPS mm (world positions), shape (n, 3)."""
    ras = np.array([node.GetNthControlPointPositionWorld(n) for n in range(node.GetNumberOfControlPoints())],
                   dtype=float).reshape(-1, 3)
    return ras_to_lps(ras)
