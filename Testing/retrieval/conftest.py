"""Fixtures for LesionRetrieval: a phantom lesion database made once per session (4 coarse patients)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def phantom_folder(tmp_path_factory):
    """A folder of phantom CT volumes (NIfTI) each with its lesion JSON, 4 patients x 1 study, coarse."""
    from deepradiology.retrieval.phantom_database import write_phantom_lesion_folder

    return write_phantom_lesion_folder(tmp_path_factory.mktemp("retrieval_phantoms"), seeds=(11, 12, 13, 14))


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
        pytest.skip(f"real public data not found: {path} (set DEEPRADIOLOGY_SHARED_DATA to the data folder)")
    return path


@pytest.fixture(scope="session")
def deeplesion_images(shared_data):
    path = shared_data / "deeplesion" / "images_png"
    if not path.is_dir():
        pytest.skip(f"real public data not found: {path} (set DEEPRADIOLOGY_SHARED_DATA to the data folder)")
    return path


@pytest.fixture(scope="session")
def fake_deeplesion(tmp_path_factory):
    """Phantom lesions written in DeepLesion's own layout: ``DL_info.csv`` + ``Images_png/<p>_<s>_<se>/<n>.png``
    (16-bit, HU + 32768), key slice and its two neighbours; 4 patients x 7 lesions. Returns (csv, images)."""
    import csv

    import numpy as np
    from PIL import Image as PILImage

    from deepradiology.lesion import LESION_TYPES
    from deepradiology.phantom import generate_phantom
    from deepradiology.retrieval.location import normalized_location

    codes = {name: code for code, name in LESION_TYPES.items()}
    root = tmp_path_factory.mktemp("fake_deeplesion")
    images = root / "Images_png"
    rows = []
    for patient in (31, 32, 33, 34):
        study = generate_phantom(patient, n_studies=1, spacing=(1.6, 1.6, 4.0)).studies[0]
        sx, sy, sz = study.ct.spacing
        folder = images / f"{patient:06d}_01_01"
        folder.mkdir(parents=True)
        for t in study.lesions:
            k = int(t["key_slice"])
            for kk in (k - 1, k, k + 1):
                png = folder / f"{kk + 1:03d}.png"
                if not png.exists():
                    PILImage.fromarray((study.ct.array[kk].astype(np.int32) + 32768).astype(np.uint16)).save(png)
            (x1, y1, _), (x2, y2, _) = t["long_axis_ijk"]
            (x3, y3, _), (x4, y4, _) = t["short_axis_ijk"]
            xs, ys = [x1, x2, x3, x4], [y1, y2, y3, y4]
            loc, _ = normalized_location(study.ct, t["centre_lps"])
            rows.append({
                "File_name": f"{patient:06d}_01_01_{k + 1:03d}.png", "Patient_index": patient, "Study_index": 1,
                "Series_ID": 1, "Key_slice_index": k + 1,
                "Measurement_coordinates": ", ".join(f"{v:.3f}" for v in (x1, y1, x2, y2, x3, y3, x4, y4)),
                "Bounding_boxes": f"{min(xs) - 5:.3f}, {min(ys) - 5:.3f}, {max(xs) + 5:.3f}, {max(ys) + 5:.3f}",
                "Lesion_diameters_Pixel_": f"{t['long_axis_mm'] / sx:.4f}, {t['short_axis_mm'] / sx:.4f}",
                "Normalized_lesion_location": ", ".join(f"{v:.5f}" for v in loc),
                "Coarse_lesion_type": codes[t["lesion_type"]], "Possibly_noisy": 0,
                "Slice_range": f"{k}, {k + 2}", "Spacing_mm_px_": f"{sx}, {sy}, {sz}",
                "Image_size": f"{study.ct.size[0]}, {study.ct.size[1]}", "DICOM_windows": "-175, 275",
                "Patient_gender": "F", "Patient_age": 60, "Train_Val_Test": 3})
    dl_info = root / "DL_info.csv"
    with dl_info.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return dl_info, images
