"""LongitudinalMatch on the synthetic patient: the phantom's truth as marked lesions, and its scores."""

from __future__ import annotations

from itertools import combinations

from ..lesion import Lesion
from .graph import LesionTrack
from .response import response_over_time
from .study import Study
from .tracking import TrackingResult, track_lesions

__all__ = ["phantom_lesion", "phantom_studies", "pairwise_scores", "evaluate_phantom"]


def phantom_lesion(truth: dict, *, patient: str, study: str) -> Lesion:
    """A phantom ground-truth lesion dict as the `Lesion` a reader would have marked (LPS mm axes)."""
    return Lesion(
        lesion_id=truth["lesion_id"], patient=patient, study=study, slice_index=int(truth["key_slice"]),
        long_axis_lps=tuple(map(tuple, truth["long_axis_lps"])), short_axis_lps=tuple(map(tuple, truth["short_axis_lps"])),
        long_axis_mm=float(truth["long_axis_mm"]), short_axis_mm=float(truth["short_axis_mm"]),
        volume_ml=float(truth["volume_ml"]), location=truth["organ"], lesion_type=truth["lesion_type"],
        is_lymph_node=bool(truth["is_lymph_node"]), extra={"truth_track": truth["track_id"]})


def phantom_studies(phantom, *, with_images: bool = True) -> list[Study]:
    """The phantom's studies with their truth lesions marked (and CT volumes when ``with_images``)."""
    pid = phantom.plan.patient_id
    return [Study(s.plan.study_id, [phantom_lesion(t, patient=pid, study=s.plan.study_id) for t in s.lesions],
                  date=s.plan.date, patient=pid, image=s.ct if with_images else None) for s in phantom.studies]


def _pairs(groups: list[list[tuple[str, str]]]) -> set[frozenset]:
    return {frozenset((a, b)) for g in groups for a, b in combinations(g, 2) if a[0] != b[0]}


def pairwise_scores(result: TrackingResult) -> dict:
    """Precision and recall of "same lesion" pairs across studies, against ``extra['truth_track']``."""
    predicted = _pairs([[(s, lid) for s, ids in t.lesions.items() for lid in ids] for t in result.tracks])
    truth: dict[str, list] = {}
    for study, lesions in result.lesions.items():
        for lid, les in lesions.items():
            truth.setdefault(les.extra["truth_track"], []).append((study, lid))
    true_pairs = _pairs(list(truth.values()))
    hit = len(predicted & true_pairs)
    return {"pairs_true": len(true_pairs), "pairs_predicted": len(predicted), "pairs_correct": hit,
            "precision": hit / len(predicted) if predicted else 1.0,
            "recall": hit / len(true_pairs) if true_pairs else 1.0}


def truth_response(result: TrackingResult):
    """The RECIST responses the phantom's true tracks give (same rules, true lesion identities)."""
    tracks: dict[str, LesionTrack] = {}
    for study in result.studies:
        for lid, les in result.lesions[study].items():
            tid = les.extra["truth_track"]
            tracks.setdefault(tid, LesionTrack(tid, {})).lesions.setdefault(study, []).append(lid)
    return response_over_time(list(tracks.values()), result.studies, result.lesions, dates=result.dates)


def evaluate_phantom(seed: int = 0, *, n_studies: int = 4, register: bool = True, spacing=(1.6, 1.6, 2.5),
                     phantom=None) -> dict:
    """Generate (or take) a phantom, match its truth lesions, and score matching and RECIST.

    Returns:
        JSON-ready dict: pairwise precision/recall, per-study RECIST category (predicted vs truth),
        whether every category is right, the tracks' statuses and registration messages.
    """
    if phantom is None:
        from ..phantom import generate_phantom

        phantom = generate_phantom(seed, n_studies=n_studies, spacing=spacing)
    result = track_lesions(phantom_studies(phantom, with_images=register), register=register)
    scores = pairwise_scores(result)
    truth, _, _ = truth_response(result)
    categories = [{"study": p.study, "predicted": p.overall_response, "truth": t.overall_response,
                   "sum_mm": p.sum_mm, "truth_sum_mm": t.sum_mm} for p, t in zip(result.response, truth)]
    return {"seed": phantom.plan.seed, "studies": len(result.studies), "lesions": sum(map(len, result.lesions.values())),
            "tracks": len(result.tracks), **scores,
            "recist_all_right": all(c["predicted"] == c["truth"] for c in categories), "recist": categories,
            "track_status": {t.track_id: t.status for t in result.tracks},
            "registration": [{"study": a.follow_up, "converged": a.converged, "method": a.method}
                             for a in result.alignments[1:]], "warnings": result.warnings}
