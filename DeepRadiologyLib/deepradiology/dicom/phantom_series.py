"""`deepradiology phantom --dicom`: each phantom study also as a CT DICOM series (``<study>_dicom/``)."""

from __future__ import annotations

from pathlib import Path

from ..errors import OutputExistsError
from .series import write_ct_series

__all__ = ["write_phantom_dicom"]


def write_phantom_dicom(phantom, folder: str | Path, *, force: bool = False) -> dict[str, Path]:
    """Write ``<folder>/<study>_dicom/NNNN.dcm`` per study; UIDs derive from the seed (same seed, same UIDs).

    The series carries the phantom's patient id, the study's date and id (StudyID = "S0", ...), and the
    CT's LPS geometry, so lesions of ``ground_truth.json`` export onto it directly.
    """
    folder = Path(folder)
    paths = {f"{s.plan.study_id}_dicom": folder / f"{s.plan.study_id}_dicom" for s in phantom.studies}
    for p in paths.values():
        if p.exists() and any(p.iterdir()) and not force:
            raise OutputExistsError(p)
    for s in phantom.studies:
        write_ct_series(s.ct, paths[f"{s.plan.study_id}_dicom"], patient_id=phantom.plan.patient_id,
                        study_id=s.plan.study_id, study_date=s.plan.date,
                        seed_key=f"deepradiology-phantom-seed{phantom.plan.seed}")
    return paths
