"""An organ map on another grid than the CT (coarser, shifted, flipped, cropped) is resampled onto it by
nearest neighbour in physical space (LPS mm) and names the same organs at the same places as
TotalSegmentator's own masks on the CT's grid; a map that does not overlap the CT, covers too little of it
or lies off the patient is refused in one sentence.

The off-grid maps are made here with the test's own index arithmetic (numpy, not the code under test),
and the expected organ at each voxel is read from the original masks."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from deepradiology.errors import InputError

from ..conftest import shared_file

ORGANS = "ct/totalsegmentator/example_ct_organs"
NAMES = ("kidney_left", "kidney_right", "liver", "pancreas", "spleen")


@pytest.fixture(scope="module")
def real_ct():
    from deepradiology.io import read_volume

    return read_volume(shared_file("ct/totalsegmentator/example_ct.nii.gz"))


@pytest.fixture(scope="module")
def masks():
    """{organ: boolean mask [k, j, i] on the CT's grid}, straight from TotalSegmentator's files."""
    from deepradiology.io import read_volume

    return {n: read_volume(shared_file(f"{ORGANS}/{n}.nii.gz")).array > 0 for n in NAMES}


def _onto_grid(mask: np.ndarray, ct, spacing, origin, direction, size):
    """The mask sampled at the centres of another grid (nearest CT voxel), by the test's own arithmetic:
    grid voxel (i, j, k) -> LPS = origin + direction @ (spacing * ijk) -> CT index, rounded."""
    i, j, k = np.meshgrid(*(np.arange(n) for n in size), indexing="ij")
    ijk = np.stack([i, j, k], axis=-1).reshape(-1, 3).astype(float)
    lps = ijk @ (np.asarray(direction) @ np.diag(spacing)).T + np.asarray(origin)
    ct_m = np.asarray(ct.direction) @ np.diag(ct.spacing)
    idx = np.rint((lps - np.asarray(ct.origin)) @ np.linalg.inv(ct_m).T).astype(int)
    inside = np.all((idx >= 0) & (idx < np.asarray(ct.size)), axis=1)
    out = np.zeros(len(ijk), dtype=np.uint8)
    out[inside] = mask[idx[inside, 2], idx[inside, 1], idx[inside, 0]]
    return out.reshape(size).transpose(2, 1, 0)            # (i, j, k) -> [k, j, i]


def _write_masks(folder, masks, ct, *, spacing, origin, direction, size):
    from deepradiology.image import Image
    from deepradiology.io import write_image

    folder.mkdir()
    for name, mask in masks.items():
        arr = _onto_grid(mask, ct, spacing, origin, direction, size)
        write_image(Image(arr, spacing=spacing, origin=origin, direction=direction), folder / f"{name}.nii.gz")
    return folder


def _deep_voxels(mask: np.ndarray, depth: int, n: int = 25, seed: int = 0):
    """n voxels [k, j, i] at least ``depth`` voxels inside ``mask``."""
    from scipy import ndimage

    pts = np.argwhere(ndimage.binary_erosion(mask, iterations=depth))
    return pts[np.random.default_rng(seed).choice(len(pts), min(n, len(pts)), replace=False)]


def test_masks_on_a_coarser_shifted_flipped_grid_name_the_same_organ_deep_inside_each_organ(real_ct, masks, tmp_path):
    from deepradiology.recist import load_organ_map

    spacing = (4.5, 4.5, 4.5)                      # TotalSegmentator's "fast" grid is coarser than the CT's
    direction = np.asarray(real_ct.direction) @ np.diag([1.0, -1.0, 1.0])     # rows stored the other way round
    extent = np.asarray(real_ct.size) * np.asarray(real_ct.spacing)
    size = tuple(int(n) for n in np.ceil(extent / 4.5) + 2)
    # start 2 mm beyond the CT's first corner along each axis, from the flipped side for j
    corner = real_ct.index_to_lps([-0.5, real_ct.size[1] - 0.5, -0.5])
    origin = tuple(corner - np.asarray(direction) @ np.full(3, 2.0))
    folder = _write_masks(tmp_path / "coarse", masks, real_ct, spacing=spacing, origin=origin, direction=direction,
                          size=size)
    labels, names = load_organ_map(folder, real_ct)
    assert labels.array.shape == real_ct.array.shape
    assert "4.50 x 4.50 x 4.50 mm" in labels.meta["resampled_from"]
    by_name = {n: v for v, n in names.items()}
    for organ, mask in masks.items():
        # 2 CT voxels (6 mm) deep: further than a 4.5 mm voxel's half-diagonal from the organ's surface
        for k, j, i in _deep_voxels(mask, depth=2):
            assert labels.array[k, j, i] == by_name[organ], f"{organ} at voxel {(i, j, k)}"
    anywhere = np.any(np.stack(list(masks.values())), axis=0)
    for k, j, i in _deep_voxels(~anywhere, depth=3):           # 9 mm away from every organ: no organ
        assert labels.array[k, j, i] <= 0
    # Back on the CT's grid, most of each organ is where it was (only boundary voxels may move).
    for organ, mask in masks.items():
        back = labels.array == by_name[organ]
        dice = 2 * np.count_nonzero(back & mask) / (np.count_nonzero(back) + np.count_nonzero(mask))
        assert dice > 0.75, f"{organ}: Dice {dice:.2f}"


def test_a_map_with_a_flipped_axis_on_the_same_voxels_is_the_original_map_exactly(real_ct, masks, tmp_path):
    from deepradiology.image import Image
    from deepradiology.io import write_image
    from deepradiology.recist import load_organ_map

    folder = tmp_path / "flipped"
    folder.mkdir()
    # column i stored right-to-left: same voxels in space, other array order, origin at the other end
    direction = np.asarray(real_ct.direction) @ np.diag([-1.0, 1.0, 1.0])
    origin = real_ct.index_to_lps([real_ct.size[0] - 1, 0, 0])
    for name, mask in masks.items():
        write_image(Image(mask[:, :, ::-1].astype(np.uint8), spacing=real_ct.spacing, origin=origin,
                          direction=direction), folder / f"{name}.nii.gz")
    labels, names = load_organ_map(folder, real_ct)
    for value, organ in names.items():
        assert np.array_equal(labels.array == value, masks[organ]), organ
    assert labels.meta["coverage"] == 1.0


def test_a_crop_with_its_origin_moved_is_used_where_it_reaches_and_outside_is_marked(real_ct, masks, tmp_path):
    from deepradiology.image import Image
    from deepradiology.io import write_image
    from deepradiology.io.label_grid import OUTSIDE_MAP
    from deepradiology.recist import load_organ_map

    k0, k1 = 30, 80
    liver = masks["liver"][k0:k1].astype(np.uint8)
    path = write_image(Image(liver, spacing=real_ct.spacing, origin=real_ct.index_to_lps([0, 0, k0]),
                             direction=real_ct.direction), tmp_path / "liver_crop.nii.gz")
    labels, _ = load_organ_map(path, real_ct)
    assert np.array_equal(labels.array[k0:k1] == 1, masks["liver"][k0:k1])
    assert np.all(labels.array[:k0] == OUTSIDE_MAP) and np.all(labels.array[k1:] == OUTSIDE_MAP)
    assert "covers 45 % of the CT" in labels.meta["resampled_from"]


def test_a_map_that_does_not_overlap_the_ct_is_refused(real_ct, masks, tmp_path):
    from deepradiology.image import Image
    from deepradiology.io import write_image
    from deepradiology.recist import load_organ_map

    far = tuple(np.asarray(real_ct.origin) + (0.0, 0.0, 1000.0))      # a metre up: another body part
    path = write_image(Image(masks["liver"].astype(np.uint8), spacing=real_ct.spacing, origin=far,
                             direction=real_ct.direction), tmp_path / "far.nii.gz")
    with pytest.raises(InputError, match="does not overlap the CT at all"):
        load_organ_map(path, real_ct)


def test_a_map_covering_a_sliver_of_the_ct_is_refused(real_ct, masks, tmp_path):
    from deepradiology.image import Image
    from deepradiology.io import write_image
    from deepradiology.recist import load_organ_map

    k0 = int(np.argmax(masks["liver"].sum(axis=(1, 2))))            # the liver's widest slice: the sliver holds liver
    sliver = masks["liver"][k0:k0 + 5].astype(np.uint8)              # 5 of 112 slices: 4.5 %
    path = write_image(Image(sliver, spacing=real_ct.spacing, origin=real_ct.index_to_lps([0, 0, k0]),
                             direction=real_ct.direction), tmp_path / "sliver.nii.gz")
    with pytest.raises(InputError, match=r"covers only 4\.\d % of the CT"):
        load_organ_map(path, real_ct)


def test_a_crop_whose_origin_was_not_moved_is_refused_as_not_aligned_and_accepted_once_moved(real_ct, tmp_path):
    """The shared data's 30-slice crop and its 42-label map keep the full CT's origin (README): in world
    space its organs fall 82 slices too low, partly on the air around the patient."""
    from deepradiology.io import read_volume, write_image
    from deepradiology.recist import load_organ_map

    seg = read_volume(shared_file("ct/totalsegmentator/example_seg.nii.gz"))
    with pytest.raises(InputError, match="not aligned with this CT"):
        load_organ_map(shared_file("ct/totalsegmentator/example_seg.nii.gz"), real_ct)
    # Where the crop came from, found by comparing voxels of the crop's CT with the full CT (not the map).
    small = read_volume(shared_file("ct/totalsegmentator/example_ct_sm.nii.gz")).array.astype(float)
    full = real_ct.array.astype(float)
    k0 = int(np.argmin([np.abs(full[k:k + 30] - small).mean() for k in range(full.shape[0] - 29)]))
    moved = dataclasses.replace(seg, origin=tuple(real_ct.index_to_lps([0, 0, k0])))
    labels, names = load_organ_map(write_image(moved, tmp_path / "seg_moved.nii.gz"), real_ct)
    assert np.array_equal(labels.array[k0:k0 + 30], seg.array.astype(np.int32))
    assert names[7] == "label 7"


@pytest.mark.slow
def test_a_click_on_the_left_kidney_is_refused_with_a_coarse_map_and_the_cli_says_nothing_else(real_ct, masks,
                                                                                           tmp_path, capsys):
    from deepradiology.cli import main
    from deepradiology.recist import NotALesionError, load_organ_map, measure_lesion

    spacing = (6.0, 6.0, 6.0)
    size = tuple(int(n) for n in np.ceil(np.asarray(real_ct.size) * 3.0 / 6.0) + 1)
    folder = _write_masks(tmp_path / "coarse", masks, real_ct, spacing=spacing,
                          origin=tuple(real_ct.index_to_lps([-0.4, -0.4, -0.4])), direction=real_ct.direction,
                          size=size)
    k, j, i = _deep_voxels(masks["kidney_left"], depth=3, n=1)[0]
    with pytest.raises(NotALesionError, match="kidney_left"):
        measure_lesion(real_ct, click=(int(i), int(j), int(k)), organs=load_organ_map(folder, real_ct))
    rc = main(["recist", "measure", str(shared_file("ct/totalsegmentator/example_ct.nii.gz")), "--frame", "ijk",
               "--point", f"{i},{j},{k}", "--organs", str(folder), "-o", str(tmp_path / "l.json")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and not (tmp_path / "l.json").exists()
    assert len(err) == 1 and "kidney_left" in err[0]
