"""Issue 17: the image readers' own console output (ITK, MetaIO, GDCM, nibabel) stays off the screen.

A broken file used to print ITK's "WARNING: In /build/.../itkNiftiImageIO.cxx, line 2008" lines or
nibabel's "setting 0 dims to 1" before DeepRadiology's one-line error. Now a refusal is one line that
carries the reader's reason, and a reader's warning about a file it did accept is one line too.
"""

from __future__ import annotations

import struct
import sys
import warnings
from pathlib import Path

import pytest

from deepradiology.io import read_volume
from deepradiology.io.quiet import ReaderWarning, itk_reason

sys.path.insert(0, str(Path(__file__).parent))
from _badvolumes import SHAPE, _nifti_header, _voxels, write  # noqa: E402
from _cli import assert_refused, run_cli  # noqa: E402

RAW_NRRD = "NRRD0004\ntype: {type}\ndimension: 3\nsizes: 16 16 8\nspacings: 1 1 1\nencoding: {encoding}\n\n"


def sheared_sform_nifti() -> bytes:
    """qform identity, sform with a shear (x depends on j): ITK cannot represent it and warns."""
    header = bytearray(_nifti_header(SHAPE))
    struct.pack_into("<hh", header, 252, 1, 1)
    struct.pack_into("<4f", header, 280, 1.0, 0.5, 0.0, 0.0)
    return bytes(header) + _voxels()


#: (file name, content, words the one line must hold): files on which a reader used to print its own lines.
NOISY = [
    ("pixdim-negative.nii", _nifti_header(SHAPE, pixdim=(-1.0, 1.0, 1.0)) + _voxels(), ["spacing"]),
    ("gzip-no-endian.nrrd", RAW_NRRD.format(type="short", encoding="gzip").encode() + b"\0" * 4096,
     ["endian"]),
    ("type-quux.nrrd", RAW_NRRD.format(type="quux", encoding="raw").encode() + b"\0" * 4096, ["quux"]),
    ("data-missing.mhd", b"ObjectType = Image\nNDims = 3\nDimSize = 16 16 8\nElementSpacing = 1 1 1\n"
                         b"ElementType = MET_SHORT\nElementDataFile = nothere.raw\n", ["cannot be read"]),
]


@pytest.mark.parametrize("name,data,words", NOISY, ids=[c[0] for c in NOISY])
def test_recist_measure_prints_only_its_own_line(tmp_path, name, data, words):
    path = write(tmp_path, name, data)
    result = run_cli(["recist", "measure", path, "--point", "0,0,0", "--frame", "lps",
                      "-o", tmp_path / "lesion.json"], cwd=tmp_path)
    line = assert_refused(result, name, *words)
    assert "0x" not in line and ".cxx" not in line, line  # no object addresses or C++ source paths
    assert not (tmp_path / "lesion.json").exists()


def test_an_itk_warning_on_an_accepted_file_is_one_line_naming_it(tmp_path):
    path = write(tmp_path, "sheared.nii", sheared_sform_nifti())
    result = run_cli(["recist", "measure", path, "--point", "0,0,0", "--frame", "lps",
                      "-o", tmp_path / "lesion.json"], cwd=tmp_path)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 2, result.stderr  # the warning, then the refusal (air click)
    assert lines[0].startswith("deepradiology recist: warning: ") and "sheared.nii" in lines[0], lines
    assert "sform" in lines[0], lines
    assert "WARNING: In" not in result.stderr and "0x" not in result.stderr


def test_the_warning_reaches_library_callers_as_a_reader_warning(tmp_path):
    path = write(tmp_path, "sheared.nii", sheared_sform_nifti())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read_volume(path)
    assert [w.category for w in caught] == [ReaderWarning], [str(w.message) for w in caught]
    assert "sheared.nii" in str(caught[0].message) and "sform" in str(caught[0].message)


def test_itk_reason_is_the_last_link_of_teems_chain():
    text = ("Exception thrown in SimpleITK ImageFileReader_Execute: /b/ITK/itkNrrdImageIO.cxx:410:\n"
            "itk::ERROR: NrrdImageIO(0x55ecf02db710): ReadImageInformation: Error reading a.nrrd:\n"
            "[nrrd] nrrdLoad: trouble reading \"a.nrrd\"\n"
            "[nrrd] _nrrdHeaderCheck: type (short) and encoding (gzip) require endian info\n")
    assert itk_reason(RuntimeError(text)) == "type (short) and encoding (gzip) require endian info"


def test_a_readers_own_python_warning_is_shown_once_and_another_writers_line_goes_back_to_stderr(capfd):
    """While a reader's console output is captured, a Python warning it raises (a series geometry note)
    must come out once, as itself, not printed into the capture and re-raised as a second warning; and a
    line another part of the process writes to stderr meanwhile (a server's log) is not the image's."""
    import os
    import warnings

    from deepradiology.io.quiet import ReaderWarning, quiet_reader

    @quiet_reader
    def a_reader(path):
        warnings.warn(f"{path}: its slices are 1.00 mm thick but 2.00 mm apart", UserWarning)
        os.write(2, b"INFO:     127.0.0.1 - \"GET /api/other HTTP/1.1\" 200 OK\n")
        os.write(2, b"WARNING: In /build/ITK/Modules/IO/NIFTI/itkNiftiImageIO.cxx, line 2008\n"
                    b"NiftiImageIO (0x55e0c0ffee00): the sform is not orthonormal, the qform is used\n\n")
        return "image"

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert a_reader("ct.nii.gz") == "image"
    messages = [(w.category, str(w.message)) for w in caught]
    assert messages.count((UserWarning, "ct.nii.gz: its slices are 1.00 mm thick but 2.00 mm apart")) == 1
    assert [m for c, m in messages if c is ReaderWarning] == [
        "ct.nii.gz: the sform is not orthonormal, the qform is used"], messages
    err = capfd.readouterr().err
    assert "GET /api/other" in err and "sform" not in err
