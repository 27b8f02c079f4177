"""What a reader sees about the slice views: the value under the cursor, and window presets.

Expected values come from the phantom's truth (the lesion's HU and centre) and from the window rule
written here by hand: grey = 255 * (HU - (level - width / 2)) / width, clipped to 0..255.
"""

from __future__ import annotations

import re

import pytest

from .conftest import centre_views_on, open_tab, save_screenshot, view_image_digest, wait_for_new_render, wait_until

pytestmark = pytest.mark.browser

_LPS = re.compile(r"LPS \((-?[\d.]+), (-?[\d.]+), (-?[\d.]+)\) mm")


def _hover(page, fx: float, fy: float) -> str:
    """Move the mouse to fraction (fx, fy) of the axial view and return the readout once it names a place."""
    box = page.locator("img.image-display-area").first.bounding_box()
    x, y = box["x"] + fx * box["width"], box["y"] + fy * box["height"]
    before = page.locator("#cursor-readout").inner_text()
    # As a hand does it, in small steps: the view forwards mouse moves over a throttled websocket.
    for step in (6, 3, 0):
        page.mouse.move(x - step, y - step)
        page.wait_for_timeout(250)
    return wait_until(lambda: (t := page.locator("#cursor-readout").inner_text()) != before and t, timeout_s=20)


def _hu(text: str) -> float:
    return float(re.search(r"(-?\d+) HU$", text).group(1))


def _centre_grey(page) -> float:
    """Mean grey (0-255) of the 9x9 pixels at the centre of the axial view's picture."""
    return page.evaluate(
        """() => { const img = document.querySelectorAll('img.image-display-area')[0];
             const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
             const g = c.getContext('2d'); g.drawImage(img, 0, 0);
             const d = g.getImageData(Math.floor(c.width / 2) - 4, Math.floor(c.height / 2) - 4, 9, 9).data;
             let s = 0; for (let p = 0; p < d.length; p += 4) s += d[p]; return s / (d.length / 4); }""")


def _grey(hu: float, width: float, level: float) -> float:
    return min(255.0, max(0.0, 255.0 * (hu - (level - width / 2)) / width))


def test_hu_under_the_cursor_and_window_presets(a_browser, a_default_patient_server, a_baseline_truth):
    liver = max((t for t in a_baseline_truth if t["organ"] == "liver"), key=lambda t: t["long_axis_mm"])
    page = open_tab(a_browser, a_default_patient_server.url)
    try:
        centre_views_on(page, liver["centre_lps"])
        # Over the lesion's centre: the readout names that place (LPS mm) and the lesion's HU.
        at_lesion = _hover(page, 0.5, 0.5)
        x, y, _ = map(float, _LPS.search(at_lesion).groups())
        assert abs(x - liver["centre_lps"][0]) < 4 and abs(y - liver["centre_lps"][1]) < 4, at_lesion
        # The slice is counted as the lesion tables count it (0-based voxel k): the view centred on the
        # lesion's centre shows the slice holding it.
        slice_k = re.search(r"slice (\d+) of 0-(\d+)", at_lesion)
        assert slice_k and int(slice_k.group(1)) == round(liver["centre_ijk"][2]), at_lesion
        assert _hu(at_lesion) == pytest.approx(liver["hu"], abs=45), at_lesion
        # Near the view's left edge, outside the body: air (or outside the image), not the lesion's value.
        at_corner = _hover(page, 0.04, 0.5)
        assert at_corner != at_lesion
        assert "outside the image" in at_corner or _hu(at_corner) < -500, at_corner

        # The CT opens in the abdominal window (W 400 / L 40); the lung preset changes what the view shows.
        assert page.locator("#window-readout").inner_text() == "W 400 / L 40 HU"
        assert _centre_grey(page) == pytest.approx(_grey(liver["hu"], 400, 40), abs=35)
        before = view_image_digest(page)
        page.locator("#window-preset").locator("xpath=ancestor::div[contains(@class,'v-field')]").first.click()
        page.locator(".v-overlay-container .v-list-item", has_text="Lung").first.click()
        wait_for_new_render(page, before)
        wait_until(lambda: page.locator("#window-readout").inner_text() == "W 1500 / L -600 HU", timeout_s=20)
        wait_until(lambda: abs(_centre_grey(page) - _grey(liver["hu"], 1500, -600)) < 35, timeout_s=20)
        _hover(page, 0.5, 0.5)
        save_screenshot(page, "viewer-readout")
    finally:
        page.close()


def test_study_names_match_the_tables_and_errors_go_with_their_study(a_browser, a_default_patient_server):
    from .conftest import select_study, shown_study

    page = open_tab(a_browser, a_default_patient_server.url)
    try:
        # The list leads with the id the tables' "study" column shows.
        assert shown_study(page).startswith("S0: Phantom study 1")
        page.locator("#centre-lps").fill("not a point")
        page.locator("#centre-go").click()
        error = page.locator("#centre-lps").locator("xpath=ancestor::div[contains(@class,'v-input')]").first \
            .locator(".v-messages__message")
        wait_until(lambda: error.count() > 0 and error.first.inner_text(), timeout_s=20)
        select_study(page, "Phantom study 2")
        assert shown_study(page).startswith("S1: Phantom study 2")
        wait_until(lambda: error.count() == 0, timeout_s=20)
    finally:
        page.close()
