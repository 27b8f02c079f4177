"""Keeping the image readers' own console output off the user's screen.

ITK, MetaIO, GDCM and nibabel print warnings and errors straight to the process's stderr (file
descriptor 2, not Python's ``sys.stderr``), so a broken file used to show several lines of C++ source
paths and object addresses before DeepRadiology's one-line message. `reader_output` captures that
output while a reader runs. A refusal then carries the reader's first useful line in its own message;
on success, an ITK warning (for instance a NIfTI sform ITK cannot represent, so it used the qform)
is passed on as one `ReaderWarning` line, because it may concern the geometry and must not vanish.

File descriptor 2 belongs to the whole process, so captures are serialised by a lock. What another
thread writes to stderr during a read (a server's log line) is not the reader's: only lines in the
readers' own forms (ITK's location line and ``Name (0x...):`` prefix, teem's ``[nrrd]``, lines naming
ITK/GDCM/NIfTI/NRRD/MetaIO) are taken; the rest is written back to stderr when the capture ends. Python
warnings the decorated reader itself raises are recorded and raised again after the capture, so that
they are shown once, as themselves.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
import tempfile
import threading
import warnings
from contextlib import contextmanager

from ..errors import InputError

__all__ = ["ReaderWarning", "reader_output", "quiet_reader", "itk_reason"]

#: One capture at a time: file descriptor 2 belongs to the whole process.
_LOCK = threading.RLock()
_DEPTH = threading.local()

#: ITK's location line ("WARNING: In /build/.../itkNiftiImageIO.cxx, line 2008"): no use to a user.
_LOCATION = re.compile(r"^(WARNING|ERROR|itk::ERROR|ITK ERROR)?:?\s*In\s+\S+,\s+line\s+\d+\s*$")
#: ITK's object prefix ("NiftiImageIO (0x55e0...): "): the address means nothing to a user.
_OBJECT = re.compile(r"^(itk::ERROR:\s*|ITK ERROR:\s*|WARNING:\s*)?\w+\s*\(0x[0-9a-fA-F]+\):\s*")


class ReaderWarning(UserWarning):
    """An image reader accepted a file but said something about it (geometry, tags) worth reading."""


def reader_lines(text: str) -> list[str]:
    """The meaningful lines of a reader's console output, without source locations and addresses, deduplicated."""
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or _LOCATION.match(line):
            continue
        line = _OBJECT.sub("", line).strip()
        if line and line not in lines:
            lines.append(line)
    return lines


#: "Exception thrown in SimpleITK ImageFileReader_Execute: /build/.../itkNrrdImageIO.cxx:410:" and similar.
_THROWN = re.compile(r"^(Exception thrown in SimpleITK \w+:\s*)?\S+\.(cxx|cpp|h|hxx):\d+:?\s*$")
#: teem's call chain ("[nrrd] _nrrdHeaderCheck: ..."): the last link says what is wrong.
_TEEM = re.compile(r"^\[\w+\]\s*_?\w+:\s*")


def itk_reason(exc: BaseException) -> str:
    """ITK's reason for refusing a file, in one line: no C++ source paths, object addresses or call chains."""
    lines = []
    for raw in str(exc).splitlines():
        line = raw.strip()
        if not line or _THROWN.match(line) or _LOCATION.match(line):
            continue
        line = re.sub(r"^Exception thrown in SimpleITK \w+:\s*\S+\.(cxx|cpp|h|hxx):\d+:\s*", "", line)
        lines.append(_OBJECT.sub("", line).strip())
    teem = [line for line in lines if _TEEM.match(line)]
    if teem:  # the deepest link of the chain, without its function name
        return _TEEM.sub("", teem[-1]).strip()
    return " ".join(line for line in lines if line)[:300]


#: Marks of a line an image library printed (anything else in the capture came from elsewhere).
_READER_MARK = re.compile(r"\(0x[0-9a-fA-F]+\)|\bitk|\bITK|gdcm|GDCM|nifti|NIfTI|NIFTI|nrrd|NRRD|MetaIO|MetaImage|"
                          r"^\s*\[\w+\]")


def split_reader_output(text: str) -> tuple[str, str]:
    """(the image libraries' lines, everything else), each as text. A line after ITK's location line
    belongs to that message until a blank line."""
    ours, others, in_message = [], [], False
    for raw in text.splitlines():
        if not raw.strip():
            in_message = False
            continue
        if _LOCATION.match(raw.strip()):
            in_message = True
            ours.append(raw)
        elif in_message or _READER_MARK.search(raw):
            ours.append(raw)
        else:
            others.append(raw)
    return "\n".join(ours), "".join(line + "\n" for line in others)


class _Captured:
    """What a reader printed while captured: ``lines`` is filled when the capture ends."""

    def __init__(self) -> None:
        self.lines: list[str] = []


@contextmanager
def reader_output():
    """Capture everything written to file descriptor 2 (and nibabel's log) for the duration; nested uses share one capture.

    Yields a `_Captured` whose ``lines`` hold the reader's meaningful lines once the block has ended.
    """
    captured = _Captured()
    with _LOCK:
        depth = getattr(_DEPTH, "n", 0)
        if depth:  # an outer capture is running: it collects this output too
            _DEPTH.n = depth + 1
            try:
                yield captured
            finally:
                _DEPTH.n = depth
            return
        nib_log = logging.getLogger("nibabel.global")
        was_disabled = nib_log.disabled
        nib_log.disabled = True  # its notes ("setting 0 dims to 1") describe repairs our header checks refuse anyway
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):  # no usable stderr (a closed descriptor): nothing to capture
            saved = None
        sink = tempfile.TemporaryFile()
        if saved is not None:
            os.dup2(sink.fileno(), 2)
        _DEPTH.n = 1
        try:
            yield captured
        finally:
            _DEPTH.n = 0
            nib_log.disabled = was_disabled
            if saved is not None:
                try:
                    sys.stderr.flush()
                except (OSError, ValueError):
                    pass
                os.dup2(saved, 2)
                os.close(saved)
            sink.seek(0)
            ours, others = split_reader_output(sink.read().decode("utf-8", errors="replace"))
            sink.close()
            captured.lines = reader_lines(ours)
            if others:   # not the reader's: give it back to stderr, where its writer meant it to go
                try:
                    sys.stderr.write(others)
                    sys.stderr.flush()
                except (OSError, ValueError):
                    pass


def quiet_reader(func):
    """Decorate a reader ``func(path, ...)``: its libraries' output is captured (see the module text).

    A refusal (`InputError`) gains the reader's first useful line when its message does not already
    hold it; a success passes each captured warning on as one `ReaderWarning` naming the file.
    """

    @functools.wraps(func)
    def wrapper(path, *args, **kwargs):
        outer = getattr(_DEPTH, "n", 0) > 0
        with reader_output() as captured, warnings.catch_warnings(record=True) as raised:
            warnings.simplefilter("always")   # recorded here, shown once below (not printed into the capture)
            try:
                result = func(path, *args, **kwargs)
                failure = None
            except InputError as exc:
                failure = exc
            except BaseException:
                raise
        for w in raised:   # the reader's own Python warnings (series geometry notes, ...), as themselves
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if outer:  # the outermost reader reports
            if failure is not None:
                raise failure
            return result
        if failure is not None:
            detail = next((line for line in captured.lines if line not in str(failure)), "")
            if detail and len(detail) < 300:
                raise InputError(failure.source, f"{failure.problem} ({detail})") from None
            raise failure
        name = os.path.basename(str(path))
        for line in captured.lines:
            warnings.warn(line if name in line else f"{name}: {line}", ReaderWarning, stacklevel=2)
        return result

    return wrapper
