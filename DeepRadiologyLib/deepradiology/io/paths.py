"""What an input path is, told in one line before anything opens it.

Opening a named pipe (FIFO) blocks until something writes to it, so a command given one would hang
forever; a symbolic-link loop makes ``exists()`` say False and ``resolve()`` raise. Both are refused
here with their real name instead of "no such file" or a hang.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ..errors import InputError

__all__ = ["require_regular_file", "describe_missing"]


def describe_missing(path: Path) -> str:
    """Why ``path`` cannot be found: a dangling or looping symbolic link, or no such file."""
    if os.path.islink(path):
        try:
            os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return "is a symbolic link loop"
            return f"is a symbolic link to {os.readlink(path)}, which does not exist"
    return "no such file"


def require_regular_file(path: str | Path, *, what: str = "file") -> Path:
    """``path`` when it is a regular file (or a link to one); else one InputError saying what it is.

    Raises:
        InputError: missing (or a broken / looping link), a folder, a named pipe, a device or a socket.
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError(path, describe_missing(path)) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(path, "is a symbolic link loop") from None
        raise InputError(path, f"cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(mode):
        raise InputError(path, f"is a folder, not a {what}")
    if not stat.S_ISREG(mode):
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
        raise InputError(path, f"is {kind}, not a {what}; reading it could wait forever")
    return path
