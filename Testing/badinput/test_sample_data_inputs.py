"""Issue 17, round 4: volumes of the kinds Slicer's Sample Data and careless exports bring, given where a
CT in Hounsfield units is needed.

A CT exported without its rescale intercept (air at 0, soft tissue near 1040) used to be called "an MR
volume?"; it is refused as before, but the sentence now names the likely cause. A real MR (the shared
TotalSegmentator MR sample) still reads as "an MR volume?". Expected values: HU = raw - 1024 by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology.errors import InputError
from deepradiology.image import Image
from deepradiology.io import read_volume, require_ct


def _body(offset: float) -> np.ndarray:
    """A 20 x 64 x 64 (k, j, i) body: air outside (-1000 HU), a soft-tissue disc (40 HU), a bone core (700 HU)."""
    j, i = np.mgrid[:64, :64]
    r = np.hypot(j - 32, i - 32)
    slice_hu = np.where(r < 26, 40.0, -1000.0)
    slice_hu[r < 6] = 700.0
    return np.repeat(slice_hu[None], 20, axis=0) + offset


def test_a_ct_in_hounsfield_units_passes():
    require_ct(Image(_body(0.0), spacing=(0.8, 0.8, 2.5), modality="CT"))


def test_a_ct_without_its_rescale_intercept_is_refused_naming_the_cause():
    raw = Image(_body(1024.0).astype(np.uint16), spacing=(0.8, 0.8, 2.5), source="raw.nrrd")
    with pytest.raises(InputError, match="without its rescale intercept") as info:
        require_ct(raw)
    assert str(info.value).startswith("raw.nrrd: ")


@pytest.mark.parametrize("scale,source", [(0.001, "hu-divided-by-1000.nii.gz"), (None, "labels.nrrd")])
def test_other_non_hu_volumes_are_still_refused(scale, source):
    array = _body(0.0) * scale if scale else (_body(0.0) > 0).astype(np.int16) * 3
    with pytest.raises(InputError, match="not CT Hounsfield units"):
        require_ct(Image(array, spacing=(1.0, 1.0, 1.0), source=source))


def test_a_real_mr_still_reads_as_mr(shared_data):
    path = shared_data / "ct/totalsegmentator/example_mr_sm.nii.gz"
    if not path.is_file():
        pytest.skip(f"the TotalSegmentator MR sample is not in the shared data: {path}")
    mr = read_volume(path)
    with pytest.raises(InputError, match="an MR volume"):
        require_ct(mr)
