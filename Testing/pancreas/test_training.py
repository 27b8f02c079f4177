"""Training on the phantom: the Slicer self-test's small model, and the talk's HNN + BiConvLSTM path."""

from __future__ import annotations

import re

import numpy as np
import pytest

pytestmark = pytest.mark.slow
torch = pytest.importorskip("torch", reason="torch is not installed: pip install 'deepradiology[torch]'")


def test_the_self_test_model_trained_on_the_phantom_finds_its_pancreas(tmp_path):
    from deepradiology.pancreas.inference import segment_pancreas
    from deepradiology.pancreas.metrics import dice
    from deepradiology.pancreas.model import load_pancreas_model
    from deepradiology.pancreas.testing import train_small_phantom_model

    torch.set_num_threads(1)
    checkpoint, study = train_small_phantom_model(tmp_path)
    model = load_pancreas_model(str(checkpoint))
    assert model.card.input_spec["spacing_mm"] == [3.2, 3.2, 4.0]
    result = segment_pancreas(study.ct, model=model)
    truth = study.organs.array == 5
    # The Slicer self-test asserts on the volume; check the overlap too (training case: fitting only).
    assert dice(result.mask.array, truth) >= 0.6
    assert result.volume_ml > 0.3 * float(truth.sum()) * study.ct.voxel_volume_ml


def test_the_hnn_with_slice_lstm_trains_and_loads_through_the_same_interface(tmp_path):
    from deepradiology.pancreas.model import load_pancreas_model
    from deepradiology.pancreas.testing import train_small_phantom_model

    torch.set_num_threads(1)
    losses = []

    def keep(fraction, message=""):
        m = re.search(r"loss ([0-9.]+)", message)
        if m:
            losses.append(float(m.group(1)))

    checkpoint, _ = train_small_phantom_model(
        tmp_path, arch="hnn-bclstm", patch=(8, 32, 48), coarse_patch=(8, 24, 32), channels=(4, 8, 16),
        coarse_channels=(4, 8), iterations=25, name="pancreas-hnn-test", progress=keep)
    model = load_pancreas_model(str(checkpoint))
    assert model.arch == "hnn-bclstm" and model.card.name == "pancreas-hnn-test"
    assert losses[-1] < losses[0]
    assert np.isfinite(model.card.metrics["validation_dice_mean"])


def test_training_runs_under_torchrun_with_two_processes(tmp_path):
    """Two CPU processes (gloo): each samples its own patches, DDP averages gradients, rank 0 writes."""
    import json
    import subprocess
    import sys

    from deepradiology.phantom import generate_phantom
    from deepradiology.pancreas.testing import write_msd_folder

    study = generate_phantom(0, n_studies=1, spacing=(1.6, 1.6, 4.0)).studies[0]
    data = write_msd_folder(tmp_path / "Task07", {"phantom_000": (
        study.ct, study.organs.with_array((study.organs.array == 5).astype(np.uint8)))})
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
         "-m", "deepradiology", "pancreas", "train", str(data), "-o", str(tmp_path / "ddp.pt"),
         "--spacing", "3.2,3.2,4", "--coarse-spacing", "6.4,6.4,8", "--patch", "16,32,48",
         "--coarse-patch", "16,24,32", "--channels", "4,8,16,32", "--coarse-channels", "4,8,16",
         "--iterations", "10", "--threads", "1"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    outputs = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(outputs) == 1 and outputs[0]["checkpoint"].endswith("ddp.pt")   # only rank 0 reports
    assert (tmp_path / "ddp.pt").is_file() and (tmp_path / "ddp.pt.card.json").is_file()
