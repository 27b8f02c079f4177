"""The PACS panel in the browser: ``deepradiology serve --pacs URL`` against a real Orthanc holding the
phantom's CT studies; the radiologist lists them, opens the follow-up, measures a lesion and sends SEG +
SR back, which the core import then reads from Orthanc. Expected values: the phantom's ground truth.
"""

from __future__ import annotations

import json

import pytest

from ..dicom.conftest import orthanc, phantom_dicom  # noqa: F401 - the fixtures, shared with the DICOM tests
from .conftest import TEST_PHANTOM_SPACING, click_lesion, open_panel, open_tab, save_screenshot, start_server

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::UserWarning")]


@pytest.fixture(scope="module")
def a_server_with_a_pacs(orthanc, phantom_dicom):  # noqa: F811
    from deepradiology.dicom.pacs import send_objects

    for n in range(3):
        send_objects(orthanc, sorted((phantom_dicom / f"S{n}_dicom").iterdir()))
    server = start_server("--phantom-spacing", TEST_PHANTOM_SPACING, "--max-tabs", "2", "--tab-timeout", "5",
                          "--pacs", orthanc)
    yield server, orthanc, phantom_dicom, json.loads((phantom_dicom / "ground_truth.json").read_text())
    server.stop()


def test_open_a_study_from_pacs_measure_and_send_seg_and_sr_back(a_browser, a_server_with_a_pacs, tmp_path):
    import pydicom

    from deepradiology.dicom.importer import read_sr
    from deepradiology.dicom.pacs import fetch_series, list_series
    from deepradiology.dicom.reference import read_reference

    server, url, folder, truth = a_server_with_a_pacs
    s1 = truth["studies"][1]
    target = max(s1["lesions"], key=lambda d: d["long_axis_mm"])
    page = open_tab(a_browser, server.url)
    try:
        open_panel(page, "pacs")
        assert page.locator("#pacs-url").input_value() == url  # from serve --pacs
        page.locator("#pacs-patient").fill(truth["patient_id"])
        page.locator("#pacs-search").click()
        rows = page.locator("#pacs-studies tbody tr")
        rows.nth(2).wait_for(timeout=60_000)
        texts = rows.all_inner_texts()
        assert [s["date"] in t and "CT" in t and truth["patient_id"] in t for s, t in zip(truth["studies"], texts)] \
            == [True, True, True]
        rows.nth(1).click()
        page.wait_for_function("n => document.querySelector('.v-select__selection-text')?.innerText.includes(n)",
                               arg="PACS: Phantom study S1", timeout=120_000)
        # the result line comes in a later state update than the study list: wait for it, do not race it
        page.wait_for_function("t => document.querySelector('#pacs-result')?.innerText.includes(t)",
                               arg="Opened PACS: Phantom study S1", timeout=60_000)
        open_panel(page, "recist")
        click_lesion(page, target["centre_lps"], ask_button="#recist-measure")
        page.locator("#recist-table tbody tr").first.wait_for(timeout=120_000)
        open_panel(page, "pacs")
        page.locator("#pacs-send").click()
        page.wait_for_function("() => document.querySelector('#pacs-result')?.innerText.startsWith('Stored')"
                               " || getComputedStyle(document.querySelector('#pacs-error')).display !== 'none'",
                               timeout=120_000)
        result = page.locator("#pacs-result").inner_text()
        assert result.startswith("Stored on the PACS: SEG "), page.locator("#pacs-error").inner_text()
        save_screenshot(page, "pacs-panel")
    finally:
        page.close()
    sr_uid = result.split(" and SR ")[1].split(" ")[0]
    study_uid = str(pydicom.dcmread(sorted((folder / "S1_dicom").iterdir())[0]).StudyInstanceUID)
    sent = []
    for n, series in enumerate(s for s in list_series(url, study_uid) if s["modality"] == "SR"):
        sent += [f for f in fetch_series(url, study_uid, series["series_uid"], tmp_path / f"sr{n}")
                 if str(pydicom.dcmread(f).SOPInstanceUID) == sr_uid]
    (sr_file,) = sent
    (back,) = read_sr(sr_file, read_reference(folder / "S1_dicom"))
    assert back.long_axis_mm == pytest.approx(target["long_axis_mm"], rel=0.2)  # the clicked lesion, its size
