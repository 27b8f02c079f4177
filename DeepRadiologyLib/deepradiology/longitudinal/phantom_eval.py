"""LongitudinalMatch on the synthetic patient: the phantom's truth as marked lesions, and its scores."""

from __future__ import annotations

from itertools import combinations

from ..lesion import Lesion
from .study import Study
from .tracking import TrackingResult, track_lesions

__all__ = ["phantom_lesion", "phantom_studies", "pairwise_scores", "evaluate_phantom", "truth_response",
           "truth_categories"]


def phantom_lesion(truth: dict, *, patient: str, study: str) -> Lesion:
    """A phantom ground-truth lesion dict as the `Lesion` a reader would have marked (LPS mm axes)."""
    return Lesion(
        lesion_id=truth["lesion_id"], patient=patient, study=study, slice_index=int(truth["key_slice"]),
        long_axis_lps=tuple(map(tuple, truth["long_axis_lps"])), short_axis_lps=tuple(map(tuple, truth["short_axis_lps"])),
        long_axis_mm=float(truth["long_axis_mm"]), short_axis_mm=float(truth["short_axis_mm"]),
        volume_ml=float(truth["volume_ml"]), location=truth["organ"], lesion_type=truth["lesion_type"],
        is_lymph_node=bool(truth["is_lymph_node"]), extra={"truth_track": truth["track_id"]})


def phantom_studies(phantom, *, with_images: bool = True, mark_absent: bool = True) -> list[Study]:
    """The phantom's studies with their truth lesions marked (and CT volumes when ``with_images``).

    With ``mark_absent`` a lesion seen before and gone now (the truth knows it vanished) gets an
    "absent" record naming its last sighting, as a reader who looked and found it gone would write;
    without, it is simply not listed, which the response reads as not evaluated.
    """
    pid = phantom.plan.patient_id
    out, last_seen = [], {}
    for s in phantom.studies:
        sid = s.plan.study_id
        lesions = [phantom_lesion(t, patient=pid, study=sid) for t in s.lesions]
        here = {t["track_id"] for t in s.lesions}
        if mark_absent:
            lesions += [Lesion(f"{sid}-{tid}", patient=pid, study=sid,
                               extra={"status": "absent", "same_as": ref, "truth_track": tid})
                        for tid, ref in last_seen.items() if tid not in here]
        last_seen.update({t["track_id"]: t["lesion_id"] for t in s.lesions})
        out.append(Study(sid, lesions, date=s.plan.date, patient=pid, image=s.ct if with_images else None))
    return out


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


def truth_categories(ground_truth: dict) -> list[str]:
    """The phantom's RECIST 1.1 overall category per study, from its truth alone.

    Written out by hand from Eisenhauer et al. 2009 for what a phantom holds (every lesion is seen at
    every study, so nothing is "not evaluated"), deliberately without `engine` or `recist11`, so that
    it can check them: measurable = long axis >= 10 mm (nodes: short axis >= 15 mm; nodes < 10 mm are
    normal); targets = largest first, 5 at most, 2 per organ, all nodes one organ; sum = long axes +
    node short axes; PD = +20 % and +5 mm over the smallest earlier sum, or any new lesion; CR = all
    non-nodal targets gone and nodes < 10 mm; PR = -30 % from baseline; overall by Table 4 / Table 5.

    Args:
        ground_truth: a phantom's ``ground_truth()`` dict (or its ground_truth.json).
    """
    studies = ground_truth["studies"]
    base = {t["track_id"]: t for t in studies[0]["lesions"]}

    def size(t):
        return t["short_axis_mm"] if t["is_lymph_node"] else t["long_axis_mm"]

    big = [t for t in base.values() if (t["short_axis_mm"] >= 15.0 if t["is_lymph_node"] else t["long_axis_mm"] >= 10.0)]
    big.sort(key=lambda t: size(t), reverse=True)
    targets, count = [], {}
    for t in big:
        organ = "nodes" if t["is_lymph_node"] else t["organ"]
        if len(targets) < 5 and count.get(organ, 0) < 2:
            targets.append(t["track_id"])
            count[organ] = count.get(organ, 0) + 1
    others = [tid for tid, t in base.items() if tid not in targets
              and not (t["is_lymph_node"] and t["short_axis_mm"] < 10.0)]
    answer, sums = ["baseline"], [sum(size(base[tid]) for tid in targets)]
    for s in studies[1:]:
        now = {t["track_id"]: t for t in s["lesions"]}
        new = any(tid not in base for tid in now)
        if targets:
            total = sum(size(now[tid]) if tid in now else 0.0 for tid in targets)
            low = min(sums)
            if total - low >= 5.0 - 1e-9 and total - low >= 0.2 * low - 1e-9:
                tr = "PD"
            elif all((now[tid]["short_axis_mm"] < 10.0 if base[tid]["is_lymph_node"] else False) if tid in now else True
                     for tid in targets):
                tr = "CR"
            elif total <= 0.7 * sums[0] + 1e-9:
                tr = "PR"
            else:
                tr = "SD"
            sums.append(total)
        nt_left = [tid for tid in others if tid in now
                   and not (now[tid]["is_lymph_node"] and now[tid]["short_axis_mm"] < 10.0)]
        nt = None if not others else ("Non-CR/Non-PD" if nt_left else "CR")
        if new or (targets and tr == "PD"):
            answer.append("PD")
        elif targets:
            answer.append("PR" if tr == "CR" and nt == "Non-CR/Non-PD" else tr)
        else:
            answer.append(nt or "NE")
    return answer


def truth_response(result: TrackingResult):
    """The engine run on the phantom's true tracks (true lesion identities instead of the matching's)."""
    from .graph import LesionTrack
    from .response import response_over_time

    tracks: dict[str, LesionTrack] = {}
    owner = {}
    for study in result.studies:
        for lid, les in result.lesions[study].items():
            tid = les.extra["truth_track"]
            tracks.setdefault(tid, LesionTrack(tid, {})).lesions.setdefault(study, []).append(lid)
            owner[(study, lid)] = tid
    statuses: dict[str, dict[str, str]] = {}
    for tid, per in result.statuses.items():       # the reader's marks, moved onto the true tracks
        for study, st in per.items():
            track = result.track(tid)
            seen = [owner[(s, i)] for s, ids in track.lesions.items() for i in ids]
            if seen:
                statuses.setdefault(seen[0], {})[study] = st
    return response_over_time(list(tracks.values()), result.studies, result.lesions, dates=result.dates,
                              statuses=statuses)


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
    truth = truth_categories(phantom.ground_truth())
    categories = [{"study": p.study, "predicted": p.overall_response, "truth": t, "sum_mm": p.sum_mm}
                  for p, t in zip(result.response, truth)]
    return {"seed": phantom.plan.seed, "studies": len(result.studies), "lesions": sum(map(len, result.lesions.values())),
            "tracks": len(result.tracks), **scores,
            "recist_all_right": all(c["predicted"] == c["truth"] for c in categories), "recist": categories,
            "track_status": {t.track_id: t.status for t in result.tracks},
            "registration": [{"study": a.follow_up, "converged": a.converged, "method": a.method}
                             for a in result.alignments[1:]], "warnings": result.warnings}
