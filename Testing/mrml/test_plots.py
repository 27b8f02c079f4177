"""Line charts: series values go in and come out unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology.errors import InputError
from deepradiology_mrml.plots import add_line_plot, plot_series_values


def test_a_line_plot_keeps_each_series_and_its_axis_titles(a_scene):
    series = {"L1": ([0, 42, 91], [20.0, 16.5, 12.0]), "L2": ([0, 42], [8.0, 11.0])}
    chart = add_line_plot(a_scene, "Long axis over time", series, x_title="days since baseline",
                          y_title="long axis (mm)")
    assert chart.GetXAxisTitle() == "days since baseline" and chart.GetYAxisTitle() == "long axis (mm)"
    back = plot_series_values(chart)
    assert set(back) == {"L1", "L2"}
    for name, (x, y) in series.items():
        assert np.allclose(back[name][0], x) and np.allclose(back[name][1], y)


def test_a_series_with_more_x_than_y_values_is_refused_and_leaves_no_nodes(a_scene):
    before = a_scene.GetNumberOfNodes()
    with pytest.raises(InputError, match="x has 3 values but y has 2"):
        add_line_plot(a_scene, "bad", {"L1": ([0, 1, 2], [1, 2])}, x_title="days", y_title="mm")
    assert a_scene.GetNumberOfNodes() == before
