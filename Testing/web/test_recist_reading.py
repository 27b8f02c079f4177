"""Reading a RECIST measurement: a box drawn by dragging is measured within that box, and the long-
and short-axis labels are readable and never lie on one another.

The box's expected corners come from the cursor readout at the drag's ends (the viewer's own
pixel -> LPS mapping, not the box code); the lesion's expected axes from the phantom's truth.
"""

from __future__ import annotations

import re

import pytest

from .conftest import centre_views_on, count_pixels_like, open_panel, open_tab, save_screenshot, wait_until

pytestmark = pytest.mark.browser

_LPS = re.compile(r"LPS \((-?[\d.]+), (-?[\d.]+), (-?[\d.]+)\) mm")
#: The drawn box's colour (`box_prompt.BoxPrompt`, RGB 0-255).
BOX_BLUE = (77, 217, 255)
_BOX = re.compile(r"box \((-?[\d.]+), (-?[\d.]+)\) to \((-?[\d.]+), (-?[\d.]+)\) mm LPS")


def _lps_at(page, x: float, y: float) -> tuple[float, float]:
    """Rest the mouse on page pixel (x, y) and read the LPS position the readout gives there."""
    before = page.locator("#cursor-readout").inner_text()
    for step in (5, 2, 0):
        page.mouse.move(x - step, y - step)
        page.wait_for_timeout(200)
    text = wait_until(lambda: (t := page.locator("#cursor-readout").inner_text()) != before and t, timeout_s=20)
    lx, ly, _ = map(float, _LPS.search(text).groups())
    return lx, ly


def _intersect(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def test_a_box_drag_measures_the_lesion_in_the_box_with_labels_apart(a_browser, a_default_patient_server,
                                                                      a_baseline_truth):
    liver = max((t for t in a_baseline_truth if t["organ"] == "liver"), key=lambda t: t["long_axis_mm"])
    page = open_tab(a_browser, a_default_patient_server.url)
    try:
        open_panel(page, "recist")
        centre_views_on(page, liver["centre_lps"])
        view = page.locator("img.image-display-area").first.bounding_box()
        cx, cy = view["x"] + view["width"] / 2, view["y"] + view["height"] / 2
        # The view's scale from the readout: two points 100 px apart.
        (ax, _), (bx, _) = _lps_at(page, cx - 50, cy), _lps_at(page, cx + 50, cy)
        mm_per_px = abs(bx - ax) / 100
        half = (liver["long_axis_mm"] / 2 + 8) / mm_per_px        # the lesion plus 8 mm on each side
        start, end = (cx - half, cy - half), (cx + half, cy + half)
        expected = [_lps_at(page, *start), _lps_at(page, *end)]
        window = page.locator("#window-readout").inner_text()

        page.locator("#recist-box").click()
        page.locator("#pick-prompt").wait_for(state="visible")
        assert "Drag a box" in page.locator("#pick-prompt").inner_text()
        page.mouse.move(start[0] - 3, start[1] - 3)
        page.mouse.move(*start)
        page.wait_for_timeout(300)
        page.mouse.down()
        for n in range(1, 7):    # as a hand drags: several moves, not a jump
            page.mouse.move(start[0] + (end[0] - start[0]) * n / 6, start[1] + (end[1] - start[1]) * n / 6)
            page.wait_for_timeout(120)
        # The box is drawn while dragging (on the slice it is drawn on; the lines go to the lesion's key slice).
        wait_until(lambda: count_pixels_like(page, BOX_BLUE, tolerance=50) > 60, timeout_s=20)
        page.mouse.up()
        page.locator("#pick-prompt").wait_for(state="hidden", timeout=15_000)
        page.locator("#recist-table tbody tr").first.wait_for(timeout=120_000)

        last = page.locator("#recist-last").inner_text()
        assert "measured in the box" in last, last
        x0, y0, x1, y1 = map(float, _BOX.search(last).groups())
        # The box measured is the box dragged (to a pixel or so).
        assert (x0, y0) == pytest.approx(expected[0], abs=2 * mm_per_px + 0.5)
        assert (x1, y1) == pytest.approx(expected[1], abs=2 * mm_per_px + 0.5)
        # ... and it holds the phantom's lesion, measured as the truth has it.
        headers = page.locator("#recist-table thead th").all_inner_texts()
        row = dict(zip(headers, page.locator("#recist-table tbody tr").first.locator("td").all_inner_texts()))
        assert page.locator("#recist-table tbody tr").count() == 1
        assert float(row["long mm"]) == pytest.approx(liver["long_axis_mm"], rel=0.12)
        # The drag did not also change the window, as a plain drag in the view would.
        assert page.locator("#window-readout").inner_text() == window

        # Two labels, one per axis, readable, apart, naming the table's numbers.
        labels = page.locator(".recist-label")
        wait_until(lambda: labels.count() == 2, timeout_s=20)
        long_label, short_label = page.locator(".recist-label-long"), page.locator(".recist-label-short")
        assert f"{float(row['long mm']):.1f} mm" in long_label.inner_text()
        assert f"{float(row['short mm']):.1f} mm" in short_label.inner_text()
        assert not _intersect(long_label.bounding_box(), short_label.bounding_box())
        for label in (long_label, short_label):
            size = float(label.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
            assert size >= 12, size
        save_screenshot(page, "recist-box")
    finally:
        page.close()
