"""The image pipeline learns: trained on synthetic films, it finds and localises planted findings on
held-out films, and the checkpoint scores real NIH films into a worklist with heatmaps."""

from __future__ import annotations

import csv
import json

import pytest

pytestmark = pytest.mark.slow


def test_held_out_auc_is_above_0_9_for_every_planted_finding(a_synthetic_cxr_model):
    _, metrics = a_synthetic_cxr_model
    aucs = metrics["auc"]["per_finding"]
    assert set(aucs) == {"Cardiomegaly", "Effusion", "Mass", "Pneumothorax"}
    assert all(v > 0.9 for v in aucs.values()), aucs


def test_heatmap_boxes_hit_the_planted_places(a_synthetic_cxr_model):
    _, metrics = a_synthetic_cxr_model
    loc = metrics["localisation"]
    assert loc["boxes"] > 100
    assert loc["overall"]["iobb>=0.1"] >= 0.75, loc
    assert all(f["iobb>=0.1"] >= 0.5 for f in loc["per_finding"].values()), loc


def test_the_checkpoint_loads_verified_and_evaluates_on_fresh_films(a_synthetic_cxr_model, capsys):
    from deepradiology.cli import main

    path, _ = a_synthetic_cxr_model
    assert main(["cxr", "eval", "--model", str(path), "--synthetic", "60"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["auc"]["mean_auc"] > 0.9


def test_the_trained_checkpoint_triages_the_real_nih_films(a_synthetic_cxr_model, shared_data, tmp_path, capsys):
    from deepradiology.cli import main

    path, _ = a_synthetic_cxr_model
    out = tmp_path / "worklist.csv"
    assert main(["cxr", "triage", str(shared_data / "cxr" / "nih"), "--model", str(path), "-o", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["scored"] == 4 and "synthetic" in summary["trained_on"]
    rows = list(csv.DictReader(open(out, newline="", encoding="utf-8")))
    urgencies = [float(r["urgency"]) for r in rows if r["flagged"]]
    assert urgencies == sorted(urgencies, reverse=True)
    pngs = list((tmp_path / "worklist_heatmaps").glob("*.png"))
    assert len(pngs) == 4
    from PIL import Image

    assert Image.open(pngs[0]).mode == "RGB"
