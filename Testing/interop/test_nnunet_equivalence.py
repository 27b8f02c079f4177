"""An nnU-Net v2 model through DeepRadiology gives nnU-Net's own result: the same mask, the same probabilities."""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import reference


def _ct(seed=0, direction=None):
    from deepradiology.image import Image

    rng = np.random.default_rng(seed)
    hu = rng.normal(40, 120, (30, 60, 50)).astype(np.float32)
    hu[10:20, 20:40, 15:35] += 80       # something for the random network to respond to
    return Image(hu, spacing=(0.8, 0.8, 2.5), origin=(-20.0, 15.0, -300.0),
                 direction=np.eye(3) if direction is None else direction, modality="CT")


def _reference_prediction(folder, ct, tmp_path):
    """nnU-Net's own file-to-file prediction (its predictor, its SimpleITK reader and its export)."""
    import SimpleITK as sitk
    import torch

    nnunet_predict = reference("nnunetv2").inference.predict_from_raw_data
    src = tmp_path / "in"
    src.mkdir()
    sitk.WriteImage(ct.to_sitk(), str(src / "case_0000.nii.gz"))
    predictor = nnunet_predict.nnUNetPredictor(tile_step_size=0.5, use_gaussian=True, use_mirroring=True,
                                               perform_everything_on_device=False, device=torch.device("cpu"),
                                               allow_tqdm=False)
    predictor.initialize_from_trained_model_folder(str(folder), use_folds=(0,))
    (tmp_path / "out").mkdir()
    predictor.predict_from_files_sequential([[str(src / "case_0000.nii.gz")]], str(tmp_path / "out"),
                                            save_probabilities=True)
    seg = sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / "out" / "case.nii.gz")))
    prob = np.load(tmp_path / "out" / "case.npz")["probabilities"]
    return seg, prob


@pytest.mark.slow
@pytest.mark.parametrize("flipped", [False, True])
def test_the_pancreas_pipeline_reproduces_nnunets_own_prediction(an_nnunet_result_folder, a_model_cache, tmp_path,
                                                                  flipped):
    import importlib

    importlib.import_module("nnunetv2.inference.predict_from_raw_data")
    from deepradiology.models.external import import_external
    from deepradiology.pancreas.inference import segment_pancreas
    from deepradiology.pancreas.model import load_pancreas_model

    ct = _ct(direction=np.diag([-1.0, 1.0, -1.0]) if flipped else None)
    ref_seg, ref_prob = _reference_prediction(an_nnunet_result_folder, ct, tmp_path)
    card = import_external(an_nnunet_result_folder.parent, licence="random test weights")
    result = segment_pancreas(ct, model=load_pancreas_model(card.name), check_body_region=False)
    assert 0 < ref_seg.sum() < ref_seg.size                       # the comparison is not trivial
    np.testing.assert_array_equal(result.raw_mask, (ref_seg == 1).astype(np.uint8))
    np.testing.assert_allclose(result.probability.array, ref_prob[1], atol=1e-5)
    # DeepRadiology's own layer on top: the probability lies on the CT's grid, the volume is the mask's.
    assert result.probability.spacing == ct.spacing and np.allclose(result.mask.direction, ct.direction)
    assert result.volume_ml == pytest.approx(result.mask.array.sum() * ct.voxel_volume_ml)
    assert result.confidence in ("high", "low") and result.model == card.name


def test_a_truncated_checkpoint_is_refused_where_nnunet_itself_would_fail_later(an_nnunet_result_folder, tmp_path,
                                                                               a_model_cache):
    import shutil

    from deepradiology.errors import ModelError
    from deepradiology.models.external import import_external

    copy = tmp_path / "copy" / an_nnunet_result_folder.name
    shutil.copytree(an_nnunet_result_folder, copy)
    ckpt = copy / "fold_0" / "checkpoint_final.pth"
    ckpt.write_bytes(ckpt.read_bytes()[:-4096])
    with pytest.raises(ModelError, match="corrupt or truncated"):
        import_external(copy)


@pytest.mark.slow
def test_the_cli_imports_the_folder_and_segments_a_ct_file_with_it(an_nnunet_result_folder, a_model_cache, tmp_path,
                                                                    capsys):
    import json

    import SimpleITK as sitk

    from deepradiology.cli import main

    ct = _ct(seed=2)
    sitk.WriteImage(ct.to_sitk(), str(tmp_path / "ct.nii.gz"))
    assert main(["models", "import", str(an_nnunet_result_folder), "--name", "nn-test", "--licence", "test"]) == 0
    capsys.readouterr()
    # A random-noise CT is not abdominal: the body-region check refuses it (exit 2), naming the file.
    assert main(["pancreas", "segment", str(tmp_path / "ct.nii.gz"), "--model", "nn-test",
                 "-o", str(tmp_path / "mask.nii.gz")]) == 2
    assert not (tmp_path / "mask.nii.gz").exists()
    # The accepted path (segment_pancreas, which the CLI calls) is compared with nnU-Net above.
