"""Reading and writing images: volumes, DICOM, DeepLesion slices and radiographs.

`read_image` picks the reader from the path; the specific readers are exported too.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..image import Image
from .checks import looks_like_ct, require_3d, require_ct, require_finite, require_same_grid
from .deeplesion_png import read_deeplesion_slice, read_deeplesion_stack
from .dicom import read_dicom_file, read_dicom_series
from .radiograph import read_radiograph
from .volume import read_volume
from .write import check_outputs, prepare_output, write_image

__all__ = ["read_image", "read_volume", "read_dicom_series", "read_dicom_file", "read_radiograph",
           "read_deeplesion_slice", "read_deeplesion_stack", "write_image", "prepare_output", "check_outputs",
           "require_3d", "require_ct", "require_finite", "looks_like_ct", "require_same_grid"]

_VOLUME_SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".mha", ".mhd")


def read_image(path: str | Path) -> Image:
    """Read any supported image: a volume file, a DICOM folder or file, or a PNG/JPEG.

    Geometry is LPS mm. For DeepLesion PNGs (which need the spacing from ``DL_info.csv``) use
    `read_deeplesion_slice`.

    Raises:
        InputError: the path is missing or of no supported kind, with the reason.
    """
    path = Path(path)
    name = path.name.lower()
    if path.is_dir():
        return read_dicom_series(path)
    if not path.exists():
        raise InputError(path, "no such file or folder")
    if name.endswith(_VOLUME_SUFFIXES):
        return read_volume(path)
    if name.endswith((".dcm", ".dicom")) or "." not in name:
        return read_dicom_file(path)
    if name.endswith((".png", ".jpg", ".jpeg")):
        return read_radiograph(path)
    raise InputError(path, "unknown image format; expected NIfTI, NRRD, MetaImage, DICOM, PNG or JPEG")
