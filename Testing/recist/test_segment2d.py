"""Click-to-lines on one slice: phantom lesions of every kind, and every kind of bad click."""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology import Image, InputError
from deepradiology.recist import NoLesionError, segment_lesion_2d


def within(measured, true):
    return abs(measured - true) <= max(0.5, 0.03 * true)


@pytest.fixture(scope="module")
def study(a_phantom_patient):
    return a_phantom_patient.studies[0]


def test_every_baseline_phantom_lesion_is_measured_within_half_a_millimetre_or_3_percent(study):
    organs = set()
    for truth in study.lesions:
        i, j, _ = truth["centre_ijk"]
        got = segment_lesion_2d(study.ct, click=(i, j, truth["key_slice"]))
        assert within(got.axes.long_mm, truth["long_axis_mm"]), (truth["lesion_id"], got.axes.long_mm)
        assert within(got.axes.short_mm, truth["short_axis_mm"]), (truth["lesion_id"], got.axes.short_mm)
        organs.add(truth["organ"])
    # hypodense and hyperdense liver lesions, kidney, spleen, lung and bone were all exercised
    assert {"liver", "lung", "vertebra", "kidney_left", "spleen"} <= organs


def test_a_hyperdense_lesion_is_brighter_than_its_surroundings_and_a_hypodense_one_darker(study):
    by_hu = {t["hu"]: t for t in study.lesions if t["organ"] == "liver"}
    for hu, truth in by_hu.items():
        i, j, _ = truth["centre_ijk"]
        got = segment_lesion_2d(study.ct, click=(i, j, truth["key_slice"]))
        assert (got.lesion_hu > got.surround_hu) == (hu > 60)


def test_long_axis_endpoints_land_near_the_true_endpoints(study):
    truth = next(t for t in study.lesions if t["organ"] == "lung")
    i, j, _ = truth["centre_ijk"]
    got = segment_lesion_2d(study.ct, click=(i, j, truth["key_slice"]))
    lps = np.asarray(got.axes.endpoints_lps(study.ct, truth["key_slice"])["long"])
    true = np.asarray(truth["long_axis_lps"])
    err = min(np.linalg.norm(lps - true, axis=1).max(), np.linalg.norm(lps[::-1] - true, axis=1).max())
    assert err < 1.0


def test_a_box_around_the_lesion_measures_like_a_click(study):
    truth = study.lesions[0]
    i, j, _ = truth["centre_ijk"]
    k = truth["key_slice"]
    click = segment_lesion_2d(study.ct, click=(i, j, k))
    i0, j0, i1, j1 = click.box_ij
    boxed = segment_lesion_2d(study.ct, box=(i0 - 4, j0 - 4, i1 + 4, j1 + 4), slice_index=k)
    assert boxed.axes.long_mm == pytest.approx(click.axes.long_mm, abs=0.3)


def test_a_click_outside_the_body_is_refused(study):
    with pytest.raises(NoLesionError, match="outside the body"):
        segment_lesion_2d(study.ct, click=(2, 2, 40))


def test_a_click_in_aerated_lung_is_refused(study):
    truth = next(t for t in study.lesions if t["organ"] == "lung")
    i, j, _ = truth["centre_ijk"]
    with pytest.raises(NoLesionError, match="air or aerated lung"):
        segment_lesion_2d(study.ct, click=(i + 30 / 0.8, j, truth["key_slice"]))


def test_a_click_on_the_liver_away_from_any_lesion_refuses_rather_than_masking_the_organ(study):
    # Liver centre in patient mm (-62, 0, 28): far enough from both liver lesions on a slice below them.
    k = int(round((0.0 - study.ct.origin[2]) / study.ct.spacing[2]))
    i = int(round((-62 - study.ct.origin[0]) / 0.8))
    j = int(round((-20 - study.ct.origin[1]) / 0.8))
    assert 30 < study.ct.array[k, j, i] < 90
    with pytest.raises(NoLesionError, match="100 mm"):
        segment_lesion_2d(study.ct, click=(i, j, k))


def test_a_zero_area_box_is_refused(study):
    with pytest.raises(InputError, match="zero area"):
        segment_lesion_2d(study.ct, box=(100, 100, 100, 140), slice_index=40)


def test_a_click_outside_the_image_is_refused(study):
    with pytest.raises(InputError, match="outside the image"):
        segment_lesion_2d(study.ct, click=(5000, 10, 3))


def test_a_slice_without_any_lesion_contrast_is_refused():
    rng = np.random.default_rng(0)
    slice_hu = np.full((256, 256), -1000.0)
    yy, xx = np.mgrid[0:256, 0:256]
    slice_hu[(yy - 128) ** 2 / 110 ** 2 + (xx - 128) ** 2 / 120 ** 2 <= 1] = 50.0
    image = Image((slice_hu + rng.normal(0, 10, slice_hu.shape)).astype(np.int16), spacing=(0.8, 0.8, 1.0),
                  modality="CT")
    with pytest.raises(NoLesionError):
        segment_lesion_2d(image, click=(128, 128))


def test_a_non_ct_image_is_refused():
    image = Image(np.random.default_rng(0).uniform(0, 600, (1, 64, 64)), modality="")
    with pytest.raises(InputError, match="Hounsfield"):
        segment_lesion_2d(image, click=(32, 32))


def test_neither_click_nor_box_is_refused(study):
    with pytest.raises(InputError, match="click"):
        segment_lesion_2d(study.ct)


def organ_edge_slice(lesion_x_mm: float, lesion_hu: float):
    """A 300 x 300 slice at 0.8 mm: fat (-100 HU) body, a 60 HU organ whose edge is at x = 50 mm, and a
    20 x 16 mm elliptic lesion centred at (lesion_x_mm, 0), all with partial volume and 10 HU noise."""
    from deepradiology.phantom.shapes import Ellipsoid, EllipticCylinder, Grid

    grid = Grid((1, 300, 300), (0.8, 0.8, 2.5), (-119.6, -119.6, 0.0))
    ct = np.full(grid.shape, -1000.0, np.float32)
    for shape, hu in ((EllipticCylinder((0, 0), (110, 100)), -100.0), (Ellipsoid((-20, 0, 0), (70, 60, 80)), 60.0),
                      (Ellipsoid((lesion_x_mm, 0, 0), (10, 8, 10), angle_deg=30), lesion_hu)):
        region, frac = shape.render(grid, np.eye(3), np.zeros(3))
        view = ct[region]
        view += frac * (hu - view)
    ct += np.random.default_rng(0).normal(0, 10, ct.shape).astype(np.float32)
    image = Image(np.rint(ct).astype(np.int16), spacing=grid.spacing, origin=grid.origin, modality="CT")
    return image, grid.world_to_index([lesion_x_mm, 0.0, 0.0])


@pytest.mark.parametrize("x_mm", [45.0, 48.0])
def test_a_hypodense_lesion_bulging_out_of_the_organ_edge_into_fat_is_measured(x_mm):
    image, (i, j, _) = organ_edge_slice(x_mm, 15.0)
    got = segment_lesion_2d(image, click=(i, j, 0))
    assert got.axes.long_mm == pytest.approx(20.0, abs=0.6)
    assert got.axes.short_mm == pytest.approx(16.0, abs=0.6)
    assert got.levels_hu[0] < -20 < 37 < got.levels_hu[1] + 1     # half-way to fat below, to the organ above


def test_a_hyperdense_lesion_against_fat_and_organ_comes_within_5_percent():
    # Known weakness: one level for all tissue darker than the lesion puts the fat-side edge a little in.
    image, (i, j, _) = organ_edge_slice(45.0, 120.0)
    got = segment_lesion_2d(image, click=(i, j, 0))
    assert got.axes.long_mm == pytest.approx(20.0, rel=0.06)
    assert got.axes.short_mm == pytest.approx(16.0, rel=0.06)
