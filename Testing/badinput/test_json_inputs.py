"""Issue 17: JSON of the wrong types, or nested too deeply, gives one line naming the file (exit 2).

Lesion files, studies files (ours and a phantom's ground truth), DLT tracking-pair files, model
cards and nnU-Net folders are each fed hand-written JSON whose structure is wrong in one place, and
must be refused with that place named, writing nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _cli import assert_refused, run_cli  # noqa: E402

DEEP_ARRAY = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 50_000 + "1" + "}" * 50_000

LESION = {"lesion_id": "L1", "patient": "P1", "slice_index": 10,
          "long_axis_lps": [[0.0, 0.0, 10.0], [20.0, 0.0, 10.0]],
          "short_axis_lps": [[10.0, -5.0, 10.0], [10.0, 5.0, 10.0]], "long_axis_mm": 20.0, "short_axis_mm": 10.0,
          "normalized_location": [0.5, 0.5, 0.5]}


def _lesions(**change) -> str:
    return json.dumps([dict(LESION, **change)])


LESION_FILES = [
    ("nested-100000-arrays", DEEP_ARRAY, ["nested too deeply"]),
    ("nested-50000-objects", DEEP_OBJECT, ["nested too deeply"]),
    ("a-number", "5", ["must be a JSON object"]),
    ("null", "null", ["must be a JSON object"]),
    ("list-of-numbers", "[1, 2]", ["must be a JSON object"]),
    ("id-an-object", _lesions(lesion_id={"a": 1}), ["lesion_id must be text"]),
    ("patient-a-list", _lesions(patient=[1]), ["lesion L1", "patient must be text"]),
    ("type-a-number", _lesions(lesion_type=5), ["lesion_type must be text"]),
    ("extra-a-list", _lesions(extra=[1, 2]), ["extra must be a JSON object"]),
    ("lymph-node-yes", _lesions(is_lymph_node="yes"), ["is_lymph_node must be true or false"]),
    ("axis-an-object", _lesions(long_axis_lps={"x": 1}), ["long_axis_lps must be two 3D points"]),
    ("utf16", None, ["not readable JSON", "UTF-8"]),
]


@pytest.mark.parametrize("case,text,phrases", LESION_FILES, ids=[c[0] for c in LESION_FILES])
def test_a_bad_lesion_file_is_refused_and_no_database_is_left(tmp_path, case, text, phrases):
    path = tmp_path / "lesions.json"
    if text is None:
        path.write_bytes(_lesions().encode("utf-16"))
    else:
        path.write_text(text)
    assert_refused(run_cli(["retrieval", "import", tmp_path / "new.sqlite", "--lesions", path], cwd=tmp_path),
                   "lesions.json", *phrases)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lesions.json"]


def _studies(**change) -> str:
    first = dict({"study_id": "S0", "date": "2024-01-15", "lesions": [LESION]}, **change)
    return json.dumps({"studies": [first, {"study_id": "S1", "date": "2024-03-15", "lesions": [LESION]}]})


def _truth(studies) -> str:
    return json.dumps({"patient_id": "P1", "organ_labels": {"liver": 1}, "studies": studies})


STUDIES_FILES = [
    ("nested", DEEP_ARRAY, ["nested too deeply"]),
    ("study-id-an-object", json.dumps({"studies": [{"study_id": {"a": 1}, "lesions": []}]}), ["study_id must be text"]),
    ("patient-an-object", _studies(patient={"x": 1}), ["study S0", "patient must be text"]),
    ("volume-a-list", _studies(volume=["a.nii.gz"]), ["study S0", "volume must be text"]),
    ("top-patient-a-list", json.dumps({"patient": [1], "studies": []}), ["patient must be text"]),
    ("lesions-a-number", _studies(lesions=5), ["study S0", "'lesions' must be"]),
    ("truth-studies-an-object", _truth({"a": 1}), ["phantom ground_truth.json", "wrong type"]),
    ("truth-study-without-id", _truth([{"lesions": []}]), ["phantom ground_truth.json", "'study_id'"]),
    ("truth-files-a-list", _truth([{"study_id": "S0", "files": [1], "lesions": []}]), ["wrong type"]),
    ("truth-lesion-a-string", _truth([{"study_id": "S0", "lesions": ["x"]}]), ["wrong type"]),
    ("truth-lesion-empty", _truth([{"study_id": "S0", "lesions": [{}]}]), ["lacks the field"]),
]


@pytest.mark.parametrize("case,text,phrases", STUDIES_FILES, ids=[c[0] for c in STUDIES_FILES])
def test_a_bad_studies_file_is_refused_and_nothing_written(tmp_path, case, text, phrases):
    (tmp_path / "studies.json").write_text(text)
    result = run_cli(["longitudinal", "match", "studies.json", "-o", "tracks.json", "--no-register"], cwd=tmp_path)
    assert_refused(result, "studies.json", *phrases)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["studies.json"]


PAIR = {"source": "000001_01_01_103-115.nii.gz", "target": "000001_02_01_008-023.nii.gz",
        "source recist slice": "000001_01_01/109.png",
        "source recist coordinate": [233.5, 95.0, 234.1, 107.0, 231.2, 101.6, 236.3, 101.1],
        "target recist slice": "000001_02_01/014.png",
        "target recist coordinate": [224.8, 289.3, 224.0, 305.3, 222.4, 297.2, 229.0, 297.9]}

PAIR_FILES = [
    ("coordinate-a-number", {"source recist coordinate": 5}, ["pair 0001", "'source recist coordinate'", "8 numbers"]),
    ("coordinate-two-numbers", {"target recist coordinate": [1, 2]}, ["'target recist coordinate'", "8 numbers"]),
    ("coordinate-nan", {"target recist coordinate": [1, 2, 3, 4, 5, 6, 7, "NaN"]}, ["finite"]),
    ("slice-a-list", {"target recist slice": [1]}, ["'target recist slice'", "slice file name"]),
]


@pytest.mark.parametrize("case,change,phrases", PAIR_FILES, ids=[c[0] for c in PAIR_FILES])
def test_a_bad_tracking_pair_file_is_refused(tmp_path, case, change, phrases):
    from test_text_tables import DL_INFO

    (tmp_path / "pairs.json").write_text(json.dumps({"0001": dict(PAIR, **change)}))
    (tmp_path / "DL_info.csv").write_text(DL_INFO)
    result = run_cli(["longitudinal", "eval-dls", "pairs.json", "--dl-info", "DL_info.csv", "-o", "out.json"],
                     cwd=tmp_path)
    assert_refused(result, "pairs.json", *phrases)
    assert not (tmp_path / "out.json").exists()
