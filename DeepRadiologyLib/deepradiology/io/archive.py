"""Reading the files inside a tar archive (.tar, .tgz, .tar.gz) one at a time, in bounded memory.

A 1 MB ``.tgz`` can hold a member of 1 GB of XML (gzip packs repetitive text 1000-fold); reading every
member whole into a list took the machine's memory. Here each member's declared size is checked
against a cap before a byte of it is read, members are handed out one by one, and a truncated or
corrupt archive ends with one `InputError` naming the archive instead of a traceback.
"""

from __future__ import annotations

import os
import tarfile
import zlib
from pathlib import Path
from typing import Iterator

from ..errors import InputError

__all__ = ["iter_tar_members", "max_member_bytes", "DEFAULT_MAX_MEMBER_BYTES"]

#: Largest archive member read by default: 64 MiB (an OpenI XML report is a few KB; a CSV of 200 000
#: reports is about 100 MB uncompressed, so raise the cap for such an archive).
DEFAULT_MAX_MEMBER_BYTES = 64 << 20
_ENV = "DEEPRADIOLOGY_MAX_MEMBER_BYTES"


def max_member_bytes() -> int:
    """The cap: ``$DEEPRADIOLOGY_MAX_MEMBER_BYTES`` when set to a positive integer, else the default."""
    raw = os.environ.get(_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_MEMBER_BYTES
    try:
        value = int(float(raw))
    except (ValueError, OverflowError):
        value = 0
    if value <= 0:
        raise InputError(_ENV, f"must be a positive whole number of bytes, got {raw!r}")
    return value


def iter_tar_members(path: str | Path, *, suffix: str = "", limit: int | None = None) -> Iterator[tuple[str, bytes]]:
    """Yield (member name, bytes) for each regular file in the archive whose name ends with ``suffix``.

    Only one member is held at a time. Links, devices and folders are skipped (never followed).

    Raises:
        InputError: naming the archive: it cannot be opened, is truncated or corrupt, or a member
            declares more than ``limit`` bytes (default `max_member_bytes`).
    """
    path = Path(path)
    limit = max_member_bytes() if limit is None else limit
    try:
        archive = tarfile.open(path, "r:*")
    except tarfile.ReadError:      # its text lists every compression tried, one per line
        raise InputError(path, "is not a tar archive (plain, gzip, bz2 or xz), or is cut off before its "
                               "first member") from None
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise InputError(path, f"cannot be opened as a tar archive ({exc})") from None
    with archive:
        members = iter(archive)
        while True:
            try:
                member = next(members)
            except StopIteration:
                return
            except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
                raise InputError(path, f"is truncated or corrupt ({exc or type(exc).__name__})") from None
            if not member.isfile() or not member.name.endswith(suffix):
                continue
            if member.size > limit:
                raise InputError(path, f"member {member.name} declares {member.size} bytes, more than the limit of "
                                       f"{limit} (set {_ENV} to raise it)")
            try:
                handle = archive.extractfile(member)
                data = handle.read(limit + 1) if handle is not None else b""
            except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
                raise InputError(path, f"is truncated or corrupt at member {member.name} "
                                       f"({exc or type(exc).__name__})") from None
            if len(data) < member.size:
                raise InputError(path, f"is truncated: member {member.name} holds {len(data)} of its "
                                       f"{member.size} bytes")
            yield member.name, data
