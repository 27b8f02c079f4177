"""The one line a front end shows after a lesion is measured (the web RECIST panel, Slicer's RECISTAssist).

"L1: 23.4 x 12.1 mm, 5.30 mL, slice 37; location: liver (from organ map: ...); warning: ...; mask by ..."
Every number a radiologist may copy (diameters in mm, volume in mL, the key slice) comes with what
makes it uncertain (the measurement's warnings) and, when a published model made the mask, which
model and licence: no front end can show the numbers without them.
"""

from __future__ import annotations

from ..lesion import Lesion

__all__ = ["recist_results_line", "location_text", "mask_made_by"]


def mask_made_by(lesion: Lesion) -> str:
    """"; mask by <format> model <name> (<licence>; on <device>)" when a published model (nnInteractive)
    made the mask, else "": the results line names the model and its licence with every such number."""
    model = lesion.extra.get("model")
    if not model:
        return ""
    return f"; mask by {model['format']} model {model['name']} ({model['licence']}; on {model['device']})"


def location_text(lesion: Lesion, organ_map_source: str = "") -> str:
    """Where the lesion is and how that is known: "location: liver (from organ map: <source>)", or
    "location unknown: no organ map" - never an organ guessed from HU shown as fact.

    Args:
        organ_map_source: where the study's organ map came from, in words ("" when not known).
    """
    if lesion.extra.get("location_source") == "organ_map":
        text = f"location: {lesion.location} (from organ map{': ' + organ_map_source if organ_map_source else ''})"
        if lesion.extra.get("organ_map_resampled"):     # the map was not on the CT's grid: say from which
            text += "; " + lesion.extra["organ_map_resampled"]
        return text
    return "location unknown: no organ map"


def recist_results_line(lesion: Lesion, *, organ_map_source: str = "", already_listed_as: str = "") -> str:
    """The results line of a measured lesion (module docstring).

    Args:
        lesion: the measurement: diameters in mm, ``volume_ml`` (None: no 3D mask, left out),
            ``slice_index`` (the key slice, 0-based voxel k, as the lesion table's "slice" column shows it),
            ``extra["warnings"]`` and ``extra["model"]``.
        organ_map_source: where the study's organ map came from, in words (`location_text`).
        already_listed_as: the record the study already had for this lesion, which the measurement
            updated ("" when it is a new record).
    """
    parts = [f"{lesion.long_axis_mm:.1f} x {lesion.short_axis_mm:.1f} mm"]
    if lesion.volume_ml is not None:
        parts.append(f"{lesion.volume_ml:.2f} mL")
    if lesion.slice_index is not None:
        parts.append(f"slice {lesion.slice_index}")
    line = f"{lesion.lesion_id}: {', '.join(parts)}; {location_text(lesion, organ_map_source)}"
    if already_listed_as:
        line += f"; the study already lists this lesion as {already_listed_as}: its record is updated, no second one"
    # The location part already says when no organ map named the organ; the rest are said here.
    for warning in lesion.extra.get("warnings", []):
        if not warning.startswith("location unknown"):
            line += f"; warning: {warning}"
    return line + mask_made_by(lesion)
