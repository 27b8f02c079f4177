"""``deepradiology longitudinal``: match, eval-phantom and the bad-input messages (exit code 2)."""

from __future__ import annotations

import json

import pytest

from deepradiology.cli import main


def _lesion(lid, x, d, patient="P1"):
    return {"lesion_id": lid, "patient": patient, "long_axis_lps": [[x - d / 2, 0, 0], [x + d / 2, 0, 0]],
            "short_axis_lps": [[x, -d / 4, 0], [x, d / 4, 0]], "long_axis_mm": d, "short_axis_mm": d / 2,
            "location": "liver", "lesion_type": "liver"}


def _studies(tmp_path, second_patient="P1"):
    (tmp_path / "s1.json").write_text(json.dumps([_lesion("b1", 1, 12, second_patient), _lesion("b2", 81, 21, second_patient)]))
    data = {"studies": [
        {"study_id": "S1", "date": "2024-03-01", "lesions": "s1.json"},
        {"study_id": "S0", "date": "2024-01-01", "lesions": [_lesion("a1", 0, 20), _lesion("a2", 80, 30)]}]}
    path = tmp_path / "studies.json"
    path.write_text(json.dumps(data))
    return path


def test_match_writes_tracks_with_response_in_date_order(tmp_path, capsys):
    out = tmp_path / "tracks.json"
    assert main(["longitudinal", "match", str(_studies(tmp_path)), "-o", str(out), "--no-register"]) == 0
    tracks = json.loads(out.read_text())
    assert tracks["studies"] == ["S0", "S1"]
    assert sorted(sorted(t["lesions"]["S0"] + t["lesions"]["S1"]) for t in tracks["tracks"]) == [["a1", "b1"], ["a2", "b2"]]
    assert tracks["response"][1]["overall_response"] == "PR"  # 50 mm -> 33 mm: 34 % smaller
    summary = json.loads(capsys.readouterr().out)
    assert summary["tracks"] == 2


def test_match_refuses_to_overwrite_and_refuses_other_patients(tmp_path, capsys):
    out = tmp_path / "tracks.json"
    out.write_text("{}")
    assert main(["longitudinal", "match", str(_studies(tmp_path)), "-o", str(out), "--no-register"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["longitudinal", "match", str(_studies(tmp_path, "P2")), "-o", str(tmp_path / "t2.json"),
                 "--no-register"]) == 2
    assert "different patients" in capsys.readouterr().err


@pytest.mark.slow
def test_eval_phantom_prints_precision_recall_and_recist(capsys):
    assert main(["longitudinal", "eval-phantom", "--seed", "5", "--studies", "3"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["precision"] >= 0.98 and result["recall"] >= 0.98 and result["recist_all_right"]
