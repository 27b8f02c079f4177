"""The whole path on the real abdominal CT: train (CLI) -> install -> segment (CLI and Logic) -> eval.

A smoke test of fitting ONE case, validated on that same case: it proves the pipeline and its geometry
(the mask must sit on the reference in world coordinates), not accuracy. The reference is a
TotalSegmentator prediction, not a manual label. About a minute of CPU on two cores.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from ..conftest import shared_file

pytestmark = pytest.mark.slow
torch = pytest.importorskip("torch", reason="torch is not installed: pip install 'deepradiology[torch]'")

CT = "ct/totalsegmentator/example_ct.nii.gz"
GOLD = "ct/totalsegmentator/example_ct_organs/pancreas.nii.gz"
MODEL_NAME = "pancreas-smoke-example-ct"
#: A small network at the CT's own 3 mm, patches around the pancreas: the smoke configuration.
SMOKE_ARGS = ["--spacing", "3,3,3", "--coarse-spacing", "6,6,6", "--patch", "24,32,48", "--coarse-patch", "24,24,32",
              "--channels", "4,8,16,32", "--coarse-channels", "4,8,16", "--iterations", "150", "--batch", "2",
              "--lr", "1e-2", "--positive-fraction", "0.8", "--threads", "1"]


def _cli(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "deepradiology", "pancreas", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=900)


@pytest.fixture(scope="module")
def models_env(tmp_path_factory):
    import os

    env = dict(os.environ, DEEPRADIOLOGY_MODELS=str(tmp_path_factory.mktemp("models")))
    return env


@pytest.fixture(scope="module")
def trained(tmp_path_factory, models_env):
    """Train on an MSD Task07-style folder linking the real CT and its pancreas mask (never copied)."""
    from deepradiology.pancreas.testing import write_msd_folder

    work = tmp_path_factory.mktemp("smoke")
    data = write_msd_folder(work / "Task07_Pancreas", {"example_ct": (shared_file(CT), shared_file(GOLD))})
    done = _cli("train", data, "-o", work / "smoke.pt", "--arch", "dynunet", "--fold", "0", "--name", MODEL_NAME,
                "--install", *SMOKE_ARGS, env=models_env)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), work


def _world_centroid_lps(image) -> np.ndarray:
    kji = np.argwhere(image.array > 0).mean(axis=0)
    return image.index_to_lps(kji[::-1])


def test_a_short_cpu_training_run_fits_the_real_ct_with_dice_above_0_7(trained):
    summary, _ = trained
    metrics = summary["metrics"]
    assert summary["installed"] == MODEL_NAME
    assert metrics["validation_dice_mean"] >= 0.7, metrics
    assert "measures fitting, not accuracy" in metrics["note"]


def test_the_card_records_the_input_spacing_and_task(trained, models_env, monkeypatch):
    monkeypatch.setenv("DEEPRADIOLOGY_MODELS", models_env["DEEPRADIOLOGY_MODELS"])
    from deepradiology.models import find_model

    card = find_model("pancreas-segmentation")
    assert card.name == MODEL_NAME
    assert card.input_spec["spacing_mm"] == [3.0, 3.0, 3.0] and card.input_spec["window_hu"] == [-160.0, 240.0]
    assert card.input_spec["network"]["arch"] == "dynunet"


def test_the_cli_segments_the_real_ct_on_its_grid_and_over_the_reference_in_world_space(trained, models_env,
                                                                                      tmp_path):
    from deepradiology.io import read_volume

    mask_path, prob_path = tmp_path / "mask.nii.gz", tmp_path / "prob.nii.gz"
    done = _cli("segment", shared_file(CT), "-o", mask_path, "--prob", prob_path, "--threads", "1", env=models_env)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout)
    ct, gold = read_volume(shared_file(CT)), read_volume(shared_file(GOLD))
    mask, prob = read_volume(mask_path), read_volume(prob_path)
    assert np.allclose(mask.ijk_to_lps, ct.ijk_to_lps) and np.allclose(prob.ijk_to_lps, ct.ijk_to_lps)
    assert np.linalg.norm(_world_centroid_lps(mask) - _world_centroid_lps(gold)) < 6.0   # two voxels
    assert summary["volume_ml"] == pytest.approx(float(mask.array.sum()) * 0.027, rel=1e-3)
    assert summary["model"] == MODEL_NAME and summary["confidence"] in ("high", "low")
    done = _cli("eval", mask_path, shared_file(GOLD), env=models_env)
    metrics = json.loads(done.stdout)
    assert metrics["dice"] >= 0.7 and metrics["asd_mm"] < 6.0 and metrics["hd95_mm"] is not None
    again = _cli("segment", shared_file(CT), "-o", mask_path, env=models_env)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_the_logic_adds_a_pancreas_segment_and_a_coloured_probability_volume_over_the_reference(
        trained, models_env, monkeypatch, a_scene):
    monkeypatch.setenv("DEEPRADIOLOGY_MODELS", models_env["DEEPRADIOLOGY_MODELS"])
    from deepradiology.frames import lps_to_ras
    from deepradiology.io import read_volume
    from deepradiology_mrml.logic.pancreas import PROBABILITY_COLORMAPS, PancreasSegmentLogic
    from deepradiology_mrml.segmentations import segmentation_to_labelmap
    from deepradiology_mrml.volumes import image_to_volume_node

    ct, gold = read_volume(shared_file(CT)), read_volume(shared_file(GOLD))
    volume = image_to_volume_node(a_scene, ct, "example CT")
    logic = PancreasSegmentLogic(a_scene, threads=1)
    assert logic.available_models() == [MODEL_NAME]
    fractions = []
    outcome = logic.segment(volume, device="cpu", progress=lambda f, m="": fractions.append(f))
    assert fractions[-1] == 1.0 and fractions == sorted(fractions)
    seg = a_scene.GetNodeByID(outcome.segmentation_node_id)
    prob = a_scene.GetNodeByID(outcome.probability_node_id)
    labels = segmentation_to_labelmap(seg, volume)
    centroid_ras = lps_to_ras(_world_centroid_lps(labels))
    assert np.linalg.norm(centroid_ras - lps_to_ras(_world_centroid_lps(gold))) < 6.0
    assert outcome.volume_ml == pytest.approx(float((labels.array > 0).sum()) * 0.027, rel=0.02)
    assert prob.GetDisplayNode().GetColorNodeID() in PROBABILITY_COLORMAPS
    assert prob.GetImageData().GetScalarRange()[1] <= 1.0
    assert seg.GetAttribute("DeepRadiology.PancreasConfidence") == outcome.confidence


def test_a_cancelled_logic_run_leaves_no_nodes(trained, models_env, monkeypatch, a_scene):
    monkeypatch.setenv("DEEPRADIOLOGY_MODELS", models_env["DEEPRADIOLOGY_MODELS"])
    from deepradiology.io import read_volume
    from deepradiology.progress import Cancelled
    from deepradiology_mrml.logic.pancreas import PancreasSegmentLogic
    from deepradiology_mrml.volumes import image_to_volume_node

    volume = image_to_volume_node(a_scene, read_volume(shared_file(CT)), "example CT")
    nodes = a_scene.GetNumberOfNodes()
    logic = PancreasSegmentLogic(a_scene, threads=1)

    def cancel_once_running(fraction, message=""):
        if fraction > 0.05:   # the subprocess has started reporting
            raise Cancelled("user pressed Cancel")

    with pytest.raises(Cancelled):
        logic.segment(volume, progress=cancel_once_running)
    assert a_scene.GetNumberOfNodes() == nodes


def test_an_mr_volume_fails_in_the_logic_with_the_reason_and_no_nodes(trained, models_env, monkeypatch, a_scene):
    monkeypatch.setenv("DEEPRADIOLOGY_MODELS", models_env["DEEPRADIOLOGY_MODELS"])
    from deepradiology.errors import DeepRadiologyError
    from deepradiology.io import read_volume
    from deepradiology_mrml.logic.pancreas import PancreasSegmentLogic
    from deepradiology_mrml.volumes import image_to_volume_node

    volume = image_to_volume_node(a_scene, read_volume(shared_file("ct/totalsegmentator/example_mr_sm.nii.gz")), "MR")
    nodes = a_scene.GetNumberOfNodes()
    with pytest.raises(DeepRadiologyError, match="not CT Hounsfield units"):
        PancreasSegmentLogic(a_scene, threads=1).segment(volume)
    assert a_scene.GetNumberOfNodes() == nodes
