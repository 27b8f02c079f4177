"""The RECIST panel: the radiologist clicks a lesion and sees its RECIST lines in the slice view and
its measurements in the lesion table."""

from __future__ import annotations

import re

import pytest

from .conftest import click_lesion, count_pixels_like, open_panel, open_tab, save_screenshot, wait_until

pytestmark = pytest.mark.browser

#: The colour `deepradiology_mrml.markups.add_recist_lines` gives RECIST lines (RGB 0-255).
RECIST_YELLOW = (255, 217, 0)


def test_clicking_a_liver_lesion_draws_its_axes_and_fills_the_table(a_browser, a_default_patient_server,
                                                                    a_baseline_truth):
    liver = max((t for t in a_baseline_truth if t["organ"] == "liver"), key=lambda t: t["long_axis_mm"])
    page = open_tab(a_browser, a_default_patient_server.url)
    try:
        open_panel(page, "tracks")
        marked_before = _marked_lesions(page)
        open_panel(page, "recist")
        yellow_before = count_pixels_like(page, RECIST_YELLOW)
        click_lesion(page, liver["centre_lps"], ask_button="#recist-measure")
        page.locator("#recist-table tbody tr").first.wait_for(timeout=120_000)

        cells = page.locator("#recist-table tbody tr").first.locator("td")
        headers = page.locator("#recist-table thead th").all_inner_texts()
        row = dict(zip(headers, cells.all_inner_texts()))
        assert row["lesion"] == "L1" and row["study"] == "S0"
        # The phantom's lesion has known axes; the measurement on 1.2 mm voxels is within 10 % of them.
        assert float(row["long mm"]) == pytest.approx(liver["long_axis_mm"], rel=0.10)
        assert float(row["short mm"]) == pytest.approx(liver["short_axis_mm"], rel=0.15)
        assert float(row["volume mL"]) > 0
        # The results line: long x short mm, volume mL, key slice (`recist_results_line`).
        assert re.match(r"L1: \d+\.\d x \d+\.\d mm, \d+\.\d\d mL, slice \d+; ", page.locator("#recist-last").inner_text())
        # The study's prior reading already lists this lesion: its record is updated, not doubled.
        assert "already lists this lesion" in page.locator("#recist-last").inner_text()
        assert row["record"] and row["record"] != "L1"

        # The two lines are drawn in the axial view (Slicer's markups, rendered on the server).
        wait_until(lambda: count_pixels_like(page, RECIST_YELLOW) > yellow_before + 30, timeout_s=30)
        save_screenshot(page, "recist-panel")

        # One record per lesion and study: the tracks panel still counts the same lesions; undo takes the
        # measurement back (the record keeps its prior values), so the count stays too.
        open_panel(page, "tracks")
        assert _marked_lesions(page) == marked_before
        open_panel(page, "recist")
        page.locator("#recist-undo").click()
        page.locator("#recist-table tbody tr").first.wait_for(state="detached")
        assert "L1 removed" in page.locator("#recist-last").inner_text()
        open_panel(page, "tracks")
        wait_until(lambda: _marked_lesions(page) == marked_before, timeout_s=10)
    finally:
        page.close()


def _marked_lesions(page) -> int:
    """The number of marked lesions the tracks panel will match ("3 studies of this patient, N marked lesions")."""
    return int(page.locator("#tracks-summary").inner_text().split(", ")[1].split()[0])
