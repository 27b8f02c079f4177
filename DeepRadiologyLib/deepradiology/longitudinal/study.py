"""A patient's study as LongitudinalMatch sees it, and the checks every series of studies must pass."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..errors import InputError
from ..image import Image
from ..lesion import Lesion

__all__ = ["Study", "check_studies", "order_studies"]


@dataclass
class Study:
    """One time point: its lesions (LPS mm axes), and optionally its CT and date.

    Attributes:
        study_id: unique among the patient's studies ("S0", a DICOM StudyInstanceUID, ...).
        lesions: the lesions marked on this study; ids unique within the study.
        date: "YYYY-MM-DD" or DICOM "YYYYMMDD" ("" when unknown: the given order is used).
        patient: patient id ("" when unknown; then the lesions' own ``patient`` fields are used).
        image: the CT volume, needed for registration and the HU appearance cue.
    """

    study_id: str
    lesions: list[Lesion] = field(default_factory=list)
    date: str = ""
    patient: str = ""
    image: Image | None = None

    @property
    def patient_id(self) -> str:
        if self.patient:
            return self.patient
        ids = {les.patient for les in self.lesions if les.patient}
        if not ids and self.image is not None:
            ids = {str(self.image.meta.get("patient_id", ""))} - {""}
        return ids.pop() if len(ids) == 1 else ""


def _date_key(date: str) -> str:
    return date.replace("-", "").replace("/", "").strip()


def order_studies(studies: list[Study]) -> list[Study]:
    """Studies in time order: by date when every study has one, otherwise as given."""
    if studies and all(s.date for s in studies):
        return sorted(studies, key=lambda s: _date_key(s.date))
    return list(studies)


def check_studies(studies: list[Study], *, force_patient: bool = False) -> list[str]:
    """Refuse a series that cannot be matched; return warnings for what can be matched with care.

    Raises:
        InputError: fewer than two studies, repeated study ids, duplicate lesion ids in a study,
            no lesions at all, or studies of different patients (unless ``force_patient``).
    """
    warnings: list[str] = []
    if len(studies) < 2:
        raise InputError("studies", f"matching needs at least two studies of the patient, got {len(studies)}")
    repeated = [sid for sid, n in Counter(s.study_id for s in studies).items() if n > 1]
    if repeated:
        raise InputError("studies", f"study ids must be unique; repeated: {', '.join(map(str, repeated))}")
    for s in studies:
        dupes = sorted(lid for lid, n in Counter(les.lesion_id for les in s.lesions).items() if n > 1)
        if dupes:
            raise InputError(s.study_id, f"duplicate lesion ids in one study: {', '.join(dupes)}; "
                             "give each lesion its own id")
        inside = {les.patient for les in s.lesions if les.patient}
        if len(inside) > 1 and not force_patient:
            raise InputError(s.study_id, f"lesions of different patients in one study: {', '.join(sorted(inside))}")
        if s.patient and inside - {s.patient} and not force_patient:
            raise InputError(s.study_id, f"the study is of patient {s.patient}, but lesions of it name patient "
                             f"{', '.join(sorted(inside - {s.patient}))}")
    if sum(len(s.lesions) for s in studies) == 0:
        raise InputError("studies", "no study has any lesion: mark lesions first (RECISTAssist, by hand or import)")
    for s in studies:
        if not s.lesions:
            warnings.append(f"study {s.study_id} has no lesions: every lesion followed is not evaluated there "
                            "(mark lesions absent if they are gone)")
    patients = {s.study_id: s.patient_id for s in studies}
    known = set(patients.values()) - {""}
    if len(known) > 1:
        listing = ", ".join(f"{sid}: {pid or 'unknown'}" for sid, pid in patients.items())
        if not force_patient:
            raise InputError("studies", f"the studies belong to different patients ({listing}); "
                             "refusing to match them (use --force-patient if they are one patient)")
        warnings.append(f"studies of different patient ids matched on request ({listing})")
    if any(s.date for s in studies) and not all(s.date for s in studies):
        warnings.append("some studies have no date: using the order given")
    return warnings
