"""Issue 11: a lesion's location is the organ's name from the organ map, not "label 1".

A single label-map file holds numbers; its names come from a colour table (Slicer's ``value name r g b a``
text format) or JSON beside it, from ``--organ-names FILE`` or a known atlas (TotalSegmentator v2
'total'), else "label N" with a warning. Names and expected values are written by hand here (the
TotalSegmentator ids from its published class map), and the phantom's own ground truth says which organ
holds each lesion.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from deepradiology.errors import InputError
from deepradiology.image import Image
from deepradiology.io import read_volume, write_image
from deepradiology.recist import load_organ_map

sys.path.insert(0, str(Path(__file__).parents[1] / "badinput"))
from _cli import assert_refused, open_folder, run_cli  # noqa: E402


def _grid() -> Image:
    """A 10 x 20 x 20 voxel 'CT' at 2 mm, and below a map with labels 1, 3 and 5 on its grid."""
    return Image(np.zeros((10, 20, 20), dtype=np.int16), spacing=(2.0, 2.0, 2.0), modality="CT")


def _write_map(folder: Path, name: str = "organs.nii.gz") -> Path:
    labels = np.zeros((10, 20, 20), dtype=np.uint8)
    labels[2:8, 2:10, 2:10] = 1
    labels[2:8, 12:18, 2:10] = 3
    labels[2:8, 2:10, 12:18] = 5
    return write_image(_grid().with_array(labels, modality=""), folder / name)


TABLE = """# Color table file organs.txt
0 Background 0 0 0 0
1 liver 221 130 101 255
3 kidney_left 185 102 83 255
5 'spleen' 157 108 162 255
"""


def test_a_colour_table_beside_the_map_names_its_organs(tmp_path):
    path = _write_map(tmp_path)
    (tmp_path / "organs.txt").write_text(TABLE)
    labels, names = load_organ_map(path, _grid())
    assert names == {1: "liver", 3: "kidney_left", 5: "spleen"}     # ticks trimmed, as Slicer does
    assert "organs.txt" in labels.meta["organ_names_source"] and "organ_names_warning" not in labels.meta


def test_a_ctbl_table_and_a_json_sidecar_are_read_too(tmp_path):
    path = _write_map(tmp_path)
    (tmp_path / "organs.ctbl").write_text("1 liver 1 2 3 255\n3 kidney_left 1 2 3 255\n5 spleen 1 2 3 255\n")
    assert load_organ_map(path, _grid())[1][3] == "kidney_left"
    (tmp_path / "organs.ctbl").unlink()
    (tmp_path / "organs.json").write_text(json.dumps({"1": "liver", "3": "kidney_left", "5": "pancreas"}))
    assert load_organ_map(path, _grid())[1] == {1: "liver", 3: "kidney_left", 5: "pancreas"}


def test_names_given_explicitly_win_over_the_table_beside_the_map(tmp_path):
    path = _write_map(tmp_path)
    (tmp_path / "organs.txt").write_text(TABLE)
    given = tmp_path / "mine.json"
    given.write_text('{"1": "liver", "3": "kidney_right", "5": "stomach"}')
    assert load_organ_map(path, _grid(), str(given))[1] == {1: "liver", 3: "kidney_right", 5: "stomach"}


def test_the_totalsegmentator_atlas_names_its_multilabel_numbers(tmp_path):
    # TotalSegmentator v2 'total': 1 spleen, 3 kidney_left, 5 liver, 7 pancreas, 52 aorta, 117 costal cartilages
    from deepradiology.io.atlases import atlas_names

    table = atlas_names("TotalSegmentator")
    assert (table[1], table[3], table[5], table[7], table[52], table[117]) == (
        "spleen", "kidney_left", "liver", "pancreas", "aorta", "costal_cartilages")
    assert len(table) == 117
    labels, names = load_organ_map(_write_map(tmp_path), _grid(), "totalsegmentator")
    assert names == {1: "spleen", 3: "kidney_left", 5: "liver"}


def test_without_names_the_organs_read_label_n_and_a_warning_says_the_names_are_unknown(tmp_path):
    labels, names = load_organ_map(_write_map(tmp_path), _grid())
    assert names == {1: "label 1", 3: "label 3", 5: "label 5"}
    assert "organ names unknown" in labels.meta["organ_names_warning"]


def test_a_table_that_leaves_a_value_unnamed_warns_about_that_value(tmp_path):
    path = _write_map(tmp_path)
    (tmp_path / "organs.txt").write_text("1 liver 1 2 3 255\n3 kidney_left 1 2 3 255\n")
    labels, names = load_organ_map(path, _grid())
    assert names[5] == "label 5" and "5" in labels.meta["organ_names_warning"]


@pytest.mark.parametrize("table,line,phrase", [
    ("1 liver 1 2 3 255\n3 kidney_left 1 2 3 255\n1 spleen 1 2 3 255\n", 3, "named twice"),
    ("1 liver 1 2 3 255\nthree kidney_left 1 2 3 255\n", 2, "not a whole number"),
    ("# header\n1 liver 1 2 3 255\n9 stomach 1 2 3 255\n", 3, "not in the organ map"),
    ("1 left kidney 1 2 3 255\n", 1, "not a number"),
], ids=["a value twice", "a value that is no number", "a value the map does not hold", "a name with a space"])
def test_a_bad_colour_table_is_refused_in_one_line_naming_the_file_and_line(tmp_path, table, line, phrase):
    path = _write_map(tmp_path)
    (tmp_path / "organs.txt").write_text(table)
    with pytest.raises(InputError) as info:
        load_organ_map(path, _grid())
    message = str(info.value)
    assert f"organs.txt line {line}" in message and phrase in message and "\n" not in message, message


def test_a_bad_json_sidecar_names_its_file(tmp_path):
    path = _write_map(tmp_path)
    (tmp_path / "organs.json").write_text('{"1": "liver",\n "x": "kidney_left"}')
    with pytest.raises(InputError, match=r"organs.json line 2: value 'x' is not a whole number"):
        load_organ_map(path, _grid())


@pytest.fixture(scope="module")
def phantom():
    folder = open_folder()
    result = run_cli(["phantom", "-o", folder, "--studies", "1", "--spacing", "1.6,1.6,4"])
    assert result.returncode == 0, result.stderr
    yield folder, json.loads((folder / "ground_truth.json").read_text())
    shutil.rmtree(folder, ignore_errors=True)


def _lesion_in(truth: dict, organ: str) -> dict:
    return next(l for l in truth["studies"][0]["lesions"] if l["organ"] == organ)


def test_the_phantom_writes_a_colour_table_that_names_its_own_organ_map(phantom):
    folder, truth = phantom
    ct = read_volume(folder / "S0_ct.nii.gz")
    labels, names = load_organ_map(folder / "S0_organs.nii.gz", ct)
    assert names[1] == "liver" and names[3] == "kidney_left"     # the phantom's own organ label names
    assert "organ_names_warning" not in labels.meta


@pytest.mark.parametrize("organ", ["liver", "kidney_left"])
def test_recist_measure_on_the_phantom_reports_the_organ_that_holds_the_lesion(phantom, organ, tmp_path):
    folder, truth = phantom
    lesion = _lesion_in(truth, organ)
    point = ",".join(f"{v:.2f}" for v in lesion["centre_ijk"])
    out = tmp_path / "lesion.json"
    result = run_cli(["recist", "measure", folder / "S0_ct.nii.gz", "--frame", "ijk", "--point", point,
                      "--organs", folder / "S0_organs.nii.gz", "-o", out])
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads(out.read_text())
    assert record["location"] == organ, record["location"]
    assert "S0_organs.txt" in record["extra"]["organ_names_source"]
    assert not any("organ names unknown" in w for w in record["extra"]["warnings"])


def test_recist_measure_without_a_table_says_label_1_and_warns_then_organ_names_fixes_it(phantom, tmp_path):
    folder, truth = phantom
    bare = tmp_path / "map.nii.gz"
    shutil.copy(folder / "S0_organs.nii.gz", bare)          # the map alone, no colour table beside it
    point = ",".join(f"{v:.2f}" for v in _lesion_in(truth, "liver")["centre_ijk"])
    args = ["recist", "measure", folder / "S0_ct.nii.gz", "--frame", "ijk", "--point", point, "--organs", bare]
    result = run_cli([*args, "-o", tmp_path / "a.json"])
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads((tmp_path / "a.json").read_text())
    assert record["location"] == "label 1"
    assert any("organ names unknown" in w for w in record["extra"]["warnings"])
    assert "organ names unknown" in result.stderr
    names = tmp_path / "names.txt"
    names.write_text("1 liver 200 100 100 255\n2 spleen 1 2 3 255\n3 kidney_left 1 2 3 255\n")
    result = run_cli([*args, "--organ-names", names, "-o", tmp_path / "b.json"])
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads((tmp_path / "b.json").read_text())["location"] == "liver"


def test_recist_measure_with_a_bad_table_exits_2_naming_file_and_line(phantom, tmp_path):
    folder, truth = phantom
    names = tmp_path / "names.txt"
    names.write_text("1 liver 200 100 100 255\n1 spleen 1 2 3 255\n")
    out = tmp_path / "lesion.json"
    point = ",".join(f"{v:.2f}" for v in _lesion_in(truth, "liver")["centre_ijk"])
    result = run_cli(["recist", "measure", folder / "S0_ct.nii.gz", "--frame", "ijk", "--point", point,
                      "--organs", folder / "S0_organs.nii.gz", "--organ-names", names, "-o", out])
    assert_refused(result, "names.txt line 2", "named twice")
    assert not out.exists()


def _upload(folder: Path, files):
    from deepradiology_web.organ_maps import organ_map_from_files

    return organ_map_from_files(files, read_volume(folder / "S0_ct.nii.gz"), max_mb=50)


def test_a_colour_table_uploaded_with_the_map_names_it_in_the_browser(phantom, tmp_path):
    folder, _ = phantom
    content = (folder / "S0_organs.nii.gz").read_bytes()
    table = b"0 Background 0 0 0 0\n1 liver 200 100 100 255\n3 kidney_left 1 2 3 255\n"
    organ_map = _upload(folder, [("my map.nii.gz", content), ("my names.txt", table)])
    assert organ_map.names[1] == "liver" and organ_map.names[3] == "kidney_left" and organ_map.names[2] == "label 2"
    alone = _upload(folder, [("my map.nii.gz", content)])
    assert alone.names[1] == "label 1" and "organ names unknown" in alone.describe()
    as_json = _upload(folder, [("names.json", b'{"1": "liver"}'), ("my map.nii.gz", content)])
    assert as_json.names[1] == "liver"


def test_a_bad_uploaded_table_names_the_user_s_file_and_line(phantom):
    folder, _ = phantom
    content = (folder / "S0_organs.nii.gz").read_bytes()
    with pytest.raises(InputError) as info:
        _upload(folder, [("my map.nii.gz", content), ("names.txt", b"1 liver 1 2 3 255\n42 heart 1 2 3 255\n")])
    message = str(info.value)
    assert message.startswith("names.txt line 2: value 42 is not in the organ map"), message
    assert "deepradiology-organs-" not in message


def test_serve_organ_names_names_the_map_of_the_ct_given_on_the_command_line(phantom, tmp_path):
    from deepradiology_web.default_data import case_from_inputs

    folder, _ = phantom
    bare = tmp_path / "map.nii.gz"
    shutil.copy(folder / "S0_organs.nii.gz", bare)
    (tmp_path / "names.json").write_text('{"1": "liver", "4": "kidney_right"}')
    case = case_from_inputs([folder / "S0_ct.nii.gz"], organs=bare, organ_names=str(tmp_path / "names.json"))
    names = case.images[0].organ_label_names()
    assert names[1] == "liver" and names[4] == "kidney_right" and names[2] == "label 2"
    case = case_from_inputs([folder / "S0_ct.nii.gz"], organs=bare)
    assert "organ names unknown" in case.description


def test_recist_measure_names_a_totalsegmentator_multilabel_map_with_the_atlas(phantom, tmp_path):
    """The phantom's organs relabelled as TotalSegmentator v2 'total' numbers them (liver 5, spleen 1)."""
    import SimpleITK as sitk

    folder, truth = phantom
    organs = sitk.ReadImage(str(folder / "S0_organs.nii.gz"))
    values = sitk.GetArrayFromImage(organs)
    relabelled = np.zeros_like(values)
    relabelled[values == 1], relabelled[values == 2], relabelled[values == 3] = 5, 1, 3
    ml = sitk.GetImageFromArray(relabelled)
    ml.CopyInformation(organs)
    sitk.WriteImage(ml, str(tmp_path / "total_ml.nii.gz"))
    point = ",".join(f"{v:.2f}" for v in _lesion_in(truth, "liver")["centre_ijk"])
    out = tmp_path / "lesion.json"
    result = run_cli(["recist", "measure", folder / "S0_ct.nii.gz", "--frame", "ijk", "--point", point,
                      "--organs", tmp_path / "total_ml.nii.gz", "--organ-names", "totalsegmentator", "-o", out])
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads(out.read_text())
    assert record["location"] == "liver" and "totalsegmentator" in record["extra"]["organ_names_source"]


@pytest.mark.parametrize("extra,phrase", [
    (["--organ-names", "totalsegmentator"], "give the map with --organs too"),
    (["--organs", "MASKS", "--organ-names", "totalsegmentator"], "folder of organ masks"),
    (["--organs", "MAP", "--organ-names", "no-such-atlas"], "does not exist"),
], ids=["names without a map", "names for a folder of masks", "neither a file nor an atlas"])
def test_recist_measure_refuses_organ_names_it_cannot_use(phantom, tmp_path, extra, phrase):
    folder, truth = phantom
    masks = tmp_path / "masks"
    masks.mkdir()
    shutil.copy(folder / "S0_organs.nii.gz", masks / "liver.nii.gz")
    extra = [str(masks) if a == "MASKS" else str(folder / "S0_organs.nii.gz") if a == "MAP" else a for a in extra]
    point = ",".join(f"{v:.2f}" for v in _lesion_in(truth, "liver")["centre_ijk"])
    out = tmp_path / "lesion.json"
    result = run_cli(["recist", "measure", folder / "S0_ct.nii.gz", "--frame", "ijk", "--point", point, *extra,
                      "-o", out])
    assert_refused(result, "--organ-names" if "no-such" not in extra[-1] else "no-such-atlas", phrase)
    assert not out.exists()


def test_measuring_from_python_with_an_unnamed_map_warns_on_the_lesion_once(phantom, tmp_path):
    """The warning comes from the measurement itself, so the web app and Slicer show it too, and the CLI
    does not add it a second time."""
    from deepradiology.io import read_volume
    from deepradiology.recist import measure_lesion

    folder, truth = phantom
    bare = tmp_path / "map.nii.gz"
    shutil.copy(folder / "S0_organs.nii.gz", bare)
    ct = read_volume(folder / "S0_ct.nii.gz")
    click = tuple(int(round(v)) for v in _lesion_in(truth, "liver")["centre_ijk"])
    lesion = measure_lesion(ct, click=click, organs=load_organ_map(bare, ct)).lesion
    assert lesion.location == "label 1"
    assert sum("organ names unknown" in w for w in lesion.extra["warnings"]) == 1
    result = run_cli(["recist", "measure", folder / "S0_ct.nii.gz", "--frame", "ijk", "--point",
                      ",".join(map(str, click)), "--organs", bare, "-o", tmp_path / "a.json"])
    record = json.loads((tmp_path / "a.json").read_text())
    assert sum("organ names unknown" in w for w in record["extra"]["warnings"]) == 1
