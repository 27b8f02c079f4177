"""Bad input gets one clear error naming the file and the problem; nothing is overwritten."""

import gzip
import shutil

import numpy as np
import pytest

from deepradiology import Image, InputError, OutputExistsError, io
from deepradiology.deeplesion import read_dl_info

from ..conftest import shared_file


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        io.read_image(tmp_path / "absent.nii.gz")


def test_a_text_file_posing_as_nifti_is_refused_with_its_name(tmp_path):
    fake = tmp_path / "notes.nii.gz"
    fake.write_bytes(gzip.compress(b"this is not an image"))
    with pytest.raises(InputError, match="notes.nii.gz.*cannot be read"):
        io.read_image(fake)


def test_a_truncated_nifti_is_refused(tmp_path):
    data = shared_file("ct/totalsegmentator/example_ct.nii.gz").read_bytes()
    cut = tmp_path / "cut.nii.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="cut.nii.gz"):
        io.read_image(cut)


def test_nan_voxels_are_refused(tmp_path):
    array = np.zeros((3, 4, 5), dtype=np.float32)
    array[1, 2, 3] = np.nan
    path = io.write_image(Image(array), tmp_path / "nan.nii.gz")
    with pytest.raises(InputError, match="1 voxels are NaN"):
        io.read_image(path)


def test_an_unknown_format_is_named(tmp_path):
    odd = tmp_path / "scan.xyz"
    odd.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="unknown image format"):
        io.read_image(odd)


def test_a_broken_png_is_refused(tmp_path):
    broken = tmp_path / "film.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(InputError, match="film.png"):
        io.read_radiograph(broken)


def test_an_8_bit_png_is_not_taken_for_a_deeplesion_slice(tmp_path):
    from PIL import Image as PILImage

    path = tmp_path / "001.png"
    PILImage.fromarray(np.zeros((4, 4), dtype=np.uint8)).save(path)
    with pytest.raises(InputError, match="16-bit"):
        io.read_deeplesion_slice(path, spacing=(1, 1, 1))


def test_a_dicom_folder_with_a_missing_slice_is_refused(tmp_path):
    series = shared_file("ct/totalsegmentator/example_ct_dicom")
    files = sorted(series.iterdir())
    for n, f in enumerate(files):
        if n != len(files) // 2:
            shutil.copy(f, tmp_path / f.name)
    with pytest.raises(InputError, match="a slice is missing"):
        io.read_image(tmp_path)


def test_a_dicom_folder_with_two_series_is_refused_and_names_them(tmp_path):
    import pydicom

    series = shared_file("ct/totalsegmentator/example_ct_dicom")
    uids = (pydicom.uid.generate_uid(), pydicom.uid.generate_uid())
    for n, f in enumerate(sorted(series.iterdir())[:6]):
        ds = pydicom.dcmread(f)
        ds.SeriesInstanceUID = uids[n % 2]
        ds.save_as(tmp_path / f.name)
    with pytest.raises(InputError, match="holds 2 DICOM series"):
        io.read_image(tmp_path)


def test_an_empty_folder_is_not_a_dicom_series(tmp_path):
    with pytest.raises(InputError, match="no readable DICOM series"):
        io.read_image(tmp_path)


def test_a_2d_image_is_refused_where_a_volume_is_needed():
    with pytest.raises(InputError, match="3D volume is needed"):
        io.require_3d(Image(np.zeros((8, 8))))


def test_writing_never_overwrites_without_force(tmp_path):
    target = tmp_path / "mine.nii.gz"
    target.write_text("the user's own file", encoding="utf-8")
    with pytest.raises(OutputExistsError, match="--force"):
        io.write_image(Image(np.zeros((2, 2, 2))), target)
    assert target.read_text(encoding="utf-8") == "the user's own file"
    io.write_image(Image(np.zeros((2, 2, 2))), target, force=True)
    assert io.read_image(target).size == (2, 2, 2)


def test_malformed_dl_info_rows_are_skipped_and_counted(tmp_path):
    source = shared_file("deeplesion/DL_info_test.csv").read_text(encoding="utf-8").splitlines()
    broken = source[:4]
    broken[2] = broken[2].replace('"0.488281, 0.488281, 5"', '"0.488281, 5"', 1).replace(
        '"0.314453, 0.314453, 5"', '"oops"', 1)
    (tmp_path / "DL_info.csv").write_text("\n".join(broken) + "\n", encoding="utf-8")
    rows, report = read_dl_info(tmp_path / "DL_info.csv")
    assert len(rows) == 2 and report.count == 1 and report.skipped[0][0] == 3


def test_a_dl_info_row_with_a_type_outside_deeplesions_eight_is_skipped_with_the_reason(tmp_path):
    import csv

    source = shared_file("deeplesion/DL_info_test.csv")
    with source.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, [next(reader), next(reader)]
    rows[1]["Coarse_lesion_type"] = "9"
    with (tmp_path / "DL_info.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    parsed, report = read_dl_info(tmp_path / "DL_info.csv")
    assert len(parsed) == 1 and report.count == 1
    assert report.skipped[0][0] == 3 and "Coarse_lesion_type 9" in report.skipped[0][1]


def test_a_copied_dl_info_row_is_skipped_not_stored_as_a_second_lesion(tmp_path):
    source = shared_file("deeplesion/DL_info_test.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "DL_info.csv").write_text("\n".join(source[:3] + [source[1]]) + "\n", encoding="utf-8")
    rows, report = read_dl_info(tmp_path / "DL_info.csv")
    assert len(rows) == 2 and report.skipped == [(4, "duplicate of line 2 (same key slice and RECIST axes)")]


def test_a_csv_without_deeplesion_columns_is_refused(tmp_path):
    (tmp_path / "other.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing columns"):
        read_dl_info(tmp_path / "other.csv")
