"""Line charts in the scene: ``vtkMRMLPlotChartNode`` over ``vtkMRMLPlotSeriesNode`` and table nodes.

Used for a lesion's diameter over time (x: days since baseline, y: mm) and similar curves. Each series
gets its own two-column table node (x, y) because series may differ in length. Values are plain numbers
in whatever unit the axis title states; nothing here is a patient coordinate, so there is no frame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from deepradiology.errors import InputError

from .scene import remove_node
from .segmentations import default_color

__all__ = ["add_line_plot", "plot_series_values"]


def add_line_plot(scene, name: str, series: Mapping[str, tuple[Sequence[float], Sequence[float]]], *,
                  x_title: str, y_title: str, colors: Mapping[str, Sequence[float]] | None = None):
    """Add a line chart with one line (with point markers) per named series.

    Args:
        scene: the ``vtkMRMLScene``.
        name: the chart's title and node name; the series and table nodes are named after it.
        series: series name -> (x values, y values) of equal length, e.g. ``{"L1": (days, mm)}``.
        x_title, y_title: axis titles, with units ("days since baseline", "long axis (mm)").
        colors: series name -> RGB in [0, 1]; a distinct default colour each otherwise.

    Returns:
        the ``vtkMRMLPlotChartNode`` (show it in a plot view; the front end decides where).

    Raises:
        InputError: when a series' x and y differ in length or are not finite numbers. No node is left.
    """
    import vtk

    if not series:
        raise InputError(name, "a plot needs at least one series")
    checked = {}
    for label, (xs, ys) in series.items():
        x = np.asarray(xs, dtype=float).reshape(-1)
        y = np.asarray(ys, dtype=float).reshape(-1)
        if x.shape != y.shape:
            raise InputError(f"{name}: {label}", f"x has {x.size} values but y has {y.size}")
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            raise InputError(f"{name}: {label}", "values must be finite numbers")
        checked[label] = (x, y)
    colors = dict(colors or {})
    made = []
    try:
        chart = scene.AddNewNodeByClass("vtkMRMLPlotChartNode", name)
        made.append(chart)
        chart.SetTitle(name)
        chart.SetXAxisTitle(x_title)
        chart.SetYAxisTitle(y_title)
        for n, (label, (x, y)) in enumerate(checked.items(), start=1):
            table_node = scene.AddNewNodeByClass("vtkMRMLTableNode", f"{name} {label} data")
            made.append(table_node)
            table = vtk.vtkTable()
            for column, values in ((x_title, x), (y_title, y)):
                array = vtk.vtkDoubleArray()
                array.SetName(column)
                for value in values:
                    array.InsertNextValue(float(value))
                table.AddColumn(array)
            table_node.SetAndObserveTable(table)
            plot = scene.AddNewNodeByClass("vtkMRMLPlotSeriesNode", f"{name} {label}")
            made.append(plot)
            plot.SetAndObserveTableNodeID(table_node.GetID())
            plot.SetXColumnName(x_title)
            plot.SetYColumnName(y_title)
            plot.SetPlotType(plot.PlotTypeScatter)  # scatter + line = a line through marked points
            plot.SetLineStyle(plot.LineStyleSolid)
            plot.SetMarkerStyle(plot.MarkerStyleCircle)
            plot.SetColor(*[float(c) for c in colors.get(label, default_color(n))])
            chart.AddAndObservePlotSeriesNodeID(plot.GetID())
    except Exception:
        for node in made:
            remove_node(scene, node)
        raise
    return chart


def plot_series_values(chart) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Read a chart back: series name (the part after the chart's name) -> (x, y) arrays."""
    out = {}
    prefix = chart.GetName() + " "
    for n in range(chart.GetNumberOfPlotSeriesNodes()):
        plot = chart.GetNthPlotSeriesNode(n)
        table = plot.GetTableNode().GetTable()
        x = np.array([table.GetValueByName(r, plot.GetXColumnName()).ToDouble() for r in range(table.GetNumberOfRows())])
        y = np.array([table.GetValueByName(r, plot.GetYColumnName()).ToDouble() for r in range(table.GetNumberOfRows())])
        name = plot.GetName()
        out[name[len(prefix):] if name.startswith(prefix) else name] = (x, y)
    return out
