"""The LongitudinalMatch pipeline: studies -> alignment -> embeddings -> Algorithm 1 -> tracks -> RECIST."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..lesion import Lesion
from ..progress import ProgressCallback, report
from .embedding import CueWeights, embed_lesions, lesion_centre_lps
from .graph import DEFAULT_T1, DEFAULT_T2, LesionGraph, LesionTrack, Match, match_lesion_graph
from .records import one_record_per_lesion, record_status, split_status_marks
from .registration import StudyAlignment, identity_alignment, register_follow_up
from .response import TimePointResponse, response_over_time
from .study import Study, check_studies, order_studies

__all__ = ["TrackingResult", "track_lesions", "align_studies", "rebuild_response"]


@dataclass
class TrackingResult:
    """Everything LongitudinalMatch found for one patient.

    ``lesions`` maps study id -> lesion id -> `Lesion` so that a track can be measured at any study;
    ``alignments`` are follow-up -> baseline (the baseline's own is the identity). ``statuses`` holds
    what a reader said of a track at a study without measuring it ("absent", "not_evaluated",
    "unequivocal_progression"); a track with no lesion and no status at a study is not evaluated there.
    """

    patient: str
    studies: list[str]
    dates: list[str]
    tracks: list[LesionTrack]
    alignments: list[StudyAlignment]
    lesions: dict[str, dict[str, Lesion]]
    response: list[TimePointResponse] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    non_targets: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, list[str]]] = field(default_factory=list)
    statuses: dict[str, dict[str, str]] = field(default_factory=dict)   # track id -> study -> user-set status
    warnings: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)

    @property
    def matches(self) -> list[Match]:
        return [m for t in self.tracks for m in t.matches]

    def track(self, track_id: str) -> LesionTrack:
        for t in self.tracks:
            if t.track_id == track_id:
                return t
        from ..errors import InputError

        raise InputError(track_id, f"no such track; tracks are {', '.join(t.track_id for t in self.tracks)}")

    def assessment_dict(self) -> dict:
        """The RECIST assessment these tracks give, as the JSON ``longitudinal response`` reads (track ids
        as lesion ids), so a reader can check or edit it and score it again."""
        from .assessment import assessment_to_dict
        from .engine import evaluate
        from .response import tracks_to_assessment

        assessment = tracks_to_assessment(self.tracks, self.studies, self.lesions, dates=self.dates,
                                          statuses=self.statuses)
        return assessment_to_dict(assessment, evaluate(assessment))

    def to_dict(self) -> dict:
        return {
            "patient": self.patient, "studies": self.studies, "dates": self.dates, "frame": "LPS",
            "units": {"position": "mm", "diameter": "mm", "change": "percent"},
            "tracks": [t.to_dict() for t in self.tracks],
            "targets": self.targets, "non_targets": self.non_targets,
            "response": [r.to_dict() for r in self.response],
            "alignments": [a.to_dict() for a in self.alignments],
            "duplicates": [{"study": s, "lesions": ids} for s, ids in self.duplicates],
            "statuses": self.statuses,
            "warnings": self.warnings, "settings": self.settings,
        }


def align_studies(studies: list[Study], *, register: bool = True, known: dict[str, StudyAlignment] | None = None,
                  progress: ProgressCallback | None = None) -> tuple[list[StudyAlignment], list[str]]:
    """Follow-up -> baseline alignment for every study (the baseline gets the identity).

    ``known`` alignments (by follow-up study id, same baseline) are reused instead of registering
    again. Without images, or with ``register=False``, studies are taken as already aligned.
    """
    base = studies[0]
    out, warnings = [identity_alignment(base.study_id, base.study_id)], []
    for n, s in enumerate(studies[1:], start=1):
        lo, hi = (n - 1) / (len(studies) - 1), n / (len(studies) - 1)   # this pair's share of the bar
        report(progress, lo, f"aligning {s.study_id} to {base.study_id}")
        pair = None if progress is None else \
            (lambda f, m="", lo=lo, hi=hi, sid=s.study_id: report(progress, lo + (hi - lo) * f, f"{sid}: {m}"))
        reuse = (known or {}).get(s.study_id)
        if reuse is not None and reuse.baseline == base.study_id:
            out.append(reuse)
        elif register and base.image is not None and s.image is not None:
            out.append(register_follow_up(base.image, s.image, baseline_id=base.study_id, follow_up_id=s.study_id,
                                          progress=pair))
        else:
            out.append(identity_alignment(base.study_id, s.study_id))
            if register:
                warnings.append(f"{s.study_id}: no CT volume for it or the baseline, so it was not registered; "
                                "positions are taken as already aligned")
        if not out[-1].converged:
            warnings.append(out[-1].message)
    return out, warnings


def track_lesions(studies: list[Study], *, register: bool = True, weights: CueWeights = CueWeights(),
                  t1: float = DEFAULT_T1, t2: float = DEFAULT_T2, exclusion: str = "assignment",
                  force_patient: bool = False, alignments: dict[str, StudyAlignment] | None = None,
                  use_appearance: bool = True, progress: ProgressCallback | None = None) -> TrackingResult:
    """Match every lesion of a patient across its studies and score RECIST 1.1 at each.

    Args:
        studies: two or more `Study` records; ordered by date when all have one.
        register: register follow-up CTs to the baseline (rigid + affine) when volumes are given.
        weights: cue weights of the lesion embedding (`CueWeights`).
        t1, t2, exclusion: Algorithm 1's settings (`graph`).
        force_patient: match studies even when their patient ids differ.
        alignments: previously computed alignments to reuse, by follow-up study id.

    Raises:
        InputError: see `check_studies`.
    """
    studies = order_studies(studies)
    warnings = check_studies(studies, force_patient=force_patient)
    studies, marks = split_status_marks(studies)
    same_records = []
    for n, s in enumerate(studies):       # one lesion, one record per study, before anything is matched
        studies[n], merged, notes = one_record_per_lesion(s)
        same_records += merged
        warnings += notes
    aligned, more = align_studies(studies, register=register, known=alignments,
                                  progress=lambda f, m="": report(progress, 0.8 * f, m))
    warnings += more
    report(progress, 0.85, "matching lesions")
    appearance = use_appearance and all(s.image is not None for s in studies)
    learned = all(les.embedding for s in studies for les in s.lesions) and \
        len({les.embedding_model for s in studies for les in s.lesions}) == 1
    embeddings, extents = [], []
    for s, al in zip(studies, aligned):
        embeddings.append(embed_lesions(s.lesions, alignment=al, image=s.image, weights=weights,
                                        use_appearance=appearance or learned, learned=learned))
        centres = al.map_points(np.array([lesion_centre_lps(les) for les in s.lesions]).reshape(-1, 3))
        extents.append([(c, 0.5 * float(les.long_axis_mm or 0.0)) for c, les in zip(centres, s.lesions)])
    study_ids = [s.study_id for s in studies]
    graph: LesionGraph = match_lesion_graph(
        embeddings, [[les.lesion_id for les in s.lesions] for s in studies], study_ids, t1=t1, t2=t2,
        exclusion=exclusion, study_confidence=[a.confidence for a in aligned], extents_mm=extents)
    lesions = {s.study_id: {les.lesion_id: les for les in s.lesions} for s in studies}
    patient = next((s.patient_id for s in studies if s.patient_id), "")
    result = TrackingResult(patient, study_ids, [s.date for s in studies], graph.tracks, aligned, lesions,
                            duplicates=same_records + graph.duplicates, warnings=warnings,
                            settings={"t1": t1, "t2": t2, "exclusion": exclusion, "weights": weights.to_dict(),
                                      "appearance": "learned" if learned else "hu" if appearance else "none"})
    for study, ids in graph.duplicates:
        result.warnings.append(f"{study}: lesions {', '.join(ids)} are closer than T1 and were taken as one lesion")
    _apply_marks(result, studies, marks, same_records)
    rebuild_response(result)
    report(progress, 1.0, f"{len(graph.tracks)} tracks")
    return result


def _apply_marks(result: TrackingResult, studies: list[Study], marks, same_records) -> None:
    """Status records and statuses carried by measured records become the tracks' per-study statuses."""
    alias = {(study, other): ids[0] for study, ids in same_records for other in ids[1:]}
    for s in studies:
        for les in s.lesions:
            status = record_status(les)
            if status != "present":
                track = next(t for t in result.tracks if les.lesion_id in t.lesions.get(s.study_id, []))
                result.statuses.setdefault(track.track_id, {})[s.study_id] = status
    for study, mark, ref_study, ref in marks:
        ref = alias.get((ref_study, ref), ref)      # a record merged into another one of its study
        track = next((t for t in result.tracks if ref in t.lesions.get(ref_study, [])), None)
        if track is None:      # cannot happen: every kept lesion is in a track
            raise AssertionError(f"{ref_study} {ref} is in no track")
        result.statuses.setdefault(track.track_id, {})[study] = record_status(mark)


def rebuild_response(result: TrackingResult) -> TrackingResult:
    """Recompute the RECIST response from the result's current tracks (after a user correction)."""
    result.response, result.targets, result.non_targets = response_over_time(
        result.tracks, result.studies, result.lesions, dates=result.dates, statuses=result.statuses)
    return result
