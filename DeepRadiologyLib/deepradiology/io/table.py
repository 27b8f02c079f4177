"""Reading a CSV/TSV table a user gave: UTF-8 text (plain or gzip), with one clear error otherwise.

Every CSV reader of the package opens its file here, so that a UTF-16 export, a Latin-1 file, a
binary file under a .csv name, or a field longer than the csv module allows is one line naming the
file (and the line) instead of a UnicodeDecodeError or csv.Error traceback from deep inside a loop.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import io
import zlib
from pathlib import Path
from typing import Iterator

from ..errors import InputError
from .paths import require_regular_file

__all__ = ["open_text", "csv_table", "TableReader", "reading_errors"]

_SNIFF_BYTES = 65536
_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
         (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def _sniff(path: Path, head: bytes) -> None:
    """Refuse text in another encoding, or no text at all, from the file's first bytes."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            raise InputError(path, f"is {name} text; save it as UTF-8 (for example 'CSV UTF-8' in a spreadsheet)")
    if b"\0" in head:
        # UTF-16 without a byte-order mark puts a NUL beside every ASCII letter
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if len(head) >= 4 and max(even, odd) > len(head) // 4 and min(even, odd) == 0:
            raise InputError(path, "is UTF-16 text; save it as UTF-8")
        raise InputError(path, "is a binary file, not text (it holds NUL bytes)")


def _first_bad_line(path: Path) -> tuple[int, int] | None:
    """(line number, byte) of the first line that is not valid UTF-8, found by reading the bytes again."""
    opener = gzip.open if _is_gzip(path) else open
    with opener(path, "rb") as raw:
        for number, line in enumerate(raw, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                return number, line[exc.start]
    return None


def _decode_problem(path: Path) -> InputError:
    found = _first_bad_line(path)
    where = f"line {found[0]}: byte 0x{found[1]:02x} " if found else ""
    return InputError(path, f"{where}is not UTF-8 text; save the file as UTF-8")


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as raw:
        return raw.read(2) == b"\x1f\x8b"


@contextlib.contextmanager
def open_text(path: str | Path) -> Iterator[io.TextIOBase]:
    """Open a UTF-8 text file (a UTF-8 byte-order mark is dropped; gzip is recognised by its first bytes).

    Raises:
        InputError: missing, a folder, UTF-16/32, binary, or not valid UTF-8 in its first 64 KiB.
            A bad byte further on raises UnicodeDecodeError while reading; `csv_table` names its line.
    """
    path = require_regular_file(path, what="text file")
    binary = gzip.open(path, "rb") if _is_gzip(path) else open(path, "rb", buffering=_SNIFF_BYTES)
    try:
        try:
            head = binary.peek(_SNIFF_BYTES)[:_SNIFF_BYTES] if hasattr(binary, "peek") else b""
        except (OSError, EOFError) as exc:
            raise InputError(path, f"is not a readable gzip file ({exc})") from None
        _sniff(path, head)
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:         # not just a character cut at the end of the sample
                raise _decode_problem(path) from None
        handle = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        yield handle
    finally:
        binary.close()


@contextlib.contextmanager
def reading_errors(path: Path, line=lambda: 0):
    """Turn what reading a bad text file raises (a non-UTF-8 byte, a malformed CSV row, a cut-off gzip
    stream) into one InputError naming ``path`` (and ``line()``, the CSV line, where it is known)."""
    try:
        yield
    except UnicodeDecodeError:
        raise _decode_problem(path) from None
    except csv.Error as exc:
        raise InputError(path, f"line {line()}: not a readable CSV row ({exc})") from None
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(path, f"is a cut-off or damaged gzip file ({exc})") from None


class TableReader:
    """Rows of a CSV file (dicts with a header, lists without) whose reading errors are one-line InputErrors.

    ``fieldnames`` is the header (None without one); ``line_num`` the physical line last read.
    """

    def __init__(self, path: Path, handle, *, header: bool, delimiter: str) -> None:
        self.path = path
        self._reader = csv.DictReader(handle, delimiter=delimiter) if header else csv.reader(handle, delimiter=delimiter)
        self._header = header

    @property
    def line_num(self) -> int:
        return (self._reader.reader if self._header else self._reader).line_num

    def _guard(self, step):
        with reading_errors(self.path, lambda: self.line_num):
            return step()

    @property
    def fieldnames(self):
        return self._guard(lambda: self._reader.fieldnames) if self._header else None

    def __iter__(self):
        return self

    def __next__(self):
        return self._guard(lambda: next(self._reader))


@contextlib.contextmanager
def csv_table(path: str | Path, *, header: bool = True, delimiter: str | None = ",") -> Iterator[TableReader]:
    """A `TableReader` over ``path``. ``delimiter=None`` picks tab or comma from the first 4 KiB.

    Raises:
        InputError: as `open_text`; and, while reading, a bad byte or a malformed row (with its line).
    """
    path = Path(path)
    with open_text(path) as handle:
        if delimiter is None:
            with reading_errors(path):
                sample = handle.read(4096)
            handle.seek(0)
            delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
        yield TableReader(path, handle, header=header, delimiter=delimiter)
