"""Speed of RECISTAssist, each figure next to a simple peer timed in the same run.

- click to lines: `segment_lesion_2d` (segmentation + sub-pixel RECIST axes) on 512 x 512 slices,
  against skimage's flood fill at a fixed 40 HU tolerance plus regionprops' Feret diameter (a plain
  region-growing measurement with no adaptivity and no sub-pixel outline).
- 3D propagation of a 5 cm lesion: `propagate_3d`, against skimage's 3D flood fill at the same
  half-way tolerance on the same crop.
"""

from __future__ import annotations

import os
import platform
import statistics
import time

import numpy as np

from ..image import Image

__all__ = ["run_benchmark", "synthetic_lesion_volume"]


def synthetic_lesion_volume(*, diameter_mm: float = 50.0, spacing=(0.8, 0.8, 2.5), size=(512, 512, 48),
                            noise_hu: float = 10.0, seed: int = 0) -> tuple[Image, dict]:
    """A CT-like volume: air, a 60 HU soft-tissue body, and a 20 HU spherical lesion at the centre,
    rendered with partial volume (the phantom's shapes). Returns (image, truth)."""
    from ..phantom.shapes import Ellipsoid, EllipticCylinder, Grid

    ni, nj, nk = size
    grid = Grid(shape=(nk, nj, ni), spacing=tuple(spacing),
                origin=tuple(-(n - 1) * s / 2.0 for n, s in zip(size, spacing)))
    ct = np.full(grid.shape, -1000.0, dtype=np.float32)
    eye, zero = np.eye(3), np.zeros(3)
    for shape, hu in ((EllipticCylinder((0.0, 0.0), (180.0, 140.0)), 60.0),
                      (Ellipsoid((0.0, 0.0, 0.0), (diameter_mm / 2.0,) * 3), 20.0)):
        region, frac = shape.render(grid, eye, zero)
        view = ct[region]
        view += frac * (hu - view)
    ct += np.random.default_rng(seed).normal(0.0, noise_hu, size=ct.shape).astype(np.float32)
    image = Image(np.rint(ct).astype(np.int16), spacing=spacing, origin=grid.origin, modality="CT",
                  source=f"synthetic {diameter_mm:.0f} mm lesion")
    r = diameter_mm / 2.0
    return image, {"centre_ijk": [(n - 1) / 2.0 for n in size], "volume_ml": 4.0 / 3.0 * np.pi * r ** 3 / 1000.0,
                   "diameter_mm": diameter_mm}


def _slices_512(shared_data: str | None) -> list[tuple[Image, tuple[float, float], float]]:
    """(slice image, click (i, j), reference long axis mm): real DeepLesion key slices when present,
    and phantom key slices padded with air to 512 x 512."""
    from ..phantom import generate_phantom

    cases = []
    if shared_data:
        from pathlib import Path

        from ..deeplesion import read_dl_info
        from ..io import read_deeplesion_slice

        folder = Path(shared_data) / "deeplesion"
        if (folder / "DL_info_test.csv").is_file() and (folder / "images_png").is_dir():
            rows, _ = read_dl_info(folder / "DL_info_test.csv")
            for row in rows:
                png = folder / "images_png" / row.png_relpath
                if png.is_file():
                    cases.append((read_deeplesion_slice(png, spacing=row.spacing), row.recist_centre_px,
                                  row.diameters_mm[0]))
    study = generate_phantom(0, n_studies=1).studies[0]
    for truth in study.lesions:
        k = truth["key_slice"]
        sl = study.ct.array[k]
        canvas = np.full((512, 512), -1000, dtype=sl.dtype)
        canvas[: sl.shape[0], : sl.shape[1]] = sl[:512, :512]
        cases.append((Image(canvas, spacing=study.ct.spacing, modality="CT", source="phantom slice"),
                      tuple(truth["centre_ijk"][:2]), truth["long_axis_mm"]))
    return cases


def _peer_click(image: Image, click) -> float:
    from skimage.measure import regionprops
    from skimage.segmentation import flood

    sl = image.array[0].astype(np.float32)
    region = flood(sl, (int(round(click[1])), int(round(click[0]))), tolerance=40.0)
    props = regionprops(region.astype(np.uint8))[0]
    return float(props.feret_diameter_max * image.spacing[0])


def run_benchmark(*, repeats: int = 5, shared_data: str | None = None) -> dict:
    """Time click-to-lines and 3D propagation against their peers; one JSON-ready dict."""
    from scipy import ndimage
    from skimage.segmentation import flood

    from .propagate import propagate_3d
    from .segment2d import segment_lesion_2d

    cases = _slices_512(shared_data)
    ours, peer, ours_err, peer_err = [], [], [], []
    for image, click, ref_long in cases:
        segment_lesion_2d(image, click=click)                  # warm caches once per case
        for _ in range(repeats):
            t = time.perf_counter()
            got = segment_lesion_2d(image, click=click)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            peer_long = _peer_click(image, click)
            peer.append(time.perf_counter() - t)
        ours_err.append(abs(got.axes.long_mm - ref_long))
        peer_err.append(abs(peer_long - ref_long))

    volume, truth = synthetic_lesion_volume()
    ci, cj, ck = truth["centre_ijk"]
    k = int(round(ck))
    key = segment_lesion_2d(volume, click=(ci, cj, k))
    prop_times, peer_times = [], []
    for _ in range(max(1, repeats // 2)):
        t = time.perf_counter()
        lesion = propagate_3d(volume, key.mask, slice_index=k, lesion_hu=key.lesion_hu, surround_hu=key.surround_hu,
                              levels_hu=key.levels_hu)
        prop_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        sm = ndimage.gaussian_filter(volume.array.astype(np.float32), sigma=(0, 1, 1))
        region = flood(sm, (k, int(round(cj)), int(round(ci))), tolerance=abs(key.surround_hu - key.lesion_hu) / 2)
        peer_times.append(time.perf_counter() - t)
    peer_volume = float(region.sum()) * volume.voxel_volume_ml
    med = statistics.median
    return {
        "benchmark": "recist",
        "machine": f"{os.cpu_count()}-core {platform.machine()}, {platform.python_implementation()} "
                   f"{platform.python_version()}",
        "click_to_lines": {
            "slices": len(cases), "slice_size": [512, 512], "repeats": repeats,
            "median_s": round(med(ours), 4), "peer": "skimage flood (40 HU) + regionprops Feret",
            "peer_median_s": round(med(peer), 4), "ratio_to_peer": round(med(ours) / med(peer), 2),
            "mean_abs_error_long_mm": round(float(np.mean(ours_err)), 3),
            "peer_mean_abs_error_long_mm": round(float(np.mean(peer_err)), 3),
            "target_median_s": 0.3,
        },
        "propagation_5cm": {
            "volume_size_ijk": list(volume.size), "spacing_mm": list(volume.spacing),
            "median_s": round(med(prop_times), 4), "slices": lesion.n_slices,
            "volume_ml": round(lesion.volume_ml, 3), "true_volume_ml": round(truth["volume_ml"], 3),
            "rel_error_volume": round((lesion.volume_ml - truth["volume_ml"]) / truth["volume_ml"], 4),
            "peer": "skimage 3D flood at the same half-way tolerance (smoothed volume)",
            "peer_median_s": round(med(peer_times), 4), "ratio_to_peer": round(med(prop_times) / med(peer_times), 2),
            "peer_rel_error_volume": round((peer_volume - truth["volume_ml"]) / truth["volume_ml"], 4),
            "target_s": 3.0,
        },
    }
