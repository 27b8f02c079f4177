"""Fixtures for LesionRetrieval: a phantom lesion database made once per session (4 coarse patients)."""

from __future__ import annotations

import pytest


def phantom_lesions(phantom):
    """(study, [Lesion]) pairs of a phantom, axes in the study's LPS frame, types from the ground truth."""
    from deepradiology.lesion import Lesion

    out = []
    for study in phantom.studies:
        lesions = [Lesion(t["lesion_id"], patient=phantom.plan.patient_id, study=study.plan.study_id,
                          long_axis_lps=t["long_axis_lps"], short_axis_lps=t["short_axis_lps"],
                          long_axis_mm=t["long_axis_mm"], short_axis_mm=t["short_axis_mm"],
                          lesion_type=t["lesion_type"], location=t["organ"], slice_index=t["key_slice"])
                   for t in study.lesions]
        out.append((study, lesions))
    return out


@pytest.fixture(scope="session")
def phantom_folder(tmp_path_factory):
    """A folder of phantom CT volumes (NIfTI) each with its lesion JSON, 4 patients x 1 study, coarse."""
    from deepradiology.io import write_image
    from deepradiology.lesion import save_lesions
    from deepradiology.phantom import generate_phantom

    folder = tmp_path_factory.mktemp("retrieval_phantoms")
    for seed in (11, 12, 13, 14):
        phantom = generate_phantom(seed, n_studies=1, spacing=(1.6, 1.6, 4.0))
        for study, lesions in phantom_lesions(phantom):
            stem = f"{phantom.plan.patient_id}_{study.plan.study_id}"
            write_image(study.ct, folder / f"{stem}.nii.gz")
            save_lesions(lesions, folder / f"{stem}.json")
    return folder


@pytest.fixture(scope="session")
def phantom_database(phantom_folder, tmp_path_factory):
    """A lesion database of the phantom folder (descriptor embeddings, thumbnails)."""
    from deepradiology.retrieval import LesionDatabase, import_nifti_folder

    path = tmp_path_factory.mktemp("retrieval_db") / "lesions.db"
    with LesionDatabase(path) as db:
        report = import_nifti_folder(db, phantom_folder)
    assert report.added > 20 and not report.skipped, report.to_dict()
    return path


@pytest.fixture(scope="session")
def dl_info_test(shared_data):
    """DeepLesion's test-split metadata (skips when the shared data is absent)."""
    path = shared_data / "deeplesion" / "DL_info_test.csv"
    if not path.is_file():
        pytest.skip(f"real public data not found: {path}")
    return path


@pytest.fixture(scope="session")
def deeplesion_images(shared_data):
    path = shared_data / "deeplesion" / "images_png"
    if not path.is_dir():
        pytest.skip(f"real public data not found: {path}")
    return path
