"""Write a 3D image as a CT DICOM series: one file per axial slice, geometry in LPS mm."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError
from ..image import Image
from .uids import stable_uid

__all__ = ["write_ct_series"]


def write_ct_series(image: Image, folder: str | Path, *, patient_id: str, study_id: str, study_date: str,
                    patient_name: str = "", seed_key: str = "") -> list[Path]:
    """Write ``image`` (HU) as a CT series of ``image.size[2]`` files in ``folder``.

    Geometry: ImagePositionPatient is the LPS mm centre of voxel (0, 0, k); ImageOrientationPatient
    the i and j direction cosines; PixelSpacing is (row spacing, column spacing) = (spacing j, spacing i).
    Values are stored as int16 with RescaleSlope 1 and RescaleIntercept 0 (so stored value = HU).
    UIDs derive from ``seed_key``/patient/study so a re-run writes the same UIDs (empty seed_key: random).

    Args:
        study_date: ISO date "YYYY-MM-DD".
    Returns:
        The written file paths, slice 0 first.
    """
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    arr = np.asarray(image.array)
    if arr.min() < -32768 or arr.max() > 32767:
        raise InputError(image.source, "CT values do not fit int16")
    arr = np.round(arr).astype(np.int16)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    def uid(*parts):
        return stable_uid(seed_key, patient_id, *parts) if seed_key else generate_uid()

    study_uid, series_uid, for_uid = uid(study_id, "study"), uid(study_id, "series"), uid(study_id, "for")
    d = np.asarray(image.direction, dtype=float)
    origin = np.asarray(image.origin, dtype=float)
    si, sj, sk = image.spacing
    date = study_date.replace("-", "")
    paths = []
    for k in range(arr.shape[0]):
        sop_uid = uid(study_id, "sop", str(k))
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = sop_uid
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, sop_uid
        ds.SpecificCharacterSet = "ISO_IR 100"
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.StudyDate = ds.SeriesDate = ds.ContentDate = ds.AcquisitionDate = date
        ds.StudyTime = ds.SeriesTime = ds.ContentTime = "090000"
        ds.AccessionNumber = ""
        ds.Modality = "CT"
        ds.Manufacturer = "DeepRadiology phantom"
        ds.ReferringPhysicianName = ""
        ds.StudyDescription = f"Phantom study {study_id}"
        ds.SeriesDescription = "Phantom CT"
        ds.PatientName = patient_name or f"{patient_id}^"
        ds.PatientID = patient_id
        ds.PatientBirthDate = ""
        ds.PatientSex = "O"
        ds.KVP = "120"
        ds.AcquisitionNumber = 1
        ds.Laterality = ""
        ds.PatientPosition = "HFS"
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
        ds.StudyID = study_id[:16]
        ds.SeriesNumber, ds.InstanceNumber = 1, k + 1
        ds.FrameOfReferenceUID = for_uid
        ds.PositionReferenceIndicator = ""
        ds.ImagePositionPatient = [f"{v:.6f}" for v in origin + d[:, 2] * sk * k]
        ds.ImageOrientationPatient = [f"{v:.6f}" for v in (*d[:, 0], *d[:, 1])]
        ds.PixelSpacing = [f"{sj:.6f}", f"{si:.6f}"]
        ds.SliceThickness = f"{sk:.6f}"
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows, ds.Columns = arr.shape[1], arr.shape[2]
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = "0", "1", "HU"
        ds.WindowCenter, ds.WindowWidth = "40", "400"
        ds.PixelData = arr[k].tobytes()
        path = folder / f"{k:04d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths
