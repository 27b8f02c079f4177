"""Speed benchmarks of LongitudinalMatch, each against a peer measured in the same run (as a ratio).

* matching: 50 lesions over 5 studies (registration excluded) through the whole pipeline (embedding,
  Algorithm 1, tracks, RECIST) vs a plain Hungarian assignment on centre distance between consecutive
  studies; both also scored for pairwise precision / recall on the synthetic truth.
* registration: two phantom CTs of 512 x 512 x 300 voxels (a shifted, turned follow-up): our
  rigid + affine registration vs a plain full-resolution SimpleITK rigid-only run (the settings of
  SimpleITK's own registration examples); both scored by the residual distance of lesion centres.
"""

from __future__ import annotations

import time
from itertools import combinations

import numpy as np

from ..lesion import Lesion

__all__ = ["synthetic_series", "benchmark_matching", "benchmark_registration"]

_TYPES = ("liver", "lung", "abdomen", "kidney", "bone", "soft tissue", "mediastinum", "pelvis")


def synthetic_series(seed: int = 0, *, n_studies: int = 5, per_study: int = 10, jitter_mm: float = 3.0):
    """Lesions of one patient over ``n_studies`` (already aligned), with truth track ids in ``extra``.

    Baseline lesions lie at random in a 300 x 250 x 300 mm box (at least 25 mm apart); each follow-up
    moves every lesion by ``jitter_mm`` (s.d.) and scales it by 0.7-1.3; one lesion vanishes and
    one new lesion appears per follow-up, so every study holds ``per_study`` lesions.
    """
    from .study import Study

    rng = np.random.default_rng(seed)
    centres: list[np.ndarray] = []

    def new_centre() -> np.ndarray:
        while True:
            c = rng.uniform([-150, -125, -150], [150, 125, 150])
            if all(np.linalg.norm(c - o) > 25 for o in centres):
                centres.append(c)
                return c

    alive = {f"T{n}": (new_centre(), float(rng.uniform(10, 40)), _TYPES[n % len(_TYPES)]) for n in range(per_study)}
    count = per_study
    studies = []
    for s in range(n_studies):
        if s > 0:
            alive.pop(sorted(alive)[int(rng.integers(len(alive)))])
            alive[f"T{count}"] = (new_centre(), float(rng.uniform(10, 40)), _TYPES[count % len(_TYPES)])
            count += 1
        lesions = []
        for tid, (c, d, t) in alive.items():
            if s > 0:
                c = c + rng.normal(0, jitter_mm, 3)
                d = d * float(rng.uniform(0.7, 1.3))
                alive[tid] = (c, d, t)
            half = np.array([d / 2, 0, 0])
            short = np.array([0, d / 3, 0])
            lesions.append(Lesion(f"{tid}-s{s}", patient="SYN", study=f"S{s}", long_axis_lps=(c - half, c + half),
                                  short_axis_lps=(c - short, c + short), long_axis_mm=d, short_axis_mm=2 * d / 3,
                                  lesion_type=t, location=t, extra={"truth_track": tid}))
        rng.shuffle(lesions)
        studies.append(Study(f"S{s}", lesions, date=f"2024-0{s + 1}-01", patient="SYN"))
    return studies


def _hungarian_tracks(studies) -> list[list[tuple[str, str]]]:
    """The peer: consecutive studies assigned on centre distance alone (no threshold, no graph)."""
    from scipy.optimize import linear_sum_assignment

    from .embedding import lesion_centre_lps

    track_of: dict[tuple[str, str], int] = {}
    tracks: list[list[tuple[str, str]]] = []
    for les in studies[0].lesions:
        track_of[(studies[0].study_id, les.lesion_id)] = len(tracks)
        tracks.append([(studies[0].study_id, les.lesion_id)])
    for a, b in zip(studies[:-1], studies[1:]):
        ca = np.array([lesion_centre_lps(x) for x in a.lesions])
        cb = np.array([lesion_centre_lps(x) for x in b.lesions])
        rows, cols = linear_sum_assignment(np.linalg.norm(ca[:, None] - cb[None], axis=2))
        done = set()
        for i, j in zip(rows, cols):
            t = track_of[(a.study_id, a.lesions[i].lesion_id)]
            track_of[(b.study_id, b.lesions[j].lesion_id)] = t
            tracks[t].append((b.study_id, b.lesions[j].lesion_id))
            done.add(j)
        for j, les in enumerate(b.lesions):
            if j not in done:
                track_of[(b.study_id, les.lesion_id)] = len(tracks)
                tracks.append([(b.study_id, les.lesion_id)])
    return tracks


def _pair_scores(tracks, studies) -> dict:
    truth = {(s.study_id, les.lesion_id): les.extra["truth_track"] for s in studies for les in s.lesions}
    pred = {frozenset(p) for t in tracks for p in combinations(t, 2) if p[0][0] != p[1][0]}
    true = {frozenset((a, b)) for a, b in combinations(truth, 2) if a[0] != b[0] and truth[a] == truth[b]}
    hit = len(pred & true)
    return {"precision": round(hit / len(pred), 4) if pred else 1.0, "recall": round(hit / len(true), 4) if true else 1.0}


def _median_time(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def benchmark_matching(*, seed: int = 0, repeats: int = 5) -> dict:
    """Time and score matching 50 lesions over 5 studies against the Hungarian-on-distance peer."""
    from .tracking import track_lesions

    studies = synthetic_series(seed)
    ours_s, result = _median_time(lambda: track_lesions(studies, register=False), repeats)
    peer_s, peer = _median_time(lambda: _hungarian_tracks(studies), repeats)
    ours_tracks = [[(s, lid) for s, ids in t.lesions.items() for lid in ids] for t in result.tracks]
    return {"lesions": sum(len(s.lesions) for s in studies), "studies": len(studies),
            "seconds": round(ours_s, 4), "peer": "scipy Hungarian on centre distance, consecutive studies",
            "peer_seconds": round(peer_s, 4), "ratio_to_peer": round(ours_s / peer_s, 2),
            "ours": _pair_scores(ours_tracks, studies), "peer_scores": _pair_scores(peer, studies)}


def _plain_rigid(baseline, follow_up):
    """SimpleITK's example recipe: rigid only, full resolution, geometry-centred start."""
    import SimpleITK as sitk

    fixed = sitk.Cast(baseline.to_sitk(), sitk.sitkFloat32)
    moving = sitk.Cast(follow_up.to_sitk(), sitk.sitkFloat32)
    initial = sitk.CenteredTransformInitializer(fixed, moving, sitk.Euler3DTransform(),
                                                sitk.CenteredTransformInitializerFilter.GEOMETRY)
    reg = sitk.ImageRegistrationMethod()
    reg.SetMetricAsMattesMutualInformation(numberOfHistogramBins=50)
    reg.SetMetricSamplingStrategy(reg.RANDOM)
    reg.SetMetricSamplingPercentage(0.01, seed=7)
    reg.SetInterpolator(sitk.sitkLinear)
    reg.SetOptimizerAsGradientDescent(learningRate=1.0, numberOfIterations=100, convergenceMinimumValue=1e-6,
                                      convergenceWindowSize=10)
    reg.SetOptimizerScalesFromPhysicalShift()
    reg.SetShrinkFactorsPerLevel([4, 2, 1])
    reg.SetSmoothingSigmasPerLevel([2, 1, 0])
    reg.SmoothingSigmasAreSpecifiedInPhysicalUnitsOn()
    reg.SetInitialTransform(initial, inPlace=False)
    out = reg.Execute(fixed, moving)
    from .registration import _affine_matrix

    t = sitk.CompositeTransform(out).GetNthTransform(0) if out.GetName() == "CompositeTransform" else out
    return np.linalg.inv(_affine_matrix(sitk.Euler3DTransform(t)))


def _residual_mm(matrix: np.ndarray, phantom) -> float:
    base = {t["track_id"]: np.asarray(t["centre_lps"]) for t in phantom.studies[0].lesions}
    errs = [np.linalg.norm(matrix[:3, :3] @ np.asarray(t["centre_lps"]) + matrix[:3, 3] - base[t["track_id"]])
            for t in phantom.studies[1].lesions if t["track_id"] in base]
    return round(float(np.mean(errs)), 2)


def benchmark_registration(*, shape: tuple[int, int, int] = (512, 512, 300), seed: int = 0) -> dict:
    """Time our registration of two ``shape`` (i, j, k) phantom CTs against a plain rigid-only run."""
    from ..phantom import generate_phantom
    from ..phantom.render import FIELD_OF_VIEW_MM
    from .registration import register_follow_up

    spacing = tuple((r[1] - r[0]) / (n - 1) for r, n in zip(FIELD_OF_VIEW_MM, shape))
    phantom = generate_phantom(seed, n_studies=2, spacing=spacing)
    a, b = phantom.studies[0].ct, phantom.studies[1].ct
    t0 = time.perf_counter()
    ours = register_follow_up(a, b, baseline_id="S0", follow_up_id="S1")
    ours_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    peer = _plain_rigid(a, b)
    peer_s = time.perf_counter() - t0
    return {"size_ijk": list(a.size), "spacing_mm": [round(s, 4) for s in spacing], "seconds": round(ours_s, 2),
            "method": ours.method, "converged": ours.converged, "residual_mm": _residual_mm(ours.matrix, phantom),
            "unregistered_residual_mm": _residual_mm(np.eye(4), phantom),
            "peer": "plain SimpleITK rigid-only, full resolution", "peer_seconds": round(peer_s, 2),
            "peer_residual_mm": _residual_mm(peer, phantom), "ratio_to_peer": round(ours_s / peer_s, 2)}
