"""The 3D-extent rule on hand-made area profiles and masks: each kind of evidence fires where a radiologist
would doubt the extent (written from the rule's statement, not from the code's output), and not on an
ellipsoid's own profile."""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology.recist.extent import area_jumps, border_contact_share, narrow_tail, truncated_end


def _ellipsoid_areas(c_mm=10.0, dz=2.0, a0=400.0):
    """A0 (1 - z^2/c^2) on slices every dz mm through the centre."""
    n = int(c_mm // dz)
    return {k: a0 * (1 - (k * dz / c_mm) ** 2) for k in range(-n, n + 1) if a0 * (1 - (k * dz / c_mm) ** 2) > 0}


def test_an_ellipsoids_area_profile_raises_no_evidence():
    areas = _ellipsoid_areas()
    assert area_jumps(areas, 1.0) == []
    assert narrow_tail(areas) == []
    assert truncated_end(areas) is None


def test_an_area_that_grows_again_away_from_the_largest_slice_is_a_joining_structure():
    areas = _ellipsoid_areas(c_mm=9.0)
    areas[5] = 120.0         # the pole (slice 4, 84 mm^2) is followed by a slice 43 % larger
    assert area_jumps(areas, 1.0) == [5]


def test_a_strand_of_constant_section_beyond_the_lesion_is_a_followed_vessel():
    areas = _ellipsoid_areas()
    for k in range(5, 12):
        areas[k] = 40.0      # a 7 mm tube: 38 mm^2 a slice, on and on
    # slice 5 starts the strand; 6-11 each repeat the section of the slice before
    assert set(range(6, 12)) <= set(narrow_tail(areas))
    assert not set(range(-4, 5)) & set(narrow_tail(areas))


def test_a_mask_widest_on_its_last_slice_is_cut_there():
    assert truncated_end({10: 6.0, 11: 11.0, 12: 26.0}) == 12
    assert truncated_end({10: 6.0, 11: 26.0, 12: 11.0}) is None


def test_a_border_without_edge_is_measured_on_the_ring_outside_the_mask():
    """A 20-pixel disc at 10 HU in 50 HU tissue has an edge all round; open one side onto 10 HU tissue and
    about a quarter of its ring (1.5-4.5 mm out, 1 mm pixels) has none."""
    yy, xx = np.mgrid[:80, :80]
    disc = (yy - 40) ** 2 + (xx - 40) ** 2 <= 10 ** 2
    image = np.where(disc, 10.0, 50.0)[None].repeat(3, axis=0)
    mask = disc[None].repeat(3, axis=0)
    assert border_contact_share(image, mask, (-10.0, 30.0), (1.0, 1.0)) == 0.0
    image[:, :, 50:] = 10.0               # tissue as dense as the lesion beyond x = 50 (the disc reaches 50)
    share = border_contact_share(image, mask, (-10.0, 30.0), (1.0, 1.0))
    assert 0.15 < share < 0.40


def test_a_notched_outline_fills_less_of_its_hull_than_a_disc():
    from deepradiology.recist.extent import MIN_SOLIDITY, solidity

    yy, xx = np.mgrid[:60, :60]
    disc = (yy - 30) ** 2 + (xx - 30) ** 2 <= 12 ** 2
    assert solidity(disc) > 0.93                       # a digital disc: only its stair-stepped edge is missing
    notched = disc & ~((yy < 30) & (xx < 30))          # a quarter gone: 0.75 pi / (0.75 pi + 0.5) = 0.82 of its hull
    assert solidity(notched) < MIN_SOLIDITY
    bitten = disc & ~(((yy - 30) ** 2 + (xx - 18) ** 2) <= 9 ** 2)   # a bite into one side
    assert solidity(bitten) < MIN_SOLIDITY


def test_low_contrast_against_the_surroundings_noise_is_measured_in_sd():
    from deepradiology.recist.extent import contrast_to_noise

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:80, :80]
    disc = (yy - 40) ** 2 + (xx - 40) ** 2 <= 10 ** 2
    noise = rng.normal(0.0, 10.0, size=(1, 80, 80))
    image = np.where(disc, 20.0, 50.0)[None] + noise
    # 30 HU contrast against 10 HU noise: 3 SD
    assert contrast_to_noise(image, disc[None], 20.0, 50.0, (1.0, 1.0)) == pytest.approx(3.0, rel=0.15)
