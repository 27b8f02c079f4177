"""A click through DeepRadiology gives nnInteractive's own mask: same voxels, on the CT's grid, at the click."""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import reference

PATCH = 64          # the random model's patch (make_nninteractive_model.py); no autozoom: the mask stays in it


def _ct(direction=None):
    from deepradiology.image import Image

    rng = np.random.default_rng(3)
    hu = rng.normal(40, 60, (40, 160, 150)).astype(np.float32)       # [k, j, i]: 150 columns, 160 rows
    hu[14:26, 20:60, 90:130] += 120
    hu[:, 140:, :] = -1000.0                                         # air below the body and left of it
    hu[:, :, :12] = -1000.0
    return Image(hu, spacing=(0.8, 0.7, 2.5), origin=(-60.0, 10.0, -300.0),
                 direction=np.eye(3) if direction is None else direction, modality="CT")


def _reference_mask(folder, ct, click_lps):
    """nnInteractive's session driven as its README does: SimpleITK's array, the click as that array's index."""
    import torch

    session_module = reference("nnInteractive.inference.inference_session").inference.inference_session
    sitk_image = ct.to_sitk()
    import SimpleITK as sitk

    array = sitk.GetArrayFromImage(sitk_image)[None]
    index = sitk_image.TransformPhysicalPointToIndex(tuple(float(v) for v in click_lps))   # (i, j, k)
    session = session_module.nnInteractiveInferenceSession(device=torch.device("cpu"), torch_n_threads=2,
                                                           enable_undo=False)
    session.initialize_from_trained_model_folder(str(folder), use_fold=0)
    state = np.random.get_state()
    np.random.seed(0)            # the refinement may sample at random; DeepRadiology seeds it with 0 too
    session.set_image(array)
    target = np.zeros(array.shape[1:], np.uint8)
    session.set_target_buffer(target)
    session.add_point_interaction(tuple(reversed(index)), include_interaction=True)
    np.random.set_state(state)
    return target.astype(bool), index


@pytest.mark.parametrize("flipped", [False, True])
def test_a_click_gives_nninteractives_own_mask_on_the_cts_grid_around_the_click(an_nninteractive_folder,
                                                                                a_model_cache, flipped):
    from deepradiology.models.external import import_external
    from deepradiology.recist.nninteractive import CPU_WARNING, load_nninteractive, segment_with_nninteractive

    ct = _ct(direction=np.diag([-1.0, 1.0, -1.0]) if flipped else None)
    click_ijk = (110, 40, 20)                                   # column 110, row 40, slice 20
    click_lps = ct.index_to_lps(click_ijk)
    ref, ref_index = _reference_mask(an_nninteractive_folder, ct, click_lps)
    assert tuple(ref_index) == click_ijk
    card = import_external(an_nninteractive_folder, name="nni-test", licence="random test weights")
    model = load_nninteractive(card.name, device="cpu")
    with pytest.warns(RuntimeWarning, match=CPU_WARNING):
        ours = segment_with_nninteractive(ct, click=ct.lps_to_index(click_lps), model=model)
    assert 0 < ref.sum() < ref.size / 10                         # the comparison is not trivial
    np.testing.assert_array_equal(ours.mask, ref)
    # The mask lies in the one patch centred on the click, on [k, j, i]: transposing rows and columns
    # (or slices) would put it around column 40 / row 110 instead.
    kk, jj, ii = np.nonzero(ours.mask)
    half = PATCH // 2
    assert ii.min() >= 110 - half and ii.max() < 110 + half
    assert jj.min() >= max(0, 40 - half) and jj.max() < 40 + half
    assert ours.model == "nni-test" and ours.licence == "random test weights" and CPU_WARNING in ours.warnings


def test_the_same_click_gives_the_same_mask_twice_from_the_model_loaded_once(an_nninteractive_folder,
                                                                             a_model_cache):
    from deepradiology.models.external import import_external
    from deepradiology.recist.nninteractive import loaded_nninteractive, segment_with_nninteractive

    import_external(an_nninteractive_folder, name="nni-twice")
    ct = _ct()
    with pytest.warns(RuntimeWarning):
        first = segment_with_nninteractive(ct, click=(60, 100, 10), model="nni-twice").mask
        second = segment_with_nninteractive(ct, click=(60, 100, 10), model="nni-twice").mask
    np.testing.assert_array_equal(first, second)
    kept = loaded_nninteractive("nni-twice")
    assert loaded_nninteractive("nni-twice") is kept            # the network is not rebuilt for every click
    import_external(an_nninteractive_folder, name="nni-twice", force=True, licence="re-imported")
    again = loaded_nninteractive("nni-twice")
    assert again is not kept and again.card.licence == "re-imported"


def test_a_random_models_noise_mask_is_refused_not_measured(an_nninteractive_folder, a_model_cache):
    """The RECIST method "model" runs the imported folder; a mask that does not stand out from its
    surroundings (random weights: speckle) is refused like any other non-lesion, not measured."""
    from deepradiology.models.external import import_external
    from deepradiology.recist import measure_lesion
    from deepradiology.recist.organs import NotALesionError

    import_external(an_nninteractive_folder, name="nni-measure")
    with pytest.warns(RuntimeWarning), pytest.raises(NotALesionError, match="organ or a leak|stands out"):
        measure_lesion(_ct(), click=(110, 40, 20), method="model", model="nni-measure")


def test_a_truncated_checkpoint_is_refused_at_import_and_an_altered_install_before_loading(
        an_nninteractive_folder, a_model_cache, tmp_path):
    import shutil

    from deepradiology.errors import ModelError
    from deepradiology.models.external import external_path, import_external
    from deepradiology.recist.nninteractive import load_nninteractive

    copy = tmp_path / "copy" / an_nninteractive_folder.name
    shutil.copytree(an_nninteractive_folder, copy)
    ckpt = copy / "fold_0" / "checkpoint_final.pth"
    ckpt.write_bytes(ckpt.read_bytes()[:-4096])
    with pytest.raises(ModelError, match="truncated|corrupt"):
        import_external(copy)
    import_external(an_nninteractive_folder, name="nni-cut")
    installed = external_path("nni-cut") / "fold_0" / "checkpoint_final.pth"
    installed.write_bytes(installed.read_bytes()[:-4096])
    with pytest.raises(ModelError, match="truncated"):
        load_nninteractive("nni-cut", device="cpu")


def test_the_cli_runs_the_imported_folder_and_refuses_its_noise_with_one_line(an_nninteractive_folder,
                                                                              a_model_cache, tmp_path, capsys):
    from deepradiology.cli import main
    from deepradiology.io import write_image

    write_image(_ct(), tmp_path / "ct.nii.gz")
    assert main(["models", "import", str(an_nninteractive_folder), "--name", "nni-cli", "--licence", "test"]) == 0
    capsys.readouterr()
    code = main(["recist", "measure", str(tmp_path / "ct.nii.gz"), "--point", "110,40,20", "--frame", "ijk",
                 "--method", "model", "--model", "nni-cli", "-o", str(tmp_path / "lesion.json")])
    out = capsys.readouterr()
    # the CLI shows warnings as its one-line messages, on stderr
    assert "deepradiology recist: warning: nnInteractive on CPU: slow, a GPU is strongly advised" in out.err
    assert code == 2 and not (tmp_path / "lesion.json").exists()
    assert out.out == ""                     # nnInteractive's progress lines go to stderr, not the JSON stdout
    assert "not a lesion" in out.err


def test_a_box_on_one_slice_is_nninteractives_2d_box_prompt_and_its_mask_surrounds_the_box(an_nninteractive_folder,
                                                                                          a_model_cache):
    import torch

    from deepradiology.models.external import import_external
    from deepradiology.recist.nninteractive import load_nninteractive, segment_with_nninteractive

    session_module = reference("nnInteractive.inference.inference_session").inference.inference_session
    ct = _ct()
    # Columns 95-125 and rows 25-55 (inclusive) of slice 20: in nnInteractive's half-open (k, j, i) terms.
    ref_session = session_module.nnInteractiveInferenceSession(device=torch.device("cpu"), torch_n_threads=2,
                                                               enable_undo=False)
    ref_session.initialize_from_trained_model_folder(str(an_nninteractive_folder), use_fold=0)
    np.random.seed(0)
    ref_session.set_image(ct.array[None])
    ref = np.zeros(ct.array.shape, np.uint8)
    ref_session.set_target_buffer(ref)
    ref_session.add_bbox_interaction([[20, 21], [25, 56], [95, 126]], include_interaction=True)
    card = import_external(an_nninteractive_folder, name="nni-box")
    with pytest.warns(RuntimeWarning):
        ours = segment_with_nninteractive(ct, box=(95, 25, 125, 55), slice_index=20,
                                          model=load_nninteractive(card.name, device="cpu"))
    assert ref.any()
    np.testing.assert_array_equal(ours.mask, ref.astype(bool))
    kk, jj, ii = np.nonzero(ours.mask)
    centre_i, centre_j = 110, 40
    assert ii.min() >= centre_i - PATCH // 2 and ii.max() < centre_i + PATCH // 2
    assert jj.max() < centre_j + PATCH // 2
