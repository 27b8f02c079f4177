"""Long work (matching, retrieval, segmentation, triage) off the UI thread, with progress and cancel.

The UI thread runs trame's asyncio loop: it answers the browser and renders the views. A job runs in
a worker thread; its progress callback posts the fraction and message back to the loop (so the
progress bar moves) and raises `deepradiology.progress.Cancelled` once the user pressed Cancel, which
the Logic turns into a clean stop with no half-made nodes.

VTK and MRML are not thread-safe, so while a job runs the views do not render (``set_busy(True)``)
and the page covers them, and the job's result is handed to ``on_done`` back on the UI thread.
One job runs at a time per tab: the tab has one scene.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from deepradiology.errors import DeepRadiologyError
from deepradiology.progress import Cancelled

__all__ = ["JobRunner", "JOB_STATE_DEFAULTS"]

log = logging.getLogger("deepradiology.web")

#: The trame state keys the job bar binds to, with their idle values.
JOB_STATE_DEFAULTS = {
    "job_running": False,
    "job_title": "",
    "job_progress": 0,
    "job_message": "",
    "job_error": "",
    "job_cancelling": False,
}


class JobRunner:
    """Runs one job at a time in a background thread and mirrors its progress into trame state.

    Args:
        state: the tab's trame state.
        set_busy: called with True before a job starts and False after it ended (on the UI thread);
            the viewer uses it to stop rendering while the scene may change under it.
    """

    def __init__(self, *, state, set_busy: Callable[[bool], None] | None = None) -> None:
        self._state = state
        self._set_busy = set_busy or (lambda busy: None)
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_post = 0.0
        state.update(JOB_STATE_DEFAULTS)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, title: str, work: Callable[[Callable[[float, str], None]], Any], *,
              on_done: Callable[[Any], None], on_error: Callable[[str], None] | None = None) -> bool:
        """Run ``work(progress)`` in a thread; then ``on_done(result)`` on the UI thread.

        Must be called from the UI thread (a trame trigger or state change).

        Args:
            title: what the progress bar says ("Matching lesions across studies").
            work: the job; it receives a ``progress(fraction, message)`` callback to pass to the Logic.
            on_done: receives the job's result, on the UI thread.
            on_error: receives a one-sentence error message; the job bar shows it too.

        Returns:
            False (and nothing starts) when another job is still running.
        """
        if self.running:
            self._update(job_error=f"'{self._state.job_title}' is still running; wait or cancel it first.")
            return False
        self._loop = asyncio.get_running_loop() if _loop_running() else asyncio.get_event_loop()
        self._cancel.clear()
        self._set_busy(True)
        self._update(job_running=True, job_title=title, job_progress=0, job_message="starting",
                     job_error="", job_cancelling=False)
        started = time.monotonic()

        def progress(fraction: float, message: str = "") -> None:
            if self._cancel.is_set():
                raise Cancelled("cancelled by the user")
            now = time.monotonic()
            if now - self._last_post > 0.1 or fraction >= 1.0:  # at most ten updates a second
                self._last_post = now
                self._post(job_progress=int(round(100 * max(0.0, min(1.0, fraction)))), job_message=message)

        def run() -> None:
            try:
                result = work(progress)
            except Cancelled:
                self._post_call(self._finish, "", None, None, None)
                log.info("job cancelled after %.1f s", time.monotonic() - started)
                return
            except DeepRadiologyError as exc:
                self._post_call(self._finish, str(exc), on_error, None, None)
                return
            except Exception as exc:  # an unexpected failure must not kill the tab; show it
                log.exception("job failed")
                self._post_call(self._finish, f"{type(exc).__name__}: {exc}", on_error, None, None)
                return
            log.info("job done in %.1f s", time.monotonic() - started)
            self._post_call(self._finish, "", None, on_done, result)

        self._thread = threading.Thread(target=run, name="deepradiology-job", daemon=True)
        self._thread.start()
        return True

    def cancel(self) -> None:
        """Ask the running job to stop at its next progress report."""
        if self.running:
            self._cancel.set()
            self._update(job_cancelling=True, job_message="cancelling")

    def wait(self, timeout: float | None = None) -> None:
        """Block until the current job's thread ends (tests and shutdown)."""
        if self._thread is not None:
            self._thread.join(timeout)

    # -- UI-thread side ------------------------------------------------------------------------
    def _finish(self, error: str, on_error, on_done, result) -> None:
        self._set_busy(False)
        if error:
            self._update(job_running=False, job_error=error, job_message="")
            if on_error:
                on_error(error)
            return
        cancelled = self._cancel.is_set() and on_done is None
        self._update(job_running=False, job_progress=0 if cancelled else 100,
                     job_message="cancelled" if cancelled else "done", job_cancelling=False)
        if on_done is not None:
            try:
                on_done(result)
            except DeepRadiologyError as exc:
                self._update(job_error=str(exc))
            except Exception as exc:
                log.exception("showing a job's result failed")
                self._update(job_error=f"{type(exc).__name__}: {exc}")

    def _update(self, **values) -> None:
        with self._state:
            self._state.update(values)

    def _post(self, **values) -> None:
        self._post_call(self._update, **values)

    def _post_call(self, function, *args, **kwargs) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(lambda: function(*args, **kwargs))


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
        return True
    except RuntimeError:
        return False
