"""DICOM export/import against the phantom's analytic truth, dciodvfy, and exact round trips."""

from __future__ import annotations

import json

import numpy as np
import pytest

from deepradiology.cli import main

from .conftest import dciodvfy_errors, truth_lesions

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _truth(folder):
    return json.loads((folder / "ground_truth.json").read_text())


@pytest.fixture(scope="module")
def exported(phantom_dicom, tmp_path_factory):
    from deepradiology.dicom.export import export_lesions
    from deepradiology.io.volume import read_volume

    truth = _truth(phantom_dicom)
    out = {}
    for sid in ("S0", "S1"):
        lesions = truth_lesions(phantom_dicom, sid, truth)
        lesions[0].extra["recist_category"] = "PR"
        masks = read_volume(phantom_dicom / f"{sid}_lesions.nii.gz").array
        out[sid] = (lesions, masks, export_lesions(lesions, masks, phantom_dicom / f"{sid}_dicom",
                                                   tmp_path_factory.mktemp(f"exp{sid}")))
    return out


def test_phantom_series_geometry_matches_the_ct(phantom_dicom):
    from deepradiology.io.dicom import read_dicom_series
    from deepradiology.io.volume import read_volume

    for sid in ("S0", "S1"):
        ct = read_volume(phantom_dicom / f"{sid}_ct.nii.gz")
        dcm = read_dicom_series(phantom_dicom / f"{sid}_dicom")
        assert np.allclose(dcm.origin, ct.origin, atol=1e-4)
        assert np.allclose(dcm.spacing, ct.spacing, atol=1e-4)
        assert np.allclose(dcm.direction, ct.direction, atol=1e-5)
        assert np.array_equal(np.round(dcm.array), np.round(ct.array))
        assert dcm.meta["patient_id"] == _truth(phantom_dicom)["patient_id"]
    assert not dciodvfy_errors(sorted((phantom_dicom / "S0_dicom").iterdir())[0])


def test_export_passes_dciodvfy(exported):
    for sid in ("S0", "S1"):
        paths = exported[sid][2]
        assert dciodvfy_errors(paths["seg"]) == []
        assert dciodvfy_errors(paths["sr"]) == []


def test_seg_frames_lie_on_their_source_images(exported, phantom_dicom):
    import pydicom

    seg = pydicom.dcmread(exported["S1"][2]["seg"])
    sources = {}
    for f in (phantom_dicom / "S1_dicom").iterdir():
        ds = pydicom.dcmread(f, stop_before_pixels=True)
        sources[ds.SOPInstanceUID] = np.asarray(ds.ImagePositionPatient, dtype=float)
    for fg in seg.PerFrameFunctionalGroupsSequence:
        sop = fg.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
        assert np.allclose(np.asarray(fg.PlanePositionSequence[0].ImagePositionPatient, dtype=float),
                           sources[sop], atol=1e-4)


def test_sr_round_trip_keeps_mm_and_uids_and_falls_on_the_lesions(exported, phantom_dicom):
    from deepradiology.dicom.importer import read_sr
    from deepradiology.dicom.reference import read_reference

    lesions, _, paths = exported["S1"]
    back = {b.extra["track_id"]: b for b in read_sr(paths["sr"], read_reference(phantom_dicom / "S1_dicom"))}
    assert sorted(back) == sorted(l.extra["track_id"] for l in lesions)
    for lesion in lesions:
        b = back[lesion.extra["track_id"]]
        # NUM values are stored with 6 decimals: equal at that precision, exactly.
        assert b.long_axis_mm == round(lesion.long_axis_mm, 6)
        assert b.short_axis_mm == round(lesion.short_axis_mm, 6)
        assert b.volume_ml == round(lesion.volume_ml, 6)
        assert b.slice_index == lesion.extra["key_slice"]
        assert b.location == lesion.location
        # SCOORD is float32 pixels: the phantom's analytic axis ends come back within 1e-3 mm.
        assert np.allclose(b.long_axis_lps, lesion.long_axis_lps, atol=1e-3)
        assert np.allclose(b.short_axis_lps, lesion.short_axis_lps, atol=1e-3)
    assert back[lesions[0].extra["track_id"]].extra["recist_category"] == "PR"


def test_tracking_uid_is_shared_across_studies_and_matches_the_seg(exported, phantom_dicom):
    from deepradiology.dicom.importer import read_seg, read_sr
    from deepradiology.dicom.reference import read_reference

    uids = {sid: {b.extra["track_id"]: b.extra["tracking_uid"] for b in read_sr(exported[sid][2]["sr"])}
            for sid in ("S0", "S1")}
    common = set(uids["S0"]) & set(uids["S1"])
    assert common, "the phantom has lesions in both studies"
    for track in common:
        assert uids["S0"][track] == uids["S1"][track]
    assert len(set(uids["S1"].values())) == len(uids["S1"])
    _, segments = read_seg(exported["S1"][2]["seg"], read_reference(phantom_dicom / "S1_dicom"))
    assert {s["tracking_id"]: s["tracking_uid"] for s in segments} == uids["S1"]


def test_seg_round_trip_is_voxel_exact(exported, phantom_dicom):
    from deepradiology.dicom.importer import read_seg
    from deepradiology.dicom.reference import read_reference

    lesions, masks, paths = exported["S1"]
    labels, segments = read_seg(paths["seg"], read_reference(phantom_dicom / "S1_dicom"))
    for n, lesion in enumerate(lesions, start=1):
        assert np.array_equal(labels == n, masks == lesion.extra["label"])


def test_ohif_style_length_report_is_read(phantom_dicom, tmp_path):
    """A TID 1500 the way OHIF writes a Length: one planar group per measurement, a 2-point polyline."""
    import highdicom as hd
    import pydicom
    from highdicom.sr import CodedConcept

    from deepradiology.dicom.importer import read_sr
    from deepradiology.dicom.reference import read_reference

    ref = read_reference(phantom_dicom / "S0_dicom")
    image = ref.datasets[10]
    pts = np.array([[10.5, 20.5], [40.5, 20.5]], dtype=np.float32)  # 30 pixels along a row
    group = hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid="1.2.3.4.5", identifier="Cornerstone3DTools@^0.1.0:Length"),
        referenced_region=hd.sr.ImageRegion(graphic_type=hd.sr.GraphicTypeValues.POLYLINE, graphic_data=pts,
                                            source_image=hd.sr.SourceImageForRegion.from_source_image(image)),
        measurements=[hd.sr.Measurement(CodedConcept("410668003", "SCT", "Length"), 48.0,
                                        CodedConcept("mm", "UCUM", "mm"))])
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(),
        procedure_reported=CodedConcept("77477000", "SCT", "Computed Tomography"), imaging_measurements=[group])
    sr = hd.sr.Comprehensive3DSR(evidence=[image], content=report, series_instance_uid=hd.UID(), series_number=9,
                                 sop_instance_uid=hd.UID(), instance_number=1, manufacturer="OHIF")
    sr.save_as(tmp_path / "ohif.dcm")
    (lesion,) = read_sr(tmp_path / "ohif.dcm", ref)
    assert lesion.long_axis_mm == 48.0
    assert lesion.extra["tracking_uid"] == "1.2.3.4.5"
    # 30 columns of 1.6 mm along the image's row direction = 48 mm, by the geometry alone.
    a, b = np.asarray(lesion.long_axis_lps)
    assert np.isclose(np.linalg.norm(b - a), 30 * 1.6, atol=1e-4)
    assert lesion.slice_index == 10
    del pydicom


def test_cli_import_and_bad_input(exported, phantom_dicom, tmp_path, capsys):
    import pydicom

    sr_path, seg_path = exported["S1"][2]["sr"], exported["S1"][2]["seg"]
    assert main(["dicom", "import", str(sr_path), "--reference", str(phantom_dicom / "S1_dicom"),
                 "-o", str(tmp_path / "l.json")]) == 0
    assert len(json.loads((tmp_path / "l.json").read_text())) == len(exported["S1"][0])
    # reference series of another study
    code = main(["dicom", "export", str(phantom_dicom / "ground_truth.json"), "--study", "S1",
                 "--reference", str(phantom_dicom / "S0_dicom"), "-o", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 2 and "lesion S1-T1 is from study S1" in err and not (tmp_path / "x").exists()
    # SEG frames referencing images missing from the given series
    code = main(["dicom", "import", str(seg_path), "--reference", str(phantom_dicom / "S0_dicom"),
                 "-o", str(tmp_path / "m.nii.gz")])
    assert code == 2 and "missing from the reference series" in capsys.readouterr().err
    # SR with another template
    ds = pydicom.dcmread(sr_path)
    ds.ContentTemplateSequence[0].TemplateIdentifier = "2000"
    ds.save_as(tmp_path / "other.dcm")
    code = main(["dicom", "import", str(tmp_path / "other.dcm"), "-o", str(tmp_path / "o.json")])
    assert code == 2 and "not TID 1500" in capsys.readouterr().err
    # nothing is overwritten
    code = main(["dicom", "export", str(phantom_dicom / "ground_truth.json"), "--study", "S1",
                 "--reference", str(phantom_dicom / "S1_dicom"), "-o", str(sr_path.parent)])
    assert code == 2 and "already exists" in capsys.readouterr().err


def test_phantom_cli_writes_dicom_series_and_refuses_to_overwrite(tmp_path, capsys):
    import pydicom

    args = ["phantom", "-o", str(tmp_path), "--studies", "2", "--spacing", "4,4,10", "--dicom"]
    assert main(args) == 0
    capsys.readouterr()
    first = [pydicom.dcmread(sorted((tmp_path / f"S{n}_dicom").iterdir())[0]) for n in range(2)]
    assert first[0].PatientID == first[1].PatientID
    assert first[0].StudyInstanceUID != first[1].StudyInstanceUID
    assert first[0].StudyDate == "20240115" and first[1].StudyDate > first[0].StudyDate
    assert [float(v) for v in first[0].PixelSpacing] == [4.0, 4.0] and float(first[0].SliceThickness) == 10.0
    assert main(args) == 2 and "already exists" in capsys.readouterr().err


def test_pancreas_mask_becomes_an_anatomical_segment(phantom_dicom, tmp_path):
    import pydicom

    from deepradiology.dicom.export import export_lesions
    from deepradiology.dicom.importer import read_seg
    from deepradiology.dicom.reference import read_reference
    from deepradiology.io.volume import read_volume
    from deepradiology.phantom import ORGAN_LABELS

    lesions = truth_lesions(phantom_dicom, "S0")
    masks = read_volume(phantom_dicom / "S0_lesions.nii.gz").array
    pancreas = read_volume(phantom_dicom / "S0_organs.nii.gz").array == ORGAN_LABELS["pancreas"]
    paths = export_lesions(lesions, masks, phantom_dicom / "S0_dicom", tmp_path, pancreas=pancreas)
    seg = pydicom.dcmread(paths["seg"])
    last = seg.SegmentSequence[-1]
    assert last.SegmentLabel == "pancreas"
    assert last.SegmentedPropertyTypeCodeSequence[0].CodeValue == "15776009"
    labels, _ = read_seg(paths["seg"], read_reference(phantom_dicom / "S0_dicom"))
    # the SEG keeps overlaps; the label map shows the highest segment (the pancreas) where they overlap
    assert np.array_equal(labels == len(lesions) + 1, pancreas)
    assert dciodvfy_errors(paths["seg"]) == []


def test_masks_on_another_grid_are_refused(exported, phantom_dicom, tmp_path):
    from deepradiology.dicom.export import export_lesions
    from deepradiology.errors import InputError

    lesions, masks, _ = exported["S1"]
    with pytest.raises(InputError, match="not the reference series' grid"):
        export_lesions(lesions, masks[:-1], phantom_dicom / "S1_dicom", tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_a_lesion_measured_on_one_studys_series_is_not_exported_against_another(phantom_dicom, tmp_path, capsys):
    """The phantom's studies share one voxel grid, so only the study can tell S0's click from S1's images."""
    truth = json.loads((phantom_dicom / "ground_truth.json").read_text())
    lesion = truth["studies"][0]["lesions"][0]
    centre = ",".join(f"{c:.2f}" for c in lesion["centre_lps"])
    record, mask = tmp_path / "lesion.json", tmp_path / "mask.nii.gz"
    assert main(["recist", "measure", str(phantom_dicom / "S0_dicom"), f"--point={centre}", "--frame", "lps",
                 "-o", str(record), "--mask", str(mask)]) == 0
    capsys.readouterr()
    measured = json.loads(record.read_text())
    measured = measured[0] if isinstance(measured, list) else measured
    assert measured["study"], "the record names the study of the series it was measured on"
    code = main(["dicom", "export", str(record), "--masks", str(mask), "--reference", str(phantom_dicom / "S1_dicom"),
                 "-o", str(tmp_path / "wrong")])
    err = capsys.readouterr().err
    assert code == 2 and "study" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "wrong" / "seg.dcm").exists()
    assert main(["dicom", "export", str(record), "--masks", str(mask), "--reference", str(phantom_dicom / "S0_dicom"),
                 "-o", str(tmp_path / "right")]) == 0
    assert (tmp_path / "right" / "seg.dcm").exists() and (tmp_path / "right" / "sr.dcm").exists()
