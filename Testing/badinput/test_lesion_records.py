"""Issue 17 item 4: non-finite or ill-typed numbers in lesion records are refused, the entry named.

A NaN coordinate used to make `longitudinal match` exit 0 calling the lesion vanished plus new (PD).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from deepradiology.errors import InputError
from deepradiology.lesion import Lesion

REPO = Path(__file__).resolve().parents[2]


def _record(lesion_id="L1", **changes) -> dict:
    record = {"lesion_id": lesion_id, "patient": "P1", "slice_index": 10,
              "long_axis_lps": [[0.0, 0.0, 10.0], [20.0, 0.0, 10.0]],
              "short_axis_lps": [[10.0, -5.0, 10.0], [10.0, 5.0, 10.0]],
              "long_axis_mm": 20.0, "short_axis_mm": 10.0}
    record.update(changes)
    return record


NAN = float("nan")
BAD_FIELDS = [
    ("nan-x", {"long_axis_lps": [[NAN, 0.0, 10.0], [20.0, 0.0, 10.0]]}, "long_axis_lps[0][0]"),
    ("inf-z", {"short_axis_lps": [[10.0, -5.0, 10.0], [10.0, 5.0, math.inf]]}, "short_axis_lps[1][2]"),
    ("text-coord", {"long_axis_lps": [["a", 0.0, 10.0], [20.0, 0.0, 10.0]]}, "long_axis_lps[0][0]"),
    ("two-coords", {"long_axis_lps": [[0.0, 10.0], [20.0, 0.0, 10.0]]}, "long_axis_lps[0]"),
    ("nan-length", {"long_axis_mm": NAN}, "long_axis_mm"),
    ("negative-volume", {"volume_ml": -1.0}, "volume_ml"),
    ("nan-slice", {"slice_index": NAN}, "slice_index"),
    ("fraction-slice", {"slice_index": 2.5}, "slice_index"),
    ("nan-box", {"box_ijk": [1, 2, NAN, 4]}, "box_ijk[2]"),
    ("number-box", {"box_ijk": 5}, "box_ijk"),
    ("nan-location", {"normalized_location": [0.5, NAN, 0.5]}, "normalized_location[1]"),
    ("nan-embedding", {"embedding": [0.1, NAN, 0.3]}, "embedding[1]"),
    ("text-embedding", {"embedding": [0.1, "x"]}, "embedding[1]"),
]


@pytest.mark.parametrize("label,change,field", BAD_FIELDS, ids=[c[0] for c in BAD_FIELDS])
def test_a_bad_number_is_refused_naming_lesion_and_field(label, change, field):
    with pytest.raises(InputError) as info:
        Lesion.from_dict(_record("L7", **change), source="studies.json study S1")
    message = str(info.value)
    assert message.startswith("studies.json study S1: lesion L7: ") and field in message, message
    assert "\n" not in message


def test_a_good_record_still_loads_and_is_normalised():
    lesion = Lesion.from_dict(_record(box_ijk=[1, 2, 3, 4], embedding=[1, 2]))
    assert lesion.long_axis_lps == ((0.0, 0.0, 10.0), (20.0, 0.0, 10.0))
    assert lesion.box_ijk == (1.0, 2.0, 3.0, 4.0) and lesion.embedding == [1.0, 2.0]
    assert lesion.slice_index == 10 and lesion.centre_lps == (10.0, 0.0, 10.0)


def _studies_file(folder: Path, baseline_x) -> Path:
    # json.dumps writes NaN as the bare token NaN, which Python's json (and so our reader) accepts:
    # exactly what a careless exporter produces
    studies = {"patient": "P1", "studies": [
        {"study_id": "S0", "date": "2024-01-01",
         "lesions": [_record("A", long_axis_lps=[[baseline_x, 0.0, 10.0], [20.0, 0.0, 10.0]])]},
        {"study_id": "S1", "date": "2024-03-01", "lesions": [_record("B")]}]}
    path = folder / "studies.json"
    path.write_text(json.dumps(studies), encoding="utf-8")
    return path


def _cli(*args) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(REPO / "DeepRadiologyLib"), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "deepradiology", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_longitudinal_match_with_a_nan_coordinate_exits_2_naming_the_entry(tmp_path):
    studies = _studies_file(tmp_path, NAN)
    out = tmp_path / "tracks.json"
    result = _cli("longitudinal", "match", str(studies), "-o", str(out), "--no-register")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "studies.json" in lines[0] and "study S0" in lines[0] and "lesion A" in lines[0], lines[0]
    assert "long_axis_lps[0][0]" in lines[0]
    assert not out.exists()


def test_the_same_file_with_a_finite_coordinate_matches(tmp_path):
    """The control: the refusal above comes from the NaN, not from the rest of the file."""
    studies = _studies_file(tmp_path, 0.0)
    out = tmp_path / "tracks.json"
    result = _cli("longitudinal", "match", str(studies), "-o", str(out), "--no-register")
    assert result.returncode == 0, result.stderr
    assert out.is_file()


@pytest.mark.parametrize("date", ["yesterday", "2024-13-45", "2023-02-29"])
def test_longitudinal_match_refuses_an_invalid_study_date_naming_the_entry(tmp_path, date):
    studies = _studies_file(tmp_path, 0.0)
    data = json.loads(studies.read_text(encoding="utf-8"))
    data["studies"][1]["date"] = date
    studies.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "tracks.json"
    result = _cli("longitudinal", "match", str(studies), "-o", str(out), "--no-register")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "study S1" in lines[0] and date in lines[0], result.stderr
    assert not out.exists()
