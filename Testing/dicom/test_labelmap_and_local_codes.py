"""The LABELMAP SEG type (one segment number per voxel) and our private coding scheme 99DEEPRAD.

Expected values come from the phantom's own label maps and from the standard's rules written here by hand
(SOP Class UID of Label Map Segmentation Storage, PS3.16's rule that a "99" designator is private and must
be declared in the object's Coding Scheme Identification Sequence).
"""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import dciodvfy_errors, truth_lesions

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

LABEL_MAP_SEGMENTATION_STORAGE = "1.2.840.10008.5.1.4.1.1.66.7"  # PS3.4 B.5, added in DICOM 2024b


@pytest.fixture(scope="module")
def labelmap_export(phantom_dicom, tmp_path_factory):
    from deepradiology.dicom.export import export_lesions
    from deepradiology.io.volume import read_volume

    lesions = truth_lesions(phantom_dicom, "S1")
    masks = read_volume(phantom_dicom / "S1_lesions.nii.gz").array
    paths = export_lesions(lesions, masks, phantom_dicom / "S1_dicom", tmp_path_factory.mktemp("labelmap"),
                           seg_type="labelmap")
    return lesions, masks, paths


def test_labelmap_seg_is_the_label_map_sop_class_and_reads_back_voxel_exact(labelmap_export, phantom_dicom):
    import pydicom

    from deepradiology.dicom.importer import read_seg
    from deepradiology.dicom.reference import read_reference

    lesions, masks, paths = labelmap_export
    seg = pydicom.dcmread(paths["seg"])
    assert seg.SOPClassUID == LABEL_MAP_SEGMENTATION_STORAGE and seg.SegmentationType == "LABELMAP"
    labels, segments = read_seg(paths["seg"], read_reference(phantom_dicom / "S1_dicom"))
    assert [s["label"] for s in segments] == [lesion.lesion_id for lesion in lesions]  # no background row
    for n, lesion in enumerate(lesions, start=1):
        assert np.array_equal(labels == n, masks == lesion.extra["label"]), lesion.lesion_id
    assert np.count_nonzero(labels) == np.count_nonzero(masks)


def test_sr_volumes_reference_the_labelmap_segments(labelmap_export, phantom_dicom):
    from deepradiology.dicom.importer import read_sr
    from deepradiology.dicom.reference import read_reference

    lesions, _, paths = labelmap_export
    back = {les.lesion_id: les for les in read_sr(paths["sr"], read_reference(phantom_dicom / "S1_dicom"))}
    for n, lesion in enumerate(lesions, start=1):
        got = back[lesion.extra["track_id"]]
        assert got.extra["segment_number"] == n
        assert got.volume_ml == round(lesion.volume_ml, 6)
        assert got.long_axis_mm == round(lesion.long_axis_mm, 6)


def test_labelmap_passes_dciodvfy_where_dciodvfy_knows_the_label_map_iod(labelmap_export):
    _, _, paths = labelmap_export
    errors = dciodvfy_errors(paths["seg"])
    if "Error - Information Object Not found" in errors:
        # What it can still check: the SR has no error but its references to the SEG it does not know.
        unknown_reference = "for Referenced SOP Class that is not segmentation - attribute <ReferencedSegmentNumber>"
        assert [e for e in dciodvfy_errors(paths["sr"]) if unknown_reference not in e] == []
        pytest.skip("this dciodvfy (dicom3tools 2022) predates Label Map Segmentation Storage (DICOM 2024b): "
                    "it does not know the IOD, so it cannot check the SEG, and flags the SR's references to it "
                    "as references to a non-segmentation SOP class")
    assert errors == []
    assert dciodvfy_errors(paths["sr"]) == []


def test_labelmap_refuses_overlapping_segments_and_writes_nothing(phantom_dicom, tmp_path):
    from deepradiology.dicom.export import export_lesions
    from deepradiology.errors import InputError
    from deepradiology.io.volume import read_volume

    lesions = truth_lesions(phantom_dicom, "S0")
    masks = read_volume(phantom_dicom / "S0_lesions.nii.gz").array
    over_first = masks == lesions[0].extra["label"]  # a "pancreas" that contains the first lesion
    with pytest.raises(InputError, match="overlap.*--seg-type binary"):
        export_lesions(lesions, masks, phantom_dicom / "S0_dicom", tmp_path / "x", pancreas=over_first,
                       seg_type="labelmap")
    assert not (tmp_path / "x").exists()


def test_cli_seg_type_labelmap_and_an_unknown_type(phantom_dicom, tmp_path, capsys):
    import pydicom

    from deepradiology.cli import main

    args = ["dicom", "export", str(phantom_dicom / "ground_truth.json"), "--study", "S0",
            "--reference", str(phantom_dicom / "S0_dicom"), "-o", str(tmp_path)]
    assert main([*args, "--seg-type", "labelmap"]) == 0
    assert pydicom.dcmread(tmp_path / "seg.dcm").SegmentationType == "LABELMAP"
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        main([*args, "--seg-type", "fractional", "--force"])
    assert stop.value.code == 2 and "labelmap" in capsys.readouterr().err


def _declared(ds) -> dict:
    return {str(i.CodingSchemeDesignator): i for i in ds.get("CodingSchemeIdentificationSequence", [])}


def test_a_site_without_a_standard_code_uses_99deeprad_declared_in_both_objects(phantom_dicom, tmp_path):
    import dataclasses

    import pydicom

    from deepradiology.dicom.export import export_lesions
    from deepradiology.dicom.importer import read_sr
    from deepradiology.io.volume import read_volume

    lesions = truth_lesions(phantom_dicom, "S0")
    lesions[0] = dataclasses.replace(lesions[0], location="adrenal gland")  # not in our SNOMED table
    masks = read_volume(phantom_dicom / "S0_lesions.nii.gz").array
    paths = export_lesions(lesions, masks, phantom_dicom / "S0_dicom", tmp_path)
    for kind in ("sr", "seg"):
        declared = _declared(pydicom.dcmread(paths[kind]))
        assert set(declared) == {"99DEEPRAD"}, kind  # SCT, DCM, UCUM are PS3.16's own: not listed
        assert declared["99DEEPRAD"].CodingSchemeName == "DeepRadiology local codes"
        assert declared["99DEEPRAD"].CodingSchemeResponsibleOrganization == "DeepRadiology project"
    first_segment = pydicom.dcmread(paths["seg"]).SegmentSequence[0]
    region = first_segment.AnatomicRegionSequence[0]
    assert (region.CodingSchemeDesignator, region.CodeMeaning) == ("99DEEPRAD", "adrenal gland")
    back = {les.lesion_id: les for les in read_sr(paths["sr"])}
    assert back[lesions[0].extra["track_id"]].location == "adrenal gland"
    assert back[lesions[1].extra["track_id"]].location == lesions[1].location  # a SNOMED site, as before


def test_an_export_with_standard_codes_only_declares_no_scheme(phantom_dicom, tmp_path):
    import pydicom

    from deepradiology.dicom.codes import SITE_CODES
    from deepradiology.dicom.export import export_lesions
    from deepradiology.io.volume import read_volume

    lesions = [les for les in truth_lesions(phantom_dicom, "S0") if les.location in SITE_CODES]  # not "vertebra"
    assert len(lesions) >= 3
    masks = read_volume(phantom_dicom / "S0_lesions.nii.gz").array
    paths = export_lesions(lesions, masks, phantom_dicom / "S0_dicom", tmp_path)
    assert _declared(pydicom.dcmread(paths["sr"])) == {}
    assert _declared(pydicom.dcmread(paths["seg"])) == {}


def test_the_recist_category_name_is_a_declared_local_code(phantom_dicom, tmp_path):
    import pydicom

    from deepradiology.dicom.codes import SITE_CODES
    from deepradiology.dicom.export import export_lesions
    from deepradiology.dicom.importer import read_sr
    from deepradiology.io.volume import read_volume

    lesions = [les for les in truth_lesions(phantom_dicom, "S1") if les.location in SITE_CODES]
    lesions[0].extra["recist_category"] = "PD"
    masks = read_volume(phantom_dicom / "S1_lesions.nii.gz").array
    paths = export_lesions(lesions, masks, phantom_dicom / "S1_dicom", tmp_path)
    assert set(_declared(pydicom.dcmread(paths["sr"]))) == {"99DEEPRAD"}
    assert _declared(pydicom.dcmread(paths["seg"])) == {}  # the SEG has no local code here
    back = {les.lesion_id: les for les in read_sr(paths["sr"])}
    assert back[lesions[0].extra["track_id"]].extra["recist_category"] == "PD"


def test_a_seg_of_one_lesion_reads_back_and_its_volume_references_it(phantom_dicom, tmp_path):
    """highdicom names a lone segment once, in the shared functional groups: export and import must cope."""
    from deepradiology.dicom.export import export_lesions
    from deepradiology.dicom.importer import read_seg, read_sr
    from deepradiology.dicom.reference import read_reference
    from deepradiology.io.volume import read_volume

    lesion = truth_lesions(phantom_dicom, "S0")[0]
    masks = read_volume(phantom_dicom / "S0_lesions.nii.gz").array
    paths = export_lesions([lesion], masks, phantom_dicom / "S0_dicom", tmp_path)
    ref = read_reference(phantom_dicom / "S0_dicom")
    labels, segments = read_seg(paths["seg"], ref)
    assert np.array_equal(labels == 1, masks == lesion.extra["label"]) and len(segments) == 1
    (back,) = read_sr(paths["sr"], ref)
    assert back.extra["segment_number"] == 1 and back.volume_ml == round(lesion.volume_ml, 6)
    assert dciodvfy_errors(paths["seg"]) == [] and dciodvfy_errors(paths["sr"]) == []


def test_a_lesion_that_already_has_a_tracking_uid_keeps_it(phantom_dicom, tmp_path):
    """A lesion read from someone's SR (or given one by the web app) goes out under the UID it came with."""
    import pydicom

    from deepradiology.dicom.export import export_lesions
    from deepradiology.dicom.importer import read_sr
    from deepradiology.io.volume import read_volume

    lesions = truth_lesions(phantom_dicom, "S0")[:2]
    lesions[0].extra["tracking_uid"] = "2.25.123456789012345678901234567890"
    masks = read_volume(phantom_dicom / "S0_lesions.nii.gz").array
    paths = export_lesions(lesions, masks, phantom_dicom / "S0_dicom", tmp_path)
    back = {les.lesion_id: les.extra["tracking_uid"] for les in read_sr(paths["sr"])}
    assert back[lesions[0].extra["track_id"]] == "2.25.123456789012345678901234567890"
    assert back[lesions[1].extra["track_id"]] != "2.25.123456789012345678901234567890"
    assert str(pydicom.dcmread(paths["seg"]).SegmentSequence[0].TrackingUID) == "2.25.123456789012345678901234567890"


def test_changed_measurements_get_new_sop_instance_uids_and_the_same_ones_keep_theirs(phantom_dicom, tmp_path):
    """A PACS keeps the first object it got under a SOP Instance UID: new content needs a new UID."""
    import dataclasses

    import pydicom

    from deepradiology.dicom.export import export_lesions
    from deepradiology.io.volume import read_volume

    lesions = truth_lesions(phantom_dicom, "S0")[:2]
    masks = read_volume(phantom_dicom / "S0_lesions.nii.gz").array

    def uids(lesion_list, out):
        paths = export_lesions(lesion_list, masks, phantom_dicom / "S0_dicom", tmp_path / out)
        return [str(pydicom.dcmread(paths[k]).SOPInstanceUID) for k in ("seg", "sr")]

    first, again = uids(lesions, "a"), uids(lesions, "b")
    remeasured = [dataclasses.replace(lesions[0], long_axis_mm=lesions[0].long_axis_mm + 1.0), lesions[1]]
    changed = uids(remeasured, "c")
    assert first == again
    assert changed[0] == first[0]  # the masks did not change: the same SEG
    assert changed[1] != first[1]  # the measurements did: a new SR
