"""Small page pieces the panels share: a records table and a line chart drawn as SVG.

Slicer shows tables and plots in its own table and plot views; trame-slicer serves only slice and
3D views, so the panels show the Logic's table and plot nodes with these instead.
"""

from __future__ import annotations

import html as html_escape
from collections.abc import Mapping, Sequence

__all__ = ["records_table", "table_headers", "line_chart_svg", "display_value"]


def display_value(value) -> object:
    """A table cell as a radiologist reads it: floats to 0.1, sequences joined, None empty."""
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 1)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(display_value(v)) for v in value)
    return value


def table_headers(columns: Sequence[tuple[str, str]]) -> list[dict]:
    """Vuetify table headers from (key, title) pairs."""
    return [{"key": key, "title": title, "sortable": False} for key, title in columns]


def records_table(*, headers: str, rows: str, element_id: str, click_row=None, selected: str | None = None):
    """A compact table bound to state ``headers`` (key/title dicts) and ``rows`` (dicts).

    Rows must carry an ``_index`` key (their position); ``click_row(index)`` is called when a row is
    clicked, and the row whose ``_index`` equals state ``selected`` is highlighted.
    """
    from trame.widgets import html
    from trame.widgets import vuetify3 as v3

    row_options = {"v_for": f"row in {rows}", "key": "row._index"}
    if click_row is not None:
        row_options["click"] = (click_row, "[row._index]")
        row_options["style"] = "cursor: pointer"
    if selected is not None:
        row_options["classes"] = (f"row._index === {selected} ? 'bg-blue-lighten-4' : ''",)
    with v3.VTable(density="compact", id=element_id, classes="text-caption", hover=True) as table:
        with html.Thead(), html.Tr():
            html.Th("{{ h.title }}", v_for=f"h in {headers}", key="h.key", classes="px-1")
        with html.Tbody(), html.Tr(**row_options):
            html.Td("{{ row[h.key] }}", v_for=f"h in {headers}", key="h.key", classes="px-1")
    return table


def line_chart_svg(series: Mapping[str, tuple[Sequence[float], Sequence[float]]], *, x_title: str, y_title: str,
                   right: Sequence[str] = (), right_title: str = "", width: int = 420, height: int = 200) -> str:
    """An SVG line chart (one polyline with dots per series), for values such as diameters over time.

    Args:
        series: name -> (x values, y values); x is usually the study number, y a diameter in mm.
        x_title, y_title: axis titles, with units (``y_title`` for the left axis).
        right: names of series drawn against a second y-axis on the right (e.g. the target sum, whose
            size would squash the per-lesion lines on a shared axis); dashed, so the two never read alike.
        right_title: the right axis's title, with units.

    The y-axes are ``<line class='y-axis left|right'>`` elements (each series' polyline carries
    ``data-axis``), so a page test can find them.
    """
    colors = ["#1867c0", "#e53935", "#43a047", "#fb8c00", "#8e24aa", "#00897b", "#6d4c41", "#3949ab"]
    on_right = {name for name in right if name in series}
    points = [(float(x), float(y)) for xs, ys in series.values() for x, y in zip(xs, ys)]
    if not points:
        return f"<svg width='{width}' height='{height}'><text x='10' y='20'>no values</text></svg>"
    legend_rows = (len(series) + 3) // 4
    height += 14 * legend_rows
    left, top, bottom = 44, 10, 34 + 14 * legend_rows
    margin_right = 48 if on_right else 12
    x_min, x_max = min(p[0] for p in points), max(p[0] for p in points)

    def top_of(names) -> float:
        values = [float(y) for name in names for y in series[name][1]]
        return max(max(values, default=0.0), 1.0) * 1.1

    y_max = {"left": top_of([n for n in series if n not in on_right]), "right": top_of(on_right)}
    x_span = (x_max - x_min) or 1.0

    def sx(x: float) -> float:
        return left + (x - x_min) / x_span * (width - left - margin_right)

    def sy(y: float, axis: str = "left") -> float:
        return height - bottom - y / y_max[axis] * (height - top - bottom)

    x_right = width - margin_right
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
             f"font-family='sans-serif' font-size='10'>",
             f"<line x1='{left}' y1='{sy(0)}' x2='{x_right}' y2='{sy(0)}' stroke='#999'/>",
             f"<line class='y-axis left' x1='{left}' y1='{top}' x2='{left}' y2='{sy(0)}' stroke='#999'/>"]
    for tick in range(5):
        value = y_max["left"] * tick / 4
        parts.append(f"<text x='{left - 4}' y='{sy(value) + 3}' text-anchor='end'>{value:.0f}</text>")
    if on_right:
        parts.append(f"<line class='y-axis right' x1='{x_right}' y1='{top}' x2='{x_right}' y2='{sy(0)}' "
                     f"stroke='#999' stroke-dasharray='4 2'/>")
        for tick in range(5):
            value = y_max["right"] * tick / 4
            parts.append(f"<text x='{x_right + 4}' y='{sy(value, 'right') + 3}' text-anchor='start'>{value:.0f}</text>")
        middle = (top + sy(0)) / 2
        parts.append(f"<text class='y-title right' x='{width - 6}' y='{middle}' transform='rotate(90 {width - 6} "
                     f"{middle})' text-anchor='middle'>{html_escape.escape(right_title)}</text>")
    for x in sorted({p[0] for p in points}):
        parts.append(f"<text x='{sx(x)}' y='{sy(0) + 12}' text-anchor='middle'>{x:g}</text>")
    parts.append(f"<text x='{(left + x_right) / 2}' y='{sy(0) + 26}' text-anchor='middle'>"
                 f"{html_escape.escape(x_title)}</text>")
    parts.append(f"<text class='y-title left' x='10' y='{(top + sy(0)) / 2}' "
                 f"transform='rotate(-90 10 {(top + sy(0)) / 2})' text-anchor='middle'>{html_escape.escape(y_title)}</text>")
    for n, (name, (xs, ys)) in enumerate(series.items()):
        color = colors[n % len(colors)]
        axis = "right" if name in on_right else "left"
        dash = " stroke-dasharray='6 3'" if axis == "right" else ""
        coords = " ".join(f"{sx(float(x)):.1f},{sy(float(y), axis):.1f}" for x, y in zip(xs, ys))
        parts.append(f"<polyline data-series='{html_escape.escape(str(name))}' data-axis='{axis}' fill='none' "
                     f"stroke='{color}' stroke-width='2'{dash} points='{coords}'/>")
        for x, y in zip(xs, ys):
            parts.append(f"<circle cx='{sx(float(x)):.1f}' cy='{sy(float(y), axis):.1f}' r='3' fill='{color}'>"
                         f"<title>{html_escape.escape(str(name))}: {float(y):.1f}</title></circle>")
        row, column = divmod(n, 4)
        lx, ly = left + column * (width - left) / 4, sy(0) + 40 + 14 * row
        # the right axis's series: a dashed swatch, as its line (its axis title names it and its unit)
        swatch = (f"<line x1='{lx:.1f}' y1='{ly - 6.5:.1f}' x2='{lx + 10:.1f}' y2='{ly - 6.5:.1f}' stroke='{color}' "
                  f"stroke-width='3' stroke-dasharray='4 2'/>" if axis == "right" else
                  f"<rect x='{lx:.1f}' y='{ly - 8:.1f}' width='10' height='3' fill='{color}'/>")
        parts.append(f"{swatch}<text x='{lx + 13:.1f}' y='{ly - 4:.1f}'>{html_escape.escape(str(name))}</text>")
    parts.append("</svg>")
    return "".join(parts)
