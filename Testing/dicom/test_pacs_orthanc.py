"""The PACS chain against a real Orthanc (DICOMweb plugin) on loopback, and PACS failures."""

from __future__ import annotations

import json
import socket

import pytest

from deepradiology.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.mark.slow
def test_phantom_chain_through_orthanc(orthanc, phantom_dicom, tmp_path, capsys):
    from deepradiology.dicom.importer import read_seg, read_sr
    from deepradiology.dicom.pacs import fetch_series, list_series, query_studies
    from deepradiology.dicom.reference import read_reference

    truth = json.loads((phantom_dicom / "ground_truth.json").read_text())
    patient = truth["patient_id"]
    assert main(["pacs", "--url", orthanc, "send", *(str(phantom_dicom / f"S{n}_dicom") for n in range(3))]) == 0
    capsys.readouterr()
    assert main(["pacs", "--url", orthanc, "query", "--patient", patient]) == 0
    studies = json.loads(capsys.readouterr().out)
    assert [s["date"] for s in studies] == [s["date"].replace("-", "") for s in truth["studies"]]
    # fetch the follow-up's CT, export the truth's lesions onto the fetched copy, send SR + SEG back
    s1 = studies[1]
    (ct,) = s1["series"]
    assert main(["pacs", "--url", orthanc, "get", "--study", s1["study_uid"], "--series", ct["series_uid"],
                 "-o", str(tmp_path / "S1")]) == 0
    assert main(["dicom", "export", str(phantom_dicom / "ground_truth.json"), "--study", "S1",
                 "--reference", str(tmp_path / "S1"), "-o", str(tmp_path / "out")]) == 0
    assert main(["pacs", "--url", orthanc, "send", str(tmp_path / "out" / "seg.dcm"),
                 str(tmp_path / "out" / "sr.dcm")]) == 0
    capsys.readouterr()
    modalities = {s["modality"]: s["series_uid"] for s in list_series(orthanc, s1["study_uid"])}
    assert set(modalities) == {"CT", "SEG", "SR"}
    assert len(query_studies(orthanc, patient_id=patient)) == 3  # SR/SEG went into the existing study
    (sr_file,) = fetch_series(orthanc, s1["study_uid"], modalities["SR"], tmp_path / "sr_back")
    (seg_file,) = fetch_series(orthanc, s1["study_uid"], modalities["SEG"], tmp_path / "seg_back")
    ref = read_reference(tmp_path / "S1")
    back = {l.extra["track_id"]: l for l in read_sr(sr_file, ref)}
    expected = next(s for s in truth["studies"] if s["study_id"] == "S1")["lesions"]
    assert sorted(back) == sorted(d["track_id"] for d in expected)
    for d in expected:
        assert back[d["track_id"]].long_axis_mm == round(d["long_axis_mm"], 6)
    labels, segments = read_seg(seg_file, ref)
    assert [s["tracking_id"] for s in segments] == [d["track_id"] for d in expected]


def test_pacs_errors_are_one_line_exit_2(orthanc, phantom_dicom, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/dicom-web"
    assert main(["pacs", "--url", dead, "--timeout", "3", "query"]) == 2
    err = capsys.readouterr().err
    assert "unreachable" in err and err.count("\n") == 1
    wrong = orthanc.replace("/dicom-web", "/no-such-root")
    files = sorted((phantom_dicom / "S0_dicom").iterdir())[:2]
    assert main(["pacs", "--url", wrong, "send", *map(str, files)]) == 2
    err = capsys.readouterr().err
    assert "HTTP 404" in err and "0 of 2 objects were stored" in err
