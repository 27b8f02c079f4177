"""DeepLesion's 16-bit PNG slices: HU = stored value - 32768."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError
from ..image import Image

__all__ = ["read_deeplesion_slice", "read_deeplesion_stack", "HU_OFFSET"]

#: DeepLesion stores HU + 32768 as unsigned 16-bit.
HU_OFFSET = 32768


def _read_png16(path: Path) -> np.ndarray:
    from PIL import Image as PILImage

    if not path.is_file():
        raise InputError(path, "no such file")
    try:
        with PILImage.open(path) as im:
            if im.mode not in ("I;16", "I;16B", "I", "I;16L"):
                raise InputError(path, f"is a {im.mode} PNG; DeepLesion slices are 16-bit grey")
            array = np.asarray(im, dtype=np.int32)
    except InputError:
        raise
    except Exception as exc:  # PIL raises many types for broken files
        raise InputError(path, f"cannot be read as a PNG image ({exc})") from None
    return array


def read_deeplesion_slice(path: str | Path, *, spacing: tuple[float, float, float],
                          slice_number: int | None = None) -> Image:
    """Read one DeepLesion key slice as a single-slice CT image in HU.

    Args:
        path: ``Images_png/<patient>_<study>_<series>/<slice>.png``.
        spacing: (x mm, y mm, z mm), ``Spacing_mm_px_`` of the lesion's ``DL_info.csv`` row.
        slice_number: 1-based slice number; defaults to the file's name. It sets the slice's z in the
            series' local LPS frame (`deepradiology.deeplesion`), z = (slice_number - 1) * z mm.
    """
    path = Path(path)
    if slice_number is None:
        try:
            slice_number = int(path.stem)
        except ValueError:
            slice_number = 1
    hu = (_read_png16(path) - HU_OFFSET).astype(np.int16)
    return Image(hu, spacing=spacing, origin=(0.0, 0.0, (slice_number - 1) * spacing[2]), modality="CT",
                 source=str(path))


def read_deeplesion_stack(folder: str | Path, slice_numbers: list[int], *,
                          spacing: tuple[float, float, float]) -> Image:
    """Read consecutive slices ``<folder>/<n>.png`` into one volume (HU), k = 0 at the first number.

    Raises:
        InputError: a slice file is missing or the numbers are not consecutive.
    """
    folder = Path(folder)
    numbers = sorted(slice_numbers)
    if numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        raise InputError(folder, f"slice numbers {numbers} are not consecutive")
    arrays = [(_read_png16(folder / f"{n:03d}.png") - HU_OFFSET).astype(np.int16) for n in numbers]
    return Image(np.stack(arrays), spacing=spacing, origin=(0.0, 0.0, (numbers[0] - 1) * spacing[2]),
                 modality="CT", source=str(folder))
