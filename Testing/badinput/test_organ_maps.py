"""Issue 17, round 4: organ maps a careless user gives `recist measure --organs` or uploads in the browser.

An organ map names the lesion's organ and refuses a click on a normal organ, so a map that is not one
would give a wrong location with the confidence of a map. Each bad map here must be refused in one
line naming the file: fractions (a probability map), negative
values (the CT itself), an empty map, a probability mask in a folder of masks (``> 0`` made the whole
volume "liver"), and, in the browser, a non-mask file among the masks or two masks of one organ.
Maps off the CT's grid (size, origin, spacing) are resampled onto it instead, and say so.
The maps are made here with SimpleITK from the phantom's own organ labels.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from deepradiology.errors import InputError
from deepradiology.io import read_volume
from deepradiology.recist import load_organ_map

sys.path.insert(0, str(Path(__file__).parent))
from _cli import assert_refused, open_folder, run_cli  # noqa: E402

LESION_IJK = "63.5,74.2,31"  # a phantom lesion's centre (voxel i, j, k)


@pytest.fixture(scope="module")
def a_study():
    folder = open_folder()
    result = run_cli(["phantom", "-o", folder, "--studies", "1", "--spacing", "1.6,1.6,4"])
    assert result.returncode == 0, result.stderr
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _like(reference: sitk.Image, array: np.ndarray) -> sitk.Image:
    image = sitk.GetImageFromArray(array)
    image.CopyInformation(reference)
    return image


def _maps(study: Path, out: Path) -> dict[str, tuple[Path, str]]:
    """{case: (map file or folder, a phrase the refusal must hold)}."""
    organs = sitk.ReadImage(str(study / "S0_organs.nii.gz"))
    labels = sitk.GetArrayFromImage(organs)
    cases = {}

    def put(name, image, phrase):
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        sitk.WriteImage(image, str(path))
        cases[name.split("/")[0]] = (out / name.split("/")[0], phrase)

    put("probabilities.nii.gz", _like(organs, labels.astype(np.float32) * 0.1), "whole numbers")
    put("fractional-labels.nii.gz", _like(organs, labels.astype(np.float32) + 0.3), "whole numbers")
    put("empty.nii.gz", _like(organs, np.zeros_like(labels)), "no organ label")
    put("negative.nii.gz", _like(organs, labels.astype(np.int16) - 3), "negative")
    put("the-ct.nii.gz", sitk.ReadImage(str(study / "S0_ct.nii.gz")), "negative")
    shifted = _like(organs, labels)
    shifted.SetOrigin([o + 5.0 for o in organs.GetOrigin()])
    put("shifted.nii.gz", shifted, "origin")
    rescaled = _like(organs, labels)
    rescaled.SetSpacing([1.0, 1.0, 4.0])
    put("rescaled.nii.gz", rescaled, "spacing")
    cut = sitk.GetImageFromArray(labels[:, :, :-1].copy())
    cut.SetSpacing(organs.GetSpacing())
    cut.SetOrigin(organs.GetOrigin())
    put("one-column-short.nii.gz", cut, "size")
    put("vector.nii.gz", sitk.Compose([organs, organs]), "component")
    put("probability-masks/liver.nii.gz", _like(organs, (labels == 1).astype(np.float32) * 0.9 + 0.05), "binary")
    put("empty-masks/liver.nii.gz", _like(organs, np.zeros_like(labels)), "empty")
    return cases


@pytest.fixture(scope="module")
def bad_maps(a_study, tmp_path_factory):
    return _maps(a_study, tmp_path_factory.mktemp("maps"))


CASES = ["probabilities", "fractional-labels.nii.gz", "empty.nii.gz", "negative.nii.gz", "the-ct.nii.gz",
         "vector.nii.gz", "probability-masks", "empty-masks"]
#: Maps on another grid than the CT's are not bad input: they are resampled in physical space (ADR 0018).
OFF_GRID = ["shifted.nii.gz", "rescaled.nii.gz", "one-column-short.nii.gz"]


@pytest.mark.parametrize("case", CASES)
def test_a_bad_organ_map_is_refused_naming_the_file(a_study, bad_maps, case):
    key = "probabilities.nii.gz" if case == "probabilities" else case
    path, phrase = bad_maps[key]
    ct = read_volume(a_study / "S0_ct.nii.gz")
    with pytest.raises(InputError) as info:
        load_organ_map(path, ct)
    message = str(info.value)
    assert path.name in message and phrase in message and "\n" not in message, message


@pytest.mark.parametrize("case", OFF_GRID)
def test_an_organ_map_off_the_ct_grid_is_resampled_onto_it_and_says_so(a_study, bad_maps, case):
    path, _ = bad_maps[case]
    ct = read_volume(a_study / "S0_ct.nii.gz")
    labels, names = load_organ_map(path, ct)
    assert labels.array.shape == ct.array.shape and names
    assert "resampled onto the CT's grid" in labels.meta["resampled_from"], labels.meta


def test_the_phantom_s_own_organ_map_is_still_accepted(a_study):
    ct = read_volume(a_study / "S0_ct.nii.gz")
    labels, names = load_organ_map(a_study / "S0_organs.nii.gz", ct)
    assert len(names) == 8 and labels.array.shape == ct.array.shape  # the phantom's eight organs


@pytest.mark.parametrize("case", ["the-ct.nii.gz", "probability-masks", "empty.nii.gz"])
def test_recist_measure_with_a_bad_organ_map_exits_2_and_writes_no_lesion(a_study, bad_maps, case, tmp_path):
    path, phrase = bad_maps[case]
    out = tmp_path / "lesion.json"
    result = run_cli(["recist", "measure", a_study / "S0_ct.nii.gz", "--frame", "ijk", "--point", LESION_IJK,
                      "--organs", path, "-o", out])
    assert_refused(result, path.name, phrase)
    assert not out.exists()


def _upload(study: Path, files):
    from deepradiology_web.organ_maps import organ_map_from_files

    return organ_map_from_files(files, read_volume(study / "S0_ct.nii.gz"), max_mb=50)


def test_an_upload_names_the_user_s_mask_at_fault_not_the_temporary_copy(a_study, bad_maps):
    bad = (bad_maps["probability-masks"][0] / "liver.nii.gz").read_bytes()
    organs = sitk.ReadImage(str(a_study / "S0_organs.nii.gz"))
    kidney = a_study / "kidney.nii.gz"
    sitk.WriteImage(organs == 2, str(kidney))
    good = kidney.read_bytes()
    with pytest.raises(InputError) as info:
        _upload(a_study, [("My Kidney.nii.gz", good), ("my liver (TotalSeg).nii.gz", bad)])
    message = str(info.value)
    assert message.startswith("my liver (TotalSeg).nii.gz: ") and "binary" in message, message
    assert "deepradiology-organs-" not in message


@pytest.mark.parametrize("files,phrase", [
    ([("liver.nii.gz", b"x"), ("spleen.nii.gz", b"x"), ("notes.txt", b"the liver is label 1")],
     "go with one label-map file"),
    ([("liver.nii.gz", b"x"), ("spleen.nii.gz", b"x"), ("notes.pdf", b"%PDF")], "not an organ mask file"),
    ([("liver.nii.gz", b"x"), ("liver.nii", b"x")], "same organ"),
], ids=["a text file among the masks", "another file among the masks", "two masks of one organ"])
def test_an_upload_of_masks_refuses_what_it_would_silently_pass_over(a_study, files, phrase):
    with pytest.raises(InputError, match=phrase):
        _upload(a_study, files)


def test_a_text_file_beside_one_label_map_is_read_as_its_organ_names_and_refused_when_it_is_none(a_study):
    # issue 11: a .txt with one label map is its colour table; prose is refused, not passed over
    content = (a_study / "S0_organs.nii.gz").read_bytes()
    with pytest.raises(InputError, match=r"^notes.txt line 1: value 'the' is not a whole number"):
        _upload(a_study, [("organs.nii.gz", content), ("notes.txt", b"the liver is label 1")])
