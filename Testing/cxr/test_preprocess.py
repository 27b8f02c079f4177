"""Reading films: windows, MONOCHROME1, 16-bit PNGs, and refusing what is not a frontal chest film."""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology.cxr.preprocess import prepare_film
from deepradiology.errors import InputError


def write_dicom(path, pixels, *, photometric="MONOCHROME2", modality="DX", view="PA", window=None, with_pixels=True):
    pytest.importorskip("pydicom", reason="pydicom is not installed: pip install pydicom")
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"  # digital X-ray for presentation
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality, ds.ViewPosition, ds.PatientID = modality, view, "TEST"
    if window:
        ds.WindowCenter, ds.WindowWidth = window
    if with_pixels:
        ds.Rows, ds.Columns = pixels.shape
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, photometric
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.PixelSpacing = [0.2, 0.2]
        ds.PixelData = pixels.astype(np.uint16).tobytes()
    ds.save_as(str(path), enforce_file_format=True)
    return path


def chest_like(size=256):
    """A crude frontal chest: bright body, two dark lungs, a bright heart, mirror-symmetric."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    img = np.full((size, size), 2500.0)
    for cx in (0.3, 0.7):
        img[((yy - 0.45) / 0.3) ** 2 + ((xx - cx) / 0.14) ** 2 <= 1] = 800
    img[((yy - 0.65) / 0.15) ** 2 + ((xx - 0.5) / 0.12) ** 2 <= 1] = 2800
    return img


def test_a_real_nih_film_reads_as_a_frontal_film_in_unit_range(shared_data):
    film = prepare_film(shared_data / "cxr" / "nih" / "00000001_000.png")
    assert film.array.shape == (512, 512) and film.warnings == []
    assert 0.0 <= film.array.min() and film.array.max() <= 1.0


def test_a_real_dicom_film_reads_with_its_view_position(shared_data):
    film = prepare_film(shared_data / "cxr" / "siim" / "siim_ptx_negative.dcm")
    assert film.array.shape == (1024, 1024) and film.meta["view_position"] == "PA" and film.warnings == []


def test_monochrome1_is_inverted_so_that_the_lungs_stay_dark(tmp_path):
    pixels = chest_like()
    normal = prepare_film(write_dicom(tmp_path / "m2.dcm", pixels, window=(1650, 2500)))
    # The same film stored the other way up (12 bits): bright = air, and its window in stored values.
    inverted = prepare_film(write_dicom(tmp_path / "m1.dcm", 4095 - pixels, photometric="MONOCHROME1",
                                        window=(4095 - 1650, 2500)))
    lung = (slice(100, 130), slice(70, 85))
    assert normal.array[lung].mean() < 0.3 and inverted.array[lung].mean() < 0.3
    assert np.allclose(normal.array, inverted.array, atol=0.02)


def test_the_file_window_sets_the_grey_scale(tmp_path):
    film = prepare_film(write_dicom(tmp_path / "w.dcm", chest_like(), window=(800, 200)))
    # Lungs (800) sit at the window's centre; body (2500) is above it and saturates.
    assert film.array[115, 77] == pytest.approx(0.5, abs=0.02) and film.array[10, 128] == 1.0


def test_a_lateral_view_is_flagged_not_refused(tmp_path):
    film = prepare_film(write_dicom(tmp_path / "lat.dcm", chest_like(), view="LL"))
    assert any("lateral" in w for w in film.warnings)


def test_a_rotated_real_film_is_flagged(shared_data):
    film = prepare_film(shared_data / "cxr" / "nih" / "00019395_010.png")
    assert any("rotated" in w for w in film.warnings)


def test_a_16_bit_png_film_is_read_and_scaled(shared_data, tmp_path):
    from PIL import Image

    eight = np.asarray(Image.open(shared_data / "cxr" / "nih" / "00027426_000.png").convert("L"), np.uint16)
    path = tmp_path / "film16.png"
    Image.fromarray((eight * 257).astype(np.uint16)).save(path)
    film = prepare_film(path)
    assert film.meta["bits"] == 16 and any("16-bit" in w for w in film.warnings)
    assert not any("rotated" in w or "lateral" in w for w in film.warnings)


@pytest.mark.parametrize("make, why", [
    (lambda p: write_dicom(p, chest_like(), modality="CT"), "CT image"),
    (lambda p: write_dicom(p, chest_like(), with_pixels=False), "without pixel data"),
    (lambda p: write_dicom(p, np.full((256, 256), 1000.0)), "blank"),
])
def test_what_is_not_a_chest_film_is_refused_with_the_reason(tmp_path, make, why):
    with pytest.raises(InputError, match=why):
        prepare_film(make(tmp_path / "bad.dcm"))


def test_real_ct_slices_are_refused(shared_data):
    with pytest.raises(InputError, match="CT"):
        prepare_film(shared_data / "ct" / "pydicom" / "CT_small.dcm")
    for png in sorted((shared_data / "deeplesion" / "images_png").glob("*/*.png")):
        with pytest.raises(InputError, match="CT slice"):
            prepare_film(png)


def test_a_jpeg_film_reads_like_its_png(shared_data, tmp_path):
    from PIL import Image

    png = shared_data / "cxr" / "nih" / "00027426_000.png"
    jpeg = tmp_path / "film.jpg"
    Image.open(png).convert("L").save(jpeg, quality=95)
    a, b = prepare_film(png), prepare_film(jpeg)
    assert a.array.shape == b.array.shape and float(np.abs(a.array - b.array).mean()) < 0.02
