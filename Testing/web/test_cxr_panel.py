"""The chest X-ray panel: the radiologist opens a real chest film in the browser, sees whether a
triage model is installed (and how to get one), and labels the film's report."""

from __future__ import annotations

import pytest

from ..conftest import shared_file
from .conftest import open_panel, open_tab, save_screenshot, shown_study, view_image_digest, wait_for_new_render

pytestmark = pytest.mark.browser

REPORT = ("FINDINGS: Large right pleural effusion with adjacent atelectasis. The heart is enlarged. "
          "IMPRESSION: No pneumothorax.")


def _row(page, finding: str) -> dict:
    headers = page.locator("#cxr-findings thead th").all_inner_texts()
    row = page.locator("#cxr-findings tbody tr", has_text=finding).first
    return dict(zip(headers, row.locator("td").all_inner_texts()))


def test_opening_a_chest_film_and_labelling_its_report(a_browser, a_default_patient_server):
    from deepradiology_mrml.logic.cxr import CXRTriageLogic
    from deepradiology_mrml.scene import create_scene

    film = shared_file("cxr/nih/00000001_000.png")
    model_installed, _ = CXRTriageLogic(create_scene()).model_status()
    page = open_tab(a_browser, a_default_patient_server.url)
    try:
        open_panel(page, "cxr")
        assert "Open a chest X-ray" in page.locator("#cxr-no-film").inner_text()
        before = view_image_digest(page)
        page.locator("#open-file").set_input_files(str(film))
        page.locator("#cxr-film").wait_for(timeout=60_000)
        wait_for_new_render(page, before)
        assert "00000001_000.png" in shown_study(page)
        assert "00000001_000.png" in page.locator("#cxr-film").inner_text()
        if model_installed:
            assert page.locator("#cxr-run").is_visible()
        else:  # the panel says so, and how to get one, instead of showing made-up findings
            status = page.locator("#cxr-model-status").inner_text()
            assert "no chest X-ray model is installed" in status and "deepradiology cxr train" in status
            assert page.locator("#cxr-run").count() == 0

        page.locator("#cxr-report-text").fill(REPORT)
        page.locator("#cxr-label").click()
        page.locator("#cxr-findings tbody tr").first.wait_for(timeout=30_000)
        assert _row(page, "Effusion")["Report"] == "asserted"
        assert _row(page, "Cardiomegaly")["Report"] == "asserted"
        assert _row(page, "Pneumothorax")["Report"] == "negated"
        assert "Effusion" in page.locator("#cxr-message").inner_text()
        save_screenshot(page, "cxr-panel")
    finally:
        page.close()
