"""Lesion or not, in the browser: on the default patient (with the real CT of the shared data) the
RECIST panel says which organ map the study has, names a phantom liver lesion's location from it, and
shows the refusal, not a measurement, for a click deep inside the real CT's left kidney (a voxel picked
from TotalSegmentator's mask, an independent source); an organ map opened beside the CT is checked
against it (one lying elsewhere in space is refused)."""

from __future__ import annotations

import numpy as np
import pytest

from ..conftest import shared_data_dir, shared_file
from .conftest import TEST_PHANTOM_SPACING, click_lesion, open_panel, open_tab, save_screenshot, select_study, \
    start_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def a_server_with_the_real_ct():
    shared_file("ct/totalsegmentator/example_ct_organs/kidney_left.nii.gz")
    server = start_server("--phantom-spacing", TEST_PHANTOM_SPACING, "--max-tabs", "2", "--tab-timeout", "5",
                          "--shared-data", str(shared_data_dir()))
    yield server
    server.stop()


def test_a_liver_lesion_reads_liver_from_the_map_and_the_real_left_kidney_is_refused(
        a_browser, a_server_with_the_real_ct, a_baseline_truth, tmp_path):
    import dataclasses

    from scipy import ndimage

    from deepradiology.io import read_volume, write_image

    liver = max((t for t in a_baseline_truth if t["organ"] == "liver"), key=lambda t: t["long_axis_mm"])
    page = open_tab(a_browser, a_server_with_the_real_ct.url)
    try:
        open_panel(page, "recist")
        assert "Organ map: the phantom's organ labels" in page.locator("#recist-organ-map").inner_text()
        click_lesion(page, liver["centre_lps"], ask_button="#recist-measure")
        page.locator("#recist-table tbody tr").first.wait_for(timeout=120_000)
        last = page.locator("#recist-last")
        assert "location: liver (from organ map: the phantom's organ labels)" in last.inner_text()

        select_study(page, "Real abdominal CT")
        page.wait_for_function("() => document.querySelector('#recist-organ-map')?.innerText.includes('TotalSegmentator')")
        mask = read_volume(shared_file("ct/totalsegmentator/example_ct_organs/kidney_left.nii.gz"))
        deep = np.argwhere(ndimage.binary_erosion(mask.array > 0, iterations=3))
        k, j, i = deep[len(deep) // 2]
        click_lesion(page, mask.index_to_lps([int(i), int(j), int(k)]), ask_button="#recist-measure")
        page.wait_for_function("() => document.querySelector('#recist-last')?.innerText.startsWith('Not measured')",
                               timeout=120_000)
        assert "kidney_left" in last.inner_text()
        assert page.locator("#recist-table tbody tr").count() == 1      # only the liver lesion
        save_screenshot(page, "recist-organ-refusal")

        # Opening an organ map beside the CT: one lying a metre away is refused saying so; the organ
        # masks themselves (several files, one organ each) become the study's organ map.
        far = dataclasses.replace(mask, origin=tuple(np.asarray(mask.origin) + [0.0, 0.0, 1000.0]))
        bad = write_image(far, tmp_path / "far_organs.nii.gz", force=True)
        page.locator("#open-organ-map").set_input_files(str(bad))
        page.wait_for_function("() => document.body.innerText.includes('does not overlap the CT at all')",
                               timeout=60_000)
        assert "TotalSegmentator" in page.locator("#recist-organ-map").inner_text()    # the map it had stays
        masks = sorted(str(p) for p in shared_file("ct/totalsegmentator/example_ct_organs").glob("*.nii.gz"))
        page.locator("#open-organ-map").set_input_files(masks)
        page.wait_for_function(
            "() => document.querySelector('#recist-organ-map')?.innerText.includes('5 uploaded organ masks')",
            timeout=60_000)
    finally:
        page.close()
