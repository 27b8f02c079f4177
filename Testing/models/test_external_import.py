"""Importing models in published formats: cards, verification before loading, clear refusals."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from deepradiology.cli import main
from deepradiology.errors import ModelError, OutputExistsError
from deepradiology.models import find_model, installed_models
from deepradiology.models.external import detect_format, import_external, verified_external

from .conftest import write_nnunet_folder, write_xrv_file

pytest.importorskip("torch", reason="torch is not installed: pip install 'deepradiology[torch]'")


def test_an_nnunet_folder_gets_a_card_with_its_pancreas_label_spacing_and_every_file_hashed(an_nnunet_folder,
                                                                                           a_model_cache):
    assert detect_format(an_nnunet_folder) == "nnunetv2"
    assert detect_format(an_nnunet_folder.parent) == "nnunetv2"   # the Dataset folder holding it
    card = import_external(an_nnunet_folder.parent, licence="CC-BY-4.0 (test)")
    assert card.task == "pancreas-segmentation" and card.labels == ["pancreas"]
    assert card.extra["label_map"]["pancreas"] == {"their_name": "pancreas", "value": 1}
    assert card.input_spec["spacing_mm"] == [0.8, 0.8, 2.5]           # (i, j, k) from nnU-Net's (z, y, x)
    assert card.input_spec["patch"] == [40, 192, 160] and card.input_spec["orientation"] == "as-read"
    assert card.licence == "CC-BY-4.0 (test)"
    assert set(card.extra["files"]) == {"dataset.json", "plans.json", "fold_0/checkpoint_final.pth"}
    assert find_model("pancreas-segmentation").name == card.name
    assert [m.name for m in installed_models()] == [card.name]
    folder, again = verified_external(card.name, task="pancreas-segmentation")
    assert (folder / "fold_0" / "checkpoint_final.pth").is_file() and again.sha256 == card.sha256


def test_a_totalsegmentator_task_folder_is_recognised_reoriented_to_ras_and_its_licence_shown(tmp_path, a_model_cache):
    labels = {"background": 0, "spleen": 1, "kidney_right": 2, "pancreas": 7, "liver": 5}
    folder = write_nnunet_folder(tmp_path, labels=labels, dataset_name="Dataset291_TotalSegmentator_part1_organs_1559subj",
                                 trainer="nnUNetTrainerNoMirroring")
    card = import_external(folder.parent)
    assert card.extra["totalsegmentator"] and card.input_spec["orientation"] == "RAS"
    assert card.extra["label_map"]["pancreas"]["value"] == 7 and "Apache-2.0" in card.licence
    assert card.name.startswith("totalseg-")


def test_a_model_for_another_task_is_refused_naming_its_labels(tmp_path, a_model_cache):
    folder = write_nnunet_folder(tmp_path, labels={"background": 0, "liver": 1, "tumour": 2})
    with pytest.raises(ModelError, match="another task.*liver, tumour"):
        import_external(folder)
    assert not a_model_cache.exists()


def test_a_truncated_nnunet_checkpoint_is_refused_and_nothing_installed(an_nnunet_folder, a_model_cache):
    ckpt = an_nnunet_folder / "fold_0" / "checkpoint_final.pth"
    ckpt.write_bytes(ckpt.read_bytes()[: ckpt.stat().st_size // 2])
    with pytest.raises(ModelError, match="corrupt or truncated"):
        import_external(an_nnunet_folder)
    assert not a_model_cache.exists() or not any(a_model_cache.iterdir())


def test_a_file_altered_after_import_is_refused_before_loading(an_nnunet_folder, a_model_cache):
    card = import_external(an_nnunet_folder)
    installed = a_model_cache / f"{card.name}.ext" / "fold_0" / "checkpoint_final.pth"
    data = bytearray(installed.read_bytes())
    data[-100] ^= 0xFF
    installed.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="sha256 does not match"):
        verified_external(card.name, task="pancreas-segmentation")
    installed.write_bytes(bytes(data[:1000]))
    with pytest.raises(ModelError, match="truncated"):
        verified_external(card.name, task="pancreas-segmentation")
    with pytest.raises(ModelError, match="not 'cxr-classification'"):
        verified_external(card.name, task="cxr-classification")


def test_import_refuses_a_wrong_sha256_and_an_existing_name_without_force(an_nnunet_folder, a_model_cache):
    with pytest.raises(ModelError, match="does not match the expected"):
        import_external(an_nnunet_folder, sha256="0" * 64)
    card = import_external(an_nnunet_folder)
    with pytest.raises(OutputExistsError):
        import_external(an_nnunet_folder)
    assert import_external(an_nnunet_folder, force=True, sha256=card.sha256).sha256 == card.sha256


def test_loading_an_nnunet_model_without_nnunetv2_says_what_to_install(an_nnunet_folder, a_model_cache):
    from deepradiology.pancreas.model import load_pancreas_model

    import_external(an_nnunet_folder)
    model = load_pancreas_model(None)
    assert model.pancreas_value == 1
    try:
        import nnunetv2  # noqa: F401
    except ImportError:
        with pytest.raises(ModelError, match="needs the nnunetv2 package"):
            model.predictor()


def test_an_xrv_file_maps_its_outputs_to_our_findings_and_runs(an_xrv_file, a_model_cache):
    from deepradiology.cxr import load_cxr_model
    from deepradiology.reports.vocabulary import FINDINGS

    assert detect_format(an_xrv_file) == "torchxrayvision"
    card = import_external(an_xrv_file)
    assert card.task == "cxr-classification" and card.input_spec["size"] == 224
    assert sorted(card.labels) == sorted(FINDINGS)                   # the 14 NIH findings, the 4 empty slots dropped
    assert card.extra["label_map"]["Pneumothorax"] == 3 and "Apache-2.0" in card.licence
    model = load_cxr_model(None)
    x = model.prepare(np.random.default_rng(0).random((300, 260)).astype(np.float32))
    assert x.shape == (224, 224) and -1024 <= x.min() < x.max() <= 1024
    probs, maps = model.predict(x[None])
    assert probs.shape == (1, 14) and maps.shape == (1, 14, 7, 7) and np.all((probs >= 0) & (probs <= 1))


def test_xrv_files_for_another_task_or_truncated_are_refused(tmp_path, a_model_cache):
    wrong = write_xrv_file(tmp_path / "nih-densenet121-d121-tw-lr001-rot45-tr15-sc15-seed0-best.pt", num_classes=3)
    with pytest.raises(ModelError, match="classifier has 3 outputs"):
        import_external(wrong)
    renamed = write_xrv_file(tmp_path / "mine.pt")
    with pytest.raises(ModelError, match="--weights"):
        import_external(renamed)
    assert import_external(renamed, weights="densenet121-res224-all").labels[0] == "Atelectasis"
    cut = tmp_path / "cut.pt"
    cut.write_bytes(renamed.read_bytes()[:5000])
    with pytest.raises(ModelError, match="not a model format"):
        import_external(cut)
    with pytest.raises(ModelError, match="corrupt or truncated"):
        import_external(cut, fmt="torchxrayvision")


def test_the_cli_imports_each_format_lists_it_and_prints_its_card(an_nnunet_folder, an_xrv_file, a_model_cache,
                                                                   capsys):
    assert main(["models", "import", str(an_nnunet_folder), "--licence", "test licence"]) == 0
    assert main(["models", "import", str(an_xrv_file)]) == 0
    out = capsys.readouterr().out
    assert "nnunetv2" in out and "torchxrayvision" in out and "licence: test licence" in out
    assert main(["models", "list", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)["models"]}
    assert rows["xrv-densenet121-res224-nih"]["status"] == "installed"
    assert main(["models", "info", "xrv-densenet121-res224-nih"]) == 0
    assert json.loads(capsys.readouterr().out)["extra"]["format"] == "torchxrayvision"
    assert main(["models", "info", str(an_nnunet_folder)]) == 0
    assert json.loads(capsys.readouterr().out)["extra"]["files"]["plans.json"]["size_bytes"] > 0
    assert main(["models", "import", str(an_nnunet_folder.parent.parent)]) == 2   # not a model: exit code 2


def test_to_ras_matches_nibabels_closest_canonical(tmp_path):
    nib = pytest.importorskip("nibabel", reason="nibabel is not installed: pip install nibabel")
    import SimpleITK as sitk

    from deepradiology.image import Image
    from deepradiology.models.external.nnunet import from_ras, to_ras

    rng = np.random.default_rng(1)
    # An oblique-free but permuted, flipped grid: i along -z (S->I), j along +x (L), k along -y (anterior).
    direction = np.array([[0, 1, 0], [0, 0, -1], [-1, 0, 0]], float)
    image = Image(rng.random((5, 6, 7)).astype(np.float32), spacing=(0.7, 0.8, 2.0), direction=direction)
    sitk.WriteImage(image.to_sitk(), str(tmp_path / "x.nii.gz"))
    canonical = nib.as_closest_canonical(nib.load(str(tmp_path / "x.nii.gz")))
    expected = np.asarray(canonical.get_fdata(), np.float32).transpose(2, 1, 0)  # nibabel (x, y, z) -> (k, j, i)
    got, spacing = to_ras(image.array, image.spacing, image.direction)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_allclose(spacing, canonical.header.get_zooms(), rtol=1e-6)
    np.testing.assert_array_equal(from_ras(got, image.direction), image.array)
