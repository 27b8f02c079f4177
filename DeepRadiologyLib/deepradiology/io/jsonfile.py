"""Reading a JSON file a user gave, with one clear error when it is missing or not JSON.

Every JSON file a command reads (lesion records, studies, assessments, alignments, model cards,
nnU-Net's dataset.json and plans.json) comes through `read_json`, so that a file nested a million
levels deep, a UTF-16 export, an unreadable file or an array where an object belongs gives one line
naming the file, not a RecursionError or KeyError traceback.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from ..errors import InputError
from .paths import require_regular_file

__all__ = ["read_json", "interpreting"]

_NAMES = {dict: "a JSON object", list: "a JSON array"}


def read_json(path: str | Path, *, expect: type | None = None, what: str = "JSON file"):
    """The parsed content of ``path``.

    Args:
        expect: ``dict`` or ``list``: the top level must be that (else one line saying what it is).
        what: the file's role in messages ("model card", "studies file").

    Raises:
        InputError: the file is missing, unreadable, not UTF-8 JSON, nested deeper than the parser
            can follow, or not of the ``expect`` type.
    """
    path = require_regular_file(path, what=what)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not readable JSON: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror or exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not readable JSON ({exc})") from None
    except RecursionError:     # the parser recurses once per level; our files nest about 5 levels
        raise InputError(path, "not readable JSON: nested too deeply for the parser") from None
    if expect is not None and not isinstance(data, expect):
        raise InputError(path, f"not a {what}: expected {_NAMES.get(expect, expect.__name__)}, "
                               f"got {_NAMES.get(type(data), type(data).__name__)}")
    return data


@contextlib.contextmanager
def interpreting(path: str | Path, what: str = "file"):
    """Around the code that turns a user's parsed JSON into objects: a missing key or a value of the
    wrong type there (``{"studies": {"a": 1}}``, ``"files": [1]``) is the file's fault, and becomes one
    InputError naming the file instead of a KeyError or TypeError traceback.

    Our own checks inside the block (InputError) pass through unchanged.
    """
    try:
        yield
    except InputError:
        raise
    except KeyError as exc:
        raise InputError(path, f"not a valid {what}: an entry lacks the field {exc.args[0]!r}") from None
    except (TypeError, AttributeError, IndexError, ValueError) as exc:
        raise InputError(path, f"not a valid {what}: a value has the wrong type or shape ({exc})") from None
