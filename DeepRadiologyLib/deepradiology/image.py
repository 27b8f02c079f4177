"""A medical image: voxels plus where they sit in the patient.

Geometry is stored in LPS millimetres, as on disk (NIfTI, NRRD and DICOM readers all give LPS through
ITK). The MRML bridge converts to Slicer's RAS in one place (`deepradiology.frames`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import SimpleITK as sitk

__all__ = ["Image"]


def _as_triplet(values, name: str, source: str) -> tuple[float, float, float]:
    arr = np.asarray(values, dtype=float).reshape(-1)
    if arr.shape != (3,) or not np.all(np.isfinite(arr)):
        raise InputError(source, f"{name} must be three finite numbers, got {values!r}")
    return (float(arr[0]), float(arr[1]), float(arr[2]))


@dataclass(frozen=True, eq=False)
class Image:
    """Voxels and their geometry.

    Attributes:
        array: voxel values indexed [k, j, i] = [slice, row, column] (the order of
            ``SimpleITK.GetArrayFromImage`` and Slicer's ``arrayFromVolume``). A 2D image (a chest
            X-ray, a DeepLesion key slice) has one slice: shape (1, rows, columns).
        spacing: (i, j, k) voxel size in mm: column spacing, row spacing, slice spacing.
        origin: LPS mm position of the centre of voxel (i, j, k) = (0, 0, 0).
        direction: 3x3 matrix whose columns are the LPS unit directions of the i, j and k axes.
        modality: DICOM-style modality: "CT", "MR", "CR"/"DX" for radiographs, "" when unknown.
        source: the path the image came from, used in error messages ("" for made-up images).
        meta: facts from the file worth keeping (DICOM patient id, study date, window), plain values.
    """

    array: np.ndarray
    spacing: tuple[float, float, float] = (1.0, 1.0, 1.0)
    origin: tuple[float, float, float] = (0.0, 0.0, 0.0)
    direction: np.ndarray = field(default_factory=lambda: np.eye(3))
    modality: str = ""
    source: str = ""
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        array = np.asarray(self.array)
        if array.ndim == 2:
            array = array[np.newaxis]
        if array.ndim != 3:
            raise InputError(self.source, f"an image must be 2D or 3D, got an array of shape {array.shape}")
        if 0 in array.shape:
            raise InputError(self.source, f"the image is empty (shape {array.shape})")
        spacing = _as_triplet(self.spacing, "spacing", self.source)
        if min(spacing) <= 0:
            raise InputError(self.source, f"voxel spacing must be positive, got {spacing} mm")
        direction = np.asarray(self.direction, dtype=float).reshape(3, 3)
        if not np.allclose(direction.T @ direction, np.eye(3), atol=1e-4):
            raise InputError(self.source, "the direction matrix is not orthonormal")
        object.__setattr__(self, "array", array)
        object.__setattr__(self, "spacing", spacing)
        object.__setattr__(self, "origin", _as_triplet(self.origin, "origin", self.source))
        object.__setattr__(self, "direction", direction)

    # --- shape -------------------------------------------------------------------------------
    @property
    def size(self) -> tuple[int, int, int]:
        """Number of voxels along (i, j, k) = (columns, rows, slices)."""
        k, j, i = self.array.shape
        return (i, j, k)

    @property
    def is_2d(self) -> bool:
        """True for a single-slice image (radiograph, key slice)."""
        return self.array.shape[0] == 1

    @property
    def voxel_volume_ml(self) -> float:
        """Volume of one voxel in mL (1 mL = 1000 mm^3)."""
        return float(np.prod(self.spacing)) / 1000.0

    # --- geometry ----------------------------------------------------------------------------
    @property
    def ijk_to_lps(self) -> np.ndarray:
        """4x4 matrix taking homogeneous voxel indices (i, j, k, 1) to LPS mm."""
        m = np.eye(4)
        m[:3, :3] = self.direction @ np.diag(self.spacing)
        m[:3, 3] = self.origin
        return m

    @property
    def ijk_to_ras(self) -> np.ndarray:
        """4x4 matrix taking homogeneous voxel indices (i, j, k, 1) to RAS mm (Slicer's IJKToRAS)."""
        from .frames import LPS_TO_RAS

        return LPS_TO_RAS @ self.ijk_to_lps

    def index_to_lps(self, ijk) -> np.ndarray:
        """Voxel index (i, j, k), fractional allowed, shape (..., 3) -> LPS mm."""
        ijk = np.asarray(ijk, dtype=float)
        m = self.ijk_to_lps
        return ijk @ m[:3, :3].T + m[:3, 3]

    def lps_to_index(self, lps) -> np.ndarray:
        """LPS mm points (..., 3) -> fractional voxel indices (i, j, k)."""
        lps = np.asarray(lps, dtype=float)
        m = self.ijk_to_lps
        return (lps - m[:3, 3]) @ np.linalg.inv(m[:3, :3]).T

    def contains_index(self, ijk) -> bool:
        """True when the (rounded) voxel index (i, j, k) lies inside the image."""
        idx = np.rint(np.asarray(ijk, dtype=float)).astype(int)
        return bool(np.all(idx >= 0) and np.all(idx < np.array(self.size)))

    def with_array(self, array: np.ndarray, **changes) -> Image:
        """A new image on the same grid (same spacing, origin, direction) holding ``array``."""
        return replace(self, array=array, **changes)

    # --- SimpleITK ---------------------------------------------------------------------------
    def to_sitk(self) -> sitk.Image:
        """The image as a SimpleITK image (LPS geometry, as ITK expects)."""
        import SimpleITK as sitk

        img = sitk.GetImageFromArray(np.ascontiguousarray(self.array))
        img.SetSpacing(self.spacing)
        img.SetOrigin(self.origin)
        img.SetDirection(tuple(self.direction.reshape(-1)))
        return img

    @classmethod
    def from_sitk(cls, img: sitk.Image, *, modality: str = "", source: str = "") -> Image:
        """Wrap a SimpleITK image (2D or 3D; LPS geometry) without changing its values."""
        import SimpleITK as sitk

        array = sitk.GetArrayFromImage(img)
        if img.GetDimension() == 2:
            sx, sy = img.GetSpacing()
            ox, oy = img.GetOrigin()
            d = np.asarray(img.GetDirection(), dtype=float).reshape(2, 2)
            direction = np.eye(3)
            direction[:2, :2] = d
            return cls(array, spacing=(sx, sy, 1.0), origin=(ox, oy, 0.0), direction=direction,
                       modality=modality, source=source)
        if img.GetDimension() != 3 or img.GetNumberOfComponentsPerPixel() != 1:
            raise InputError(source, "only single-component 2D or 3D images are supported "
                             f"(got {img.GetDimension()}D with {img.GetNumberOfComponentsPerPixel()} components)")
        return cls(array, spacing=img.GetSpacing(), origin=img.GetOrigin(),
                   direction=np.asarray(img.GetDirection(), dtype=float).reshape(3, 3),
                   modality=modality, source=source)

    def __repr__(self) -> str:
        return (f"Image(size={self.size}, spacing={tuple(round(s, 4) for s in self.spacing)} mm, "
                f"modality={self.modality!r}, dtype={self.array.dtype}, source={self.source!r})")
