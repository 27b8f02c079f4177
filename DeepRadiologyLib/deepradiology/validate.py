"""One validation layer for numbers that come from users' files and options.

A NaN coordinate in a lesion record does not fail anywhere on its own: every distance to it is NaN,
every comparison False, so `longitudinal match` calls the lesion vanished and a new one appeared (PD).
Each record and option is therefore checked here, once, when it is parsed, and refused with the entry
named. Units are as in `deepradiology.lesion.Lesion`: LPS mm points, mm lengths, mL volumes.
"""

from __future__ import annotations

import math
import numbers

from .errors import InputError

__all__ = ["finite_number", "finite_point", "check_lesion_fields", "positive_number", "whole_number", "text_field"]


def finite_number(value, what: str, where: str) -> float:
    """``value`` as a finite float, or an InputError naming ``where`` (the entry) and ``what`` (the field)."""
    if isinstance(value, bool) or value is None:
        raise InputError(where, f"{what} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise InputError(where, f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise InputError(where, f"{what} must be a finite number, got {value!r}")
    return number


def positive_number(value, what: str, where: str = "", *, minimum: float = 0.0) -> float:
    """A finite number strictly above ``minimum`` (an option such as ``--spacing``)."""
    number = finite_number(value, what, where)
    if number <= minimum:
        raise InputError(where, f"{what} must be greater than {minimum:g}, got {value!r}")
    return number


def whole_number(value, what: str, where: str = "", *, minimum: int | None = None) -> int:
    """An integer (not a bool, not a float with a fraction), at least ``minimum`` when given."""
    if isinstance(value, bool):
        raise InputError(where, f"{what} must be a whole number, got {value!r}")
    number = finite_number(value, what, where)
    if number != int(number):
        raise InputError(where, f"{what} must be a whole number, got {value!r}")
    if minimum is not None and number < minimum:
        raise InputError(where, f"{what} must be at least {minimum}, got {value!r}")
    return int(number)


def finite_point(value, what: str, where: str, *, size: int = 3) -> tuple[float, ...]:
    """A sequence of ``size`` finite numbers (an LPS mm point, a box, a normalised location)."""
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__") or len(value) != size:
        raise InputError(where, f"{what} must be {size} numbers, got {value!r}")
    return tuple(finite_number(c, f"{what}[{n}]", where) for n, c in enumerate(value))


_TEXT_FIELDS = ("lesion_id", "patient", "study", "series", "location", "lesion_type", "embedding_model")
_ID_FIELDS = ("lesion_id", "patient", "study", "series")


def text_field(value, what: str, where: str) -> str:
    """``value`` as text: a string, or a whole number (ids are often numbers); anything else refused."""
    if isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(value)
    raise InputError(where, f"{what} must be text, got {type(value).__name__} {_short(value)}")


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_lesion_fields(lesion) -> None:
    """Refuse a lesion record (`deepradiology.lesion.Lesion`) holding a non-finite or ill-typed number.

    Normalises in place: axes become pairs of float triples, boxes and locations float tuples, the
    slice index an int, the embedding a list of floats, numeric ids text, a 0/1 lymph-node flag a bool.
    Text fields must be text, ``extra`` a JSON object (a list or number there is refused, not stored).

    Raises:
        InputError: naming the lesion and the field ("lesion L3: long_axis_lps[0][1] must be a finite
            number, got nan").
    """
    for name in _TEXT_FIELDS:
        value = getattr(lesion, name)
        if isinstance(value, numbers.Integral) and not isinstance(value, bool) and name in _ID_FIELDS:
            setattr(lesion, name, str(value))       # DeepLesion's patient and study indices are numbers
        elif not isinstance(value, str):
            where = "a lesion" if name == "lesion_id" else f"lesion {lesion.lesion_id}"
            raise InputError(where, f"{name} must be text, got {type(value).__name__} {_short(value)}")
    where = f"lesion {lesion.lesion_id}"
    from .lesion import LESION_TYPES

    if lesion.lesion_type and lesion.lesion_type not in LESION_TYPES.values():
        # a type outside DeepLesion's eight would be stored, then never match a type filter or a type label
        raise InputError(where, f"lesion_type must be one of DeepLesion's types ({', '.join(LESION_TYPES.values())}) "
                                f"or empty, got {_short(lesion.lesion_type)}")
    flag = lesion.is_lymph_node
    if not isinstance(flag, bool):
        # a numpy bool, or 0/1 from a spreadsheet, is a flag too; text such as "yes" is not
        if (isinstance(flag, numbers.Integral) or type(flag).__name__ == "bool_") and flag in (0, 1):
            lesion.is_lymph_node = bool(flag)
        else:
            raise InputError(where, f"is_lymph_node must be true or false, got {_short(flag)}")
    if not isinstance(lesion.extra, dict):
        raise InputError(where, f"extra must be a JSON object, got {type(lesion.extra).__name__}")
    for name in ("long_axis_mm", "short_axis_mm", "volume_ml"):
        value = getattr(lesion, name)
        if value is not None:
            number = finite_number(value, name, where)
            if number < 0:
                raise InputError(where, f"{name} must be a non-negative number, got {value!r}")
            setattr(lesion, name, number)
    for name in ("long_axis_lps", "short_axis_lps"):
        value = getattr(lesion, name)
        if value is not None:
            if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__") or len(value) != 2:
                raise InputError(where, f"{name} must be two 3D points, got {value!r}")
            setattr(lesion, name, tuple(finite_point(p, f"{name}[{n}]", where) for n, p in enumerate(value)))
    if lesion.box_ijk is not None:
        lesion.box_ijk = finite_point(lesion.box_ijk, "box_ijk", where, size=4)
    if lesion.normalized_location is not None:
        lesion.normalized_location = finite_point(lesion.normalized_location, "normalized_location", where)
    if lesion.slice_index is not None:
        lesion.slice_index = whole_number(lesion.slice_index, "slice_index", where, minimum=0)
    if lesion.embedding:
        if isinstance(lesion.embedding, (str, bytes, dict)) or not hasattr(lesion.embedding, "__len__"):
            raise InputError(where, "embedding must be a list of numbers")
        values = [float(v) if isinstance(v, numbers.Real) and not isinstance(v, bool) else math.nan
                  for v in lesion.embedding]
        bad = next((n for n, v in enumerate(values) if not math.isfinite(v)), None)
        if bad is not None:
            raise InputError(where, f"embedding[{bad}] must be a finite number, got {lesion.embedding[bad]!r}")
        lesion.embedding = values


#: The phantom's field of view in mm (i, j, k), as `deepradiology.phantom` draws it (about 344 x 256 x 216).
_PHANTOM_FOV_MM = (344.0, 256.0, 216.0)
#: Voxels one phantom study may have: 2^27 (about 0.55 mm isotropic); each study holds several arrays.
PHANTOM_MAX_VOXELS = 1 << 27


def check_phantom_options(seed, spacing, noise) -> tuple[int, tuple[float, float, float], float]:
    """``deepradiology phantom`` options, refused with one line before anything is allocated.

    ``--spacing 0.001`` would ask for about 10^16 voxels (64 PiB); a negative seed or a NaN noise
    would fail deep inside numpy.
    """
    seed = whole_number(seed, "the seed", "--seed", minimum=0)
    if not hasattr(spacing, "__len__") or len(spacing) != 3:
        raise InputError("--spacing", f"must be three voxel sizes i,j,k in mm, got {spacing!r}")
    spacing = tuple(positive_number(s, "each voxel size (mm)", "--spacing") for s in spacing)
    voxels = math.prod(f / s for f, s in zip(_PHANTOM_FOV_MM, spacing))
    if voxels > PHANTOM_MAX_VOXELS:
        raise InputError("--spacing", f"{','.join(f'{s:g}' for s in spacing)} mm would make about {voxels:.3g} "
                         f"voxels per study, more than {PHANTOM_MAX_VOXELS}; use larger voxels")
    noise = finite_number(noise, "the noise standard deviation (HU)", "--noise")
    if noise < 0:
        raise InputError("--noise", f"the noise standard deviation (HU) must be >= 0, got {noise:g}")
    return seed, spacing, noise


def study_date(value, where: str) -> str:
    """A study date as ISO ``YYYY-MM-DD`` ("" when none is given); DICOM's ``YYYYMMDD`` is accepted too.

    "yesterday" or "2024-13-45" used to be kept as text and sorted as text, so the wrong study could
    become the baseline; such a date is refused with the entry named.
    """
    import datetime
    import re

    if value is None or value == "":
        return ""
    text = str(value).strip()
    match = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})", text)
    try:
        if not match:
            raise ValueError
        return datetime.date(*(int(g) for g in match.groups())).isoformat()
    except ValueError:
        raise InputError(where, f"date {text!r} is not a calendar date YYYY-MM-DD") from None
