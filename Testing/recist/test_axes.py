"""RECIST axes on analytic outlines: maximum Feret long axis, perpendicular short axis, mm and LPS."""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology import Image, InputError
from deepradiology.recist import recist_axes


def soft_ellipse(a_mm, b_mm, angle_deg, spacing, size=90, supersample=8):
    """Partial-volume fractions of an ellipse centred in a size x size slice (rows j, columns i)."""
    sx, sy = spacing
    th = np.deg2rad(angle_deg)
    jj, ii = np.mgrid[0:size, 0:size]
    acc = np.zeros((size, size))
    offs = (np.arange(supersample) + 0.5) / supersample - 0.5
    for du in offs:
        for dv in offs:
            x = (ii + du - size / 2) * sx
            y = (jj + dv - size / 2) * sy
            xr, yr = x * np.cos(th) + y * np.sin(th), -x * np.sin(th) + y * np.cos(th)
            acc += (xr / a_mm) ** 2 + (yr / b_mm) ** 2 <= 1.0
    return acc / supersample ** 2


@pytest.mark.parametrize("angle", [0.0, 30.0, 77.0])
def test_axes_of_an_ellipse_on_anisotropic_pixels_match_its_diameters(angle):
    axes = recist_axes(soft_ellipse(12.0, 7.0, angle, (0.7, 0.9)), (0.7, 0.9))
    # Linear interpolation of box-filtered fractions errs by up to ~0.1 pixel per side (0.25 mm here).
    assert axes.long_mm == pytest.approx(24.0, abs=0.25)
    assert axes.short_mm == pytest.approx(14.0, abs=0.25)
    assert axes.area_mm2 == pytest.approx(np.pi * 12 * 7, rel=0.01)


def test_short_axis_is_perpendicular_to_long_axis_in_mm():
    spacing = (0.6, 1.1)
    axes = recist_axes(soft_ellipse(10.0, 6.0, 40.0, spacing), spacing)
    u = (np.subtract(*axes.long_ij[::-1])) * spacing
    v = (np.subtract(*axes.short_ij[::-1])) * spacing
    cos = abs(u @ v) / np.linalg.norm(u) / np.linalg.norm(v)
    assert np.degrees(np.arccos(cos)) == pytest.approx(90.0, abs=0.01)
    assert axes.angle_deg == 90.0


def test_long_axis_endpoints_lie_on_the_outline_and_give_its_length():
    spacing = (0.8, 0.8)
    axes = recist_axes(soft_ellipse(9.0, 5.0, 10.0, spacing), spacing)
    (i1, j1), (i2, j2) = axes.long_ij
    assert np.hypot((i2 - i1) * 0.8, (j2 - j1) * 0.8) == pytest.approx(axes.long_mm, abs=1e-6)
    distances = np.linalg.norm(axes.contour_ij - np.array([i1, j1]), axis=1)
    assert distances.min() < 1e-6


def test_short_axis_of_a_notched_shape_stays_inside_the_lesion():
    mask = np.zeros((60, 60))
    mask[10:50, 10:50] = 1.0
    mask[25:35, 10:40] = 0.0           # a notch: a chord across it would leave the lesion
    axes = recist_axes(mask, (1.0, 1.0))
    assert axes.long_mm == pytest.approx(np.hypot(40, 40), abs=1.5)
    # the longest perpendicular chord inside runs along one arm, never across the notch
    assert axes.short_mm < np.hypot(40, 40) * 0.8


def test_endpoints_convert_to_lps_through_the_image_geometry():
    image = Image(np.zeros((3, 90, 90), np.int16), spacing=(0.7, 0.9, 2.0), origin=(10.0, -5.0, 100.0),
                  direction=np.diag([-1.0, -1.0, 1.0]))
    axes = recist_axes(soft_ellipse(12.0, 7.0, 0.0, (0.7, 0.9)), (0.7, 0.9))
    lps = np.asarray(axes.endpoints_lps(image, 2)["long"])
    assert np.all(lps[:, 2] == pytest.approx(104.0))
    assert np.linalg.norm(lps[0] - lps[1]) == pytest.approx(axes.long_mm, abs=1e-6)
    ijk = np.asarray(axes.endpoints_ijk(2)["long"])
    assert image.lps_to_index(lps) == pytest.approx(ijk)


def test_an_empty_mask_is_refused_with_a_reason():
    with pytest.raises(InputError, match="empty"):
        recist_axes(np.zeros((20, 20)), (1.0, 1.0))
