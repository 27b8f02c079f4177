"""Queries: ranked neighbours with distances, the cue that dominated, filters, and the CLI."""

from __future__ import annotations

import json

import pytest

from deepradiology.cli import main
from deepradiology.errors import InputError
from deepradiology.lesion import Lesion, load_lesions
from deepradiology.retrieval import LesionDatabase, QueryFilters, find_similar


def the_query(phantom_folder):
    """The first liver lesion of the first phantom patient, with its volume."""
    from deepradiology.io import read_volume

    js = sorted(phantom_folder.glob("*.json"))[0]
    lesion = next(lz for lz in load_lesions(js) if lz.lesion_type == "liver")
    return lesion, read_volume(phantom_folder / (js.stem + ".nii.gz")), js


def test_a_stored_lesion_finds_itself_first_then_lesions_of_its_type(phantom_database, phantom_folder):
    lesion, image, _ = the_query(phantom_folder)
    with LesionDatabase(phantom_database) as db:
        found = find_similar(db, lesion, image=image, k=5)
    assert found[0].distance == pytest.approx(0.0, abs=1e-4)
    assert found[0].stored.lesion.lesion_id == lesion.lesion_id
    assert [n.rank for n in found] == [1, 2, 3, 4, 5]
    assert all(a.distance <= b.distance for a, b in zip(found, found[1:]))
    assert sum(n.stored.lesion.lesion_type == "liver" for n in found[1:]) >= 3


def test_other_patients_only_leaves_out_the_query_patient_and_names_the_dominant_cue(phantom_database, phantom_folder):
    lesion, image, _ = the_query(phantom_folder)
    with LesionDatabase(phantom_database) as db:
        found = find_similar(db, lesion, image=image, k=3, filters=QueryFilters(other_patients_than=lesion.patient))
    assert found and all(n.stored.lesion.patient != lesion.patient for n in found)
    best = found[0]
    assert best.stored.lesion.lesion_type == "liver"
    assert best.closest_by in ("location", "size", "appearance", "type")
    assert best.cues["same_type"] is True and best.cues["location_distance_pct"] < 10
    assert set(best.cues["block_distances"]) == {"location", "size", "appearance"}


def test_type_and_size_filters_are_applied(phantom_database, phantom_folder):
    lesion, image, _ = the_query(phantom_folder)
    with LesionDatabase(phantom_database) as db:
        lungs = find_similar(db, lesion, image=image, k=10, filters=QueryFilters(types=("lung",)))
        small = find_similar(db, lesion, image=image, k=10, filters=QueryFilters(size_range_mm=(0, 15)))
    assert lungs and all(n.stored.lesion.lesion_type == "lung" for n in lungs)
    assert small and all(n.stored.lesion.long_axis_mm <= 15 for n in small)


def test_a_query_lesion_outside_its_image_is_refused(phantom_database, phantom_folder):
    _, image, _ = the_query(phantom_folder)
    far = Lesion("far", long_axis_lps=((4000, 0, 0), (4010, 0, 0)), short_axis_lps=((4005, -2, 0), (4005, 2, 0)),
                 long_axis_mm=10.0, short_axis_mm=4.0, normalized_location=(0.5, 0.5, 0.5))
    with LesionDatabase(phantom_database) as db, pytest.raises(InputError, match="outside"):
        find_similar(db, far, image=image)


def test_a_database_of_another_descriptor_weighting_is_refused(phantom_database, phantom_folder):
    from deepradiology.retrieval import DescriptorEmbedder

    lesion, image, _ = the_query(phantom_folder)
    with LesionDatabase(phantom_database) as db, pytest.raises(InputError, match="has no embeddings of"):
        find_similar(db, lesion, image=image, embedder=DescriptorEmbedder(weights={"size": 2.0}))


def test_the_cli_queries_with_a_lesion_file_and_with_a_clicked_point(phantom_database, phantom_folder, tmp_path, capsys):
    lesion, image, js = the_query(phantom_folder)
    from deepradiology.lesion import save_lesions

    one = save_lesions([lesion], tmp_path / "q.json")
    vol = phantom_folder / (js.stem + ".nii.gz")
    assert main(["retrieval", "query", str(phantom_database), "--lesion", str(one), "--volume", str(vol), "-k", "4",
                 "--other-patients"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["neighbours"]) == 4 and all(n["patient"] != lesion.patient for n in out["neighbours"])
    assert out["neighbours"][0]["lesion_type"] == "liver" and out["neighbours"][0]["closest_by"]
    centre = ",".join(f"{c:.2f}" for c in lesion.centre_lps)
    assert main(["retrieval", "query", str(phantom_database), "--volume", str(vol), f"--point={centre}", "-k", "3",
                 "--type", "liver"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["query"]["long_axis_mm"] > 5 and len(out["neighbours"]) == 3
    assert all(n["lesion_type"] == "liver" for n in out["neighbours"])


def test_the_cli_refuses_a_point_outside_the_volume(phantom_database, phantom_folder, capsys):
    _, _, js = the_query(phantom_folder)
    code = main(["retrieval", "query", str(phantom_database), "--volume", str(phantom_folder / (js.stem + ".nii.gz")),
                 "--point", "9000,0,0"])
    assert code == 2 and "outside" in capsys.readouterr().err


def test_the_cli_imports_reports_and_describes_a_database(tmp_path, phantom_folder, capsys):
    db = tmp_path / "cli.db"
    assert main(["retrieval", "import", str(db), "--nifti-folder", str(phantom_folder)]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["added"] == rep["lesions_in_database"] > 20 and rep["skipped"] == 0
    assert main(["retrieval", "info", str(db)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["lesions"] == rep["added"] and info["schema_version"] >= 2


def test_a_second_weighting_can_be_embedded_and_queried_beside_the_first(phantom_database, phantom_folder, tmp_path,
                                                                        capsys):
    import shutil

    from deepradiology.lesion import save_lesions

    db = tmp_path / "two.db"
    shutil.copy(phantom_database, db)
    assert main(["retrieval", "embed", str(db), "--model", "descriptor", "--weights", "location=1,size=0,appearance=1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["embedded"] == out["indexed"] > 20 and out["model"].endswith("size=0,appearance=1)")
    lesion, _, js = the_query(phantom_folder)
    one = save_lesions([lesion], tmp_path / "q.json")
    assert main(["retrieval", "query", str(db), "--lesion", str(one), "--volume", str(phantom_folder / (js.stem + ".nii.gz")),
                 "--weights", "location=1,size=0,appearance=1", "-k", "2"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["model"] == out["model"] and found["neighbours"][0]["distance"] < 1e-3


def test_a_measured_lesion_file_without_a_patient_queries_other_patients_given_patient(
        phantom_database, phantom_folder, tmp_path, capsys):
    """`recist measure` writes no patient id: --patient supplies it (the error says to give it, so it must work)."""
    from dataclasses import replace

    from deepradiology.lesion import save_lesions

    lesion, _, js = the_query(phantom_folder)
    vol = phantom_folder / (js.stem + ".nii.gz")
    measured = save_lesions([replace(lesion, patient="", normalized_location=None)], tmp_path / "measured.json")
    query = ["retrieval", "query", str(phantom_database), "--lesion", str(measured), "-k", "3", "--other-patients"]
    assert main(query + ["--volume", str(vol)]) == 2
    assert "give --patient" in capsys.readouterr().err
    assert main(query + ["--volume", str(vol), "--patient", lesion.patient]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["query"]["patient"] == lesion.patient
    assert len(out["neighbours"]) == 3 and all(n["patient"] != lesion.patient for n in out["neighbours"])
    # without its CT the record has no body location: one line asking for --volume, not a bare refusal
    assert main(query + ["--patient", lesion.patient]) == 2
    err = capsys.readouterr().err
    assert "--volume" in err and len(err.strip().splitlines()) == 1


def test_patient_does_not_overrule_the_patient_a_lesion_file_names(phantom_database, phantom_folder, tmp_path, capsys):
    from deepradiology.lesion import save_lesions

    lesion, _, js = the_query(phantom_folder)
    assert lesion.patient
    one = save_lesions([lesion], tmp_path / "q.json")
    code = main(["retrieval", "query", str(phantom_database), "--lesion", str(one), "--volume",
                 str(phantom_folder / (js.stem + ".nii.gz")), "--other-patients", "--patient", lesion.patient + "-other"])
    assert code == 2 and "differs from the patient" in capsys.readouterr().err
