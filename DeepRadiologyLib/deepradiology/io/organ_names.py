"""Organ names for the values of a label-map file: a colour table or JSON beside it, or one given.

Where the names come from, first found wins (`organ_names_for`):

1. ``--organ-names FILE`` (a colour table or JSON) or ``--organ-names ATLAS`` (`atlases`, e.g.
   ``totalsegmentator``: its v2 'total' task, the numbers of ``TotalSegmentator --ml``);
2. a colour table beside the map, named as the map without its image suffix: ``S0_organs.txt`` or
   ``S0_organs.ctbl`` beside ``S0_organs.nii.gz``;
3. a JSON sidecar ``S0_organs.json``: ``{"1": "liver", "3": "kidney_left"}``;
4. none: "label N", with a warning that the organ names are unknown.

A colour table is Slicer's text format (vtkMRMLColorTableStorageNode, .txt/.ctbl): "#" comment lines,
then one colour a line, ``value name r g b a``, whitespace between, the name without spaces (Slicer
writes "_" for them), r g b a 0-255. Value 0 is the background and names no organ.

A table or JSON that disagrees with its map is refused with one line naming the file and line: a value
twice, a value that is no whole number, or a value the map does not hold (the table of another map).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError
from .atlases import ATLASES, atlas_names

__all__ = ["read_colour_table", "write_colour_table", "read_names_json", "read_names_file",
           "sidecar_names_file", "organ_names_for", "UNKNOWN_NAMES_WARNING"]

_IMAGE_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd")
_TABLE_SUFFIXES = (".txt", ".ctbl")

UNKNOWN_NAMES_WARNING = ("organ names unknown: the organ map {map} has no colour table ({stem}.txt or .ctbl) or "
                         "JSON ({stem}.json) beside it, so its organs read 'label N'; give --organ-names FILE or "
                         "--organ-names totalsegmentator")


def _stem(path: Path) -> str:
    name = path.name
    for suffix in _IMAGE_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def read_colour_table(path, map_values=None) -> dict[int, str]:
    """{value: name} from a Slicer colour-table text file (value 0, the background, left out).

    ``map_values``: the values the label map holds; a table naming another value is refused.

    Raises:
        InputError: "FILE line N: ..." for a line that is not ``value name [r g b [a]]``, a value that
            is not a whole number >= 0, a value twice, or one not in the map; or an unreadable file.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot be read as a colour table ({exc.__class__.__name__})") from None
    names: dict[int, str] = {}
    seen: dict[int, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        where = f"{path} line {number}"
        if len(fields) < 2:
            raise InputError(where, f"{line.strip()!r} is not 'value name r g b a' (no name)")
        value = _whole_value(fields[0], where)
        for channel in fields[2:6]:
            try:
                float(channel)
            except ValueError:
                raise InputError(where, f"colour {channel!r} is not a number (a name with spaces? Slicer writes "
                                        "'_' for them)") from None
        if value in seen:
            raise InputError(where, f"value {value} is named twice (first on line {seen[value]})")
        seen[value] = number
        _check_in_map(value, map_values, where)
        name = fields[1].strip("'")     # Slicer trims ticks copied from a MRML file
        if value > 0:
            names[value] = name
    if not names:
        raise InputError(path, "the colour table names no organ (no line 'value name r g b a' with value > 0)")
    return names


def read_names_json(path, map_values=None) -> dict[int, str]:
    """{value: name} from a JSON object ``{"1": "liver", ...}`` (value 0 left out).

    Raises:
        InputError: not JSON, not an object of value -> name, a value that is not a whole number >= 0,
            a name that is not text, or a value not in the map ("FILE line N" where JSON says).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text, object_pairs_hook=list)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot be read ({exc.__class__.__name__})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} line {exc.lineno}", f"is not JSON ({exc.msg})") from None
    if not isinstance(data, list):
        raise InputError(path, 'organ names must be a JSON object {"value": "name"}, e.g. {"1": "liver"}')
    lines = text.splitlines()
    names: dict[int, str] = {}
    seen: set[int] = set()
    for key, name in data:
        number = next((n for n, l in enumerate(lines, start=1) if f'"{key}"' in l), None)
        where = f"{path} line {number}" if number else str(path)
        value = _whole_value(key, where)
        if value in seen:
            raise InputError(where, f"value {value} is named twice")
        seen.add(value)
        if not isinstance(name, str) or not name.strip():
            raise InputError(where, f"the name of value {value} is not text")
        _check_in_map(value, map_values, where)
        if value > 0:
            names[value] = name.strip()
    if not names:
        raise InputError(path, "names no organ (no value > 0)")
    return names


def _whole_value(text: str, where: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise InputError(where, f"value {text!r} is not a whole number (a line is 'value name r g b a')") from None
    if value < 0:
        raise InputError(where, f"value {value} is negative (organ labels are 0 or more)")
    return value


def _check_in_map(value: int, map_values, where: str) -> None:
    if map_values is not None and value > 0 and value not in map_values:
        shown = ", ".join(str(v) for v in sorted(map_values)[:12]) + (", ..." if len(map_values) > 12 else "")
        raise InputError(where, f"value {value} is not in the organ map (it holds {shown}): is this the table of "
                                "another map?")


def read_names_file(path, map_values=None) -> dict[int, str]:
    """A colour table (.txt, .ctbl) or JSON (.json) file of organ names, by its suffix."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "does not exist (organ names are a colour table .txt/.ctbl, a .json, or one of: "
                               + ", ".join(sorted(ATLASES)) + ")")
    if path.suffix.lower() == ".json":
        return read_names_json(path, map_values)
    return read_colour_table(path, map_values)


def sidecar_names_file(map_path) -> Path | None:
    """The colour table (``<stem>.txt``, ``<stem>.ctbl``) or else JSON (``<stem>.json``) beside a map."""
    map_path = Path(map_path)
    stem = _stem(map_path)
    for suffix in (*_TABLE_SUFFIXES, ".json"):
        candidate = map_path.with_name(stem + suffix)
        if candidate.is_file():
            return candidate
    return None


def organ_names_for(map_path, map_values, names=None) -> tuple[dict[int, str], str, str | None]:
    """Names for the label-map file ``map_path`` holding ``map_values`` (values > 0).

    ``names``: what ``--organ-names`` gave: an atlas name, a file path, or a {value: name} dict.

    Returns ({value: name} for every value in ``map_values``, where they come from in words, a warning or
    None). A value the source does not name reads "label N" and is warned about.
    """
    map_path = Path(map_path)
    values = {int(v) for v in map_values if int(v) > 0}
    found: dict[int, str] | None = None
    source = ""
    if isinstance(names, dict):
        found = {int(k): str(v) for k, v in names.items()}
        source = "organ names given"
    elif names:
        found = atlas_names(str(names))
        if found is not None:
            source = f"organ names of the atlas {str(names).strip().lower()}"
        else:
            found = read_names_file(names, values)
            source = f"organ names from {Path(names).name}"
    else:
        sidecar = sidecar_names_file(map_path)
        if sidecar is not None:
            found = read_names_file(sidecar, values)
            source = f"organ names from {sidecar.name} beside the map"
    if found is None:
        warning = UNKNOWN_NAMES_WARNING.format(map=map_path.name, stem=_stem(map_path))
        return {v: f"label {v}" for v in sorted(values)}, "no organ names (label N)", warning
    unnamed = sorted(values - set(found))
    result = {v: found.get(v, f"label {v}") for v in sorted(values)}
    warning = None
    if unnamed:
        shown = ", ".join(str(v) for v in unnamed[:12]) + (", ..." if len(unnamed) > 12 else "")
        warning = (f"organ names unknown for values {shown} of the organ map {map_path.name} ({source}): "
                   "they read 'label N'")
    return result, source, warning


def write_colour_table(path, names: dict[int, str], colours: dict[int, tuple] | None = None) -> Path:
    """Write {value: name} as a Slicer colour table (``value name r g b a``, 0-255; background 0 first).

    Names with spaces are written with "_" (the format splits on whitespace). ``colours``: {value: (r, g, b)}
    0-255; a value without one gets a distinct hue.
    """
    import colorsys

    path = Path(path)
    lines = [f"# Color table file {path.name}", f"# {len(names) + 1} values", "0 Background 0 0 0 0"]
    for n, value in enumerate(sorted(names)):
        rgb = (colours or {}).get(value)
        if rgb is None:
            rgb = tuple(round(255 * c) for c in colorsys.hsv_to_rgb((n * 0.618034) % 1.0, 0.6, 0.9))
        name = "_".join(str(names[value]).split())
        lines.append(f"{int(value)} {name} {int(rgb[0])} {int(rgb[1])} {int(rgb[2])} 255")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
