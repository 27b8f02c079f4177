"""`deepradiology models list|import|info|download` through deepradiology.cli.main."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from deepradiology.cli import main


def test_list_works_on_an_empty_cache_and_creates_nothing(a_model_cache, capsys):
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "pancreas-segmentation" in out and "not installed" in out and "licence" in out
    assert not a_model_cache.exists()


def test_list_runs_from_a_fresh_process_without_importing_torch(tmp_path):
    code = ("import sys\nfrom deepradiology.cli import main\nrc = main(['models', 'list', '--json'])\n"
            "print('torch' in sys.modules, file=sys.stderr); sys.exit(rc)")
    env = {"DEEPRADIOLOGY_MODELS": str(tmp_path / "none"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip() == "False"
    assert {m["task"] for m in json.loads(out.stdout)["models"]} >= {"lesion-embedding", "cxr-classification"}


def test_import_then_list_then_info(a_model_cache, a_saved_checkpoint, capsys):
    assert main(["models", "import", str(a_saved_checkpoint), "--name", "site-a"]) == 0
    assert "installed 'site-a'" in capsys.readouterr().out
    assert main(["models", "list", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)["models"]}
    assert rows["site-a"]["status"] == "installed" and rows["site-a"]["licence"] == "Apache-2.0"
    assert rows["pancreas-segmentation"]["status"] == "not installed"
    assert main(["models", "info", "site-a"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["task"] == "pancreas-segmentation" and len(card["sha256"]) == 64


def test_import_refuses_to_overwrite_without_force(a_model_cache, a_saved_checkpoint, capsys):
    assert main(["models", "import", str(a_saved_checkpoint)]) == 0
    assert main(["models", "import", str(a_saved_checkpoint)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["models", "import", str(a_saved_checkpoint), "--force"]) == 0


def test_import_of_a_corrupt_file_is_one_line_naming_it(a_model_cache, tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint at all")
    assert main(["models", "import", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(bad) in err


def test_info_shows_a_catalogue_card_and_names_an_unknown_model(a_model_cache, capsys):
    assert main(["models", "info", "cxr-classification"]) == 0
    assert "Cardiomegaly" in json.loads(capsys.readouterr().out)["labels"]
    assert main(["models", "info", "nothing-here"]) == 2
    assert "'nothing-here'" in capsys.readouterr().err


def test_download_without_a_url_says_how_to_get_weights(a_model_cache, capsys):
    assert main(["models", "download", "pancreas-segmentation"]) == 2
    assert "no official weights" in capsys.readouterr().err


@pytest.mark.parametrize("verb", ["list", "import", "info", "download"])
def test_every_verb_has_help(verb, capsys):
    with pytest.raises(SystemExit) as done:
        main(["models", verb, "--help"])
    assert done.value.code == 0
