"""Click-anywhere benchmark: per click kind, the share of phantom clicks within tolerance of the
phantom's analytic truth and the count silently wrong (outside tolerance with no warning), for
`measure_lesion` and for the old clicked-slice method (segment the clicked slice, propagate once)
in the same run.

Click kinds: ``key_centre`` (the truth's key slice, lesion centre), ``off_centre`` (key slice, 20 % of
the lesion's width off the centre), ``off_key`` (every other inner slice and both end slices).
Tolerance: 15 % volume and max(1.5 mm, 7 %) long axis (issue 11). A refusal is not silently wrong.
"""

from __future__ import annotations

import numpy as np

from ..errors import DeepRadiologyError

__all__ = ["click_benchmark"]

KINDS = ("key_centre", "off_centre", "off_key")


def _clicks(study):
    for truth in study.lesions:
        inside = study.lesions_map.array == truth["label"]
        ks = np.nonzero(inside.any(axis=(1, 2)))[0]
        key = truth["key_slice"]
        jj, ii = np.nonzero(inside[key])
        yield truth, "key_centre", (int(np.median(ii)), int(np.median(jj)), int(key))
        yield truth, "off_centre", (int(np.median(ii)) + int(0.2 * np.ptp(ii)), int(np.median(jj)), int(key))
        for k in [ks[0], ks[-1], *ks[1:-1:2]]:
            if k != key:
                jj, ii = np.nonzero(inside[k])
                yield truth, "off_key", (int(np.median(ii)), int(np.median(jj)), int(k))


def _old_method(image, click):
    """The pre-issue-11 result: the clicked slice's axes, one propagation from it."""
    from .measure import _propagate
    from .segment2d import segment_lesion_2d

    s = segment_lesion_2d(image, click=click)
    v = _propagate(image, s)
    return s.axes.long_mm, v.volume_ml, list(s.warnings) + list(v.warnings)


def _new_method(image, click):
    from .measure import measure_lesion

    lesion = measure_lesion(image, click=click).lesion
    # The "no organ map" flag is always there; it says nothing about the size, so it is not a warning here.
    warnings = [w for w in lesion.extra["warnings"] if not w.startswith("location unknown")]
    return lesion.long_axis_mm, lesion.volume_ml, warnings


def click_benchmark(seeds=(0, 3), spacing=(0.8, 0.8, 2.5)) -> dict:
    """{"methods": {"click_anywhere"|"clicked_slice": {kind: {"clicks", "within_tolerance_share",
    "silently_wrong", "refused"}}}, "tolerance": ..., "seeds": [...]}."""
    from ..phantom import generate_phantom

    methods = {"click_anywhere": _new_method, "clicked_slice": _old_method}
    tally = {m: {k: {"clicks": 0, "within": 0, "silently_wrong": 0, "refused": 0} for k in KINDS} for m in methods}
    for seed in seeds:
        study = generate_phantom(int(seed), n_studies=1, spacing=tuple(spacing)).studies[0]
        for truth, kind, click in _clicks(study):
            for name, fn in methods.items():
                t = tally[name][kind]
                t["clicks"] += 1
                try:
                    long_mm, volume_ml, warnings = fn(study.ct, click)
                except DeepRadiologyError:
                    t["refused"] += 1
                    continue
                ok = (abs(volume_ml - truth["volume_ml"]) <= 0.15 * truth["volume_ml"]
                      and abs(long_mm - truth["long_axis_mm"]) <= max(1.5, 0.07 * truth["long_axis_mm"]))
                t["within"] += ok
                t["silently_wrong"] += (not ok) and not warnings
    out = {}
    for name, kinds in tally.items():
        out[name] = {k: {"clicks": t["clicks"], "within_tolerance_share": round(t["within"] / max(t["clicks"], 1), 3),
                         "silently_wrong": t["silently_wrong"], "refused": t["refused"]} for k, t in kinds.items()}
    return {"seeds": list(seeds), "spacing_mm": list(spacing),
            "tolerance": "15 % volume and max(1.5 mm, 7 %) long axis vs the phantom's analytic truth",
            "methods": out}
