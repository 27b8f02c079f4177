"""`deepradiology pancreas segment` with an imported nnU-Net v2 model, in the main venv (pinned torch): the
command writes nnU-Net's own probabilities and a mask made from nnU-Net's own decision, and names the model
and its licence. The model folder is made by nnunetv2's own code with random weights; the reference is
nnunetv2's file-to-file prediction of the same CT file (issue 14)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from deepradiology.cli import main

from ..conftest import nnunet_reference_prediction, shared_file

pytestmark = pytest.mark.slow


def test_the_cli_segments_a_real_ct_with_an_imported_nnunet_model_as_nnunet_itself_does(
        a_quick_nnunet_folder, tmp_path, monkeypatch, capsys):
    from scipy import ndimage

    from deepradiology.io import read_image

    monkeypatch.setenv("DEEPRADIOLOGY_MODELS", str(tmp_path / "cache"))
    ct = shared_file("ct/totalsegmentator/example_ct.nii.gz")   # abdominal CT, 3 mm voxels
    assert main(["models", "import", str(a_quick_nnunet_folder), "--name", "nn-quick",
                 "--licence", "random test weights (CC0)"]) == 0
    capsys.readouterr()
    mask_file, prob_file = tmp_path / "mask.nii.gz", tmp_path / "prob.nii.gz"
    assert main(["pancreas", "segment", str(ct), "--model", "nn-quick", "-o", str(mask_file),
                 "--prob", str(prob_file), "--progress-json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["model"] == "nn-quick" and summary["licence"] == "random test weights (CC0)"

    ref_seg, ref_prob = nnunet_reference_prediction(a_quick_nnunet_folder, ct, tmp_path / "reference")
    ref_pancreas = ref_seg == 1
    assert 0 < ref_pancreas.sum() < ref_pancreas.size            # the comparison is not trivial
    image, mask, prob = read_image(ct), read_image(mask_file), read_image(prob_file)
    # Both lie on the CT's own grid; the probability is nnU-Net's softmax for its "pancreas" label.
    assert mask.array.shape == image.array.shape and np.allclose(mask.direction, image.direction)
    assert np.allclose(prob.spacing, image.spacing) and np.allclose(prob.origin, image.origin)
    np.testing.assert_allclose(prob.array, ref_prob[1], atol=1e-5)
    # The mask is nnU-Net's pancreas, reduced to the gland's main piece with its holes filled (in 3D, then in
    # each axial slice): never a voxel outside nnU-Net's pancreas and such holes.
    allowed = ndimage.binary_fill_holes(ref_pancreas)
    for k in range(allowed.shape[0]):
        allowed[k] = ndimage.binary_fill_holes(allowed[k])
    chosen = mask.array > 0
    assert chosen.any() and not (chosen & ~allowed).any()
    assert (chosen & ref_pancreas).sum() > 0.5 * chosen.sum()
    assert summary["volume_ml"] == pytest.approx(chosen.sum() * 27e-3, abs=0.01)   # 3 x 3 x 3 mm = 0.027 mL
