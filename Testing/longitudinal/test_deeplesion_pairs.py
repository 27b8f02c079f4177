"""DeepLesion tracking pairs: the joint choice, DLT's snapped peer, and the prediction format."""

from __future__ import annotations

import json

from deepradiology.deeplesion import DLInfoRow, read_dl_info

from ..conftest import shared_file
from deepradiology.longitudinal.dls import dlt_snapped_choice, evaluate_tracking_pairs, load_tracking_pairs, match_study_pair


def row(name, study, x, norm, diam=20.0, key=10, lesion_type=4):
    patient, st, series, sl = 7, study, 1, key
    return DLInfoRow(file_name=f"000007_{st:02d}_01_{sl:03d}_{name}.png", patient=patient, study=st, series=series,
                     key_slice=sl, recist=(x - diam / 2, 100, x + diam / 2, 100, x, 95, x, 105), box=(0, 0, 1, 1),
                     diameters_px=(diam, diam / 2), normalized_location=norm, lesion_type=lesion_type, noisy=False,
                     slice_range=(1, 20), spacing=(1.0, 1.0, 5.0), image_size=(512, 512), window=(-175, 275),
                     gender="F", age=50.0, split=3)


def test_joint_choice_uses_the_other_lesions_to_undo_a_shift_between_studies():
    # Two liver lesions 0.06 apart; at follow-up the whole patient reads 0.05 lower in z.
    a = row("a", 1, 100, (0.5, 0.5, 0.50))
    b = row("b", 1, 140, (0.5, 0.5, 0.56))
    a2 = row("a2", 2, 100, (0.5, 0.5, 0.45))
    b2 = row("b2", 2, 140, (0.5, 0.5, 0.51))
    # Looked at alone, b's nearest follow-up lesion is a2 (0.05 away) rather than b2 (0.05 away too,
    # but a2 also matches size); jointly, a takes a2 and b takes b2.
    chosen, _ = match_study_pair(b, [a, b], [a2, b2])
    assert chosen is b2
    assert match_study_pair(a, [a, b], [a2, b2])[0] is a2


def test_dlt_prediction_is_snapped_to_the_nearest_listed_lesion_in_mm():
    a2, b2 = row("a2", 2, 100, (0.5, 0.5, 0.5)), row("b2", 2, 140, (0.5, 0.5, 0.5))
    pair = {"predict target center": [137.0, 101.0, 4.0], "target": "000007_02_01_006-015.nii.gz"}
    assert dlt_snapped_choice(pair, [a2, b2]) is b2


def test_dev_pairs_are_identified_at_least_as_well_as_dlt_snapped():
    rows, _ = read_dl_info(shared_file("deeplesion/DL_info_test.csv"))
    pairs = load_tracking_pairs(shared_file("deeplesion/dlt/test_dev.json"))
    predictions, summary = evaluate_tracking_pairs(pairs, rows)
    assert summary["evaluated"] == summary["pairs"] == 548 and not summary["skipped"]
    assert summary["identification_accuracy"] >= 0.98
    assert summary["identification_accuracy"] >= summary["dlt_snapped_accuracy"]
    alone = summary["one_lesion_at_a_time"]
    assert summary["identification_accuracy"] > alone["location_and_size_accuracy"] > alone["nearest_location_accuracy"]
    names = {r.file_name: r for r in rows}
    first = predictions["0001"]
    assert set(first) == {"file_name", "measurement_coordinates"} and len(first["measurement_coordinates"]) == 8
    assert list(names[first["file_name"]].recist) == first["measurement_coordinates"]
    json.dumps(predictions)


def test_a_copy_of_the_source_lesion_in_another_series_of_its_study_does_not_take_its_match():
    # Series 1 and 2 of study 1 both list lesion a (same mm position: the series share the scanner
    # frame). Competing as two lesions, the copy would take t1 and push a onto t2.
    a = row("a", 1, 100, (0.5, 0.5, 0.49))
    copy = DLInfoRow(**{**a.__dict__, "series": 2, "file_name": "000007_01_02_010_copy.png",
                        "normalized_location": (0.5, 0.5, 0.50)})
    t1 = row("t1", 2, 100, (0.5, 0.5, 0.50))
    t2 = row("t2", 2, 140, (0.53, 0.5, 0.50))
    assert match_study_pair(a, [a, copy], [t1, t2])[0] is t1


def test_a_target_series_of_the_source_study_is_read_in_the_shared_mm_frame():
    # Same study, another series: two records 0.001 apart in normalised location, but only one lies
    # where the source lesion is in the study's mm frame.
    a = row("a", 1, 100, (0.5, 0.5, 0.5))
    near = DLInfoRow(**{**row("near", 1, 101, (0.5, 0.5, 0.501)).__dict__, "series": 2})
    far = DLInfoRow(**{**row("far", 1, 130, (0.5, 0.5, 0.5)).__dict__, "series": 2})
    assert match_study_pair(a, [a, near, far], [near, far])[0] is near
