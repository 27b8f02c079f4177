"""Click-anywhere benchmark on the real abdominal CT: ellipsoid lesions inserted at known size, clicked in
several ways, measured against their analytic truth.

The CT (TotalSegmentator's example, 3 mm) is resampled around its liver, kidneys and spleen to 1 x 1 x 2 mm
(`phantom.insert.resample_ct`); lesions are added with a partial-volume edge (`insert_ellipsoid`) at
seeded random sites deep enough in an organ to hold them. Truth (`ellipsoid_truth`): the volume 4/3 pi abc
and the long axis of the cross-section on the slice nearest the equator.

Click kinds:
- ``key_centre``: the truth's key slice at the centre; ``off_centre``: the key slice 40 % of the way to the
  edge along and across the long axis; ``near_end``: 1.5 slices inside each end, at the centre.
- ``touching_organ``: a liver lesion touching the right kidney, as dense as the kidney (no edge between);
  ``touching_vessel``: a hyperdense liver lesion abutting a contrast-filled tube of the same density
  running 50 mm along z. The truth is still the ellipsoid: a result off it must carry a warning.
- ``touching_organ_map``: the same clicks as ``touching_organ``, measured with the organ map (the CT's
  liver, kidney and spleen masks), so the mask can stop at the kidney's label (the peer ignores the map).
- ``touching_lesion``: two liver lesions of similar density (contrasts within 10 %) side by side, 0.3 mm
  apart (in contact once blurred: no edge between them); each lesion of a pair is clicked at its centre, 40 %
  off centre along its long axis and 1.5 slices inside each end, against its own ellipsoid's truth.
- ``coarse_5mm``: the isolated cases re-sliced as 5 mm slabs (centre clicks).

Tolerance: 15 % volume and max(1.5 mm, 7 %) long axis (issue 11). "silently wrong": outside tolerance with
no warning (the always-present "location unknown" flag is not counted). A refusal is not silently wrong.
The peer in the same run is the clicked-slice method (the clicked slice's axes, one propagation from it).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..errors import DeepRadiologyError

__all__ = ["real_ct_click_benchmark"]

FINE = (1.0, 1.0, 2.0)
ORGANS = ("liver", "kidney_right", "kidney_left", "spleen")
EXTENT = "3D extent uncertain"


def _load(shared: Path):
    from ..io import read_volume
    from ..phantom.insert import resample_ct

    folder = shared / "ct" / "totalsegmentator"
    ct = read_volume(folder / "example_ct.nii.gz")
    masks = {n: read_volume(folder / "example_ct_organs" / f"{n}.nii.gz") for n in ORGANS}
    union = np.zeros(ct.array.shape, bool)
    for m in masks.values():
        union |= np.asarray(m.array) > 0
    kk, jj, ii = np.nonzero(union)
    box = ((ii.min() - 3, jj.min() - 3, max(0, kk.min() - 2)),
           (min(ii.max() + 3, ct.array.shape[2] - 1), min(jj.max() + 3, ct.array.shape[1] - 1), kk.max()))
    fine = resample_ct(ct, FINE, box_ijk=box)
    organs = {n: resample_ct(m.with_array((np.asarray(m.array) > 0).astype(np.float32)), FINE, box_ijk=box).array > 0.5
              for n, m in masks.items()}
    return fine, organs


def _depth(mask):
    from scipy import ndimage

    padded = np.pad(mask, ((1, 1), (0, 0), (0, 0)))      # the volume's ends count as outside
    return ndimage.distance_transform_edt(padded, sampling=(FINE[2], FINE[1], FINE[0]))[1:-1]


def _lesions(organs, rng, n_per_organ):
    """(organ, centre ijk, semi-axes, angle, contrast) at random sites that hold the whole lesion."""
    out = []
    for organ, count in n_per_organ.items():
        depth = _depth(organs[organ])
        for _ in range(count):
            a = float(rng.uniform(7.0, 16.0)) if organ == "liver" else float(rng.uniform(6.0, 9.0))
            b = a * float(rng.uniform(0.6, 1.0))
            c = float(rng.uniform(max(5.0, 0.6 * b), max(5.5, min(12.0, a))))
            kk, jj, ii = np.nonzero(depth >= max(a, c) + 2.0)
            if not kk.size:
                continue
            n = int(rng.integers(kk.size))
            centre = (ii[n] + rng.uniform(-0.5, 0.5), jj[n] + rng.uniform(-0.5, 0.5), kk[n] + rng.uniform(-0.5, 0.5))
            contrast = float(rng.choice([-1, 1]) * rng.uniform(25.0, 60.0))
            out.append((organ, tuple(float(v) for v in centre), (a, b, c), float(rng.uniform(0, 180)), contrast))
    return out


def _clicks(centre, semi_axes, angle_deg, spacing=FINE):
    i, j, k = (int(round(v)) for v in centre)
    a, b, c = semi_axes
    t = np.radians(angle_deg)
    along = (int(round(0.4 * a * np.cos(t) / spacing[0])), int(round(0.4 * a * np.sin(t) / spacing[1])))
    across = (int(round(-0.4 * b * np.sin(t) / spacing[0])), int(round(0.4 * b * np.cos(t) / spacing[1])))
    end = max(1, int(np.floor(c / spacing[2] - 1.5)))
    yield "key_centre", (i, j, k)
    yield "off_centre", (i + along[0], j + along[1], k)
    yield "off_centre", (i + across[0], j + across[1], k)
    yield "near_end", (i, j, k + end)
    yield "near_end", (i, j, k - end)


def _new(image, click, organs=None):
    from .measure import measure_lesion

    lesion = measure_lesion(image, click=click, organs=organs).lesion
    return lesion.long_axis_mm, lesion.volume_ml, [w for w in lesion.extra["warnings"]
                                                   if not w.startswith("location unknown")]


def _old(image, click, organs=None):
    """The clicked-slice peer; it has no use for an organ map."""
    from .click_benchmark import _old_method

    return _old_method(image, click)


def _score(rows, fn, image, click, truth, organs=None):
    t0 = time.perf_counter()
    try:
        long_mm, volume_ml, warnings = fn(image, click, organs)
    except DeepRadiologyError:
        rows.append({"refused": True, "s": time.perf_counter() - t0})
        return
    long_err = long_mm - truth["long_axis_mm"]
    vol_err = (volume_ml - truth["volume_ml"]) / truth["volume_ml"]
    ok = abs(vol_err) <= 0.15 and abs(long_err) <= max(1.5, 0.07 * truth["long_axis_mm"])
    rows.append({"refused": False, "ok": bool(ok), "long_err": abs(long_err), "vol_err": abs(vol_err),
                 "warned": bool(warnings), "extent": any(w.startswith(EXTENT) for w in warnings),
                 "coarse": any(w.startswith(EXTENT) and "coarse" in w for w in warnings),
                 "s": time.perf_counter() - t0})


def _summary(rows):
    done = [r for r in rows if not r["refused"]]
    med = (lambda xs: round(float(np.median(xs)), 3) if xs else None)  # noqa: E731
    return {"clicks": len(rows), "refused": len(rows) - len(done),
            "within_tolerance_share": round(sum(r["ok"] for r in done) / max(len(rows), 1), 3),
            "median_long_axis_error_mm": med([r["long_err"] for r in done]),
            "median_volume_error_pct": med([100 * r["vol_err"] for r in done]),
            "warned": sum(r["warned"] for r in done), "extent_warned": sum(r["extent"] for r in done),
            "coarse_warned": sum(r["coarse"] for r in done),
            "silently_wrong": sum((not r["ok"]) and not r["warned"] for r in done),
            "seconds_per_click": med([r["s"] for r in rows])}


def _touching_cases(fine, organs, rng, count):
    """Liver lesions whose edge touches the right kidney, with the kidney's density."""
    from scipy import ndimage

    from ..phantom.insert import insert_ellipsoid

    liver, kidney = organs["liver"], organs["kidney_right"]
    to_kidney = ndimage.distance_transform_edt(~kidney, sampling=(FINE[2], FINE[1], FINE[0]))
    contrast = float(np.median(fine.array[kidney]) - np.median(fine.array[liver]))
    depth = _depth(liver)
    for _ in range(count):
        r = float(rng.uniform(7.0, 11.0))
        site = liver & (to_kidney > r - 0.5) & (to_kidney < r + 1.0) & (depth > 0.5 * r)
        site[: int(r / FINE[2]) + 2] = False
        site[-int(r / FINE[2]) - 2:] = False
        kk, jj, ii = np.nonzero(site)
        if not kk.size:
            return
        n = int(rng.integers(kk.size))
        centre = (ii[n] + 0.2, jj[n] - 0.1, kk[n] + 0.3)
        axes = (r * 1.1, r, r)
        yield insert_ellipsoid(fine, centre, axes, contrast_hu=contrast, angle_deg=float(rng.uniform(0, 180))), \
            centre, axes


def _vessel_cases(fine, organs, rng, count):
    """Hyperdense liver lesions abutting a contrast-filled 7 mm tube of the same density along z."""
    from ..phantom.insert import insert_ellipsoid

    depth = _depth(organs["liver"])
    kk, jj, ii = np.nonzero(depth >= 28.0)
    for _ in range(count):
        if not kk.size:
            return
        n = int(rng.integers(kk.size))
        r = float(rng.uniform(7.0, 10.0))
        centre = (ii[n] + 0.3, jj[n] + 0.4, kk[n] + 0.3)
        t = rng.uniform(0, 2 * np.pi)
        contrast = float(rng.uniform(80.0, 120.0))
        tube = insert_ellipsoid(fine, (centre[0] + (r + 3.5) * np.cos(t), centre[1] + (r + 3.5) * np.sin(t), centre[2]),
                                (3.5, 3.5, 25.0), contrast_hu=contrast)
        axes = (r, 0.9 * r, 0.9 * r)
        yield insert_ellipsoid(tube, centre, axes, contrast_hu=contrast, angle_deg=0.0), centre, axes


def touching_pair(fine, liver, rng, gap_mm: float = 0.3):
    """Two ellipsoid lesions of similar density side by side in the liver, ``gap_mm`` apart: each with its
    in-plane axis a perpendicular to the line joining them, so they face each other with their b vertices
    (ellipsoids with aligned axes meeting at vertices cannot overlap). Returns (image, [(centre, axes,
    angle)] for the two) or None when the liver holds no site."""
    from ..phantom.insert import insert_ellipsoid

    a1 = float(rng.uniform(8.0, 13.0))
    b1, c1 = a1 * float(rng.uniform(0.7, 1.0)), float(rng.uniform(6.0, 10.0))
    a2 = float(rng.uniform(7.0, 12.0))
    b2, c2 = a2 * float(rng.uniform(0.7, 1.0)), float(rng.uniform(6.0, 10.0))
    t = float(rng.uniform(0, 2 * np.pi))
    d = b1 + b2 + gap_mm
    depth = _depth(liver)
    reach = d / 2.0 + max(a1, a2) + 2.0
    kk, jj, ii = np.nonzero(depth >= reach)
    if not kk.size:
        return None
    n = int(rng.integers(kk.size))
    mid = (ii[n] + rng.uniform(-0.5, 0.5), jj[n] + rng.uniform(-0.5, 0.5), kk[n] + rng.uniform(-0.5, 0.5))
    u = (np.cos(t) / FINE[0], np.sin(t) / FINE[1])
    first = (mid[0] - d / 2 * u[0], mid[1] - d / 2 * u[1], mid[2])
    second = (mid[0] + d / 2 * u[0], mid[1] + d / 2 * u[1], mid[2] + float(rng.uniform(-0.5, 0.5)))
    angle = float(np.degrees(t)) + 90.0          # a across the joining line
    contrast = float(rng.choice([-1, 1]) * rng.uniform(30.0, 60.0))
    image = insert_ellipsoid(fine, first, (a1, b1, c1), contrast_hu=contrast, angle_deg=angle)
    image = insert_ellipsoid(image, second, (a2, b2, c2), contrast_hu=contrast * float(rng.uniform(0.9, 1.1)),
                             angle_deg=angle)
    return image, [(first, (a1, b1, c1), angle), (second, (a2, b2, c2), angle)]


def pair_clicks(centre, semi_axes, angle_deg, spacing=FINE):
    """Centre, 40 % off centre along the long axis, and 1.5 slices inside each end (i, j, k voxels)."""
    clicks = [click for _, click in _clicks(centre, semi_axes, angle_deg, spacing)]
    return [clicks[0], clicks[1], clicks[3], clicks[4]]


def real_ct_click_benchmark(shared_data, *, seed: int = 0, n_liver: int = 6, n_kidney: int = 2,
                            n_touching: int = 3, n_vessel: int = 3, n_pairs: int = 3) -> dict:
    """Per click kind and method: clicks, refused, within-tolerance share, median errors, warnings,
    silently wrong, seconds per click (JSON-ready dict)."""
    from ..phantom.insert import ellipsoid_truth, insert_ellipsoid, resample_ct

    t_start = time.perf_counter()
    fine, organs = _load(Path(shared_data))
    labels = np.zeros(fine.array.shape, dtype=np.int32)
    for n, name in enumerate(ORGANS, start=1):
        labels[organs[name] & (labels == 0)] = n
    organ_map = (fine.with_array(labels), {n: name for n, name in enumerate(ORGANS, start=1)})
    rng = np.random.default_rng(seed)
    methods = {"click_anywhere": _new, "clicked_slice": _old}
    rows = {m: {} for m in methods}

    def add(kind, image, click, truth, organs=None):
        for name, fn in methods.items():
            _score(rows[name].setdefault(kind, []), fn, image, click, truth, organs)

    lesions = _lesions(organs, rng, {"liver": n_liver, "kidney_right": n_kidney // 2 + n_kidney % 2,
                                     "kidney_left": n_kidney // 2})
    for organ, centre, axes, angle, contrast in lesions:
        image = insert_ellipsoid(fine, centre, axes, contrast_hu=contrast, angle_deg=angle)
        truth = ellipsoid_truth(FINE, centre, axes)
        for kind, click in _clicks(centre, axes, angle):
            add(kind, image, click, truth)
        thick = resample_ct(image, (FINE[0], FINE[1], 5.0), slab=True)
        k5 = centre[2] * FINE[2] / 5.0
        truth5 = ellipsoid_truth((FINE[0], FINE[1], 5.0), (centre[0], centre[1], k5), axes)
        add("coarse_5mm", thick, (int(round(centre[0])), int(round(centre[1])), int(round(k5))), truth5)
    for kind, cases in (("touching_organ", _touching_cases(fine, organs, rng, n_touching)),
                        ("touching_vessel", _vessel_cases(fine, organs, rng, n_vessel))):
        for image, centre, axes in cases:
            truth = ellipsoid_truth(FINE, centre, axes)
            i, j, k = (int(round(v)) for v in centre)
            for click in [(i, j, k), (i, j, k + 2), (i, j, k - 2)]:
                add(kind, image, click, truth)
                if kind == "touching_organ":
                    add("touching_organ_map", image, click, truth, organ_map)
    for _ in range(n_pairs):
        pair = touching_pair(fine, organs["liver"], rng)
        if pair is None:
            break
        image, members = pair
        for centre, axes, angle in members:
            truth = ellipsoid_truth(FINE, centre, axes)
            for click in pair_clicks(centre, axes, angle):
                add("touching_lesion", image, click, truth)
    import os
    import platform

    return {"benchmark": "recist_click_anywhere_real_ct", "ct": "TotalSegmentator example_ct, resampled to 1x1x2 mm",
            "machine": f"{platform.machine()}, {os.cpu_count()} CPU(s), Python {platform.python_version()}",
            "seed": seed, "lesions": {"isolated": len(lesions), "touching_organ": n_touching,
                                      "touching_vessel": n_vessel, "touching_lesion_pairs": n_pairs},
            "tolerance": "15 % volume and max(1.5 mm, 7 %) long axis vs the ellipsoid's analytic truth",
            "methods": {m: {k: _summary(v) for k, v in kinds.items()} for m, kinds in rows.items()},
            "total_s": round(time.perf_counter() - t_start, 1)}
