"""Heatmap boxes, IoBB, urgency ordering, and the triage worklist with bad inputs in the batch."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from deepradiology.cxr.heatmap import heatmap_boxes, iobb
from deepradiology.cxr.triage import urgency


def test_a_hot_region_becomes_one_box_around_it():
    heat = np.zeros((100, 120), np.float32)
    heat[20:40, 60:90] = 1.0
    heat[80:82, 5:7] = 0.9  # 4 pixels: too small to be a finding
    boxes = heatmap_boxes(heat, threshold=0.5)
    assert len(boxes) == 1 and boxes[0][:4] == (60.0, 20.0, 30.0, 20.0)


def test_iobb_is_the_intersection_over_the_detected_box():
    assert iobb((0, 0, 10, 10), (5, 0, 100, 100)) == pytest.approx(0.5)
    assert iobb((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0
    assert iobb((2, 2, 2, 2), (0, 0, 10, 10)) == 1.0


def test_a_pneumothorax_past_its_operating_point_comes_before_a_fibrosis():
    points = {"Pneumothorax": 0.3, "Fibrosis": 0.3, "Effusion": 0.5}
    ptx, flagged = urgency({"Pneumothorax": 0.6, "Fibrosis": 0.1, "Effusion": 0.2}, points)
    fib, _ = urgency({"Pneumothorax": 0.1, "Fibrosis": 0.95, "Effusion": 0.2}, points)
    none, nothing = urgency({"Pneumothorax": 0.1, "Fibrosis": 0.1, "Effusion": 0.2}, points)
    assert flagged == ["Pneumothorax"] and ptx > fib > none == 0.0 and nothing == []


def test_triage_scores_real_films_and_lists_bad_inputs_last_with_reasons(an_untrained_cxr_model, shared_data, tmp_path, capsys):
    from deepradiology.cli import main

    nih = shared_data / "cxr" / "nih"
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    out = tmp_path / "worklist.csv"
    args = ["cxr", "triage", str(nih / "00000001_000.png"), str(nih / "00019395_010.png"),
            str(shared_data / "cxr" / "siim" / "siim_ptx_negative.dcm"), str(shared_data / "ct" / "pydicom" / "CT_small.dcm"),
            str(broken), "--model", str(an_untrained_cxr_model), "-o", str(out)]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["scored"] == 3 and summary["failed"] == 2
    rows = list(csv.DictReader(open(out, newline="", encoding="utf-8")))
    assert [r["status"] for r in rows][-2:] == ["failed", "failed"]
    reasons = {r["file"].split("/")[-1]: r["notes"] for r in rows}
    assert "CT" in reasons["CT_small.dcm"] and "cannot be read" in reasons["broken.png"]
    assert "rotated" in reasons["00019395_010.png"]
    for r in rows[:3]:
        assert r["heatmap_png"] and (tmp_path / "worklist_heatmaps").is_dir()
        assert 0.0 <= float(r["Effusion"]) <= 1.0
    assert [int(r["rank"]) for r in rows] == [1, 2, 3, 4, 5]
    assert main(args) == 2  # the worklist exists and --force was not given
    capsys.readouterr()


def test_triage_without_an_installed_model_says_how_to_get_one(tmp_path, monkeypatch, capsys):
    from deepradiology.cli import main

    monkeypatch.setenv("DEEPRADIOLOGY_MODELS", str(tmp_path / "empty_cache"))
    assert main(["cxr", "triage", str(tmp_path), "-o", str(tmp_path / "w.csv")]) == 2
    assert "cxr train" in capsys.readouterr().err
