"""Lesion or not: clicks on normal organs of the real CT (voxels picked from TotalSegmentator's masks,
an independent source) are refused, with the organ map (API and CLI, exit 2) and without it. Without a
map the location is "unknown" and flagged; a phantom lesion with the phantom's organ map is named."""

from __future__ import annotations

import json

import numpy as np
import pytest

from deepradiology.errors import DeepRadiologyError

from ..conftest import shared_file

ORGANS = "ct/totalsegmentator/example_ct_organs"


@pytest.fixture(scope="module")
def real_ct():
    from deepradiology.io import read_volume

    return read_volume(shared_file("ct/totalsegmentator/example_ct.nii.gz"))


def _inner_voxels(name: str, n: int = 3):
    """n voxels (i, j, k) deep inside organ ``name`` (3 voxels from its surface), picked at random."""
    from scipy import ndimage

    from deepradiology.io import read_volume

    mask = read_volume(shared_file(f"{ORGANS}/{name}.nii.gz")).array > 0
    pts = np.argwhere(ndimage.binary_erosion(mask, iterations=3))
    pick = pts[np.random.default_rng(0).choice(len(pts), n, replace=False)]
    return [(int(i), int(j), int(k)) for k, j, i in pick]


@pytest.mark.slow
@pytest.mark.parametrize("organ", ["kidney_left", "liver", "spleen"])
@pytest.mark.parametrize("with_map", [True, False])
def test_clicks_on_normal_organs_are_refused(real_ct, organ, with_map):
    from deepradiology.recist import load_organ_map, measure_lesion

    organs = load_organ_map(shared_file(ORGANS), real_ct) if with_map else None
    for click in _inner_voxels(organ):
        with pytest.raises(DeepRadiologyError):
            measure_lesion(real_ct, click=click, organs=organs)


@pytest.mark.slow
def test_cli_refuses_the_left_kidney_with_exit_2(tmp_path, capsys):
    from deepradiology.cli import main

    i, j, k = _inner_voxels("kidney_left", 1)[0]
    rc = main(["recist", "measure", str(shared_file("ct/totalsegmentator/example_ct.nii.gz")), "--frame", "ijk",
               "--point", f"{i},{j},{k}", "--organs", str(shared_file(ORGANS)), "-o", str(tmp_path / "l.json")])
    assert rc == 2
    assert not (tmp_path / "l.json").exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1


def test_refusal_rule_on_hand_made_masks():
    from deepradiology.recist.organs import organ_context

    labels = np.zeros((10, 20, 20), dtype=int)
    labels[2:8, 5:15, 5:15] = 1                      # a 600-voxel organ
    region = np.zeros_like(labels, dtype=bool)
    region[2:7, 5:15, 5:15] = True                    # 500 voxels: 83 % of the organ
    assert organ_context(region, labels, {1: "kidney"})["refusal"]["organ"] == "kidney"
    small = np.zeros_like(region)
    small[4:6, 9:11, 9:11] = True                     # 8 voxels inside: a lesion in the organ
    context = organ_context(small, labels, {1: "kidney"})
    assert context["refusal"] is None and context["location"] == "kidney"


@pytest.mark.slow
def test_phantom_lesion_location_from_its_organ_map_or_unknown_without():
    from deepradiology.phantom import ORGAN_LABELS, generate_phantom
    from deepradiology.recist import measure_lesion

    study = generate_phantom(0, n_studies=1).studies[0]
    names = {v: k for k, v in ORGAN_LABELS.items()}
    for truth in study.lesions[:4]:
        inside = study.lesions_map.array == truth["label"]
        k = truth["key_slice"]
        jj, ii = np.nonzero(inside[k])
        click = (int(np.median(ii)), int(np.median(jj)), int(k))
        named = measure_lesion(study.ct, click=click, organs=(study.organs, names)).lesion
        # Lymph nodes are in no organ of the phantom's map: "outside the organ map", not a guessed organ.
        expected = truth["organ"] if truth["organ"] in ORGAN_LABELS else "outside the organ map"
        assert named.location == expected and named.extra["location_source"] == "organ_map"
        bare = measure_lesion(study.ct, click=click).lesion
        assert bare.location == "unknown" and bare.extra["location_source"] == "none"
        assert any("location unknown" in w for w in bare.extra["warnings"])
        assert json.dumps(bare.to_dict())             # the record stays JSON


@pytest.mark.parametrize("organ", ["kidney_left"])   # the liver's and spleen's centres stop earlier: no edge
def test_a_click_deep_in_an_organ_is_refused_as_that_organ_not_cut_from_it(real_ct, organ):
    """With the map, a click inside a normal organ is refused naming the organ. The separation of touching
    structures must not first cut the organ off at its own label and measure what is left around the click."""
    from scipy import ndimage

    from deepradiology.io import read_volume
    from deepradiology.recist import NotALesionError, load_organ_map, measure_lesion

    mask = read_volume(shared_file(f"{ORGANS}/{organ}.nii.gz")).array > 0
    deep = np.argwhere(ndimage.binary_erosion(mask, iterations=3))
    k, j, i = deep[len(deep) // 2]
    with pytest.raises(NotALesionError, match=organ):
        measure_lesion(real_ct, click=(int(i), int(j), int(k)), organs=load_organ_map(shared_file(ORGANS), real_ct))
