"""Registration copes with another field of view and slice spacing; its transform is stored and reused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from deepradiology.errors import InputError
from deepradiology.image import Image
from deepradiology.longitudinal.registration import (StudyAlignment, load_alignment, register_follow_up,
                                                     save_alignment)
from deepradiology.longitudinal.phantom_eval import phantom_studies
from deepradiology.longitudinal.tracking import track_lesions


def _resample(image: Image, spacing, keep_slices: slice) -> Image:
    """The same anatomy at another slice spacing and with a shorter field of view along z."""
    import SimpleITK as sitk

    img = image.to_sitk()
    size = [int(n * s / t) for n, s, t in zip(img.GetSize(), img.GetSpacing(), spacing)]
    out = Image.from_sitk(sitk.Resample(img, size, sitk.Transform(), sitk.sitkLinear, img.GetOrigin(), spacing,
                                        img.GetDirection(), -1000.0, img.GetPixelID()), modality="CT")
    k = np.arange(out.array.shape[0])[keep_slices]
    origin = out.index_to_lps([0, 0, int(k[0])])
    return Image(out.array[k], spacing=out.spacing, origin=origin, direction=out.direction, modality="CT")


def test_a_follow_up_with_thicker_slices_and_a_shorter_field_of_view_still_aligns(a_coarse_phantom_patient):
    p = a_coarse_phantom_patient
    follow = _resample(p.studies[1].ct, (2.0, 2.0, 6.0), slice(4, -6))
    al = register_follow_up(p.studies[0].ct, follow, baseline_id="S0", follow_up_id="S1")
    base = {t["track_id"]: np.asarray(t["centre_lps"]) for t in p.studies[0].lesions}
    errors = [np.linalg.norm(al.map_points(t["centre_lps"]) - base[t["track_id"]])
              for t in p.studies[1].lesions if t["track_id"] in base]
    assert al.converged and max(errors) < 3.5, errors


def test_the_alignment_is_a_4x4_lps_matrix_in_json_and_reads_back_identically(tmp_path):
    m = np.eye(4)
    m[:3, 3] = (3.0, -4.0, 12.5)
    al = StudyAlignment("S0", "S1", m.tolist(), True, "rigid+affine", 1.0, -0.5, "ok")
    path = save_alignment(al, tmp_path / "S1_to_S0.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["frame"] == "LPS" and np.asarray(data["matrix_lps"]).shape == (4, 4)
    again = load_alignment(path)
    assert np.allclose(again.matrix, m) and again.follow_up == "S1"
    assert np.allclose(again.map_points([1.0, 2.0, 3.0]), [4.0, -2.0, 15.5])


def test_a_broken_alignment_file_is_refused_by_name(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"baseline": "S0", "follow_up": "S1", "matrix_lps": [[1, 0], [0, 1]]}), encoding="utf-8")
    with pytest.raises(InputError, match="bad.json.*4x4"):
        load_alignment(path)


def test_a_stored_alignment_is_reused_instead_of_registering_again(a_coarse_phantom_patient, monkeypatch):
    import deepradiology.longitudinal.tracking as tracking

    first = track_lesions(phantom_studies(a_coarse_phantom_patient))
    known = {a.follow_up: a for a in first.alignments[1:]}

    def must_not_run(*args, **kwargs):
        raise AssertionError("registered again although an alignment was given")

    monkeypatch.setattr(tracking, "register_follow_up", must_not_run)
    again = track_lesions(phantom_studies(a_coarse_phantom_patient), alignments=known)
    assert [a.matrix_lps for a in again.alignments] == [a.matrix_lps for a in first.alignments]
