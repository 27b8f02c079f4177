"""Propagation follows the tissue behind a lesion: where the surroundings brighten from one slice to the
next (kidney cortex behind a hypodense lesion), the lesion brightens with them and a fixed key-slice level
would cut its blurred rim. Truth: a cylinder of radius 8 mm on 14 slices of 2 mm, written by hand."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from deepradiology import Image
from deepradiology.recist import propagate_3d
from deepradiology.recist.slice_level import MAX_SHIFT, slice_levels

RADIUS_MM, FIRST, LAST, SZ = 8.0, 3, 16, 2.0
TRUE_ML = np.pi * RADIUS_MM ** 2 * (LAST - FIRST + 1) * SZ / 1000.0     # 5.63 mL


def _cylinder_in_changing_tissue(step_hu: float) -> tuple[Image, np.ndarray]:
    """Tissue 40 HU on slices 0-9 and 40 + step_hu above; the lesion 30 HU darker than the tissue behind it,
    its edge blurred in-plane (sigma 1.5 mm, the scanner's point spread); 1 x 1 x 2 mm voxels."""
    n = 64
    j, i = np.mgrid[:n, :n]
    disk = ((i - 31.5) ** 2 + (j - 31.5) ** 2 <= RADIUS_MM ** 2).astype(np.float32)
    frac = ndimage.gaussian_filter(disk, 1.5)
    volume = np.full((20, n, n), 40.0, np.float32)
    volume[10:] += step_hu
    volume[FIRST:LAST + 1] -= 30.0 * frac
    return Image(volume, spacing=(1.0, 1.0, SZ), modality="CT"), disk > 0.5


def test_a_lesion_whose_surroundings_brighten_keeps_its_volume():
    image, key_mask = _cylinder_in_changing_tissue(step_hu=7.0)
    # the key slice's values as segment2d reads them: lesion 10 HU, tissue 40 HU, half-way 25 HU
    result = propagate_3d(image, key_mask, slice_index=6, lesion_hu=10.0, surround_hu=40.0, levels_hu=(-5.0, 25.0))
    fixed = propagate_3d(image, key_mask, slice_index=6, lesion_hu=10.0, surround_hu=40.0, levels_hu=(-5.0, 25.0),
                         adapt_levels=False)
    # with the key's level the brighter slices lose their rim (the test would catch a level that stays put)
    assert fixed.areas_mm2[14] < 0.9 * np.pi * RADIUS_MM ** 2
    assert abs(result.areas_mm2[14] - np.pi * RADIUS_MM ** 2) <= 0.06 * np.pi * RADIUS_MM ** 2
    assert abs(result.volume_ml - TRUE_ML) <= 0.05 * TRUE_ML
    assert result.slice_range == (FIRST, LAST)


def test_the_level_moves_at_most_a_quarter_of_the_contrast_toward_the_surroundings():
    """However bright the tissue behind gets, the level stops a quarter of the contrast short of it."""
    image, key_mask = _cylinder_in_changing_tissue(step_hu=25.0)
    smooth = image.array[12]
    ref = (10.0, 40.0)
    lesion, (low, high) = slice_levels(smooth, key_mask, 10.0, 40.0, (-5.0, 25.0), ref)
    assert high == 25.0 + MAX_SHIFT * 30.0
    assert lesion == 10.0 + MAX_SHIFT * 30.0
    assert low == -5.0          # the far side (fat, for a hypodense lesion) stays where the key put it


def test_surroundings_reading_closer_to_the_lesion_leave_the_key_levels():
    """A ring reading pulled toward the lesion's value (an organ of its density touching it) must not narrow
    the band and drop lesion pixels: the key slice's levels are kept."""
    image, key_mask = _cylinder_in_changing_tissue(step_hu=-10.0)
    lesion, levels = slice_levels(image.array[12], key_mask, 10.0, 40.0, (-5.0, 25.0), (10.0, 40.0))
    assert (lesion, levels) == (10.0, (-5.0, 25.0))
