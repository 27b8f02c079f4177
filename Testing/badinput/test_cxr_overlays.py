"""Issue 17: `cxr triage` never overwrites a user's PNG under an overlay's name without --force.

The overlay names (rank, film stem, finding) are all known before any is drawn, so a clash is refused
with one line naming the file, and nothing at all is written: no worklist, no overlay.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _cli import assert_refused, run_cli  # noqa: E402


@pytest.fixture(scope="module")
def a_model_and_films(tmp_path_factory):
    """An untrained small network (plumbing only) and two grey films."""
    import torch
    from PIL import Image

    from deepradiology.cxr.model import save_cxr_model
    from deepradiology.cxr.network import build_network
    from deepradiology.cxr.pipeline import SMALL_NETWORK
    from deepradiology.cxr.synthetic import SYNTHETIC_FINDINGS

    folder = tmp_path_factory.mktemp("cxr")
    torch.manual_seed(0)
    model = folder / "untrained.pt"
    save_cxr_model(build_network(**SMALL_NETWORK, num_classes=4).eval(), model, name="untrained", size=64,
                   labels=SYNTHETIC_FINDINGS, operating_points={f: 0.5 for f in SYNTHETIC_FINDINGS}, metrics={},
                   training_data="none")
    rng = np.random.default_rng(0)
    films = []
    for name in ("a.png", "b.png"):
        Image.fromarray((rng.random((96, 96)) * 255).astype(np.uint8)).save(folder / name)
        films.append(folder / name)
    return model, films


def _first_run(tmp_path, model, films) -> list[Path]:
    result = run_cli(["cxr", "triage", *films, "--model", model, "-o", tmp_path / "w.csv"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    overlays = sorted((tmp_path / "w_heatmaps").glob("*.png"))
    assert len(overlays) == 2
    return overlays


def test_a_users_png_under_an_overlays_name_is_refused_and_kept(tmp_path, a_model_and_films):
    model, films = a_model_and_films
    overlays = _first_run(tmp_path, model, films)
    (tmp_path / "w.csv").unlink()                 # the worklist is gone; the second PNG is the user's now
    overlays[0].unlink()
    overlays[1].write_bytes(b"the user's own picture")
    result = run_cli(["cxr", "triage", *films, "--model", model, "-o", tmp_path / "w.csv"], cwd=tmp_path)
    assert_refused(result, overlays[1].name, "already exists", "--force")
    assert overlays[1].read_bytes() == b"the user's own picture"
    assert not (tmp_path / "w.csv").exists() and not overlays[0].exists(), "nothing written when one is refused"


def test_force_replaces_the_overlays(tmp_path, a_model_and_films):
    model, films = a_model_and_films
    overlays = _first_run(tmp_path, model, films)
    overlays[0].write_bytes(b"old")
    result = run_cli(["cxr", "triage", *films, "--model", model, "-o", tmp_path / "w.csv", "--force"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert overlays[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_file_where_the_overlay_folder_goes_is_one_line(tmp_path, a_model_and_films):
    model, films = a_model_and_films
    (tmp_path / "w_heatmaps").write_text("mine")
    result = run_cli(["cxr", "triage", *films, "--model", model, "-o", tmp_path / "w.csv"], cwd=tmp_path)
    assert_refused(result, "w_heatmaps", "not the folder")
    assert (tmp_path / "w_heatmaps").read_text() == "mine" and not (tmp_path / "w.csv").exists()


def test_no_heatmaps_ignores_existing_pngs(tmp_path, a_model_and_films):
    model, films = a_model_and_films
    overlays = _first_run(tmp_path, model, films)
    (tmp_path / "w.csv").unlink()
    overlays[0].write_bytes(b"mine")
    result = run_cli(["cxr", "triage", *films, "--model", model, "-o", tmp_path / "w.csv", "--no-heatmaps"],
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert overlays[0].read_bytes() == b"mine"
