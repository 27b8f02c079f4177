"""Progress reporting shared by the CLI (a tqdm bar), the Slicer Logic and the web app (callbacks).

Long-running core functions take ``progress: ProgressCallback | None`` and call it with a fraction
in [0, 1] and a short message. A callback may raise `Cancelled` to stop the work cleanly.
"""

from __future__ import annotations

import sys
from typing import Protocol

__all__ = ["ProgressCallback", "Cancelled", "report", "TqdmProgress"]


class Cancelled(Exception):
    """Raised (usually from a progress callback) to cancel long work; nothing half-made is kept."""


class ProgressCallback(Protocol):
    def __call__(self, fraction: float, message: str = "") -> None: ...


def report(progress: ProgressCallback | None, fraction: float, message: str = "") -> None:
    """Call ``progress`` if one was given; fraction is clipped to [0, 1]."""
    if progress is not None:
        progress(min(1.0, max(0.0, float(fraction))), message)


class TqdmProgress:
    """A progress callback that draws a tqdm bar on stderr (silent when stderr is not a terminal
    unless ``always`` is set)."""

    def __init__(self, description: str, *, always: bool = False) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=1000, desc=description, file=sys.stderr, leave=False,
                         disable=not (always or sys.stderr.isatty()),
                         bar_format="{desc}: {percentage:3.0f}%|{bar}| {postfix}")
        self._done = 0

    def __call__(self, fraction: float, message: str = "") -> None:
        target = int(round(fraction * 1000))
        if target > self._done:
            self._bar.update(target - self._done)
            self._done = target
        if message:
            self._bar.set_postfix_str(message, refresh=False)

    def close(self) -> None:
        self._bar.close()

    def __enter__(self) -> TqdmProgress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
