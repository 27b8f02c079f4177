"""Whole scenes through a saved and re-read ``.mrb`` bundle."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from deepradiology.errors import InputError, OutputExistsError
from deepradiology.phantom import ORGAN_LABELS
from deepradiology_mrml.markups import add_recist_lines, recist_from_lines, recist_line_pairs
from deepradiology_mrml.mrb import load_mrb, save_mrb
from deepradiology_mrml.scene import close_scene
from deepradiology_mrml.segmentations import labelmap_to_segmentation, segment_labels, segmentation_to_labelmap
from deepradiology_mrml.tables import records_to_table, table_to_records
from deepradiology_mrml.volumes import image_to_volume_node, volume_node_to_image

ORGAN_NAMES = {value: name for name, value in ORGAN_LABELS.items()}


def test_the_mrml_bridge_round_trips_a_volume_a_segmentation_and_a_recist_line_pair_through_a_saved_and_reread_mrb(
        a_scene, a_coarse_phantom_patient, tmp_path):
    study = a_coarse_phantom_patient.studies[0]
    lesion = study.lesions[0]
    ct = image_to_volume_node(a_scene, study.ct, "CT")
    labelmap_to_segmentation(a_scene, study.organs, ORGAN_NAMES, reference_volume=ct, name="Organs")
    add_recist_lines(a_scene, lesion["lesion_id"], lesion["long_axis_lps"], lesion["short_axis_lps"])
    records_to_table(a_scene, [{"lesion": lesion["lesion_id"], "long_axis_mm": lesion["long_axis_mm"]}], "Lesions")

    path = save_mrb(a_scene, tmp_path / "phantom.mrb")
    names = zipfile.ZipFile(path).namelist()
    assert any(n.endswith(".mrk.json") for n in names) and any(n.endswith(".seg.nrrd") for n in names)

    loaded = load_mrb(path)
    try:
        ct_back = loaded.GetFirstNodeByName("CT")
        image = volume_node_to_image(ct_back)
        assert np.array_equal(image.array, study.ct.array)
        assert np.allclose(image.ijk_to_lps, study.ct.ijk_to_lps, atol=1e-6)
        assert image.modality == "CT"

        segmentation = loaded.GetFirstNodeByName("Organs")
        assert segment_labels(segmentation) == ORGAN_NAMES
        assert np.array_equal(segmentation_to_labelmap(segmentation, ct_back).array, study.organs.array)

        [(long_node, short_node)] = recist_line_pairs(loaded)
        long_lps, short_lps, long_mm, short_mm = recist_from_lines(long_node, short_node)
        assert np.allclose(long_lps, lesion["long_axis_lps"], atol=1e-6)
        assert np.allclose(short_lps, lesion["short_axis_lps"], atol=1e-6)
        assert long_mm == pytest.approx(lesion["long_axis_mm"], abs=1e-6)
        assert short_mm == pytest.approx(lesion["short_axis_mm"], abs=1e-6)

        [row] = table_to_records(loaded.GetFirstNodeByName("Lesions"))
        assert row["lesion"] == lesion["lesion_id"]
        # Slicer's .tsv writer keeps 6 significant digits of a decimal (27.524250 mm -> 27.5243 mm).
        assert row["long_axis_mm"] == pytest.approx(lesion["long_axis_mm"], rel=1e-5)
    finally:
        close_scene(loaded)


def test_saving_over_an_existing_bundle_needs_force(a_scene, tmp_path):
    path = tmp_path / "scene.mrb"
    path.write_bytes(b"the user's earlier work")
    with pytest.raises(OutputExistsError):
        save_mrb(a_scene, path)
    assert path.read_bytes() == b"the user's earlier work"
    save_mrb(a_scene, path, force=True)
    assert zipfile.is_zipfile(path)


def test_a_bundle_must_be_named_mrb(a_scene, tmp_path):
    with pytest.raises(InputError, match=r"\.mrb"):
        save_mrb(a_scene, tmp_path / "scene.zip")


def test_loading_a_file_that_is_not_a_bundle_says_so(tmp_path):
    path = tmp_path / "notes.mrb"
    path.write_text("not a zip", encoding="utf-8")
    with pytest.raises(InputError, match="not a Slicer scene bundle"):
        load_mrb(path)
    with pytest.raises(InputError, match="no such file"):
        load_mrb(tmp_path / "missing.mrb")
    empty = tmp_path / "empty.mrb"
    with zipfile.ZipFile(empty, "w") as bundle:
        bundle.writestr("readme.txt", "no scene here")
    with pytest.raises(InputError, match="no .mrml scene"):
        load_mrb(empty)
