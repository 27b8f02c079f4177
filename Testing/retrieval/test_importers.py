"""Importers: DeepLesion's layout, RECISTAssist tables, NIfTI folders; resumable, idempotent, reported."""

from __future__ import annotations

import csv
import json

from deepradiology.lesion import save_lesions
from deepradiology.retrieval import (LesionDatabase, import_deeplesion, import_lesion_json, import_recist_table)


def test_deeplesion_test_metadata_imports_with_images_where_present(tmp_path, dl_info_test, deeplesion_images):
    dl_info, images = dl_info_test, deeplesion_images
    with LesionDatabase(tmp_path / "dl.db") as db:
        rep = import_deeplesion(db, dl_info, images=images)
        assert rep.added == 4927 and rep.skipped == []
        assert rep.with_image == 3 and rep.metadata_only == 4924
        assert db.count() == 4927
        with_image = [s for s in db.iter_lesions() if s.image_path]
        assert len(with_image) == 3 and all(db.thumbnail(s.id)[:4] == b"\x89PNG" for s in with_image)
        first = db.get(1)
        assert first.lesion.patient == "1" and first.lesion.lesion_type == "mediastinum"
        assert first.lesion.long_axis_mm == 11.9677 * 0.488281


def test_an_interrupted_deeplesion_import_resumes_without_duplicates(tmp_path, dl_info_test):
    dl_info = dl_info_test
    with LesionDatabase(tmp_path / "dl.db") as db:
        part = import_deeplesion(db, dl_info, batch=1000, stop_after=2000)     # "crashes" after 2 batches
        assert part.added == 2000 and db.count() == 2000
        state = db.import_state(f"deeplesion:{dl_info.resolve()}")
        assert state["rows_done"] == 2000 and not state["finished"]
        rest = import_deeplesion(db, dl_info, batch=1000)
        assert rest.added == 2927 and rest.already_present == 2000
        again = import_deeplesion(db, dl_info, batch=1000)
        assert again.added == 0 and db.count() == 4927
        assert len(db.embeddings(next(iter(db.embedding_models())))[0]) == 4927


def test_malformed_deeplesion_rows_are_skipped_counted_and_reported(tmp_path, dl_info_test):
    dl_info = dl_info_test
    with open(dl_info, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames, [r for _, r in zip(range(10), reader)]
    rows[3]["Spacing_mm_px_"] = "0.7, abc, 5"
    rows[6]["Measurement_coordinates"] = "1, 2, 3"
    bad = tmp_path / "DL_info_bad.csv"
    with bad.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    with LesionDatabase(tmp_path / "dl.db") as db:
        rep = import_deeplesion(db, bad)
        assert rep.added == 8 and len(rep.skipped) == 2
        assert [s[0] for s in rep.skipped] == [5, 8]            # file lines (header is line 1)
        assert rep.to_dict()["skipped"] == 2
        assert db.import_state(f"deeplesion:{bad.resolve()}")["rows_skipped"] == 2


def test_a_recist_table_imports_and_its_bad_rows_are_reported(tmp_path, a_coarse_phantom_patient):
    study = a_coarse_phantom_patient.studies[0]
    t = study.lesions[0]
    table = tmp_path / "recist.csv"
    with table.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["lesion_id", "patient", "study", "long_axis_mm", "short_axis_mm", "lesion_type",
                    "long_axis_lps", "short_axis_lps"])
        w.writerow(["L1", "P1", "S0", t["long_axis_mm"], t["short_axis_mm"], t["lesion_type"],
                    json.dumps(t["long_axis_lps"]), json.dumps(t["short_axis_lps"])])
        w.writerow(["L2", "P1", "S0", "not a number", "3", "liver", "", ""])
    with LesionDatabase(tmp_path / "db.db") as db:
        rep = import_recist_table(db, table, image=study.ct, image_path="ct.nii.gz")
        assert rep.added == 1 and len(rep.skipped) == 1 and "malformed" in rep.skipped[0][1]
        stored = db.get(1)
        assert stored.lesion.normalized_location is not None and db.thumbnail(1) is not None
        again = import_recist_table(db, table, image=study.ct)
        assert again.added == 0 and again.already_present == 1


def test_a_lesion_outside_its_image_is_skipped_with_the_reason(tmp_path, a_coarse_phantom_patient):
    from deepradiology.lesion import Lesion

    study = a_coarse_phantom_patient.studies[0]
    far = Lesion("far", patient="P1", long_axis_lps=((5000, 0, 0), (5010, 0, 0)), short_axis_lps=((5005, -3, 0), (5005, 3, 0)),
                 long_axis_mm=10.0, short_axis_mm=6.0)
    path = save_lesions([far], tmp_path / "far.json")
    vol = tmp_path / "ct.nii.gz"
    from deepradiology.io import write_image

    write_image(study.ct, vol)
    with LesionDatabase(tmp_path / "db.db") as db:
        rep = import_lesion_json(db, path, volume=vol)
        assert rep.added == 0 and "outside" in rep.skipped[0][1]


def test_a_nifti_folder_imports_every_lesion_with_a_thumbnail(phantom_database, phantom_folder):
    from deepradiology.retrieval import import_nifti_folder

    with LesionDatabase(phantom_database) as db:
        n = db.count()
        lesions = list(db.iter_lesions())
        assert all(db.thumbnail(s.id) is not None for s in lesions)
        assert len({s.lesion.patient for s in lesions}) == 4
        assert all(s.lesion.normalized_location is not None and s.has_image for s in lesions)
        again = import_nifti_folder(db, phantom_folder)
        assert again.added == 0 and db.count() == n


def test_a_process_killed_inside_a_transaction_loses_nothing_committed_and_duplicates_nothing(tmp_path, dl_info_test):
    import subprocess
    import sys

    db_path = tmp_path / "crash.db"
    script = f"""
import os
from deepradiology.retrieval import LesionDatabase, import_deeplesion
db = LesionDatabase({str(db_path)!r})
real = db.insert_in
count = [0]
def dying_insert(*args, **kwargs):
    count[0] += 1
    if count[0] == 2500:          # half-way through the third batch of 1000: die without any clean-up
        os._exit(9)
    return real(*args, **kwargs)
db.insert_in = dying_insert
import_deeplesion(db, {str(dl_info_test)!r}, batch=1000)
"""
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert run.returncode == 9, run.stderr[-2000:]
    with LesionDatabase(db_path) as db:
        assert db.count() == 2000                                  # the two committed batches, nothing half-made
        rep = import_deeplesion(db, dl_info_test, batch=1000)
        assert rep.added == 2927 and rep.already_present == 2000
        assert db.count() == 4927
        uids = [r[0] for r in db._run("SELECT uid FROM lesions")]
        assert len(set(uids)) == 4927
