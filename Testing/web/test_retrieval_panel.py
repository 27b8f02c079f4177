"""The similar-lesions panel: the radiologist clicks a baseline lesion and gets its neighbours, with
thumbnails, from the lesion database (the embedded patient's follow-up studies)."""

from __future__ import annotations

import pytest

from .conftest import click_lesion, open_panel, open_tab, save_screenshot, wait_until

pytestmark = pytest.mark.browser


def test_clicking_a_liver_lesion_lists_similar_lesions_with_thumbnails(a_browser, a_default_patient_server,
                                                                        a_baseline_truth):
    liver = max((t for t in a_baseline_truth if t["organ"] == "liver"), key=lambda t: t["long_axis_mm"])
    page = open_tab(a_browser, a_default_patient_server.url)
    try:
        open_panel(page, "retrieval")
        click_lesion(page, liver["centre_lps"], ask_button="#retrieval-pick")
        try:
            page.locator(".retrieval-neighbour").first.wait_for(timeout=120_000)
        except Exception:
            save_screenshot(page, "_failed-retrieval")
            raise

        neighbours = page.locator(".retrieval-neighbour")
        assert neighbours.count() >= 3
        first = neighbours.first.inner_text()
        # The nearest stored lesion is the same liver lesion seen again in a follow-up study.
        assert first.startswith("1. liver") and ("study S1" in first or "study S2" in first)
        thumbnails = page.locator(".retrieval-thumbnail")
        assert thumbnails.count() >= 3
        assert page.evaluate("() => Array.from(document.querySelectorAll('.retrieval-thumbnail'))"
                             ".every(img => img.naturalWidth > 0)")
        # Thumbnails are readable (96 px) and hovering one shows it large.
        assert thumbnails.first.bounding_box()["width"] >= 90
        thumbnails.first.hover()
        preview = page.locator(".retrieval-preview").first
        preview.wait_for(state="visible", timeout=10_000)
        wait_until(lambda: preview.bounding_box()["width"] >= 200, timeout_s=10)   # after its opening animation
        save_screenshot(page, "retrieval-panel")
        page.mouse.move(5, 5)

        # The neighbour lies in a study open in this tab: one click shows it there.
        follow_up = "Phantom study 2" if "study S1" in first else "Phantom study 3"
        neighbours.first.click()
        page.wait_for_function("n => document.querySelector('.v-select__selection-text')?.innerText.includes(n)",
                               arg=follow_up)

        # The database holds only this patient's studies: "Other patients only" finds none and says why.
        page.locator("#panel-retrieval").get_by_label("Other patients only").check()
        click_lesion(page, liver["centre_lps"], ask_button="#retrieval-pick")
        empty = page.locator("#retrieval-empty")
        empty.wait_for(state="visible", timeout=120_000)
        assert "no lesions of patients other than" in empty.inner_text()
        assert page.locator(".retrieval-neighbour").count() == 0
    finally:
        page.close()
