"""An organ map must lie on its CT's voxel grid: one of the right size but shifted or rescaled would
name the wrong organ at every voxel, so it is refused in one sentence saying what differs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from deepradiology.errors import InputError


@pytest.fixture(scope="module")
def a_study():
    from deepradiology.phantom import generate_phantom

    return generate_phantom(1, n_studies=1, spacing=(1.6, 1.6, 4.0)).studies[0]


@pytest.mark.parametrize("change, says", [
    ({"origin_shift": (5.0, 0.0, 0.0)}, "origin"),
    ({"spacing_factor": 1.1}, "spacing"),
    ({"flip": True}, "directions"),
])
def test_an_organ_map_off_the_ct_grid_is_refused_saying_what_differs(a_study, tmp_path, change, says):
    from deepradiology.io import write_image
    from deepradiology.recist import load_organ_map

    organs = a_study.organs
    if "origin_shift" in change:
        organs = dataclasses.replace(organs, origin=tuple(np.asarray(organs.origin) + change["origin_shift"]))
    if "spacing_factor" in change:
        organs = dataclasses.replace(organs, spacing=tuple(np.asarray(organs.spacing) * change["spacing_factor"]))
    if "flip" in change:
        organs = dataclasses.replace(organs, direction=np.diag([-1.0, 1.0, 1.0]) @ np.asarray(organs.direction))
    path = write_image(organs, tmp_path / "organs.nii.gz", force=True)
    with pytest.raises(InputError, match=f"not on the CT's voxel grid.*{says}"):
        load_organ_map(path, a_study.ct)
    # The same map as a folder of one organ mask is refused the same way.
    folder = tmp_path / "masks"
    folder.mkdir()
    write_image(organs.with_array((organs.array == 1).astype(np.uint8)), folder / "liver.nii.gz", force=True)
    with pytest.raises(InputError, match=f"organ mask liver.nii.gz is not on the CT's voxel grid.*{says}"):
        load_organ_map(folder, a_study.ct)


def test_an_organ_map_on_the_ct_grid_is_taken_with_its_labels(a_study, tmp_path):
    from deepradiology.io import write_image
    from deepradiology.recist import load_organ_map

    path = write_image(a_study.organs, tmp_path / "organs.nii.gz", force=True)
    labels, names = load_organ_map(path, a_study.ct)
    assert np.array_equal(labels.array, a_study.organs.array)
    assert set(names) == {int(v) for v in np.unique(a_study.organs.array) if v > 0}


def test_the_cli_refuses_a_shifted_organ_map_with_one_line_and_exit_2(a_study, tmp_path, capsys):
    from deepradiology.cli import main
    from deepradiology.io import write_image

    ct = write_image(a_study.ct, tmp_path / "ct.nii.gz", force=True)
    shifted = dataclasses.replace(a_study.organs, origin=tuple(np.asarray(a_study.organs.origin) + 8.0))
    organs = write_image(shifted, tmp_path / "organs.nii.gz", force=True)
    truth = a_study.lesions[0]
    x, y, z = truth["centre_lps"]
    rc = main(["recist", "measure", str(ct), "--frame", "lps", f"--point={x},{y},{z}", "--organs", str(organs),
               "-o", str(tmp_path / "l.json")])
    assert rc == 2 and not (tmp_path / "l.json").exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "origin" in err[0]
