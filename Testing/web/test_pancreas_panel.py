"""The pancreas panel: without an installed model it says so and how to get one, and offers no
segmentation; it never shows a made-up pancreas."""

from __future__ import annotations

import pytest

from .conftest import open_panel, open_tab, save_screenshot

pytestmark = pytest.mark.browser


def test_without_a_model_the_pancreas_panel_shows_how_to_get_one(a_browser, a_default_patient_server):
    from deepradiology_mrml.logic.pancreas import PancreasSegmentLogic

    if PancreasSegmentLogic.available_models():
        pytest.skip("a pancreas model is installed on this machine; this test is about the panel without one")
    page = open_tab(a_browser, a_default_patient_server.url)
    try:
        open_panel(page, "pancreas")
        howto = page.locator("#pancreas-howto").inner_text()
        assert "No pancreas model installed" in howto
        assert "deepradiology pancreas train" in howto and "deepradiology models import" in howto
        assert page.locator("#pancreas-run").count() == 0
        save_screenshot(page, "pancreas-panel")
    finally:
        page.close()
