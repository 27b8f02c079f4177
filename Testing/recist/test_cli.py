"""The ``deepradiology recist`` command: measure from a RAS point, write JSON and mask, refuse bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from deepradiology.cli import main
from deepradiology.frames import lps_to_ras

from ..conftest import shared_file


@pytest.fixture(scope="module")
def phantom_ct_file(a_coarse_phantom_patient, tmp_path_factory):
    from deepradiology.io import write_image

    study = a_coarse_phantom_patient.studies[0]
    path = tmp_path_factory.mktemp("recist") / "ct.nii.gz"
    write_image(study.ct, path)
    return path, study


def test_measure_at_a_ras_point_writes_the_lesion_and_its_mask(phantom_ct_file, tmp_path, capsys):
    from deepradiology.io import read_volume

    path, study = phantom_ct_file
    truth = next(t for t in study.lesions if t["organ"] == "liver" and t["hu"] < 60)
    ras = lps_to_ras(np.asarray(truth["centre_lps"]))
    out, mask = tmp_path / "lesion.json", tmp_path / "mask.nii.gz"
    code = main(["recist", "measure", str(path), "--point", ",".join(f"{v:.2f}" for v in ras),
                 "-o", str(out), "--mask", str(mask)])
    assert code == 0
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["lesion_id"] == "L1"
    assert record["long_axis_mm"] == pytest.approx(truth["long_axis_mm"], abs=max(1.6, 0.05 * truth["long_axis_mm"]))
    assert record["volume_ml"] == pytest.approx(truth["volume_ml"], rel=0.15)
    assert len(record["long_axis_lps"]) == 2 and len(record["extra"]["long_axis_ijk"]) == 2
    written = read_volume(mask)
    assert written.array.sum() > 0 and written.array.shape == study.ct.array.shape
    assert json.loads(capsys.readouterr().out)["long_axis_mm"] == record["long_axis_mm"]


def test_measure_refuses_to_overwrite_without_force(phantom_ct_file, tmp_path, capsys):
    path, study = phantom_ct_file
    out = tmp_path / "lesion.json"
    out.write_text("{}", encoding="utf-8")
    ijk = study.lesions[0]["centre_ijk"]
    code = main(["recist", "measure", str(path), "--point", f"{ijk[0]},{ijk[1]},{study.lesions[0]['key_slice']}",
                 "--frame", "ijk", "-o", str(out)])
    assert code == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "{}"


def test_a_click_in_air_exits_2_and_writes_nothing(phantom_ct_file, tmp_path, capsys):
    path, _ = phantom_ct_file
    out, mask = tmp_path / "lesion.json", tmp_path / "mask.nii.gz"
    code = main(["recist", "measure", str(path), "--point", "1,1,10", "--frame", "ijk", "-o", str(out),
                 "--mask", str(mask)])
    assert code == 2
    assert "outside the body" in capsys.readouterr().err
    assert not out.exists() and not mask.exists()


def test_a_zero_area_box_exits_2(phantom_ct_file, tmp_path, capsys):
    path, _ = phantom_ct_file
    code = main(["recist", "measure", str(path), "--box", "100,80,20,100,120,20", "--frame", "ijk",
                 "-o", str(tmp_path / "l.json")])
    assert code == 2
    assert "zero area" in capsys.readouterr().err


def test_an_mr_volume_exits_2_with_the_reason(tmp_path, capsys):
    mr = shared_file("ct/totalsegmentator/example_mr_sm.nii.gz")
    code = main(["recist", "measure", str(mr), "--point", "50,40,10", "--frame", "ijk", "-o", str(tmp_path / "l.json")])
    assert code == 2
    assert "Hounsfield" in capsys.readouterr().err


def test_eval_deeplesion_prints_the_summary_keys(tmp_path, capsys):
    out = tmp_path / "dl.json"
    code = main(["recist", "eval-deeplesion", "--dl-info", str(shared_file("deeplesion/DL_info_test.csv")),
                 "--images", str(shared_file("deeplesion/images_png")), "-o", str(out)])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(out.read_text(encoding="utf-8"))
    assert {"lesions", "mean_abs_error_long_mm", "mean_abs_error_short_mm", "mean_dice_vs_recist_ellipse",
            "per_lesion"} <= printed.keys()


@pytest.mark.slow
def test_eval_phantom_meets_the_accuracy_targets(capsys):
    assert main(["recist", "eval-phantom", "--seed", "1", "--studies", "1"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"lesions", "mean_abs_error_long_mm", "mean_abs_error_short_mm", "mean_rel_error_volume"} <= result.keys()
    assert result["failed"] == 0
    assert result["within_tolerance"] == result["lesions"]
