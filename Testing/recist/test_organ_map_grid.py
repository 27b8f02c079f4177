"""An organ map on its CT's voxel grid is taken as it is; one shifted in space is resampled onto the CT's
grid (physical space, LPS mm, nearest neighbour) and says so; one lying beside the CT is refused in one
sentence (the CLI: one line, exit 2)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from deepradiology.errors import InputError


@pytest.fixture(scope="module")
def a_study():
    from deepradiology.phantom import generate_phantom

    return generate_phantom(1, n_studies=1, spacing=(1.6, 1.6, 4.0)).studies[0]


def test_an_organ_map_shifted_by_5_mm_is_resampled_and_names_the_voxels_3_columns_over(a_study, tmp_path):
    from deepradiology.io import write_image
    from deepradiology.recist import load_organ_map

    organs = a_study.organs
    assert np.allclose(organs.direction, np.eye(3))     # the phantom's i axis is LPS x: +5 mm = 3.125 columns
    shifted = dataclasses.replace(organs, origin=tuple(np.asarray(organs.origin) + (5.0, 0.0, 0.0)))
    labels, _ = load_organ_map(write_image(shifted, tmp_path / "organs.nii.gz", force=True), a_study.ct)
    # CT column i lies 3.125 map columns past the map's column i - 3.125: nearest is column i - 3
    assert np.array_equal(labels.array[:, :, 3:], organs.array[:, :, :-3])
    assert "resampled onto the CT's grid" in labels.meta["resampled_from"]
    assert "1.60 x 1.60 x 4.00 mm" in labels.meta["resampled_from"]


def test_an_organ_map_flipped_about_the_ct_s_origin_covers_no_ct_and_is_refused(a_study, tmp_path):
    from deepradiology.io import write_image
    from deepradiology.recist import load_organ_map

    # Same origin, i axis pointing the other way: the map lies beside the CT, not on it.
    flip = np.diag([-1.0, 1.0, 1.0]) @ np.asarray(a_study.organs.direction)
    flipped = dataclasses.replace(a_study.organs, direction=flip)
    with pytest.raises(InputError, match="does not overlap the CT at all|covers only"):
        load_organ_map(write_image(flipped, tmp_path / "organs.nii.gz", force=True), a_study.ct)
    folder = tmp_path / "masks"
    folder.mkdir()
    write_image(flipped.with_array((flipped.array == 1).astype(np.uint8)), folder / "liver.nii.gz", force=True)
    with pytest.raises(InputError, match="organ mask liver.nii.gz (does not overlap|covers only)"):
        load_organ_map(folder, a_study.ct)


def test_an_organ_map_on_the_ct_grid_is_taken_with_its_labels(a_study, tmp_path):
    from deepradiology.io import write_image
    from deepradiology.recist import load_organ_map

    path = write_image(a_study.organs, tmp_path / "organs.nii.gz", force=True)
    labels, names = load_organ_map(path, a_study.ct)
    assert np.array_equal(labels.array, a_study.organs.array)
    assert set(names) == {int(v) for v in np.unique(a_study.organs.array) if v > 0}


def test_the_cli_refuses_an_organ_map_beside_the_ct_with_one_line_and_exit_2(a_study, tmp_path, capsys):
    from deepradiology.cli import main
    from deepradiology.io import write_image

    ct = write_image(a_study.ct, tmp_path / "ct.nii.gz", force=True)
    beside = dataclasses.replace(a_study.organs, origin=tuple(np.asarray(a_study.organs.origin) + (0.0, 0.0, 500.0)))
    organs = write_image(beside, tmp_path / "organs.nii.gz", force=True)
    truth = a_study.lesions[0]
    x, y, z = truth["centre_lps"]
    rc = main(["recist", "measure", str(ct), "--frame", "lps", f"--point={x},{y},{z}", "--organs", str(organs),
               "-o", str(tmp_path / "l.json")])
    assert rc == 2 and not (tmp_path / "l.json").exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not overlap the CT" in err[0]


def _crop(organs, k0: int, k1: int):
    """Slices k0..k1-1 of the organ map, its origin moved with them (a correctly stored crop)."""
    return dataclasses.replace(organs, array=organs.array[k0:k1], origin=tuple(organs.index_to_lps([0, 0, k0])))


def _liver_lesion(a_study) -> dict:
    return max((t for t in a_study.lesions if t["organ"] == "liver"), key=lambda t: t["long_axis_mm"])


def test_a_lesion_a_cropped_map_does_not_reach_reads_unknown_and_one_it_reaches_reads_its_organ(a_study, tmp_path):
    from deepradiology.io import write_image
    from deepradiology.phantom import ORGAN_LABELS
    from deepradiology.recist import load_organ_map, measure_lesion

    lesion = _liver_lesion(a_study)
    i, j, k = np.rint(a_study.ct.lps_to_index(lesion["centre_lps"])).astype(int)
    half = int(np.ceil(lesion["long_axis_mm"] / a_study.ct.spacing[2])) + 2     # slices beyond the lesion's end
    nk = a_study.ct.array.shape[0]
    far = (k + half, nk) if nk - (k + half) > (k - half) else (0, k - half)
    assert far[1] - far[0] >= 0.1 * nk, "the premise: the crop away from the lesion covers >= 10 % of the CT"
    names = {v: n for n, v in ORGAN_LABELS.items()}
    for k0, k1, expected in ((*far, "unknown"), (max(0, k - half), min(nk, k + half), "liver")):
        path = write_image(_crop(a_study.organs, k0, k1), tmp_path / f"organs_{k0}_{k1}.nii.gz", force=True)
        labels, _ = load_organ_map(path, a_study.ct)
        result = measure_lesion(a_study.ct, click=(int(i), int(j), int(k)), organs=(labels, names))
        assert result.lesion.location == expected
        assert "resampled onto the CT's grid" in result.lesion.extra["organ_map_resampled"]
        if expected == "unknown":
            assert any("outside the organ map's extent" in w for w in result.lesion.extra["warnings"])
            assert result.lesion.extra["location_source"] == "none"

