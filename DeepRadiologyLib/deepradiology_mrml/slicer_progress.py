"""A modal progress dialog with Cancel for long Slicer steps (3D propagation, registration).

`ProgressDialog` is a `deepradiology.progress.ProgressCallback`: the core calls it with a fraction
and a message; it moves the dialog's bar, lets Slicer redraw (``slicer.app.processEvents``) and raises
`deepradiology.progress.Cancelled` once the user pressed Cancel, so the core stops and the Logic
removes what it made. The dialog is ``slicer.util.createProgressDialog`` (a ``QProgressDialog``;
present with the same signature in Slicer v5.8.1, v5.10.0 and v5.12.0 Base/Python/slicer/util.py).
Only used inside the Slicer application; nothing here runs at import.
"""

from __future__ import annotations

__all__ = ["ProgressDialog"]


class ProgressDialog:
    """``with ProgressDialog("Measuring") as progress: logic.process(..., progress=progress)``."""

    def __init__(self, title: str, message: str = "") -> None:
        self.title, self.message = title, message
        self._dialog = None

    def __enter__(self) -> ProgressDialog:
        import slicer

        self._dialog = slicer.util.createProgressDialog(windowTitle=self.title, labelText=self.message,
                                                        value=0, maximum=100, autoClose=False)
        slicer.app.processEvents()
        return self

    def __call__(self, fraction: float, message: str = "") -> None:
        import slicer

        from deepradiology.progress import Cancelled

        if self._dialog is None:
            return
        self._dialog.value = int(round(100 * min(1.0, max(0.0, fraction))))
        if message:
            self._dialog.labelText = message
        slicer.app.processEvents()
        if self._dialog.wasCanceled:
            raise Cancelled("cancelled by the user")

    def __exit__(self, *exc) -> None:
        if self._dialog is not None:
            self._dialog.close()
            self._dialog = None
