"""SSBR: the two losses reward ordered, evenly spaced scores; training lowers them; checkpoints round-trip."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: pip install 'deepradiology[torch]'")

from deepradiology.errors import ModelError  # noqa: E402
from deepradiology.longitudinal import ssbr  # noqa: E402

TINY = ssbr.SSBRSettings(size=32, channels=(8, 16, 32), slices=6, batch=4, gap_mm=(8.0, 30.0), learning_rate=3e-3)


def test_order_loss_prefers_scores_rising_toward_the_head_and_distance_loss_prefers_even_steps():
    rising = torch.tensor([[0.0, 1.0, 2.0, 3.0]])
    falling = torch.flip(rising, dims=[1])
    uneven = torch.tensor([[0.0, 0.2, 2.5, 3.0]])
    assert ssbr.ssbr_losses(rising)[0] < ssbr.ssbr_losses(falling)[0]
    assert ssbr.ssbr_losses(rising)[1] == 0.0 and ssbr.ssbr_losses(uneven)[1] > 0.0


def test_equidistant_slices_are_drawn_inferior_to_superior_at_one_gap(a_coarse_phantom_patient):
    ct = a_coarse_phantom_patient.studies[0].ct
    ks = ssbr.sample_equidistant_slices(ct, np.random.default_rng(3), TINY)
    z = ct.index_to_lps(np.stack([np.zeros(len(ks)), np.zeros(len(ks)), ks], axis=1))[:, 2]
    steps = np.diff(z)
    assert len(ks) == TINY.slices and np.all(steps > 0)
    assert steps.max() - steps.min() <= ct.spacing[2] + 1e-6


@pytest.mark.slow
def test_training_on_unlabelled_ct_lowers_the_loss_and_the_checkpoint_reloads(a_coarse_phantom_patient, tmp_path):
    volumes = [s.ct for s in a_coarse_phantom_patient.studies[:2]]
    model, history = ssbr.train_body_part_regressor(volumes, steps=40, settings=TINY)
    first, last = np.mean(history["loss"][:5]), np.mean(history["loss"][-5:])
    assert last < first - 0.2, (first, last)
    path = ssbr.save_body_part_regressor(model, tmp_path / "ssbr.pt", settings=TINY, history=history)
    regressor = ssbr.load_body_part_regressor(path)
    ct = volumes[0]
    assert np.allclose(regressor.slice_scores(ct), ssbr.BodyPartRegressor(model, TINY).slice_scores(ct), atol=1e-5)
    assert 0.0 <= regressor.normalized_z(ct, ct.array.shape[0] // 2) <= 1.0


def test_a_missing_regressor_is_a_model_error(tmp_path):
    with pytest.raises(ModelError):
        ssbr.load_body_part_regressor(tmp_path / "none.pt")


@pytest.mark.slow
def test_train_ssbr_command_writes_a_checkpoint_with_its_card(a_coarse_phantom_patient, tmp_path, capsys):
    import json

    from deepradiology.cli import main
    from deepradiology.io import write_image

    paths = [str(write_image(s.ct, tmp_path / f"{s.plan.study_id}.nii.gz")) for s in a_coarse_phantom_patient.studies[:2]]
    out = tmp_path / "ssbr.pt"
    assert main(["longitudinal", "train-ssbr", *paths, "-o", str(out), "--steps", "2", "--size", "32"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert out.exists() and (tmp_path / "ssbr.pt.card.json").exists() and report["steps"] == 2
    assert main(["longitudinal", "train-ssbr", *paths, "-o", str(out), "--steps", "2"]) == 2   # no overwrite
