"""The lesion's levels on each propagated slice: moved with the tissue around it, bounded by the key slice's.

The key slice's half-way level is right where it was drawn, but the tissue behind a lesion changes from
slice to slice (kidney cortex against medulla): a lesion pixel that sits 10 HU nearer its surroundings on
the next slice falls past a fixed level and is lost (30-40 % of some slices' area for small kidney lesions
inserted into the real CT). So on each propagated slice the surroundings are read again, in the ring
around the previous slice's mask, and the lesion's value and its contrast-side level move by the change of
that reading from the key slice's (the tissue behind a lesion shows through it).

Bounds, so that the level cannot drift into a neighbour: the move is at most a quarter of the key slice's
contrast, so the level stays at least a quarter of the contrast short of the key's surroundings; the other
side's level stays where the key slice put it (it separates the lesion from different tissue, e.g. fat
beyond a hypodense liver lesion). Values in HU.
"""

from __future__ import annotations

import numpy as np

__all__ = ["read_values", "slice_levels", "MAX_SHIFT"]

#: Largest move of the lesion's value and of the contrast-side level, as a fraction of the key contrast.
MAX_SHIFT = 0.25


def read_values(smooth: np.ndarray, mask: np.ndarray, excluded: np.ndarray | None = None) -> tuple[float, float] | None:
    """(median under the mask's core, median of the ring 2-4 pixels outside it) in HU, or None when either
    holds under 10 pixels. ``excluded`` pixels (another structure) are read as neither."""
    from scipy import ndimage

    allowed = np.ones_like(mask) if excluded is None else ~excluded
    core = ndimage.binary_erosion(mask) & allowed
    ring = ndimage.binary_dilation(mask, iterations=4) & ~ndimage.binary_dilation(mask) & allowed
    if np.count_nonzero(core) < 10 or np.count_nonzero(ring) < 10:
        return None
    return float(np.median(smooth[core])), float(np.median(smooth[ring]))


def slice_levels(smooth: np.ndarray, prev: np.ndarray, lesion_hu: float, surround_hu: float,
                 levels_hu: tuple[float, float], reference: tuple[float, float] | None,
                 excluded: np.ndarray | None = None) -> tuple[float, tuple[float, float]]:
    """(lesion value, (low, high) levels) for one propagated slice.

    Args:
        smooth: the slice (HU, smoothed), [row j, column i].
        prev: bool [j, i], the previous slice's lesion mask (where the lesion's surroundings are read).
        lesion_hu, surround_hu, levels_hu: the key slice's lesion and surroundings' values and its levels.
        reference: `read_values` on the key slice with its mask: only the change of this slice's
            surroundings' reading from the key's moves the levels (the key's own values come from another
            estimator, which must not move the level where nothing changed).
        excluded: bool [j, i] pixels of another structure, read neither as lesion nor as surroundings.

    Returns:
        The key slice's values unchanged when either reading is too thin (under 10 pixels); else moved.
    """
    low, high = float(levels_hu[0]), float(levels_hu[1])
    contrast = float(surround_hu) - float(lesion_hu)
    here = read_values(smooth, prev, excluded)
    if reference is None or here is None or not np.isfinite(contrast) or abs(contrast) < 1e-6:
        return float(lesion_hu), (low, high)
    size = abs(contrast)
    # The lesion's own reading under the previous mask is not used: toward the lesion's poles that mask
    # overhangs the lesion and its core reads partial-volume pixels, which pulls the level toward the
    # surroundings and grows the tips (tried: 3 more misses on the design seeds, one through a spurious
    # neck found at a pole).
    shift = float(np.clip(here[1] - reference[1], -MAX_SHIFT * size, MAX_SHIFT * size))
    if shift * contrast < 0:
        # Only toward the surroundings: a reading pulled the other way is as often a neighbour of the
        # lesion's own density in the ring (an organ it touches) as a real change behind the lesion, and
        # narrowing the band there would drop lesion pixels without a word.
        return float(lesion_hu), (low, high)
    lesion_k = float(lesion_hu) + shift
    if contrast > 0:
        return lesion_k, (min(low, lesion_k - 1.0), max(high + shift, lesion_k + 1.0))
    return lesion_k, (min(low + shift, lesion_k - 1.0), max(high, lesion_k + 1.0))
