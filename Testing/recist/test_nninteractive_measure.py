"""RECIST from an nnInteractive 3D mask: the same axes, key slice and volume rules; the model named with its licence.

The session here is a stand-in with nnInteractive's calls (set_image, set_target_buffer, add_point_interaction,
add_bbox_interaction) that fills the target buffer with the bright component at the prompt, read in the array's
own axis order as nnInteractive does; the real session is compared voxel for voxel in Testing/interop.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

A_MM, B_MM, C_MM = 15.0, 9.0, 10.0        # the lesion's semi-axes along i (columns), j (rows) and k (slices)
CENTRE_IJK = (70, 50, 16)


def _ct():
    from deepradiology.image import Image

    nk, nj, ni = 32, 110, 120
    sx, sy, sz = 0.8, 0.8, 2.5
    k, j, i = np.meshgrid(np.arange(nk), np.arange(nj), np.arange(ni), indexing="ij")
    ci, cj, ck = CENTRE_IJK
    inside = ((i - ci) * sx / A_MM) ** 2 + ((j - cj) * sy / B_MM) ** 2 + ((k - ck) * sz / C_MM) ** 2 <= 1.0
    hu = np.full((nk, nj, ni), 40.0, np.float32)
    hu[inside] = 130.0
    hu[:, 95:, :] = -1000.0                                  # air, so the volume reads as CT
    return Image(hu, spacing=(sx, sy, sz), origin=(0.0, 0.0, 0.0), direction=np.eye(3), modality="CT")


class _BrightComponentSession:
    """nnInteractive's session API; 'segments' the component above 80 HU holding the prompt."""

    def set_image(self, image):
        assert image.ndim == 4 and image.shape[0] == 1
        self.image = image[0]

    def set_target_buffer(self, target):
        self.target = target

    def _paint(self, seed):
        from scipy import ndimage

        labels, _ = ndimage.label(self.image > 80)
        if labels[seed]:
            self.target[labels == labels[seed]] = 1

    def add_point_interaction(self, coordinates, include_interaction=True):
        self._paint(tuple(int(c) for c in coordinates))

    def add_bbox_interaction(self, bbox, include_interaction=True):
        centre = tuple((lo + hi - 1) // 2 for lo, hi in bbox)
        self._paint(centre)


def _model(device="cuda"):
    from deepradiology.models.card import ModelCard
    from deepradiology.recist.nninteractive import NnInteractiveModel

    card = ModelCard(name="nni-standin", task="interactive-segmentation", version="t", architecture="nninteractive",
                     input_spec={}, labels=["object"], training_data="", licence="CC BY-NC-SA 4.0 (test)",
                     extra={"format": "nninteractive"})
    return NnInteractiveModel(card=card, folder=None, session=_BrightComponentSession(), device=device)


def test_a_click_measures_the_lesion_from_the_3d_mask_with_the_model_and_licence_named():
    from deepradiology.recist import measure_lesion

    m = measure_lesion(_ct(), click=(66, 52, 14), method="model", model=_model())
    lesion = m.lesion
    # RECIST long/short axes on the key slice: the ellipse through the centre, 2a x 2b (mm), within a pixel.
    assert lesion.long_axis_mm == pytest.approx(2 * A_MM, abs=1.6)
    assert lesion.short_axis_mm == pytest.approx(2 * B_MM, abs=1.6)
    assert lesion.slice_index == CENTRE_IJK[2]
    assert lesion.extra["clicked_slice"] == 14 and "not on the clicked slice 14" in " ".join(lesion.extra["notes"])
    # Volume: the ellipsoid's 4/3 pi a b c, within the voxelisation of 2.5 mm slices.
    assert lesion.volume_ml == pytest.approx(4 / 3 * np.pi * A_MM * B_MM * C_MM / 1000, rel=0.12)
    assert lesion.extra["method"] == "model:nninteractive:nni-standin"
    assert lesion.extra["model"] == {"name": "nni-standin", "format": "nninteractive",
                                     "licence": "CC BY-NC-SA 4.0 (test)", "device": "cuda"}


def test_a_box_gives_the_same_lesion_and_a_cpu_run_says_it_is_slow():
    from deepradiology.recist import measure_lesion
    from deepradiology.recist.nninteractive import CPU_WARNING

    with pytest.warns(RuntimeWarning, match=CPU_WARNING):
        m = measure_lesion(_ct(), box=(50, 35, 90, 65), slice_index=16, method="model", model=_model("cpu"))
    assert m.lesion.long_axis_mm == pytest.approx(2 * A_MM, abs=1.6)
    assert CPU_WARNING in m.lesion.extra["warnings"]


def test_a_click_on_the_lesion_transposed_would_miss_it():
    """The prompt goes in as (k, j, i): a click at column 70 / row 50 finds the lesion, and the mask is where
    the lesion is in the CT, not mirrored across the diagonal."""
    from deepradiology.recist.nninteractive import segment_with_nninteractive

    ct = _ct()
    result = segment_with_nninteractive(ct, click=(70, 50, 16), model=_model())
    np.testing.assert_array_equal(result.mask, ct.array > 80)


def test_without_the_nninteractive_package_an_installed_folder_is_refused_naming_the_install(tmp_path, monkeypatch):
    import importlib.util

    import torch

    from deepradiology.errors import ModelError
    from deepradiology.models.external import import_external
    from deepradiology.recist.nninteractive import load_nninteractive

    if importlib.util.find_spec("nnInteractive") is not None:
        pytest.skip("nninteractive is installed here; its real session is tested in Testing/interop")
    monkeypatch.setenv("DEEPRADIOLOGY_MODELS", str(tmp_path / "cache"))
    folder = tmp_path / "nnInteractive_v1.0"
    (folder / "fold_0").mkdir(parents=True)
    for name in ("inference_session_class.json", "dataset.json"):
        (folder / name).write_text(json.dumps({}))
    (folder / "plans.json").write_text(json.dumps({"configurations": {"3d_fullres": {}}}))  # what import checks
    torch.save({"network_weights": {"w": torch.zeros(2)}}, folder / "fold_0" / "checkpoint_final.pth")
    import_external(folder, name="nni-absent")
    with pytest.raises(ModelError, match="pip install nninteractive"):
        load_nninteractive("nni-absent", device="cpu")


def test_the_cli_refuses_model_without_method_model(tmp_path):
    from deepradiology.cli import main
    from deepradiology.io import write_image

    write_image(_ct(), tmp_path / "ct.nii.gz")
    assert main(["recist", "measure", str(tmp_path / "ct.nii.gz"), "--point", "56,40,40", "--frame", "ijk",
                 "--model", "nni", "-o", str(tmp_path / "l.json")]) == 2
    assert not (tmp_path / "l.json").exists()
