"""DICOM in and out: CT series from images, SEG + TID 1500 SR export/import, and DICOMweb PACS access.

One concept per module: `uids` (deterministic UIDs), `series` (write a CT series), `export` (SEG + SR),
`importer` (read our SR, others' TID 1500 and SEG back), `pacs` (QIDO/WADO/STOW). Geometry is LPS mm
throughout, as DICOM itself is.
"""

from __future__ import annotations

__all__ = ["tracking_uid", "write_ct_series", "export_lesions", "import_dicom",
           "query_studies", "fetch_series", "send_objects"]


def __getattr__(name):  # lazy: highdicom and dicomweb-client are an optional extra
    if name == "tracking_uid":
        from .uids import tracking_uid
        return tracking_uid
    if name == "write_ct_series":
        from .series import write_ct_series
        return write_ct_series
    if name == "export_lesions":
        from .export import export_lesions
        return export_lesions
    if name == "import_dicom":
        from .importer import import_dicom
        return import_dicom
    if name in ("query_studies", "fetch_series", "send_objects"):
        from . import pacs
        return getattr(pacs, name)
    raise AttributeError(name)
