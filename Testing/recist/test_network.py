"""The cascaded RECIST network (STN + stacked hourglass): shapes, geometry, and a short CPU training run."""

from __future__ import annotations

import csv

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: pip install 'deepradiology[torch]'")
pytest.importorskip("monai", reason="MONAI is not installed: pip install 'deepradiology[torch]'")


def test_the_stn_starts_at_the_identity_and_maps_points_both_ways():
    from deepradiology.recist.network import RecistCascade, map_points

    net = RecistCascade(channels=8, stacks=2, depth=2).eval()
    out = net(torch.rand(2, 1, 32, 32))
    assert torch.allclose(out["theta"], torch.tensor([[1.0, 0, 0], [0, 1.0, 0]]).expand(2, 2, 3))
    assert [s.shape for s in out["stacks"]] == [(2, 5, 16, 16)] * 2
    theta = torch.tensor([[[0.5, -0.2, 0.1], [0.2, 0.5, -0.3]]])
    pts = torch.rand(1, 4, 2)
    assert torch.allclose(map_points(theta, map_points(theta, pts, inverse=True)), pts, atol=1e-5)


def test_soft_argmax_finds_a_peak_in_the_normalised_frame():
    from deepradiology.recist.network import soft_argmax

    maps = torch.full((1, 1, 21, 21), -50.0)
    maps[0, 0, 5, 15] = 50.0                      # row 5, column 15
    xy = soft_argmax(maps)[0, 0]
    assert xy[0].item() == pytest.approx(0.5, abs=1e-3) and xy[1].item() == pytest.approx(-0.5, abs=1e-3)


def write_deeplesion_layout(phantom, root):
    """A tiny DeepLesion-like set: key-slice PNGs (HU + 32768) and a DL_info.csv with the phantom's RECIST."""
    from PIL import Image as PILImage

    header = ["File_name", "Patient_index", "Study_index", "Series_ID", "Key_slice_index",
              "Measurement_coordinates", "Bounding_boxes", "Lesion_diameters_Pixel_", "Normalized_lesion_location",
              "Coarse_lesion_type", "Possibly_noisy", "Slice_range", "Spacing_mm_px_", "Image_size",
              "DICOM_windows", "Patient_gender", "Patient_age", "Train_Val_Test"]
    fmt = lambda v: ", ".join(f"{x:.3f}" for x in v)  # noqa: E731
    rows = []
    for s, study in enumerate(phantom.studies):
        sx = study.ct.spacing[0]
        for truth in study.lesions:
            k = truth["key_slice"]
            folder = root / "Images_png" / f"000001_{s + 1:02d}_01"
            folder.mkdir(parents=True, exist_ok=True)
            png = folder / f"{k + 1:03d}.png"
            if not png.exists():
                PILImage.fromarray((study.ct.array[k].astype(np.int32) + 32768).astype(np.uint16)).save(png)
            pts = np.concatenate([np.asarray(truth["long_axis_ijk"])[:, :2], np.asarray(truth["short_axis_ijk"])[:, :2]])
            lo, hi = pts.min(axis=0) - 5, pts.max(axis=0) + 5
            rows.append([f"000001_{s + 1:02d}_01_{k + 1:03d}.png", 1, s + 1, 1, k + 1, fmt(pts.ravel()),
                         fmt([*lo, *hi]), fmt([truth["long_axis_mm"] / sx, truth["short_axis_mm"] / sx]),
                         "0.5, 0.5, 0.5", 4, 0, f"{k + 1}, {k + 1}", fmt(study.ct.spacing),
                         fmt(study.ct.array.shape[1:][::-1]), "-175, 275", "F", 50, 1])
    with open(root / "DL_info.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return root / "DL_info.csv", root / "Images_png"


@pytest.mark.slow
def test_a_few_training_steps_run_on_cpu_lower_the_loss_and_save_a_loadable_checkpoint(a_coarse_phantom_patient,
                                                                                        tmp_path, monkeypatch):
    from deepradiology.models import install_model, load_checkpoint
    from deepradiology.recist.learned import find_recist_model, load_recist_model, measure_with_model
    from deepradiology.recist.train import TrainConfig, train_recist_network

    torch.set_num_threads(1)
    dl_info, images = write_deeplesion_layout(a_coarse_phantom_patient, tmp_path)
    result = train_recist_network(dl_info, images, tmp_path / "recist-smoke.pt",
                                  config=TrainConfig(epochs=50, max_steps=16, batch_size=4, patch=32, channels=8,
                                                     depth=1, lr=3e-3), log=lambda _: None)
    losses = result["losses"]
    assert len(losses) == 16
    assert np.mean(losses[-4:]) < 0.8 * np.mean(losses[:4])
    state, card = load_checkpoint(tmp_path / "recist-smoke.pt", task="recist-segmentation")
    assert card.labels[:4] == ["long_end_1", "long_end_2", "short_end_1", "short_end_2"]
    # Plug-in: nothing installed means no model; once imported, the learned path runs end to end.
    monkeypatch.setenv("DEEPRADIOLOGY_MODELS", str(tmp_path / "cache"))
    assert find_recist_model() is None
    install_model(tmp_path / "recist-smoke.pt")
    model, card = load_recist_model()
    study = a_coarse_phantom_patient.studies[0]
    truth = study.lesions[0]
    got = measure_with_model(study.ct, click=(*truth["centre_ijk"][:2], truth["key_slice"]), model=model, card=card)
    assert got.method == "model:recist-smoke" and got.axes.long_mm > 0


@pytest.mark.gpu
def test_training_runs_on_cuda(a_coarse_phantom_patient, tmp_path):
    from deepradiology.recist.train import TrainConfig, train_recist_network

    dl_info, images = write_deeplesion_layout(a_coarse_phantom_patient, tmp_path)
    result = train_recist_network(dl_info, images, tmp_path / "recist-gpu.pt",
                                  config=TrainConfig(epochs=50, max_steps=8, batch_size=8, patch=64, channels=16,
                                                     depth=2, device="cuda"), log=lambda _: None)
    assert result["device"] == "cuda" and result["steps"] == 8


@pytest.mark.slow
def test_the_train_command_writes_a_checkpoint_and_its_card_and_refuses_to_overwrite(a_coarse_phantom_patient,
                                                                                       tmp_path, capsys):
    import json

    from deepradiology.cli import main

    torch.set_num_threads(1)
    dl_info, images = write_deeplesion_layout(a_coarse_phantom_patient, tmp_path)
    out = tmp_path / "cascade.pt"
    args = ["recist", "train", "--dl-info", str(dl_info), "--images", str(images), "-o", str(out), "--max-steps", "2",
            "--batch-size", "2", "--patch", "32", "--channels", "8", "--depth", "1", "--device", "cpu"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["steps"] == 2
    assert summary["lesions"] == sum(len(s.lesions) for s in a_coarse_phantom_patient.studies)
    card = json.loads((tmp_path / "cascade.pt.card.json").read_text(encoding="utf-8"))
    assert card["task"] == "recist-segmentation" and len(card["sha256"]) == 64
    assert card["input_spec"]["patch"] == [32, 32]
    assert main(args) == 2
    assert "already exists" in capsys.readouterr().err
