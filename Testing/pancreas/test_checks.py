"""Bad input is refused before any work: non-CT, non-abdominal, NaN, too large, wrong model."""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology.errors import InputError, ModelError
from deepradiology.image import Image
from deepradiology.models import ModelCard
from deepradiology.pancreas.checks import estimate_memory_bytes, require_abdominal_ct, require_memory, \
    require_pancreas_model
from ..conftest import shared_file


def _card(**changes):
    spec = {"spacing_mm": [1.5, 1.5, 1.5], "coarse_spacing_mm": [6, 6, 6], "patch": [64, 96, 96],
            "coarse_patch": [48, 48, 48], "network": {"arch": "dynunet", "channels": [16, 32, 64, 128]},
            "coarse_network": {"arch": "dynunet", "channels": [8, 16, 32]}}
    base = dict(name="p", task="pancreas-segmentation", input_spec=spec)
    base.update(changes)
    return ModelCard(**base)


def test_the_real_abdominal_ct_and_the_phantom_pass_the_body_region_check(a_coarse_phantom_patient):
    from deepradiology.io import read_volume

    real = read_volume(shared_file("ct/totalsegmentator/example_ct.nii.gz"))
    assert require_abdominal_ct(real).abdominal_mm >= 200
    assert require_abdominal_ct(a_coarse_phantom_patient.studies[0].ct).abdominal_mm >= 40


def test_an_mr_volume_is_refused_as_not_ct():
    from deepradiology.io import read_volume

    mr = read_volume(shared_file("ct/totalsegmentator/example_mr_sm.nii.gz"))
    with pytest.raises(InputError, match="not CT Hounsfield units"):
        require_abdominal_ct(mr)


def test_a_chest_only_scan_is_refused_as_not_abdominal(a_coarse_phantom_patient):
    ct = a_coarse_phantom_patient.studies[0].ct
    lungs = ct.with_array(ct.array[-6:].copy())   # the phantom's top slices: lung bases
    with pytest.raises(InputError, match="does not show an abdomen"):
        require_abdominal_ct(lungs)


def test_a_head_sized_cross_section_is_refused_as_not_abdominal():
    yy, xx = np.mgrid[:200, :200]
    head = np.full((30, 200, 200), -1000, np.int16)
    inside = ((yy - 100) / 85) ** 2 + ((xx - 100) / 70) ** 2 < 1   # 17 x 14 cm at 1 mm
    head[:, inside] = 35
    with pytest.raises(InputError, match="does not show an abdomen"):
        require_abdominal_ct(Image(head, spacing=(1.0, 1.0, 5.0), modality="CT", source="head.nii.gz"))


def test_nan_voxels_are_refused_with_their_count(a_coarse_phantom_patient):
    ct = a_coarse_phantom_patient.studies[0].ct
    bad = ct.array.astype(np.float32)
    bad[3, 4, 5:8] = np.nan
    with pytest.raises(InputError, match="3 voxels are NaN"):
        require_abdominal_ct(ct.with_array(bad))


def test_a_volume_too_large_for_memory_is_refused_with_the_size_it_needs():
    needed = estimate_memory_bytes(n_voxels=512 * 512 * 2000, n_fine_voxels=267 * 267 * 1700,
                                   n_coarse_voxels=67 * 67 * 420, patch_voxels=64 * 96 * 96,
                                   channels=(16, 32, 64, 128))
    assert needed > 7 * 2 ** 30
    with pytest.raises(InputError, match=r"needs about \d+\.\d GiB .* only 4\.0 GiB is available"):
        require_memory(needed, source="big.nii.gz", limit=4 * 2 ** 30)


def test_a_checkpoint_for_another_task_is_refused():
    with pytest.raises(ModelError, match="not 'pancreas-segmentation'"):
        require_pancreas_model(_card(task="recist-segmentation"))


def test_a_card_without_input_spacing_is_refused():
    with pytest.raises(ModelError, match="no input spacing"):
        require_pancreas_model(_card(input_spec={"patch": [64, 96, 96]}))


def test_a_model_trained_on_much_finer_voxels_is_refused_for_thick_slices():
    fine, coarse = require_pancreas_model(_card(), image_spacing_ijk=(0.8, 0.8, 3.0))
    assert fine == (1.5, 1.5, 1.5) and coarse == (6.0, 6.0, 6.0)
    with pytest.raises(ModelError, match="trained on 1.5 mm voxels along k .* 7.5 mm"):
        require_pancreas_model(_card(), image_spacing_ijk=(0.8, 0.8, 7.5))
