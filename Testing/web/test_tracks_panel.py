"""The tracks panel: the radiologist runs matching over the patient's three studies and reads the
tracks table, the diameter chart and the RECIST 1.1 response."""

from __future__ import annotations

import pytest

from .conftest import count_pixels_like, open_panel, open_tab, save_screenshot, select_study, view_image_digest, \
    wait_for_new_render, wait_until

pytestmark = pytest.mark.browser

RECIST_CATEGORIES = {"CR", "PR", "SD", "PD", "NE", "baseline"}
#: The outline colour of a selected track (`panels.track_outline.OUTLINE_RGB`, 0-255).
OUTLINE_MAGENTA = (255, 77, 255)


def test_matching_fills_the_tracks_table_chart_and_response(a_browser, a_default_patient_server):
    page = open_tab(a_browser, a_default_patient_server.url)
    try:
        open_panel(page, "tracks")
        assert "3 studies of this patient" in page.locator("#tracks-summary").inner_text()
        page.locator("#tracks-run").click()
        page.locator("#tracks-table tbody tr").first.wait_for(timeout=180_000)

        rows = page.locator("#tracks-table tbody tr")
        statuses = [rows.nth(n).locator("td").nth(1).inner_text() for n in range(rows.count())]
        # The phantom patient has one lesion that vanishes and one that appears; the rest persist.
        assert statuses.count("vanished") == 1 and statuses.count("new") == 1
        assert statuses.count("persistent") == len(statuses) - 2

        response_rows = page.locator("#tracks-response-table tbody tr")
        assert response_rows.count() == 3
        last_response = response_rows.nth(2).locator("td").last.inner_text()
        assert last_response in RECIST_CATEGORIES
        assert page.locator("#tracks-response").inner_text() == last_response
        assert "new" in statuses and response_rows.nth(2).locator("td").nth(4).inner_text() != ""  # new lesion named
        assert page.locator("#tracks-chart svg polyline").count() == len(statuses) + 1  # + the target sum

        # The chart: per-lesion diameters on the left axis, the (much larger) target sum on its own right axis.
        chart = page.locator("#tracks-chart svg")
        assert chart.locator("line.y-axis.left").count() == 1 and chart.locator("line.y-axis.right").count() == 1
        assert chart.locator("polyline[data-axis='right']").get_attribute("data-series") == "target sum"
        assert "target sum (mm)" in chart.locator("text.y-title.right").text_content()
        top = float(chart.locator("line.y-axis.left").get_attribute("y1"))
        bottom = float(chart.locator("line.y-axis.left").get_attribute("y2"))
        lesion_ys = [float(v) for p in chart.locator("polyline[data-axis='left']").all()
                     for v in p.get_attribute("points").replace(",", " ").split()[1::2]]
        # not squashed: the largest lesion reaches the upper fifth of the plot (shared with the sum it would not)
        assert min(lesion_ys) < top + 0.2 * (bottom - top)

        # Selecting a persistent track outlines its lesion in the study on screen and in its other studies.
        persistent = statuses.index("persistent")
        assert count_pixels_like(page, OUTLINE_MAGENTA) < 10
        before = view_image_digest(page)
        rows.nth(persistent).click()
        wait_for_new_render(page, before)  # the views moved to the track's lesion
        # The highlight arrives as a state update, which may come after the views' new picture.
        wait_until(lambda: "bg-blue-lighten-4" in (rows.nth(persistent).get_attribute("class") or ""), timeout_s=10)
        wait_until(lambda: count_pixels_like(page, OUTLINE_MAGENTA) > 40, timeout_s=20)
        page.locator("#tracks-chart").scroll_into_view_if_needed()   # the picture shows the chart's two axes
        save_screenshot(page, "tracks-panel")
        for study in ("S1", "S2"):
            select_study(page, study)
            wait_until(lambda: count_pixels_like(page, OUTLINE_MAGENTA) > 40, timeout_s=20)
    finally:
        page.close()


def test_matching_shows_progress_and_cancel_stops_it_without_results(a_browser, a_default_patient_server):
    page = open_tab(a_browser, a_default_patient_server.url)
    try:
        open_panel(page, "tracks")
        page.locator("#tracks-run").click()
        page.locator("#job-bar").wait_for(state="visible", timeout=30_000)
        assert "Matching lesions across studies" in page.locator("#job-bar").inner_text()
        page.locator("#job-cancel").click()
        page.locator("#job-bar").wait_for(state="hidden", timeout=60_000)
        assert page.locator("#tracks-table tbody tr").count() == 0
        assert page.locator("#job-error").is_hidden()
    finally:
        page.close()
