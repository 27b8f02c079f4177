"""From a click to a measured lesion: segment on the slice, RECIST axes, 3D mask, one `Lesion` record.

This is the single entry point the CLI, the MRML Logic and the web app call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..image import Image
from ..lesion import LESION_TYPES, Lesion
from ..progress import ProgressCallback, report
from .segment2d import MAX_DIAMETER_MM, LesionSlice, NoLesionError, segment_lesion_2d

__all__ = ["RecistMeasurement", "measure_lesion", "lesion_location", "measurement_record"]


@dataclass
class RecistMeasurement:
    """A measured lesion: the record, its slice segmentation and (on a volume) its 3D mask."""

    lesion: Lesion
    slice: LesionSlice
    volume: object | None        # LesionVolume, or None for a single slice / propagate=False


def lesion_location(mask_2d: np.ndarray, *, slice_labels: np.ndarray | None = None,
                    label_names: dict[int, str] | None = None, surround_hu: float | None = None) -> str:
    """Where the lesion sits, in words.

    With an organ label map (the slice's labels [j, i] and {label: name}) the answer is the organ
    covering most of the lesion and a 2-pixel ring around it; otherwise a tissue class from the
    surroundings' HU: "lung" (aerated, below -500), "bone" (above 200) or "soft tissue".
    """
    if slice_labels is not None and label_names:
        from scipy import ndimage

        near = ndimage.binary_dilation(mask_2d, iterations=2)
        labels = slice_labels[near]
        labels = labels[labels > 0]
        if labels.size:
            values, counts = np.unique(labels, return_counts=True)
            return str(label_names.get(int(values[np.argmax(counts)]), f"label {int(values[np.argmax(counts)])}"))
    if surround_hu is None or not np.isfinite(surround_hu):
        return ""
    if surround_hu < -500:
        return "lung"
    if surround_hu > 200:
        return "bone"
    return "soft tissue"


def measurement_record(image: Image, lesion_slice: LesionSlice, volume=None, *, lesion_id: str = "L1",
                       location: str = "") -> Lesion:
    """The `Lesion` record of a measurement: axes in LPS mm, voxel endpoints and HU in ``extra``."""
    k = lesion_slice.slice_index
    axes = lesion_slice.axes
    lps = axes.endpoints_lps(image, k)
    extra = {
        "long_axis_ijk": axes.endpoints_ijk(k)["long"],
        "short_axis_ijk": axes.endpoints_ijk(k)["short"],
        "seed_ijk": [lesion_slice.seed_ij[0], lesion_slice.seed_ij[1], k],
        "lesion_hu": round(float(lesion_slice.lesion_hu), 1) if np.isfinite(lesion_slice.lesion_hu) else None,
        "surround_hu": round(float(lesion_slice.surround_hu), 1) if np.isfinite(lesion_slice.surround_hu) else None,
        "area_mm2": round(float(axes.area_mm2), 2),
        "axes_angle_deg": round(float(axes.angle_deg), 2),
        "method": lesion_slice.method,
        "source": image.source,
        "warnings": list(lesion_slice.warnings) + (list(volume.warnings) if volume is not None else []),
    }
    if volume is not None:
        extra["slice_range"] = list(volume.slice_range)
        extra["volume_ml_binary"] = round(float(volume.volume_ml_binary), 4)
    return Lesion(
        # a DICOM series carries its StudyInstanceUID (io.dicom keeps it as study_uid): the record names its study,
        # so `dicom export` refuses a reference series of another study
        lesion_id=lesion_id, patient=str(image.meta.get("patient_id", "")),
        study=str(image.meta.get("study_id") or image.meta.get("study_uid", "")),
        slice_index=int(k), long_axis_lps=tuple(map(tuple, lps["long"])), short_axis_lps=tuple(map(tuple, lps["short"])),
        box_ijk=tuple(float(v) for v in lesion_slice.box_ij), long_axis_mm=round(float(axes.long_mm), 3),
        short_axis_mm=round(float(axes.short_mm), 3),
        volume_ml=None if volume is None else round(float(volume.volume_ml), 4), location=location,
        lesion_type=location if location in LESION_TYPES.values() else "",
        is_lymph_node="lymph" in location.lower(), extra=extra)


def _model_installed() -> bool:
    from .learned import find_recist_model

    return find_recist_model() is not None


def _wants_nninteractive(model: str | None) -> bool:
    """Method "model" runs nnInteractive when ``model`` names one, or (no name) when no cascade is installed
    and an nnInteractive model is."""
    from .nninteractive import find_nninteractive, is_nninteractive_model

    if model:
        return is_nninteractive_model(model)
    return not _model_installed() and find_nninteractive() is not None


def _propagate(image: Image, lesion_slice: LesionSlice, progress: ProgressCallback | None = None, exclude=None):
    from .propagate import propagate_3d

    known = bool(np.isfinite(lesion_slice.lesion_hu))
    return propagate_3d(image, lesion_slice.mask, slice_index=lesion_slice.slice_index,
                        lesion_hu=lesion_slice.lesion_hu if known else None,
                        surround_hu=lesion_slice.surround_hu if known else None, levels_hu=lesion_slice.levels_hu,
                        progress=progress, exclude=exclude)


def _again(progress: ProgressCallback | None) -> ProgressCallback | None:
    """Progress of a second propagation (re-centred or re-seeded): its slices still reach Cancel."""
    return None if progress is None else (lambda f, m="": report(progress, 0.8, f"measuring again: {m}"))


def _constrain(image: Image, lesion_slice: LesionSlice, exclude) -> LesionSlice:
    """The slice outline without the pixels of ``exclude`` (bool [k, j, i], an adjacent structure the lesion
    was separated from): the part holding the seed (else the largest part), its soft mask cut to 0 in the
    excluded pixels, and its RECIST axes measured again."""
    from dataclasses import replace

    from scipy import ndimage

    from .axes import recist_axes

    if exclude is None:
        return lesion_slice
    out = np.asarray(exclude[lesion_slice.slice_index], dtype=bool)
    if not (lesion_slice.mask & out).any():
        return lesion_slice
    labels, n = ndimage.label(lesion_slice.mask & ~out)
    if n == 0:
        raise NoLesionError("click", "the outline lies wholly in the adjacent structure it was separated from")
    i, j = (int(round(v)) for v in lesion_slice.seed_ij)
    here = labels[j, i] if 0 <= j < labels.shape[0] and 0 <= i < labels.shape[1] else 0
    if here == 0:
        here = 1 + int(np.argmax(ndimage.sum_labels(np.ones_like(labels), labels, np.arange(1, n + 1))))
    region = ndimage.binary_fill_holes(labels == here) & ~out
    if np.count_nonzero(region) < 3:
        raise NoLesionError("click", "too little of the outline is left once the adjacent structure is removed")
    soft = np.where(ndimage.binary_dilation(region) & ~out, lesion_slice.soft, 0.0).astype(np.float32)
    soft[region] = np.maximum(soft[region], 0.5)
    jj, ii = np.nonzero(region)
    ja, jb = max(0, jj.min() - 3), min(region.shape[0], jj.max() + 4)
    ia, ib = max(0, ii.min() - 3), min(region.shape[1], ii.max() + 4)
    seed = (i - ia, j - ja) if region[j, i] else None
    axes = recist_axes(soft[ja:jb, ia:ib], lesion_slice.spacing, seed_ij=seed).shifted(ia, ja)
    return replace(lesion_slice, mask=region, soft=soft, axes=axes)


def _segment(image: Image, click, max_diameter_mm: float, exclude=None) -> LesionSlice:
    """`segment_lesion_2d` at a click (i, j, k) found by the 3D steps, kept out of ``exclude``."""
    moved = segment_lesion_2d(image, click=click, max_diameter_mm=max_diameter_mm, check_ct=False)
    return _constrain(image, moved, exclude)


def _recentre_on_largest_slice(image: Image, lesion_slice: LesionSlice, volume, max_diameter_mm: float, *,
                               progress: ProgressCallback | None = None, exclude=None):
    """Click anywhere: re-segment on the 3D mask's largest slice (at its most interior pixel) and
    propagate again from there, so the axes and volume do not depend on the slice clicked.

    RECIST measures a lesion on the slice where it is longest; for the compact lesions this targets
    the slice of largest area is that slice. At most two moves (the second settles partial-volume
    ties); a re-segmentation that fails keeps the previous result.
    """
    from scipy import ndimage

    for _ in range(2):
        areas = volume.areas_mm2
        k_best = max(areas, key=lambda k: (areas[k], -abs(k - lesion_slice.slice_index)))
        if k_best == lesion_slice.slice_index or areas[k_best] <= 1.05 * areas.get(lesion_slice.slice_index, 0.0):
            break
        inner = ndimage.distance_transform_edt(volume.mask[k_best])
        j, i = np.unravel_index(int(np.argmax(inner)), inner.shape)
        try:
            moved = _segment(image, (int(i), int(j), int(k_best)), max_diameter_mm, exclude)
            moved_volume = _propagate(image, moved, _again(progress), exclude)
        except InputError:
            break
        lesion_slice, volume = moved, moved_volume
    return _longest_axis_slice(image, lesion_slice, volume, max_diameter_mm, exclude), volume


def _reseed_from_neighbours(image: Image, lesion_slice: LesionSlice, volume, max_diameter_mm: float, *,
                            progress: ProgressCallback | None = None, exclude=None):
    """A click on a lesion's partial-volume end slice sees only its thin pole; propagation then stops at
    once (the next slice looks like a leak, being much larger). Re-seed at the same pixel on the slices
    next to it and keep the largest 3D lesion that still holds most of the clicked slice's mask."""
    from .organs import plausibility_refusal

    best = (lesion_slice, volume)
    k0 = lesion_slice.slice_index
    i, j = int(round(lesion_slice.seed_ij[0])), int(round(lesion_slice.seed_ij[1]))
    clicked = lesion_slice.mask
    for dk in (1, -1, 2, -2):
        k = k0 + dk
        if not 0 <= k < image.array.shape[0]:
            continue
        try:
            moved = _segment(image, (i, j, k), max_diameter_mm, exclude)
            moved_volume = _propagate(image, moved, _again(progress), exclude)
            moved, moved_volume = _recentre_on_largest_slice(image, moved, moved_volume, max_diameter_mm,
                                                             progress=progress, exclude=exclude)
        except InputError:
            continue
        holds = np.count_nonzero(moved_volume.mask[k0] & clicked) >= 0.5 * np.count_nonzero(clicked)
        # A candidate that is an organ or a leak (refused as implausible) is not the lesion clicked.
        plausible = plausibility_refusal(moved_volume.volume_ml, max_diameter_mm, moved.contrast_hu,
                                         moved.axes.long_mm) is None
        if holds and plausible and moved_volume.volume_ml > best[1].volume_ml and moved.axes.long_mm <= max_diameter_mm:
            best = (moved, moved_volume)
    return best


def _longest_axis_slice(image: Image, lesion_slice: LesionSlice, volume, max_diameter_mm: float,
                        exclude=None) -> LesionSlice:
    """RECIST's key slice is where the long axis is largest, which for an elongated lesion need not be the
    slice of largest area: compare the 3D mask's long axis (mm) on the slices near the largest one and
    re-segment on a slice whose long axis is clearly longer (> 3 % and > one pixel). The volume is kept."""
    from scipy import ndimage

    from .axes import recist_axes

    areas = volume.areas_mm2
    if len(areas) < 2:
        return lesion_slice
    spacing = image.spacing[:2]
    top = max(areas.values())
    longs = {}
    for k, area in areas.items():
        if area >= 0.5 * top:
            try:
                longs[k] = recist_axes(volume.mask[k].astype(float), spacing).long_mm
            except Exception:       # a sliver without a closed outline: not a candidate
                continue
    here = longs.get(lesion_slice.slice_index)
    if not longs or here is None:
        return lesion_slice
    k_long = max(longs, key=longs.get)
    if k_long == lesion_slice.slice_index or longs[k_long] <= max(1.03 * here, here + min(spacing)):
        return lesion_slice
    inner = ndimage.distance_transform_edt(volume.mask[k_long])
    j, i = np.unravel_index(int(np.argmax(inner)), inner.shape)
    try:
        moved = _segment(image, (int(i), int(j), int(k_long)), max_diameter_mm, exclude)
    except InputError:
        return lesion_slice
    return moved if moved.axes.long_mm > lesion_slice.axes.long_mm else lesion_slice


def _separate(image: Image, lesion_slice: LesionSlice, volume, seed_ijk, organ_labels, label_names, exclude,
              notes: list[str], extent: list[str], necks: list | None = None):
    """Separate the lesion at ``seed_ijk`` (i, j, k) from an adjacent structure its mask merged with
    (`separate`: another organ of the map, a neck): re-outline and re-propagate without it.

    Returns (lesion_slice, volume, exclude); ``exclude`` (bool [k, j, i], the structures cut off so far) is
    the same object when nothing new was cut. Adds a note per cut and a warning per neck too wide to cut;
    appends the structures cut at a neck (not at an organ's label) to ``necks``.
    """
    from .separate import organ_exclusion, split_at_neck

    found, cut_notes = [], []
    if organ_labels is not None:
        names = label_names or {int(v): f"label {int(v)}" for v in np.unique(organ_labels.array) if v > 0}
        by_organ = organ_exclusion(volume.mask, np.asarray(organ_labels.array), names, seed_ijk)
        if by_organ.exclude is not None:
            found.append(by_organ.exclude)
            cut_notes += by_organ.notes
    mask = volume.mask
    for ex in found + ([] if exclude is None else [exclude]):
        mask = mask & ~ex
    by_neck = split_at_neck(mask, image.spacing, seed_ijk)
    if by_neck.exclude is not None:
        found.append(by_neck.exclude)
        cut_notes += by_neck.notes
    extent += [w for w in by_neck.uncertain if w not in extent]
    if not found:
        return lesion_slice, volume, exclude
    new = np.zeros(image.array.shape, dtype=bool) if exclude is None else exclude.copy()
    for ex in found:
        new |= ex
    try:
        cut_slice = _constrain(image, lesion_slice, new)
        cut_volume = _propagate(image, cut_slice, exclude=new)
    except InputError:
        merged = ("3D extent uncertain: the mask merges with an adjacent structure, and the lesion could not be "
                  "outlined apart from it")
        if merged not in extent:   # _separate runs twice (first and final mask): say it once
            extent.append(merged)
        return lesion_slice, volume, exclude
    notes += cut_notes
    if necks is not None and by_neck.exclude is not None:
        necks.append(by_neck.exclude)
    return cut_slice, cut_volume, new


def _extent_warnings(image: Image, lesion_slice: LesionSlice, volume, organ_labels=None, label_names=None,
                     exclude=None) -> list[str]:
    """Why the 3D extent may be uncertain: the rule of `extent.extent_warnings` (contact with tissue of
    similar density, area jumps, a second organ, coarse slices), and the volume's end."""
    from .extent import extent_warnings

    labels = None if organ_labels is None else np.asarray(organ_labels.array)
    levels = lesion_slice.levels_hu
    if levels is None:      # the learned model gives no levels: half-way to the surroundings, both sides
        half = abs(volume.surround_hu - volume.lesion_hu) / 2.0
        levels = (volume.lesion_hu - half, volume.lesion_hu + half)
    warnings = extent_warnings(image, volume, levels, organ_labels=labels, label_names=label_names,
                               key_slice=lesion_slice.slice_index, key_long_mm=lesion_slice.axes.long_mm,
                               key_area_mm2=lesion_slice.axes.area_mm2, key_mask=lesion_slice.mask, exclude=exclude)
    nk = image.array.shape[0]
    if volume.slice_range[0] == 0 or volume.slice_range[1] == nk - 1:
        warnings.append("the 3D mask reaches the end of the volume: the lesion may continue beyond it")
    return warnings


def _refuse_a_click_on_an_organ(volume, seed_ijk, organ_labels, label_names) -> None:
    """Before any separation: a click inside an organ of the map whose first 3D region is most of that organ
    is a click on the organ, refused (NotALesionError). Separation would otherwise cut the organ off at its
    own label and keep what is left around the click (fat, a neighbour) as a "lesion". A region that is
    most of an organ the click is not in is left to the separation, which cuts that organ away."""
    from .organs import NotALesionError, organ_context

    if organ_labels is None or volume is None:
        return
    labels = np.asarray(organ_labels.array).reshape(volume.mask.shape)
    names = label_names or {int(v): f"label {int(v)}" for v in np.unique(labels) if v > 0}
    i, j, k = (int(round(float(v))) for v in seed_ijk)
    if not (0 <= k < labels.shape[0] and 0 <= j < labels.shape[1] and 0 <= i < labels.shape[2]):
        return
    clicked = names.get(int(labels[k, j, i])) if labels[k, j, i] > 0 else None
    refusal = organ_context(volume.mask, labels, names)["refusal"]
    if refusal is not None and clicked == refusal["organ"]:
        raise NotALesionError("click", refusal["reason"], refusal)


def _organ_context(image: Image, lesion_slice: LesionSlice, volume, organ_labels, label_names,
                   max_diameter_mm: float) -> dict:
    """Location, its source and warnings; raises NotALesionError when the region is no lesion."""
    from .organs import NotALesionError, organ_context, plausibility_refusal

    if volume is not None:
        mask = volume.mask
    else:
        mask = np.zeros(image.array.shape, dtype=bool)
        mask.reshape((-1,) + image.array.shape[-2:])[lesion_slice.slice_index if mask.ndim == 3 else 0] = \
            lesion_slice.mask
    if lesion_slice.axes.long_mm > max_diameter_mm:
        # Re-seeding on the largest slice can grow past the limit the clicked slice respected.
        reason = (f"the 3D region's long axis {lesion_slice.axes.long_mm:.0f} mm exceeds --max-diameter "
                  f"{max_diameter_mm:g} mm: an organ or a leak, not a lesion")
        raise NotALesionError("click", reason, {"reason": reason})
    if organ_labels is not None:
        names = label_names or {int(v): f"label {int(v)}" for v in np.unique(organ_labels.array) if v > 0}
        context = organ_context(mask, np.asarray(organ_labels.array).reshape(mask.shape), names)
        if context["refusal"] is not None:
            raise NotALesionError("click", context["refusal"]["reason"], context["refusal"])
        # "label 3" is no organ a radiologist can report: every front end says when names are unknown
        names_warning = organ_labels.meta.get("organ_names_warning")
        context["warnings"] = [names_warning] if names_warning else []
        outside = context["outside_map"]
        if outside > 0.5:
            # A cropped map does not reach the region: it can name no organ here; judge as without a map.
            without = _organ_context(image, lesion_slice, volume, None, None, max_diameter_mm)
            without["warnings"] = [f"location unknown: {100 * outside:.0f} % of the region lies outside the organ "
                                   "map's extent (the map covers only part of the CT); the organ is not guessed"]
            return without
        if outside > 0:
            context["warnings"].append(f"{100 * outside:.0f} % of the region lies outside the organ map's extent: "
                                       "its organ shares are of the covered part only")
        return context
    refusal = plausibility_refusal(None if volume is None else volume.volume_ml, max_diameter_mm,
                                   lesion_slice.contrast_hu, lesion_slice.axes.long_mm)
    if refusal is not None:
        raise NotALesionError("click", refusal["reason"], refusal)
    guess = lesion_location(lesion_slice.mask, surround_hu=lesion_slice.surround_hu)
    return {"location": "unknown", "location_source": "none", "organ_shares": None, "tissue_guess": guess,
            "warnings": ["location unknown: no organ map was given (--organs); the organ is not guessed"]}


def measure_lesion(image: Image, *, click=None, box=None, slice_index: int | None = None,
                   lesion_id: str = "L1", propagate: bool | None = None, organ_labels: Image | None = None,
                   label_names: dict[int, str] | None = None, max_diameter_mm: float = MAX_DIAMETER_MM,
                   method: str = "adaptive", progress: ProgressCallback | None = None,
                   organs=None, model: str | None = None) -> RecistMeasurement:
    """Measure the lesion at a click (i, j, k voxels) or in a box (i0, j0, i1, j1 on ``slice_index``).

    Args:
        image: CT in HU; a volume for a 3D mask, or a single slice.
        click, box, slice_index, max_diameter_mm: as `segment_lesion_2d`.
        lesion_id: the record's id ("L1", "L2", ...).
        propagate: make the 3D mask and volume: True requires a volume (a single slice is refused
            before anything is measured), None does it when the image is a volume, False never.
        organ_labels, label_names: an organ label map on the same grid, to name the location.
        organs: instead of those, a label-map file or a folder of organ masks (`load_organ_map`), or
            an (Image, names) pair. With an organ map a region that is most of one organ is refused.
        method: "adaptive" (no weights, the default), "model" (the installed learned cascade; ModelError
            when none is installed) or "auto" (the model when installed, else adaptive). Boxes use the
            adaptive method, or nnInteractive (method "model").
        model: with method "model", the installed model to use by name: an nnInteractive model (its 3D
            mask from the click or box, `nninteractive`) or a RECIST cascade. None: the cascade when
            installed, else an installed nnInteractive model.
        progress: callback(fraction, message).

    Returns:
        `RecistMeasurement`; its ``lesion`` has axes in LPS mm, lengths in mm, volume in mL.

    Raises:
        InputError / NoLesionError: as `segment_lesion_2d`; a label map on another grid.
        NotALesionError (a NoLesionError, exit 2): the region is most of an organ of the map, or (no
            map) far beyond a --max-diameter sphere or without contrast; its ``refusal`` says why.
    """
    if method not in ("adaptive", "model", "auto"):
        raise InputError("method", f"must be adaptive, model or auto, got {method!r}")
    try:
        bad = not (np.isfinite(float(max_diameter_mm)) and float(max_diameter_mm) > 0)
    except (TypeError, ValueError):
        bad = True
    if bad:
        raise InputError("max_diameter_mm", f"must be a positive number of mm, got {max_diameter_mm!r}")
    if propagate:
        from ..io.checks import require_3d

        try:
            require_3d(image)
        except InputError as exc:
            raise InputError(image.source or "volume", f"{exc.problem}: a 3D mask cannot be propagated "
                             "(measure on the slice only, without 3D propagation)") from None
    report(progress, 0.0, "segmenting the lesion on its slice")
    use_model = method == "model" or (method == "auto" and box is None and _model_installed())
    volume = model_facts = None
    if use_model and _wants_nninteractive(model):
        from .nninteractive import measure_with_nninteractive

        lesion_slice, volume, model_facts = measure_with_nninteractive(image, click=click, box=box,
                                                                       slice_index=slice_index, model=model)
        volume = None if propagate is False or image.is_2d else volume
    elif use_model:
        from .learned import load_recist_model, measure_with_model

        if click is None:
            raise InputError("box", "the learned model measures from a click; use method='adaptive' with a box")
        net, card = load_recist_model(model) if model else (None, None)
        lesion_slice = measure_with_model(image, click=click, slice_index=slice_index, model=net, card=card)
    else:
        lesion_slice = segment_lesion_2d(image, click=click, box=box, slice_index=slice_index,
                                         max_diameter_mm=max_diameter_mm)
    clicked_k = lesion_slice.slice_index if model_facts is None else model_facts.pop("prompt_slice")
    notes: list[str] = []          # facts the user should see (which slice was measured)
    extent: list[str] = []         # warnings: the 3D extent is uncertain
    if organs is not None and organ_labels is None:
        from .organs import load_organ_map

        organ_labels, label_names = organs if isinstance(organs, tuple) else load_organ_map(organs, image)
    if organ_labels is not None and organ_labels.array.shape != image.array.shape:
        raise InputError(organ_labels.source or "organ labels",
                         f"is on another grid ({organ_labels.size}) than the CT ({image.size})")
    if organ_labels is not None and organ_labels.meta.get("resampled_from"):
        notes.append(organ_labels.meta["resampled_from"])       # say the map was not on the CT's own grid
    exclude = None
    necks: list[np.ndarray] = []   # structures cut off at a neck, where the cut's place is the method's guess
    if propagate or (propagate is None and not image.is_2d):
        report(progress, 0.4, "propagating to neighbouring slices")
        if volume is None:   # every propagated slice reports (and so reaches Cancel), in 0.4-0.7 of the bar
            volume = _propagate(image, lesion_slice, None if progress is None else
                                (lambda f, m="": report(progress, 0.4 + 0.3 * f, m)))
        if not use_model:
            # Touching structures first (from the clicked slice's mask, which holds the click), so that the
            # re-seeding steps below cannot wander into the neighbour; then once more on the final mask.
            seed = (*lesion_slice.seed_ij, lesion_slice.slice_index)
            _refuse_a_click_on_an_organ(volume, seed, organ_labels, label_names)
            lesion_slice, volume, exclude = _separate(image, lesion_slice, volume, seed, organ_labels, label_names,
                                                      exclude, notes, extent, necks)
            lesion_slice, volume = _recentre_on_largest_slice(image, lesion_slice, volume, max_diameter_mm,
                                                               progress=progress, exclude=exclude)
            if volume.n_slices < 3:
                lesion_slice, volume = _reseed_from_neighbours(image, lesion_slice, volume, max_diameter_mm,
                                                                progress=progress, exclude=exclude)
            before = exclude
            lesion_slice, volume, exclude = _separate(image, lesion_slice, volume, seed, organ_labels, label_names,
                                                      exclude, notes, extent, necks)
            if exclude is not before:
                lesion_slice, volume = _recentre_on_largest_slice(image, lesion_slice, volume, max_diameter_mm,
                                                                  progress=progress, exclude=exclude)
        if lesion_slice.slice_index != clicked_k:
            notes.append(f"measured on slice {lesion_slice.slice_index}, where the lesion is largest, not on the "
                         f"clicked slice {clicked_k}")
    if volume is not None:
        names = label_names
        if organ_labels is not None and not names:
            names = {int(v): f"label {int(v)}" for v in np.unique(organ_labels.array) if v > 0}
        # Contact with a structure cut off at a neck is accounted for; contact with an organ cut off at its
        # label is not: the label is a voxel or two off the organ's edge, and a mask ending against tissue
        # of its own density there may still hold some of it.
        cut_at_necks = np.any(necks, axis=0) if necks else None
        extent += _extent_warnings(image, lesion_slice, volume, organ_labels, names, cut_at_necks)
        if necks:
            from .separate import long_axis_at_cut

            k = lesion_slice.slice_index
            ends = [p[:2] for p in lesion_slice.axes.endpoints_ijk(k)["long"]]
            # A cut at an organ's label follows the map; one at a neck is where the method placed it.
            if long_axis_at_cut(np.any([n[k] for n in necks], axis=0), ends, image.spacing):
                extent.append(f"3D extent uncertain: on slice {k} the long axis ends where the lesion was cut from the "
                              "adjacent structure: its length depends on where the two were separated")
    context = _organ_context(image, lesion_slice, volume, organ_labels, label_names, max_diameter_mm)
    report(progress, 1.0, "done")
    lesion = measurement_record(image, lesion_slice, volume, lesion_id=lesion_id, location=context["location"])
    lesion.extra["clicked_slice"] = int(clicked_k)
    lesion.extra["key_slice"] = int(lesion_slice.slice_index)
    lesion.extra["notes"] = notes
    lesion.extra["location_source"] = context["location_source"]
    if organ_labels is not None and organ_labels.meta.get("resampled_from"):
        lesion.extra["organ_map_resampled"] = organ_labels.meta["resampled_from"]
    if context.get("organ_shares") is not None:
        lesion.extra["organ_shares"] = context["organ_shares"]
    if context.get("tissue_guess"):
        lesion.extra["tissue_guess"] = {"tissue": context["tissue_guess"], "location_source": "hu"}
    lesion.extra["warnings"] = list(lesion.extra["warnings"]) + extent + context["warnings"]
    if model_facts:
        lesion.extra["model"] = model_facts        # which model and licence produced the mask
    return RecistMeasurement(lesion=lesion, slice=lesion_slice, volume=volume)
