"""RECIST on real public data: DeepLesion key slices against radiologists, and a real abdominal CT."""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology import InputError
from deepradiology.recist import NoLesionError, measure_lesion, segment_lesion_2d
from deepradiology.recist.eval import eval_deeplesion

from ..conftest import shared_file


@pytest.fixture(scope="module")
def real_ct():
    from deepradiology.io import read_volume

    return read_volume(shared_file("ct/totalsegmentator/example_ct.nii.gz"))


@pytest.fixture(scope="module")
def real_liver():
    from deepradiology.io import read_volume

    return read_volume(shared_file("ct/totalsegmentator/example_ct_organs/liver.nii.gz")).array > 0


def test_deeplesion_key_slices_are_measured_close_to_the_radiologists():
    result = eval_deeplesion(shared_file("deeplesion/DL_info_test.csv"), shared_file("deeplesion/images_png"))
    assert result["lesions"] == 3 and result["failed"] == 0
    for key in ("mean_abs_error_long_mm", "mean_abs_error_short_mm", "mean_dice_vs_recist_ellipse"):
        assert result[key] is not None
    # the target; radiologists disagree with each other by about this much
    assert result["mean_abs_error_long_mm"] <= 2.0


def test_an_mr_volume_is_refused_as_not_ct():
    from deepradiology.io import read_volume

    mr = read_volume(shared_file("ct/totalsegmentator/example_mr_sm.nii.gz"))
    with pytest.raises(InputError, match="Hounsfield"):
        segment_lesion_2d(mr, click=(50, 40, 10))


def test_a_click_on_the_real_liver_without_a_lesion_is_refused(real_ct, real_liver):
    k = 90
    jj, ii = np.nonzero(real_liver[k])
    with pytest.raises(NoLesionError, match="100 mm"):
        segment_lesion_2d(real_ct, click=(int(np.median(ii)), int(np.median(jj)), k))


def test_a_click_outside_the_real_body_is_refused(real_ct):
    with pytest.raises(NoLesionError, match="outside the body"):
        segment_lesion_2d(real_ct, click=(2, 2, 90))


@pytest.mark.slow
def test_a_lesion_placed_in_the_real_liver_is_measured_and_propagated_at_3_mm(real_ct, real_liver):
    """A hypodense ellipsoid rendered with partial volume into the real liver's own texture and noise."""
    from scipy import ndimage

    from deepradiology.phantom.shapes import Ellipsoid, Grid

    k = 90
    depth = ndimage.distance_transform_edt(real_liver[k])
    j, i = np.unravel_index(int(np.argmax(depth)), depth.shape)
    array = real_ct.array.astype(np.float32)
    grid = Grid(shape=array.shape, spacing=real_ct.spacing, origin=(0.0, 0.0, 0.0))
    lesion = Ellipsoid((i * 3.0, j * 3.0, k * 3.0 + 0.7), (16.0, 12.0, 13.0), angle_deg=25.0)
    region, frac = lesion.render(grid, np.eye(3), np.zeros(3))
    view = array[region]
    view += frac * (5.0 - view)
    ct = real_ct.with_array(np.rint(array).astype(np.int16))
    m = measure_lesion(ct, click=(i, j, k))
    cut = np.sqrt(1 - (0.7 / 13.0) ** 2)
    # 3 mm pixels: within one pixel on the axes, and 10 % on the volume
    assert m.lesion.long_axis_mm == pytest.approx(32.0 * cut, abs=3.0)
    assert m.lesion.short_axis_mm == pytest.approx(24.0 * cut, abs=3.0)
    assert m.lesion.volume_ml == pytest.approx(lesion.volume_ml, rel=0.10)
    assert m.volume.slice_range[0] >= k - 5 and m.volume.slice_range[1] <= k + 5
