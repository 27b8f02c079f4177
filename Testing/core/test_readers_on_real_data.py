"""Readers on the real public files in ../shared/data, and round trips through our writers."""

import json

import numpy as np
import pytest

from deepradiology import InputError, io
from deepradiology.deeplesion import read_dl_info
from deepradiology.io.deeplesion_png import HU_OFFSET

from ..conftest import shared_file


def test_the_real_abdominal_ct_reads_in_hounsfield_units_with_3_mm_voxels():
    ct = io.read_image(shared_file("ct/totalsegmentator/example_ct.nii.gz"))
    assert ct.size == (122, 101, 112)
    assert np.allclose(ct.spacing, (3, 3, 3))
    assert io.looks_like_ct(ct)[0]
    body = ct.array[ct.array > -500]
    assert ct.array.min() <= -1000 and -150 < np.median(body) < 100, "air and soft tissue (fat, organs) in HU"


def test_a_nifti_round_trip_keeps_voxels_and_world_geometry(tmp_path):
    ct = io.read_image(shared_file("ct/totalsegmentator/example_ct.nii.gz"))
    out = io.write_image(ct, tmp_path / "copy.nii.gz")
    back = io.read_image(out)
    assert np.array_equal(back.array, ct.array)
    assert np.allclose(back.ijk_to_lps, ct.ijk_to_lps, atol=1e-4)


def test_an_nrrd_round_trip_keeps_world_geometry(tmp_path):
    ct = io.read_image(shared_file("ct/totalsegmentator/example_ct.nii.gz"))
    back = io.read_image(io.write_image(ct, tmp_path / "copy.nrrd"))
    assert np.allclose(back.ijk_to_lps, ct.ijk_to_lps, atol=1e-4)


def test_the_organ_masks_share_the_ct_grid():
    ct = io.read_image(shared_file("ct/totalsegmentator/example_ct.nii.gz"))
    pancreas = io.read_image(shared_file("ct/totalsegmentator/example_ct_organs/pancreas.nii.gz"))
    assert pancreas.size == ct.size and np.allclose(pancreas.ijk_to_lps, ct.ijk_to_lps, atol=1e-4)
    assert set(np.unique(pancreas.array)) == {0, 1}


def test_the_jpeg2000_dicom_series_reads_as_one_20_slice_ct_volume():
    series = io.read_image(shared_file("ct/totalsegmentator/example_ct_dicom"))
    assert series.size == (512, 512, 20)
    assert series.modality == "CT" and series.meta["study_date"] == "20221208"
    assert io.looks_like_ct(series)[0]
    positions = series.index_to_lps([[0, 0, k] for k in range(20)])[:, 2]
    assert np.allclose(np.diff(positions), np.diff(positions)[0])


def test_a_single_dicom_ct_slice_reads_with_its_pixel_spacing():
    image = io.read_image(shared_file("ct/pydicom/CT_small.dcm"))
    assert image.is_2d and image.size[:2] == (128, 128)
    assert np.isclose(image.spacing[0], 0.661468, atol=1e-4)
    assert image.meta["patient_id"] == "1CT1"


def test_a_chest_x_ray_dicom_keeps_its_view_and_spacing():
    film = io.read_radiograph(shared_file("cxr/siim/siim_ptx_negative.dcm"))
    assert film.size[:2] == (1024, 1024) and film.meta["view_position"] == "PA"
    assert film.meta["spacing_known"] and np.isclose(film.spacing[0], 0.168)


def test_a_chest_x_ray_png_reads_as_grey_with_unknown_spacing():
    film = io.read_radiograph(shared_file("cxr/nih/00000001_000.png"))
    assert film.size[:2] == (512, 512) and film.meta["spacing_known"] is False


def test_deeplesion_key_slices_read_in_hounsfield_units_at_their_dl_info_spacing():
    rows, report = read_dl_info(shared_file("deeplesion/DL_info_test.csv"))
    assert len(rows) == 4927 and report.count == 0
    by_path = {row.png_relpath: row for row in rows}
    images = shared_file("deeplesion/images_png")
    found = [p for p in sorted(images.glob("*/*.png")) if f"{p.parent.name}/{p.name}" in by_path]
    assert len(found) >= 3
    for png in found:
        row = by_path[f"{png.parent.name}/{png.name}"]
        image = io.read_deeplesion_slice(png, spacing=row.spacing)
        assert image.array.dtype == np.int16 and image.array.min() >= -HU_OFFSET
        assert image.array.min() < -900, "air should be near -1000 HU"
        x, y = row.recist_centre_px
        assert -200 < image.array[0, int(y), int(x)] < 400, "the lesion centre is soft tissue or fluid"


def test_a_dl_info_row_becomes_a_lesion_with_axes_in_mm():
    rows, _ = read_dl_info(shared_file("deeplesion/DL_info_test.csv"))
    lesion = rows[0].to_lesion()
    a, b = np.asarray(lesion.long_axis_lps)
    assert np.isclose(np.linalg.norm(a - b), lesion.long_axis_mm, rtol=0.02)
    assert json.loads(json.dumps(lesion.to_dict()))["lesion_id"] == rows[0].file_name


def test_an_mr_volume_is_refused_where_ct_is_needed():
    mr = io.read_image(shared_file("ct/totalsegmentator/example_mr_sm.nii.gz"))
    with pytest.raises(InputError, match="not CT Hounsfield units"):
        io.require_ct(mr)
