"""The deepradiology command: help, the phantom command, and one-line errors with exit code 2."""

import json
import subprocess
import sys

from deepradiology.cli import main


def test_help_lists_the_commands(capsys):
    out = subprocess.run([sys.executable, "-m", "deepradiology", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "phantom" in out.stdout


def test_the_phantom_command_writes_studies_and_truth(tmp_path, capsys):
    assert main(["phantom", "-o", str(tmp_path), "--studies", "2", "--spacing", "3,3,6", "--seed", "4"]) == 0
    written = json.loads(capsys.readouterr().out)
    assert set(written) >= {"ground_truth", "S0_ct", "S1_lesions"}
    truth = json.loads((tmp_path / "ground_truth.json").read_text(encoding="utf-8"))
    assert truth["seed"] == 4 and len(truth["studies"]) == 2


def test_the_phantom_command_never_overwrites_without_force(tmp_path, capsys):
    args = ["phantom", "-o", str(tmp_path), "--studies", "1", "--spacing", "4,4,8"]
    assert main(args) == 0
    before = (tmp_path / "S0_ct.nii.gz").stat().st_mtime_ns
    assert main(args) == 2
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "S0_ct.nii.gz").stat().st_mtime_ns == before
    assert main(args + ["--force"]) == 0


def test_a_bad_argument_is_named_in_one_line(tmp_path, capsys):
    assert main(["phantom", "-o", str(tmp_path), "--spacing", "1,0,1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--spacing" in err


def test_a_missing_optional_package_names_its_extra_in_one_line(monkeypatch, tmp_path, capsys):
    """`dicom export` without highdicom installed: one line naming the `dicom` extra, exit 2, no traceback."""
    import deepradiology.cli.dicom as dicom_cli

    def export_needing_highdicom(args):
        import highdicom  # noqa: F401 - sys.modules["highdicom"] = None makes this the missing-package error

    monkeypatch.setitem(sys.modules, "highdicom", None)
    monkeypatch.setattr(dicom_cli, "run_export", export_needing_highdicom)
    code = main(["dicom", "export", "lesions.json", "--reference", str(tmp_path), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "highdicom" in err and "DeepRadiologyLib[dicom]" in err


def test_a_missing_core_module_is_a_bug_and_keeps_its_traceback(monkeypatch, tmp_path):
    import pytest

    import deepradiology.cli.dicom as dicom_cli

    def export_with_a_typo(args):
        import deepradiology.no_such_module  # noqa: F401

    monkeypatch.setattr(dicom_cli, "run_export", export_with_a_typo)
    with pytest.raises(ImportError):
        main(["dicom", "export", "lesions.json", "--reference", str(tmp_path), "-o", str(tmp_path / "out")])


def test_serve_refuses_a_missing_lesion_database_before_preparing_anything(tmp_path, capsys):
    code = main(["serve", "--lesion-db", str(tmp_path / "nothere.sqlite"), "--port", "0"])
    err = capsys.readouterr().err
    assert code == 2 and "nothere.sqlite: no such lesion database file" in err
    assert "preparing" not in err and len(err.strip().splitlines()) == 1
