"""Issue 17, round 4b: a DICOM series with a slice missing, duplicated, displaced, rotated, resized or
truncated must not be read one slice short or with wrong z geometry.

The series is the real 20-slice Siemens CT in the shared data (JPEG-2000, 512 x 512, slices 2 mm apart,
SliceThickness 3 mm); each broken variant is made here with pydicom from a copy. A reader that stacks
what it finds would give wrong mm and mL with confidence; each variant must be refused (exit 2, one
line naming the series folder and the problem, no lesion written). What leaves the volume right is read
as before, with a warning.
"""

from __future__ import annotations

import shutil
import sys
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest

from deepradiology.cli import main
from deepradiology.errors import InputError
from deepradiology.io import read_image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import shared_file  # noqa: E402

SERIES = "ct/totalsegmentator/example_ct_dicom"


def _copy(tmp_path: Path) -> list[Path]:
    """A copy of the real series; its files in slice order along z (LPS), lowest first."""
    folder = tmp_path / "series"
    shutil.copytree(shared_file(SERIES), folder)
    files = sorted(folder.iterdir(), key=lambda f: float(pydicom.dcmread(f, stop_before_pixels=True)
                                                         .ImagePositionPatient[2]))
    return files


def _edit(path: Path, **tags) -> None:
    ds = pydicom.dcmread(path)
    for key, value in tags.items():
        setattr(ds, key, value)
    ds.save_as(path)


def _position(path: Path, dx=0.0, dz=0.0) -> list[float]:
    x, y, z = (float(v) for v in pydicom.dcmread(path, stop_before_pixels=True).ImagePositionPatient)
    return [x + dx, y, z + dz]


def delete_a_middle_slice(files):
    files[10].unlink()


def move_a_slice_along_z(files):
    _edit(files[10], ImagePositionPatient=_position(files[10], dz=0.7))


def move_a_slice_sideways(files):
    _edit(files[10], ImagePositionPatient=_position(files[10], dx=5.0))


def duplicate_a_slice(files):
    shutil.copy(files[10], files[10].parent / "copy of slice 11.dcm")


def truncate_the_last_file(files):
    data = files[0].read_bytes()  # the lowest slice: the volume's origin would move 2 mm without it
    files[0].write_bytes(data[: len(data) // 2])


def truncate_a_middle_file(files):
    data = files[10].read_bytes()  # named as the damaged file, not as the gap its absence leaves
    files[10].write_bytes(data[: len(data) - 4000])


def rotate_a_slice(files):
    c, s = np.cos(np.radians(15)), np.sin(np.radians(15))
    _edit(files[10], ImageOrientationPatient=[c, s, 0.0, -s, c, 0.0])


def shrink_a_slice(files):
    ds = pydicom.dcmread(files[10])
    half = np.ascontiguousarray(ds.pixel_array[::2, ::2])
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.PixelData, ds.Rows, ds.Columns = half.tobytes(), 256, 256
    ds.save_as(files[10])


def change_a_slice_s_pixel_spacing(files):
    _edit(files[10], PixelSpacing=[0.8, 0.8])


#: (how the series is broken, a phrase the refusal must hold)
BROKEN = [
    (delete_a_middle_slice, "slice gap of 4.00 mm between slices 10 and 11"),
    (move_a_slice_along_z, "uneven slice spacing"),
    (move_a_slice_sideways, "sideways"),
    (duplicate_a_slice, "duplicated slice"),
    (truncate_the_last_file, "truncated"),
    (truncate_a_middle_file, "truncated"),
    (rotate_a_slice, "another orientation"),
    (shrink_a_slice, "256 x 256 pixels"),
    (change_a_slice_s_pixel_spacing, "PixelSpacing"),
]


@pytest.mark.parametrize("break_it,phrase", BROKEN, ids=[b[0].__name__ for b in BROKEN])
def test_a_broken_series_is_refused_in_one_line_naming_it(tmp_path, break_it, phrase):
    files = _copy(tmp_path)
    break_it(files)
    with pytest.raises(InputError) as info:
        read_image(files[0].parent)
    message = str(info.value)
    assert message.startswith(f"{files[0].parent}: series (CT Body 3.0)"), message
    assert phrase in message and "\n" not in message, message


@pytest.mark.parametrize("break_it,phrase", BROKEN, ids=[b[0].__name__ for b in BROKEN])
def test_recist_measure_on_a_broken_series_exits_2_and_writes_nothing(tmp_path, capsys, break_it, phrase):
    files = _copy(tmp_path)
    break_it(files)
    out = tmp_path / "lesion.json"
    code = main(["recist", "measure", str(files[0].parent), "--frame", "ijk", "--point", "256,256,10",
                 "-o", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and phrase in err[0] and "Traceback" not in err[0], err
    assert not out.exists()


def test_the_reference_series_of_a_seg_or_sr_is_checked_alike(tmp_path):
    from deepradiology.dicom.reference import read_reference

    files = _copy(tmp_path)
    truncate_the_last_file(files)
    with pytest.raises(InputError, match="truncated"):
        read_reference(files[0].parent)


def test_the_real_series_reads_with_its_header_geometry_and_no_note_on_its_overlapping_slices(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image = read_image(shared_file(SERIES))
    # the headers: 20 slices, positions -804.5 ... -766.5 mm every 2 mm, 0.9765625 mm pixels
    assert image.size == (512, 512, 20)
    assert image.spacing == pytest.approx((0.9765625, 0.9765625, 2.0))
    assert image.origin == pytest.approx((-249.51171875, -437.51171875, -804.5))
    notes = [str(w.message) for w in caught]
    # 3 mm slices every 2 mm overlap (a routine reconstruction): nothing to warn about
    assert not any("thick" in n or "SliceThickness" in n for n in notes), notes


@pytest.mark.parametrize("tags,phrase", [
    ({"SliceThickness": 1.0}, "slices are 1.00 mm thick but 2.00 mm apart: 1.00 mm between slices is not imaged"),
    ({"SpacingBetweenSlices": 5.0}, "2.00 mm apart but its SpacingBetweenSlices is 5.00 mm"),
])
def test_spacing_tags_that_disagree_with_the_positions_read_right_with_a_warning(tmp_path, tags, phrase):
    files = _copy(tmp_path)
    for f in files:
        _edit(f, **tags)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image = read_image(files[0].parent)
    assert image.spacing == pytest.approx((0.9765625, 0.9765625, 2.0))   # the positions decide
    assert any(phrase in str(w.message) for w in caught), [str(w.message) for w in caught]


def test_skipped_instance_numbers_with_even_positions_read_right_with_a_warning(tmp_path):
    files = _copy(tmp_path)
    for f in files[:10]:  # numbers fall as z rises here: renumber the upper half, leaving one number out
        _edit(f, InstanceNumber=int(pydicom.dcmread(f, stop_before_pixels=True).InstanceNumber) + 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image = read_image(files[0].parent)
    assert image.size == (512, 512, 20) and image.origin == pytest.approx((-249.51171875, -437.51171875, -804.5))
    assert any("InstanceNumbers skip" in str(w.message) for w in caught), [str(w.message) for w in caught]


def test_a_broken_series_fetched_from_a_pacs_is_refused_and_its_copy_removed(tmp_path, monkeypatch):
    from deepradiology.dicom import pacs
    from deepradiology_web.pacs_link import PacsLink

    files = _copy(tmp_path)
    delete_a_middle_slice(files)
    broken = files[0].parent

    def fetch_series(url, study_uid, series_uid, folder, timeout_s):  # what WADO-RS would store
        shutil.copytree(broken, folder)
        return sorted(Path(folder).iterdir())

    monkeypatch.setattr(pacs, "list_series", lambda url, study_uid, timeout_s: [
        {"modality": "CT", "series_uid": "1.2.3", "instances": 19}])
    monkeypatch.setattr(pacs, "fetch_series", fetch_series)
    link = PacsLink(scene=None, studies=None, lesions=None)
    with pytest.raises(InputError, match="a slice is missing"):
        link.fetch("http://localhost:8042/dicom-web", {"study_uid": "1.2", "study_id": "S1"})
    assert not any(link._folder.iterdir())  # no half-read copy of the patient's images stays behind
