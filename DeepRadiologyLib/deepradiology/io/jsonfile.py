"""Reading a JSON file a user gave, with one clear error when it is missing or not JSON."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError

__all__ = ["read_json"]


def read_json(path: str | Path):
    """The parsed content of ``path``.

    Raises:
        InputError: the file is missing, unreadable as text, or not valid JSON (with the parser's reason).
    """
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a folder, not a JSON file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not a JSON file ({exc})") from None
