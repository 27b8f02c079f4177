"""A chest film is read in a radiograph layout: one 2D view, no slice slider, no orientation to choose.

What is expected is written by hand from what a radiograph is (one image, one view); the film is a
real NIH ChestX-ray14 PNG from the shared data.
"""

from __future__ import annotations

import pytest

from ..conftest import shared_file
from .conftest import open_tab, save_screenshot, select_study, shown_study, view_image_digest, wait_for_new_render, \
    wait_until

pytestmark = pytest.mark.browser


def _visible_views(page) -> int:
    return page.evaluate("""() => Array.from(document.querySelectorAll('img.image-display-area'))
        .filter(img => { const r = img.getBoundingClientRect(); return r.width > 20 && r.height > 20
                         && img.offsetParent !== null; }).length""")


def _sliders(page) -> int:
    return page.locator(".slice-slider").count()


def _layout(page) -> str:
    return page.locator("#viewer-layout").locator("xpath=ancestor::div[contains(@class,'v-select')]").first \
        .locator(".v-select__selection-text").inner_text()


def test_a_chest_film_opens_in_one_2d_view_without_a_slice_slider(a_browser, a_default_patient_server):
    film = shared_file("cxr/nih/00000001_000.png")
    page = open_tab(a_browser, a_default_patient_server.url)
    try:
        # A CT study: axial, coronal and sagittal views, each with its slice slider.
        assert _sliders(page) == 3
        assert _layout(page) == "Axial Primary"

        before = view_image_digest(page)
        page.locator("#open-file").set_input_files(str(film))
        wait_until(lambda: "00000001_000.png" in shown_study(page), timeout_s=60)
        wait_for_new_render(page, before)
        wait_until(lambda: _visible_views(page) == 1, timeout_s=30)
        assert _sliders(page) == 0                                  # one image: no slice to move through
        assert _layout(page) == "Radiograph"
        assert page.locator("#viewer-layout").is_disabled()         # no axial / sagittal / coronal choice
        assert page.locator("button:has(.mdi-video-3d)").count() == 0   # nor a "show in 3D"
        save_screenshot(page, "radiograph-layout")

        # Back on a CT study the volume layout and its sliders return.
        select_study(page, "S0")
        wait_until(lambda: _sliders(page) == 3, timeout_s=30)
        assert _layout(page) == "Axial Primary"
        assert not page.locator("#viewer-layout").is_disabled()
    finally:
        page.close()
