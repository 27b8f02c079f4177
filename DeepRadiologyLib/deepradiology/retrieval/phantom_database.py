"""A lesion database of synthetic patients, for LesionRetrieval's tests and the Slicer module's self-test.

Each phantom patient gives one study: its CT and its lesions as a reader marked them. The nearest
neighbours' expected types then come from the phantom's truth, not from the code under test. It lives
in the package because the module's Test class runs inside Slicer and cannot import from Testing/.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

__all__ = ["PHANTOM_DATABASE_SPACING", "write_phantom_lesion_folder", "phantom_lesion_database"]

#: Coarse voxels (i, j, k) in mm: small volumes, quick to render and to import.
PHANTOM_DATABASE_SPACING = (1.6, 1.6, 4.0)


def write_phantom_lesion_folder(folder: str | Path, seeds: Iterable[int], *,
                                spacing=PHANTOM_DATABASE_SPACING) -> Path:
    """Write one study of each seed's phantom patient in `import_nifti_folder`'s layout.

    Files: ``<patient>_<study>.nii.gz`` (the CT, HU, LPS geometry) and ``<patient>_<study>.json`` (its
    lesions). Each lesion is the reader's record of a planted lesion (`phantom_lesion`: RECIST axes in
    LPS mm, diameters in mm, key slice, organ, coarse type, node flag, volume in mL) without the truth's
    track label, which is the longitudinal scorer's answer key and no part of a lesion database.

    Returns:
        the folder.
    """
    from ..io import write_image
    from ..lesion import save_lesions
    from ..longitudinal.phantom_eval import phantom_lesion
    from ..phantom import generate_phantom

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        phantom = generate_phantom(int(seed), n_studies=1, spacing=spacing)
        patient, study = phantom.plan.patient_id, phantom.studies[0]
        lesions = [dataclasses.replace(phantom_lesion(t, patient=patient, study=study.plan.study_id), extra={})
                   for t in study.lesions]
        stem = f"{patient}_{study.plan.study_id}"
        write_image(study.ct, folder / f"{stem}.nii.gz")
        save_lesions(lesions, folder / f"{stem}.json")
    return folder


def phantom_lesion_database(folder: str | Path, seeds: Iterable[int], *, spacing=PHANTOM_DATABASE_SPACING,
                            embedder=None) -> Path:
    """`write_phantom_lesion_folder`, then import it into ``<folder>/lesions.db`` (SQLite, with the
    descriptor embeddings unless ``embedder`` is given, and thumbnails).

    Returns:
        the database file.

    Raises:
        DeepRadiologyError: a phantom volume was skipped (the database would lack its lesions).
    """
    from ..errors import DeepRadiologyError
    from .database import LesionDatabase
    from .importers import import_nifti_folder

    folder = write_phantom_lesion_folder(folder, seeds, spacing=spacing)
    path = folder / "lesions.db"
    with LesionDatabase(path) as db:
        report = import_nifti_folder(db, folder, embedder=embedder)
    if report.skipped:
        raise DeepRadiologyError(f"{folder}: phantom lesions were skipped on import: {report.skipped}")
    return path
