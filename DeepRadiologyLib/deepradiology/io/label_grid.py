"""A label map (organ map) brought onto a CT's voxel grid, by nearest neighbour in physical space.

TotalSegmentator may run at 1.5 mm, a map may be cropped, or its axes may be stored flipped: a user
expects it to be used. Each CT voxel centre (LPS mm, the frame of ITK, NIfTI and NRRD files) takes the
label of the map voxel whose centre is nearest in physical space; labels are never interpolated. CT
voxels the map does not cover get `OUTSIDE_MAP` (-1), so that later code can say "outside the organ
map" rather than "no organ".

What cannot be resampled is refused in one sentence: a map that does not overlap the CT at all, one
covering too little of it to be this CT's map, and one whose organs lie over the air outside the
patient (its geometry is not this CT's: another patient frame, or a crop whose origin was not shifted;
a wrong frame cannot be detected from the headers, so the CT itself is the check).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..image import Image
from .checks import require_same_grid

__all__ = ["labels_on_grid", "require_organs_in_body", "OUTSIDE_MAP", "MIN_COVERAGE", "MAX_OUTSIDE_BODY"]

#: The value of CT voxels that an off-grid map does not cover (organ labels are > 0, background 0).
OUTSIDE_MAP = -1
#: A map covering less than this share of the CT's voxels is refused: too little of it to be its map.
MIN_COVERAGE = 0.10
#: A map with more than this share of its labelled voxels on air outside the body is refused (misaligned).
MAX_OUTSIDE_BODY = 0.10
#: ... or one label of at least this many voxels with over half of them there.
MIN_LABEL_VOXELS = 20
#: HU below which a CT voxel is air (the body is the filled region above it, slice by slice).
AIR_HU = -500.0


def labels_on_grid(labels: Image, ct: Image, *, what: str = "the organ map") -> Image:
    """``labels`` on ``ct``'s voxel grid: unchanged when it is already there (`require_same_grid`),
    else resampled by nearest neighbour in LPS mm. Either way its organs must lie inside the patient on
    the CT (`require_organs_in_body`).

    Args:
        labels: integer label image (any grid, LPS geometry); 0 = background.
        ct: the CT (HU) it must name voxels of.
        what: how messages name the map ("the organ map liver.nii.gz").

    Returns:
        int32 label `Image` [k, j, i] on the CT's grid. When resampled, CT voxels outside the map hold
        `OUTSIDE_MAP` and ``meta`` holds ``"resampled_from"`` (a sentence naming the map's spacing in
        mm), ``"resampled_spacing_mm"`` (its (i, j, k) spacing) and ``"coverage"`` (share of the CT's
        voxels the map covers, 0-1).

    Raises:
        InputError: no overlap with the CT, coverage under `MIN_COVERAGE`, or (on the CT's grid or not) organs over the air
            outside the patient (more than `MAX_OUTSIDE_BODY` of the labelled voxels, or over half of
            one label of `MIN_LABEL_VOXELS` or more).
    """
    import SimpleITK as sitk

    array = np.asarray(labels.array)
    try:
        require_same_grid(labels, ct, what=what)
    except InputError as off_grid:
        # what differs, without the old advice to resample (done here)
        why = off_grid.problem.split(" is not on the CT's voxel grid (", 1)[-1].rsplit("): resample", 1)[0]
    else:
        # the right grid says nothing about the right patient or study: the CT itself is the check
        require_organs_in_body(array, ct, name=labels.source or what, what=what)
        return labels.with_array(array.astype(np.int32, copy=False), modality="", meta={})
    reference = sitk.Image([int(n) for n in ct.size], sitk.sitkUInt8)
    reference.SetSpacing(ct.spacing)
    reference.SetOrigin(ct.origin)
    reference.SetDirection(tuple(np.asarray(ct.direction, float).reshape(-1)))
    source = labels.with_array(array.astype(np.int32, copy=False)).to_sitk()
    covered_img = labels.with_array(np.ones(array.shape, dtype=np.uint8)).to_sitk()
    # Nearest neighbour, identity transform: CT voxel centre (LPS mm) -> the nearest map voxel's label.
    moved = sitk.GetArrayFromImage(sitk.Resample(source, reference, sitk.Transform(), sitk.sitkNearestNeighbor,
                                                 0, sitk.sitkInt32))
    covered = sitk.GetArrayFromImage(sitk.Resample(covered_img, reference, sitk.Transform(),
                                                   sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)) > 0
    coverage = float(np.count_nonzero(covered)) / covered.size
    name = labels.source or what
    if coverage == 0.0:
        raise InputError(name, f"{what} does not overlap the CT at all in physical space (LPS mm; {why}): "
                               "it is not a map of this CT")
    if coverage < MIN_COVERAGE:
        raise InputError(name, f"{what} covers only {100 * coverage:.1f} % of the CT (at least "
                               f"{100 * MIN_COVERAGE:.0f} % is needed to trust it as this CT's map)")
    require_organs_in_body(moved, ct, name=name, what=what)
    moved[~covered] = OUTSIDE_MAP
    spacing = " x ".join(f"{s:.2f}" for s in labels.spacing)
    note = (f"{what} was resampled onto the CT's grid (nearest neighbour, LPS mm) from its own grid of "
            f"{spacing} mm, size {tuple(labels.size)}")
    if coverage < 0.995:
        note += f"; it covers {100 * coverage:.0f} % of the CT"
    return ct.with_array(moved, modality="", source=labels.source,
                         meta={"resampled_from": note, "coverage": round(coverage, 4),
                               "resampled_spacing_mm": tuple(float(v) for v in labels.spacing)})


def require_organs_in_body(labels: np.ndarray, ct: Image, *, name: str, what: str = "the organ map") -> None:
    """InputError unless the labelled voxels of ``labels`` ([k, j, i] on ``ct``'s grid, > 0 = organ) lie
    inside the patient on the CT: at most `MAX_OUTSIDE_BODY` of them, and at most half of any label of
    `MIN_LABEL_VOXELS` or more, on air outside the body. Used for maps resampled onto the CT and for maps
    already on its grid alike: the grid matching says nothing about whether the map is of this patient.

    What it catches: organs over the air around the patient (another patient or study, another frame, a
    crop whose origin was not moved). What it cannot: a map displaced by a few cm inside the abdomen
    still lies on tissue, so it passes (measured on the TotalSegmentator CT: docs/benchmarks.md, round 4b).
    """
    total, worst = _outside_body(labels, np.asarray(ct.array))
    if total > MAX_OUTSIDE_BODY or worst is not None:
        which = (f"{100 * total:.0f} % of its organ voxels" if worst is None
                 else f"{100 * worst[1]:.0f} % of its label {worst[0]}")
        raise InputError(name, f"{which} lie on air outside the patient in the CT: {what} is not aligned with "
                               "this CT (another patient or study, another patient frame, or a crop whose "
                               "origin was not moved)")


def _outside_body(labels: np.ndarray, hu: np.ndarray) -> tuple[float, tuple[int, float] | None]:
    """(share of all organ voxels outside the body, (label, share) of the label most outside it when over
    half of a label of `MIN_LABEL_VOXELS` or more is, else None). The body is the CT's non-air region
    with holes (lungs, bowel gas) filled on each slice, so organs of air (lungs) lie inside it."""
    from scipy import ndimage

    organ = labels > 0
    n = int(np.count_nonzero(organ))
    if n == 0:
        return 0.0, None
    body = np.zeros(hu.shape, dtype=bool)
    for k in range(hu.shape[0]):
        if organ[k].any():
            body[k] = ndimage.binary_fill_holes(hu[k] > AIR_HU)
    off = labels[organ & ~body]
    worst = None
    if off.size:
        values, counts = np.unique(off, return_counts=True)
        sizes = {int(v): int(np.count_nonzero(labels == v)) for v in values}
        shares = {int(v): c / sizes[int(v)] for v, c in zip(values, counts) if sizes[int(v)] >= MIN_LABEL_VOXELS}
        if shares and max(shares.values()) > 0.5:
            worst = max(shares.items(), key=lambda item: item[1])
    return float(off.size) / n, worst
