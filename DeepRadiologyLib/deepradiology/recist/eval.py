"""Accuracy of RECISTAssist against radiologists (DeepLesion) and against the phantom's ground truth.

Both evaluations click where a user would (the radiologist's RECIST centre; the phantom lesion's
centre on its key slice), measure, and report per-lesion errors and these summary keys:
``lesions``, ``mean_abs_error_long_mm``, ``mean_abs_error_short_mm``, ``mean_dice_vs_recist_ellipse``
(the 2D mask against the ellipse drawn from the reference RECIST axes), and for the phantom
``mean_rel_error_volume`` (mean |measured - true| / true).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..errors import DeepRadiologyError, InputError
from ..progress import ProgressCallback, report
from .from_endpoints import recist_ellipse_mask

__all__ = ["eval_deeplesion", "eval_phantom", "dice"]


def dice(a: np.ndarray, b: np.ndarray) -> float:
    """Dice overlap of two bool masks (1.0 when both are empty)."""
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    total = int(a.sum() + b.sum())
    return 1.0 if total == 0 else float(2 * np.count_nonzero(a & b) / total)


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(float(np.mean(values)), 4) if values else None


def _summary(per_lesion: list[dict]) -> dict:
    ok = [p for p in per_lesion if "error" not in p]
    return {
        "lesions": len(per_lesion),
        "measured": len(ok),
        "failed": len(per_lesion) - len(ok),
        "mean_abs_error_long_mm": _mean(abs(p["error_long_mm"]) for p in ok),
        "mean_abs_error_short_mm": _mean(abs(p["error_short_mm"]) for p in ok),
        "median_abs_error_long_mm": (round(float(np.median([abs(p["error_long_mm"]) for p in ok])), 4) if ok else None),
        "mean_dice_vs_recist_ellipse": _mean(p["dice_vs_recist_ellipse"] for p in ok),
    }


def eval_deeplesion(dl_info: str | Path, images: str | Path, *, progress: ProgressCallback | None = None) -> dict:
    """Measure every DeepLesion lesion whose key-slice PNG is in ``images`` (``Images_png`` layout).

    The click is the centre of the radiologist's four RECIST endpoints; the reference diameters are
    ``Lesion_diameters_Pixel_`` times the pixel spacing.

    Raises:
        InputError: the CSV is not DeepLesion's, the folder is missing, or no row has its PNG there.
    """
    from ..deeplesion import read_dl_info
    from ..io import read_deeplesion_slice
    from .segment2d import segment_lesion_2d

    images = Path(images)
    if not images.is_dir():
        raise InputError(images, "no such folder (expected DeepLesion's Images_png layout)")
    rows, parse_report = read_dl_info(dl_info)
    present = [r for r in rows if (images / r.png_relpath).is_file()]
    if not present:
        raise InputError(images, f"holds none of the {len(rows)} key slices listed in {dl_info} "
                         "(expected <patient>_<study>_<series>/<slice>.png)")
    per_lesion = []
    for n, row in enumerate(present):
        report(progress, n / len(present), row.file_name)
        long_ref, short_ref = row.diameters_mm
        entry = {"file_name": row.file_name, "lesion_type": row.type_name,
                 "radiologist_long_mm": round(long_ref, 3), "radiologist_short_mm": round(short_ref, 3)}
        image = read_deeplesion_slice(images / row.png_relpath, spacing=row.spacing)
        r = np.asarray(row.recist).reshape(4, 2)
        ellipse = recist_ellipse_mask(image.array.shape[1:], r[:2], r[2:], spacing=row.spacing[:2])
        start = time.perf_counter()
        try:
            measured = segment_lesion_2d(image, click=row.recist_centre_px)
        except DeepRadiologyError as exc:
            entry["error"] = str(exc)
            per_lesion.append(entry)
            continue
        entry.update({
            "measured_long_mm": round(measured.axes.long_mm, 3), "measured_short_mm": round(measured.axes.short_mm, 3),
            "error_long_mm": round(measured.axes.long_mm - long_ref, 3),
            "error_short_mm": round(measured.axes.short_mm - short_ref, 3),
            "dice_vs_recist_ellipse": round(dice(measured.mask, ellipse), 4),
            "seconds": round(time.perf_counter() - start, 4), "warnings": measured.warnings,
        })
        per_lesion.append(entry)
    report(progress, 1.0, "done")
    return {"dataset": "DeepLesion", "dl_info": str(dl_info), "images": str(images), "rows_in_file": len(rows),
            "rows_skipped_as_malformed": parse_report.count, "method": "adaptive-threshold",
            "reference": "radiologist RECIST diameters (Lesion_diameters_Pixel_ x spacing)",
            **_summary(per_lesion), "per_lesion": per_lesion}


def eval_phantom(seed: int = 0, *, n_studies: int = 3, spacing=(0.8, 0.8, 2.5), progress: ProgressCallback | None = None) -> dict:
    """Measure every lesion of every study of phantom patient ``seed`` against its ground truth.

    Tolerances (the issue's targets): long and short axes within max(0.5 mm, 3 %), volume within 10 %.
    """
    from ..phantom import generate_phantom
    from .measure import measure_lesion

    phantom = generate_phantom(seed, n_studies=n_studies, spacing=spacing)
    per_lesion = []
    todo = [(s, t) for s in phantom.studies for t in s.lesions]
    for n, (study, truth) in enumerate(todo):
        report(progress, n / len(todo), truth["lesion_id"])
        i, j, _ = truth["centre_ijk"]
        k = truth["key_slice"]
        entry = {"lesion_id": truth["lesion_id"], "organ": truth["organ"], "true_long_mm": round(truth["long_axis_mm"], 3),
                 "true_short_mm": round(truth["short_axis_mm"], 3), "true_volume_ml": round(truth["volume_ml"], 4)}
        start = time.perf_counter()
        try:
            m = measure_lesion(study.ct, click=(i, j, k))
        except DeepRadiologyError as exc:
            entry["error"] = str(exc)
            per_lesion.append(entry)
            continue
        seconds = time.perf_counter() - start
        long_ijk = np.asarray(truth["long_axis_ijk"])[:, :2]
        short_ijk = np.asarray(truth["short_axis_ijk"])[:, :2]
        ellipse = recist_ellipse_mask(study.ct.array.shape[1:], long_ijk, short_ijk, spacing=spacing[:2])
        lesion = m.lesion
        truth_3d = study.lesions_map.array == truth["label"]
        err_long = lesion.long_axis_mm - truth["long_axis_mm"]
        err_short = lesion.short_axis_mm - truth["short_axis_mm"]
        rel_vol = (lesion.volume_ml - truth["volume_ml"]) / truth["volume_ml"]
        entry.update({
            "measured_long_mm": lesion.long_axis_mm, "measured_short_mm": lesion.short_axis_mm,
            "measured_volume_ml": lesion.volume_ml, "error_long_mm": round(err_long, 3),
            "error_short_mm": round(err_short, 3), "rel_error_volume": round(rel_vol, 4),
            "dice_vs_recist_ellipse": round(dice(m.slice.mask, ellipse), 4),
            "dice_3d": round(dice(m.volume.mask, truth_3d), 4), "slice_range": list(m.volume.slice_range),
            "within_tolerance": bool(abs(err_long) <= max(0.5, 0.03 * truth["long_axis_mm"])
                                     and abs(err_short) <= max(0.5, 0.03 * truth["short_axis_mm"])
                                     and abs(rel_vol) <= 0.10),
            "seconds": round(seconds, 4),
        })
        per_lesion.append(entry)
    report(progress, 1.0, "done")
    ok = [p for p in per_lesion if "error" not in p]
    return {"dataset": "phantom", "seed": seed, "studies": n_studies, "spacing_mm": list(spacing),
            "method": "adaptive-threshold", "reference": "phantom ground truth",
            **_summary(per_lesion),
            "mean_rel_error_volume": _mean(abs(p["rel_error_volume"]) for p in ok),
            "mean_dice_3d": _mean(p["dice_3d"] for p in ok),
            "within_tolerance": sum(p["within_tolerance"] for p in ok),
            "tolerance": "long/short within max(0.5 mm, 3 %), volume within 10 %",
            "per_lesion": per_lesion}
