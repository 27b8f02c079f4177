"""Click anywhere on lesions inserted into the real abdominal CT (TotalSegmentator example, on a 1 x 1 x 2 mm
grid): the same 3D lesion whatever was clicked, its 3D extent flagged where it runs into similar tissue,
and coarse slices flagged. Expected sizes are the ellipsoids' analytic geometry, written out here:
volume 4/3 pi abc; on the slice nearest the equator (offset dz) the long axis 2a sqrt(1 - dz^2/c^2)."""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology.errors import DeepRadiologyError

from ..conftest import shared_file

FINE = (1.0, 1.0, 2.0)
EXTENT = "3D extent uncertain"


@pytest.fixture(scope="module")
def real_case():
    """The real CT around the liver and right kidney on a 1 x 1 x 2 mm grid, with its organ masks."""
    from deepradiology.io import read_volume
    from deepradiology.phantom.insert import resample_ct

    folder = "ct/totalsegmentator/"
    ct = read_volume(shared_file(folder + "example_ct.nii.gz"))
    organs = {}
    for name in ("liver", "kidney_right", "kidney_left", "spleen"):
        mask = read_volume(shared_file(f"{folder}example_ct_organs/{name}.nii.gz"))
        organs[name] = mask.with_array((np.asarray(mask.array) > 0).astype(np.float32))
    _, jj, ii = np.nonzero(organs["liver"].array)
    box = ((ii.min() - 3, jj.min() - 3, 62), (ii.max() + 3, jj.max() + 3, ct.array.shape[0] - 1))
    fine = resample_ct(ct, FINE, box_ijk=box)
    labels = np.zeros(fine.array.shape, dtype=np.int32)
    names = {}
    for n, (name, mask) in enumerate(organs.items(), start=1):
        labels[(resample_ct(mask, FINE, box_ijk=box).array > 0.5) & (labels == 0)] = n
        names[n] = name
    return fine, labels, names


def _deepest(labels, value, spacing=FINE):
    """The voxel (i, j, k) deepest inside an organ, counting the volume's first and last slices as outside."""
    from scipy import ndimage

    inside = np.pad(labels == value, ((1, 1), (0, 0), (0, 0)))
    depth = ndimage.distance_transform_edt(inside, sampling=(spacing[2], spacing[1], spacing[0]))[1:-1]
    k, j, i = np.unravel_index(int(np.argmax(depth)), depth.shape)
    return int(i), int(j), int(k)


def _truth(centre, semi_axes, dz_mm):
    a, b, c = semi_axes
    return 4.0 / 3.0 * np.pi * a * b * c / 1000.0, 2.0 * max(a, b) * np.sqrt(1.0 - (dz_mm / c) ** 2)


def _clicks(centre, semi_axes, angle_deg):
    """Centre, two off-centre pixels (40 % of the way to the edge, along and across the long axis) on the
    key slice, and the slices 1.5 slices inside each end."""
    i, j, k = (int(round(v)) for v in centre)
    a, b, c = semi_axes
    t = np.radians(angle_deg)
    along = (int(round(0.4 * a * np.cos(t) / FINE[0])), int(round(0.4 * a * np.sin(t) / FINE[1])))
    across = (int(round(-0.4 * b * np.sin(t) / FINE[0])), int(round(0.4 * b * np.cos(t) / FINE[1])))
    end = int(np.floor(c / FINE[2] - 1.5))
    return {"centre": (i, j, k), "off_centre_along": (i + along[0], j + along[1], k),
            "off_centre_across": (i + across[0], j + across[1], k),
            "near_upper_end": (i, j, k + end), "near_lower_end": (i, j, k - end)}


LESIONS = [  # (organ, semi-axes mm, in-plane angle, HU contrast, sub-voxel offset of the centre)
    ("liver", (15.0, 10.0, 11.0), 30.0, -45.0, (0.3, -0.4, 0.3)),     # hypodense, like a metastasis
    ("liver", (12.0, 8.0, 8.0), 70.0, +40.0, (-0.2, 0.3, -0.2)),      # hyperdense
    ("kidney_right", (9.0, 7.0, 8.0), 0.0, +50.0, (0.4, 0.1, 0.2)),   # elsewhere: a hyperdense renal mass
]


@pytest.mark.slow
@pytest.mark.parametrize("organ, semi_axes, angle, contrast, offset", LESIONS,
                         ids=["liver-hypodense", "liver-hyperdense", "kidney-hyperdense"])
def test_an_inserted_lesion_measures_the_same_wherever_it_is_clicked(real_case, organ, semi_axes, angle,
                                                                     contrast, offset):
    from deepradiology.phantom.insert import insert_ellipsoid
    from deepradiology.recist import measure_lesion

    fine, labels, names = real_case
    value = next(v for v, n in names.items() if n == organ)
    centre = tuple(p + d for p, d in zip(_deepest(labels, value), offset))
    ct = insert_ellipsoid(fine, centre, semi_axes, contrast_hu=contrast, angle_deg=angle)
    key = int(np.floor(centre[2] + 0.5))
    volume_ml, long_mm = _truth(centre, semi_axes, (key - centre[2]) * FINE[2])
    results = {}
    for kind, click in _clicks(centre, semi_axes, angle).items():
        lesion = measure_lesion(ct, click=click).lesion
        results[kind] = lesion
        assert abs(lesion.long_axis_mm - long_mm) <= max(1.5, 0.07 * long_mm), (kind, lesion.long_axis_mm, long_mm)
        assert lesion.volume_ml == pytest.approx(volume_ml, rel=0.15), (kind, lesion.volume_ml, volume_ml)
        assert abs(lesion.slice_index - key) <= 1, (kind, lesion.slice_index, key)
        # An isolated lesion with a clear edge all round is not flagged as uncertain.
        assert not [w for w in lesion.extra["warnings"] if w.startswith(EXTENT)], (kind, lesion.extra["warnings"])
    longs = [r.long_axis_mm for r in results.values()]
    volumes = [r.volume_ml for r in results.values()]
    # Independent of the click: the spread is within partial-volume noise (a pixel, 5 % of the volume).
    assert max(longs) - min(longs) <= FINE[0]
    assert max(volumes) - min(volumes) <= 0.05 * volume_ml


def _touching_the_kidney(fine, labels, names, radius=9.0):
    """A liver lesion whose edge touches the right kidney, as dense as the kidney (no edge between them)."""
    from scipy import ndimage

    from deepradiology.phantom.insert import insert_ellipsoid

    kidney = labels == next(v for v, n in names.items() if n == "kidney_right")
    liver = labels == next(v for v, n in names.items() if n == "liver")
    to_kidney = ndimage.distance_transform_edt(~kidney, sampling=(FINE[2], FINE[1], FINE[0]))
    in_liver = ndimage.distance_transform_edt(np.pad(liver, ((1, 1), (0, 0), (0, 0))),
                                              sampling=(FINE[2], FINE[1], FINE[0]))[1:-1]
    site = liver & (to_kidney > radius - 0.5) & (to_kidney < radius + 1.0)
    site[: int(radius / FINE[2]) + 3] = site[-int(radius / FINE[2]) - 3:] = False
    kk, jj, ii = np.nonzero(site)
    n = int(np.argmax(in_liver[site]))
    centre = (ii[n] + 0.2, jj[n], kk[n] + 0.3)
    contrast = float(np.median(fine.array[kidney])) - float(np.median(fine.array[liver]))
    return insert_ellipsoid(fine, centre, (radius + 1.0, radius, radius), contrast_hu=contrast, angle_deg=20.0), centre


@pytest.mark.slow
@pytest.mark.parametrize("with_map", [True, False], ids=["organ-map", "no-map"])
def test_a_liver_lesion_touching_the_kidney_is_flagged_not_measured_with_confidence(real_case, with_map):
    """Clicks on it are refused or carry a warning; with the organ map none is accepted without the
    3D-extent warning; none gives a volume off by more than 15 % without any warning."""
    from deepradiology.recist import measure_lesion

    fine, labels, names = real_case
    ct, centre = _touching_the_kidney(fine, labels, names)
    truth_ml = 4.0 / 3.0 * np.pi * 10.0 * 9.0 * 9.0 / 1000.0
    i, j, k = (int(round(v)) for v in centre)
    organs = (fine.with_array(labels), names) if with_map else None
    measured = 0
    for click in [(i, j, k), (i, j, k + 3), (i, j, k - 3), (i + 3, j - 3, k)]:
        try:
            lesion = measure_lesion(ct, click=click, organs=organs).lesion
        except DeepRadiologyError:
            continue                                   # a refusal is not a confident wrong number
        measured += 1
        size = [w for w in lesion.extra["warnings"] if not w.startswith("location unknown")]
        if with_map:
            assert any(w.startswith(EXTENT) for w in size), lesion.extra["warnings"]
        if abs(lesion.volume_ml - truth_ml) > 0.15 * truth_ml:
            assert size, (click, lesion.volume_ml, truth_ml)
    assert measured >= 1


@pytest.mark.slow
def test_a_lesion_touching_an_enhanced_vessel_is_flagged(real_case):
    """A hyperdense liver lesion abutting a contrast-filled vessel (a 7 mm tube running 50 mm along z, as
    dense as the lesion): the mask follows the vessel, and says so."""
    from deepradiology.phantom.insert import insert_ellipsoid
    from deepradiology.recist import measure_lesion

    fine, labels, names = real_case
    i, j, k = _deepest(labels, next(v for v, n in names.items() if n == "liver"))
    vessel = insert_ellipsoid(fine, (i + 12.5, j, k), (3.5, 3.5, 25.0), contrast_hu=+110.0)
    ct = insert_ellipsoid(vessel, (i + 0.3, j + 0.4, k + 0.3), (9.0, 8.0, 8.0), contrast_hu=+100.0, angle_deg=10.0)
    for click in [(i, j, k), (i - 2, j, k + 3), (i, j, k - 3)]:
        try:
            lesion = measure_lesion(ct, click=click).lesion
        except DeepRadiologyError:
            continue
        assert any(w.startswith(EXTENT) for w in lesion.extra["warnings"]), lesion.extra["warnings"]


@pytest.mark.slow
def test_five_mm_slices_flag_a_shallow_lesion_but_not_a_deep_one(real_case):
    """The same cases reconstructed as 5 mm slabs: an 11 mm deep lesion (5 mm > 1/3 of its depth) gets the
    coarse-slice warning at every click; a 22 mm deep one does not, and is still within tolerance."""
    from deepradiology.phantom.insert import insert_ellipsoid, resample_ct
    from deepradiology.recist import measure_lesion

    fine, labels, names = real_case
    i, j, k = _deepest(labels, next(v for v, n in names.items() if n == "liver"))
    centre = (i + 0.3, j + 0.4, k + 0.3)
    k5 = centre[2] * FINE[2] / 5.0                      # the centre in 5 mm slices
    for semi_axes, coarse in [((10.0, 8.0, 5.5), True), ((15.0, 10.0, 11.0), False)]:
        thick = resample_ct(insert_ellipsoid(fine, centre, semi_axes, contrast_hu=-45.0, angle_deg=30.0),
                            (1.0, 1.0, 5.0), slab=True)
        for click in [(i, j, int(round(k5))), (i, j, int(round(k5)) + 1), (i + 3, j, int(round(k5)) - 1)]:
            try:
                lesion = measure_lesion(thick, click=click).lesion
            except DeepRadiologyError:
                assert coarse                            # the deep lesion must be measured
                continue
            flagged = any(w.startswith(EXTENT) and "coarse" in w for w in lesion.extra["warnings"])
            assert flagged == coarse, (semi_axes, click, lesion.extra["warnings"])
            if not coarse:
                volume_ml, long_mm = _truth(centre, semi_axes, (np.floor(k5 + 0.5) - k5) * 5.0)
                assert abs(lesion.long_axis_mm - long_mm) <= max(1.5, 0.07 * long_mm)
                assert lesion.volume_ml == pytest.approx(volume_ml, rel=0.15)


@pytest.mark.slow
def test_the_real_ct_click_benchmark_reports_every_click_kind(shared_data):
    """One lesion of each kind: 5 clicks on the isolated one (centre, 2 off centre, 2 near the ends), 1 on its
    5 mm slabs, 3 on each touching one, 4 on each lesion of a touching pair; each kind reports its share, errors, warnings and seconds."""
    from deepradiology.recist.click_benchmark_real import real_ct_click_benchmark

    result = real_ct_click_benchmark(shared_data, n_liver=1, n_kidney=0, n_touching=1, n_vessel=1, n_pairs=1)
    kinds = result["methods"]["click_anywhere"]
    assert {k: v["clicks"] for k, v in kinds.items()} == {
        "key_centre": 1, "off_centre": 2, "near_end": 2, "coarse_5mm": 1, "touching_organ": 3, "touching_vessel": 3,
        "touching_organ_map": 3, "touching_lesion": 8}
    for v in kinds.values():
        assert 0.0 <= v["within_tolerance_share"] <= 1.0 and v["seconds_per_click"] > 0
        assert v["silently_wrong"] <= v["clicks"] - v["refused"]
    assert set(result["methods"]) == {"click_anywhere", "clicked_slice"}
