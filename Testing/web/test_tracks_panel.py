"""The tracks panel: the radiologist runs matching over the patient's three studies and reads the
tracks table, the diameter chart and the RECIST 1.1 response."""

from __future__ import annotations

import pytest

from .conftest import wait_until, open_panel, open_tab, save_screenshot, view_image_digest, wait_for_new_render

pytestmark = pytest.mark.browser

RECIST_CATEGORIES = {"CR", "PR", "SD", "PD", "NE", "baseline"}


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

        before = view_image_digest(page)
        rows.first.click()
        wait_for_new_render(page, before)  # the views moved to the track's lesion
        # The highlight arrives as a state update, which may come after the views' new picture.
        wait_until(lambda: "bg-blue-lighten-4" in (rows.first.get_attribute("class") or ""), timeout_s=10)
        save_screenshot(page, "tracks-panel")
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
