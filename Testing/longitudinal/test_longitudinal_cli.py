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
    (tmp_path / "s1.json").write_text(json.dumps([_lesion("b1", 1, 12, second_patient), _lesion("b2", 81, 21, second_patient)]), encoding="utf-8")
    data = {"studies": [
        {"study_id": "S1", "date": "2024-03-01", "lesions": "s1.json"},
        {"study_id": "S0", "date": "2024-01-01", "lesions": [_lesion("a1", 0, 20), _lesion("a2", 80, 30)]}]}
    path = tmp_path / "studies.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_match_writes_tracks_with_response_in_date_order(tmp_path, capsys):
    out = tmp_path / "tracks.json"
    assert main(["longitudinal", "match", str(_studies(tmp_path)), "-o", str(out), "--no-register"]) == 0
    tracks = json.loads(out.read_text(encoding="utf-8"))
    assert tracks["studies"] == ["S0", "S1"]
    assert sorted(sorted(t["lesions"]["S0"] + t["lesions"]["S1"]) for t in tracks["tracks"]) == [["a1", "b1"], ["a2", "b2"]]
    assert tracks["response"][1]["overall_response"] == "PR"  # 50 mm -> 33 mm: 34 % smaller
    summary = json.loads(capsys.readouterr().out)
    assert summary["tracks"] == 2


def test_match_refuses_to_overwrite_and_refuses_other_patients(tmp_path, capsys):
    out = tmp_path / "tracks.json"
    out.write_text("{}", encoding="utf-8")
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


def test_eval_dls_prints_accuracy_beside_dlt_and_writes_predictions(tmp_path, capsys):
    from ..conftest import shared_file

    pairs = json.loads(shared_file("deeplesion/dlt/test_dev.json").read_text(encoding="utf-8"))
    subset = tmp_path / "pairs.json"
    subset.write_text(json.dumps(dict(list(pairs.items())[:40])), encoding="utf-8")
    out = tmp_path / "predictions.json"
    csv = str(shared_file("deeplesion/DL_info_test.csv"))
    assert main(["longitudinal", "eval-dls", str(subset), "--dl-info", csv, "-o", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["pairs"] == 40 and 0.0 <= summary["identification_accuracy"] <= 1.0
    assert summary["dlt_snapped_accuracy"] is not None and "DLT searched the raw images" in summary["note"]
    assert len(json.loads(out.read_text(encoding="utf-8"))) == 40
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"0001": {"source": "x"}}), encoding="utf-8")
    assert main(["longitudinal", "eval-dls", str(bad), "--dl-info", csv, "-o", str(tmp_path / "p2.json")]) == 2
    assert "not a DLT tracking-pair file" in capsys.readouterr().err


@pytest.mark.slow
def test_match_reads_a_phantom_folder_and_stores_then_reuses_the_alignment(tmp_path, capsys):
    from deepradiology.phantom import generate_phantom, write_phantom

    write_phantom(generate_phantom(2, n_studies=2, spacing=(2.0, 2.0, 4.0)), tmp_path / "ph")
    args = ["longitudinal", "match", str(tmp_path / "ph" / "ground_truth.json"), "-o", str(tmp_path / "t.json"),
            "--alignments", str(tmp_path / "al"), "--force"]
    assert main(args) == 0
    stored = tmp_path / "al" / "S1_to_S0.json"
    assert stored.exists() and json.loads(stored.read_text(encoding="utf-8"))["converged"]
    before = stored.stat().st_mtime_ns
    assert main(args) == 0
    assert stored.stat().st_mtime_ns == before
    tracks = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert tracks["alignments"][1]["matrix_lps"] == json.loads(stored.read_text(encoding="utf-8"))["matrix_lps"]
    capsys.readouterr()


def _assessment(tmp_path, points, name="assessment.json"):
    path = tmp_path / name
    path.write_text(json.dumps({"time_points": points}), encoding="utf-8")
    return path


def test_response_prints_and_writes_the_documented_json(tmp_path, capsys):
    t = {"id": "T1", "organ": "liver", "node": False, "long_mm": 40, "short_mm": 25, "status": "present"}
    path = _assessment(tmp_path, [{"date": "2024-01-01", "targets": [t]},
                                  {"date": "2024-02-01", "targets": [{**t, "long_mm": 28}]}])
    out = tmp_path / "out.json"
    assert main(["longitudinal", "response", str(path), "-o", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(out.read_text(encoding="utf-8"))
    assert [tp["overall"] for tp in printed["time_points"]] == ["baseline", "PR"]      # 40 -> 28 mm: -30 %
    assert main(["longitudinal", "response", str(path), "-o", str(out)]) == 2         # never overwritten
    assert "already exists" in capsys.readouterr().err
    assert main(["longitudinal", "response", str(path), "-o", str(out), "--force"]) == 0


def test_response_help_names_the_schema(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["longitudinal", "response", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "not_evaluated" in text and "unequivocal_progression" in text and "time_points" in text


@pytest.mark.parametrize("points, words", [
    ([], "baseline"),
    ([{"date": "2024-01-01", "targets": [{"id": "T1", "long_mm": 30}]},
      {"date": "2024-02-01", "targets": [{"id": "T7", "long_mm": 30}]}], "T7"),
    ([{"date": "2024-02-01", "targets": [{"id": "T1", "long_mm": 30}]},
      {"date": "2024-01-01", "targets": [{"id": "T1", "long_mm": 30}]}], "out of order"),
])
def test_response_bad_input_is_one_line_naming_file_and_entry_exit_2(tmp_path, capsys, points, words):
    path = _assessment(tmp_path, points)
    out = tmp_path / "out.json"
    assert main(["longitudinal", "response", str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(path) in err and words in err
    assert not out.exists()
    assert main(["longitudinal", "response", str(tmp_path / "missing.json")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_match_writes_the_assessment_that_response_scores_the_same(tmp_path, capsys):
    out, assessment = tmp_path / "tracks.json", tmp_path / "assessment.json"
    assert main(["longitudinal", "match", str(_studies(tmp_path)), "-o", str(out), "--no-register",
                 "--assessment", str(assessment)]) == 0
    capsys.readouterr()
    assert main(["longitudinal", "response", str(assessment)]) == 0
    scored = json.loads(capsys.readouterr().out)["time_points"]
    # 20 + 30 = 50 mm -> 12 + 21 = 33 mm: -34 %, PR (worked by hand), as in the tracks file.
    assert [tp["overall"] for tp in scored] == ["baseline", "PR"] and scored[1]["sum_mm"] == 33.0
    assert [r["overall_response"] for r in json.loads(out.read_text(encoding="utf-8"))["response"]] == ["baseline", "PR"]
