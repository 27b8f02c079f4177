"""Issue 13 in the web app: open a phantom study from a real Orthanc (DICOMweb), measure a lesion, send
SEG + SR back, and read them again from Orthanc with the core import.

In-process on a real MRML scene and trame state (`inprocess`) and a real Orthanc on loopback (the DICOM
tests' fixture). Expected values come from the phantom: its ground truth (dates, lesion centres and
axes) and the CT series written from it (study and image UIDs), not from the code under test.
"""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest

from ..dicom.conftest import orthanc, phantom_dicom  # noqa: F401 - the fixtures, shared with the DICOM tests
from .inprocess import make_workspace

pytest.importorskip("slicer", reason="the panel tests need the slicer-core wheel (pip install 'deepradiology[mrml]')")
pytest.importorskip("trame", reason="the panel tests need trame (pip install 'deepradiology[web]')")
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::UserWarning")]


def _series_uids(folder):
    import pydicom

    first = pydicom.dcmread(sorted(folder.iterdir())[0], stop_before_pixels=True)
    return str(first.StudyInstanceUID), {str(pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID)
                                         for f in folder.iterdir()}


@pytest.fixture(scope="module")
def a_pacs_with_the_phantom(orthanc, phantom_dicom):  # noqa: F811
    from deepradiology.dicom.pacs import send_objects

    for n in range(3):
        send_objects(orthanc, sorted((phantom_dicom / f"S{n}_dicom").iterdir()))
    return orthanc, phantom_dicom, json.loads((phantom_dicom / "ground_truth.json").read_text())


@pytest.fixture
def a_tab(a_scene):
    from deepradiology_web.default_data import Case
    from deepradiology_web.panels.pacs import PacsPanel
    from deepradiology_web.panels.recist import RECISTPanel

    ws, studies = make_workspace(a_scene, Case([]))
    return ws, studies, PacsPanel(ws), RECISTPanel(ws)


def test_open_from_pacs_lists_the_studies_and_opens_one(a_tab, a_pacs_with_the_phantom):
    url, folder, truth = a_pacs_with_the_phantom
    ws, studies, pacs, _ = a_tab
    pacs.search(url, truth["patient_id"])
    rows = ws.state.pacs_rows
    assert not ws.state.pacs_error
    assert [r["date"] for r in rows] == [s["date"] for s in truth["studies"]]  # oldest first
    assert all(truth["patient_id"] in r["patient"] and r["modalities"] == "CT" for r in rows)
    assert [r["description"] for r in rows] == [f"Phantom study {s['study_id']}" for s in truth["studies"]]
    pacs.open_study(1)
    assert not ws.state.pacs_error, ws.state.pacs_error
    opened = studies.current
    assert opened.info.study_id == "S1" and opened.info.patient == truth["patient_id"]
    assert opened.info.date == truth["studies"][1]["date"]
    # the volume on screen has the follow-up CT's grid (i, j, k voxels) and origin (LPS mm)
    s1 = truth["studies"][1]
    assert list(opened.node.GetImageData().GetDimensions()) == s1["size_ijk"]
    ref = pacs.link.origin[opened.node_id]
    assert ref.study_uid == _series_uids(folder / "S1_dicom")[0]
    from deepradiology.dicom.pacs import list_series

    (ct,) = [s for s in list_series(url, ref.study_uid) if s["series_uid"] == ref.series_uid]
    assert ct["modality"] == "CT" and ct["instances"] == s1["size_ijk"][2]  # one image per slice, as QIDO says


def test_send_to_pacs_stores_seg_and_sr_that_read_back_onto_the_lesion(a_tab, a_pacs_with_the_phantom, tmp_path):
    from deepradiology.dicom.importer import read_seg, read_sr
    from deepradiology.dicom.pacs import fetch_series, list_series
    from deepradiology.dicom.reference import read_reference
    from deepradiology.io.volume import read_volume

    url, folder, truth = a_pacs_with_the_phantom
    ws, studies, pacs, recist = a_tab
    pacs.search(url, truth["patient_id"])
    pacs.open_study(1)
    study = studies.current
    s1 = truth["studies"][1]
    target = max(s1["lesions"], key=lambda d: d["long_axis_mm"])  # the largest: an easy, unambiguous click
    recist._measure_at(target["centre_lps"])
    (record,) = [r for r in ws.lesions.lesions_for(study) if r.long_axis_lps is not None]
    pacs.send()
    assert not ws.state.pacs_error, ws.state.pacs_error
    assert ws.state.pacs_result.startswith("Stored on the PACS: SEG ")

    study_uid, ct_sops = _series_uids(folder / "S1_dicom")
    modalities = {s["modality"]: s["series_uid"] for s in list_series(url, study_uid)}
    assert {"CT", "SEG", "SR"} <= set(modalities)  # both went into the follow-up study, beside its CT
    (sr_file,) = fetch_series(url, study_uid, modalities["SR"], tmp_path / "sr")
    (seg_file,) = fetch_series(url, study_uid, modalities["SEG"], tmp_path / "seg")
    ref = read_reference(folder / "S1_dicom")  # the phantom's own files, not the tab's fetched copy
    (back,) = read_sr(sr_file, ref)
    assert back.extra["referenced_sop_uid"] in ct_sops
    assert back.long_axis_mm == round(record.long_axis_mm, 6) and back.short_axis_mm == round(record.short_axis_mm, 6)
    for sent, got in zip((*record.long_axis_lps, *record.short_axis_lps), (*back.long_axis_lps, *back.short_axis_lps)):
        assert np.allclose(sent, got, atol=1e-3)  # SCOORD is float32 pixels: LPS within a micrometre
    # a radiologist's check: the sent measurement is on the clicked lesion, and about its size
    middle = np.mean(np.asarray(back.long_axis_lps), axis=0)
    assert np.linalg.norm(middle[:2] - np.asarray(target["centre_lps"])[:2]) < target["long_axis_mm"] / 2
    assert back.long_axis_mm == pytest.approx(target["long_axis_mm"], rel=0.2)
    labels, segments = read_seg(seg_file, ref)
    assert segments[0]["tracking_uid"] == back.extra["tracking_uid"]  # SEG segment and SR group: one lesion
    truth_mask = read_volume(folder / "S1_lesions.nii.gz").array == target["label"]
    sent_mask = labels == 1
    dice = 2 * np.sum(sent_mask & truth_mask) / (np.sum(sent_mask) + np.sum(truth_mask))
    assert dice > 0.7
    stored_seg, stored_sr = ws.state.pacs_result.split("SEG ")[1].split(" and SR ")[0], \
        ws.state.pacs_result.split(" and SR ")[1].split(" ")[0]
    import pydicom

    assert str(pydicom.dcmread(seg_file).SOPInstanceUID) == stored_seg
    assert str(pydicom.dcmread(sr_file).SOPInstanceUID) == stored_sr


def test_send_without_a_pacs_study_or_lesion_a_refusing_and_an_unreachable_pacs_say_so(a_tab,
                                                                                       a_pacs_with_the_phantom):
    url, _, truth = a_pacs_with_the_phantom
    ws, studies, pacs, recist = a_tab
    pacs.send()
    assert "not opened from a PACS" in ws.state.pacs_error
    pacs.search(url, truth["patient_id"])
    pacs.open_study(0)
    pacs.send()
    assert "no lesion measured on this study" in ws.state.pacs_error
    # a PACS that refuses the objects: the error says so, and that nothing was stored before it
    recist._measure_at(max(truth["studies"][0]["lesions"], key=lambda d: d["long_axis_mm"])["centre_lps"])
    origin = pacs.link.origin[studies.current.node_id]
    origin.url = url.replace("/dicom-web", "/no-such-root")
    pacs.send()
    assert "HTTP 404" in ws.state.pacs_error and "0 of 2 objects were stored" in ws.state.pacs_error
    assert not ws.state.pacs_result
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/dicom-web"
    pacs.search(dead, "")
    assert "unreachable" in ws.state.pacs_error and "\n" not in ws.state.pacs_error
    pacs.search("ftp://example.org/", "")
    assert "not an http(s) DICOMweb address" in ws.state.pacs_error


def test_lesions_of_two_tabs_never_share_a_tracking_uid_and_a_resend_keeps_it(a_pacs_with_the_phantom, tmp_path):
    """Record ids ("L1") restart in every tab; two different lesions of one patient must not get one UID."""
    import pydicom

    from deepradiology.dicom.importer import read_sr
    from deepradiology.dicom.pacs import fetch_series, list_series
    from deepradiology_mrml.scene import close_scene, create_scene
    from deepradiology_web.default_data import Case
    from deepradiology_web.panels.pacs import PacsPanel
    from deepradiology_web.panels.recist import RECISTPanel

    url, folder, truth = a_pacs_with_the_phantom
    uids, scenes = [], []
    for n, study_index in enumerate((0, 2)):  # baseline in one tab, last follow-up in another (own scenes)
        scenes.append(create_scene())
        ws, studies = make_workspace(scenes[-1], Case([]))
        pacs, recist = PacsPanel(ws), RECISTPanel(ws)
        pacs.search(url, truth["patient_id"])
        pacs.open_study(study_index)
        entry = truth["studies"][study_index]
        recist._measure_at(max(entry["lesions"], key=lambda d: d["long_axis_mm"])["centre_lps"])
        (record,) = [r for r in ws.lesions.lesions_for(studies.current) if r.long_axis_lps is not None]
        assert record.lesion_id == "L1"  # the same name in both tabs
        sent = []
        for seg_type in ("binary", "labelmap"):  # sent twice, the second time with a LABELMAP SEG
            ws.state.pacs_seg_type = seg_type
            pacs.send()
            assert not ws.state.pacs_error, ws.state.pacs_error
            sent.append(ws.state.pacs_result.split(" and SR ")[1].split(" ")[0])
        study_uid = str(pydicom.dcmread(sorted((folder / f"S{study_index}_dicom").iterdir())[0]).StudyInstanceUID)
        got, seg_types = {}, set()
        for m, series in enumerate(s for s in list_series(url, study_uid) if s["modality"] in ("SR", "SEG")):
            for f in fetch_series(url, study_uid, series["series_uid"], tmp_path / f"{n}-{m}"):
                ds = pydicom.dcmread(f)
                if ds.Modality == "SEG":
                    seg_types.add(str(ds.SegmentationType))
                else:
                    got[str(ds.SOPInstanceUID)] = read_sr(f)[0].extra["tracking_uid"]
        assert seg_types == {"BINARY", "LABELMAP"}
        assert got[sent[0]] == got[sent[1]]  # a resend repeats the lesion's UID
        uids.append(got[sent[0]])
    for scene in scenes:
        close_scene(scene)
    assert uids[0] != uids[1]


def test_serve_refuses_a_pacs_address_that_is_not_http_before_it_listens():
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "deepradiology", "serve", "--port", "0", "--pacs", "file:///etc"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "serving at" not in run.stdout
    assert "not an http(s) DICOMweb address" in run.stderr and run.stderr.count("\n") == 1


def test_a_lesion_matched_across_two_pacs_studies_goes_out_under_one_tracking_uid(a_tab, a_pacs_with_the_phantom,
                                                                                 tmp_path):
    """The Tracks panel's matching links the baseline's and the follow-up's measurement of one lesion: both
    SRs carry its track id and one Tracking UID (the phantom says they are the same lesion)."""
    import pydicom

    from deepradiology.dicom.importer import read_sr
    from deepradiology.dicom.pacs import fetch_series, list_series
    from deepradiology_web.panels.tracks import TracksPanel

    url, folder, truth = a_pacs_with_the_phantom
    ws, studies, pacs, recist = a_tab
    tracks = TracksPanel(ws)
    s0, s1 = truth["studies"][:2]
    in_both = {d["track_id"] for d in s0["lesions"]} & {d["track_id"] for d in s1["lesions"]}
    track = max(in_both, key=lambda t: next(d["long_axis_mm"] for d in s1["lesions"] if d["track_id"] == t))
    pacs.search(url, truth["patient_id"])
    opened = []
    for index, entry in ((0, s0), (1, s1)):
        pacs.open_study(index)
        opened.append(studies.current)
        recist._measure_at(next(d["centre_lps"] for d in entry["lesions"] if d["track_id"] == track))
    tracks.run_matching()
    assert not ws.state.job_error, ws.state.job_error
    sent = {}
    for study, entry in zip(opened, (s0, s1)):
        (record,) = [r for r in ws.lesions.lesions_for(study) if r.long_axis_lps is not None]
        studies.show(study)
        pacs.send()
        assert not ws.state.pacs_error, ws.state.pacs_error
        sr_uid = ws.state.pacs_result.split(" and SR ")[1].split(" ")[0]
        study_uid = pacs.link.origin[study.node_id].study_uid
        for m, series in enumerate(s for s in list_series(url, study_uid) if s["modality"] == "SR"):
            for f in fetch_series(url, study_uid, series["series_uid"], tmp_path / f"{entry['study_id']}-{m}"):
                if str(pydicom.dcmread(f).SOPInstanceUID) == sr_uid:
                    sent[entry["study_id"]] = (record.lesion_id, read_sr(f)[0])
    (id0, back0), (id1, back1) = sent["S0"], sent["S1"]
    assert id0 != id1  # two measurements, two records ...
    assert back0.extra["tracking_uid"] == back1.extra["tracking_uid"]  # ... one lesion, one UID
    assert back0.extra["track_id"] == back1.extra["track_id"]


def test_a_series_whose_viewing_grid_differs_from_its_dicom_geometry_is_not_opened(phantom_dicom):  # noqa: F811
    """Masks drawn on the volume on screen must land on the same slices of the series the SEG references."""
    import dataclasses

    from deepradiology.errors import InputError
    from deepradiology.io import read_image
    from deepradiology_web.pacs_link import _check_same_grid

    folder = phantom_dicom / "S0_dicom"
    image = read_image(folder)
    _check_same_grid(image, folder)  # as read: one grid
    shifted = dataclasses.replace(image, origin=tuple(image.origin[:2]) + (image.origin[2] + 5.0,))
    with pytest.raises(InputError, match="could not be sent back"):
        _check_same_grid(shifted, folder)
