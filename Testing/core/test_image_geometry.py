"""The Image type's geometry: voxel <-> LPS <-> RAS, validated on construction."""

import numpy as np
import pytest

from deepradiology import Image, InputError
from deepradiology.frames import lps_to_ras, parse_point


def an_oblique_image():
    angle = np.deg2rad(30)
    direction = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    return Image(np.zeros((4, 5, 6), dtype=np.int16), spacing=(0.7, 0.8, 2.5), origin=(10, -20, 30),
                 direction=direction)


def test_voxel_index_maps_to_lps_and_back():
    image = an_oblique_image()
    ijk = np.array([[0, 0, 0], [5, 4, 3], [2.5, 1.25, 0.5]])
    lps = image.index_to_lps(ijk)
    assert np.allclose(lps[0], (10, -20, 30))
    assert np.allclose(image.lps_to_index(lps), ijk)


def test_one_step_along_i_moves_one_column_spacing_along_the_first_direction():
    image = an_oblique_image()
    step = image.index_to_lps([1, 0, 0]) - image.index_to_lps([0, 0, 0])
    assert np.isclose(np.linalg.norm(step), 0.7)
    assert np.allclose(step / 0.7, image.direction[:, 0])


def test_ijk_to_ras_flips_the_first_two_lps_axes():
    image = an_oblique_image()
    ras = (image.ijk_to_ras @ np.array([5, 4, 3, 1.0]))[:3]
    assert np.allclose(ras, lps_to_ras(image.index_to_lps([5, 4, 3])))


def test_voxel_volume_is_in_millilitres():
    assert np.isclose(an_oblique_image().voxel_volume_ml, 0.7 * 0.8 * 2.5 / 1000)


def test_sitk_round_trip_keeps_geometry_and_values():
    image = an_oblique_image().with_array(np.arange(120, dtype=np.int16).reshape(4, 5, 6))
    back = Image.from_sitk(image.to_sitk())
    assert np.array_equal(back.array, image.array)
    assert np.allclose(back.ijk_to_lps, image.ijk_to_lps)


@pytest.mark.parametrize("spacing", [(0, 1, 1), (1, -0.5, 1), (1, 1, float("nan"))])
def test_zero_negative_or_nan_spacing_is_refused(spacing):
    with pytest.raises(InputError, match="spacing"):
        Image(np.zeros((2, 2, 2)), spacing=spacing)


def test_a_non_orthonormal_direction_is_refused():
    with pytest.raises(InputError, match="orthonormal"):
        Image(np.zeros((2, 2, 2)), direction=np.diag([1, 2, 1]))


def test_a_2d_array_becomes_a_single_slice_image():
    image = Image(np.zeros((3, 4)))
    assert image.is_2d and image.size == (4, 3, 1)


def test_points_parse_from_commas_or_spaces_and_bad_points_are_named():
    assert np.allclose(parse_point("1.5, -2 3"), (1.5, -2, 3))
    with pytest.raises(InputError, match="--point"):
        parse_point("1,2")
