"""Progress and Cancel inside a module panel: a progress bar, a status label and a Cancel button.

`PanelProgress` is a `deepradiology.progress.ProgressCallback` for long steps run from a Widget (CXR
folder scoring): each call moves the bar (0-100 %), shows the message, lets the application handle
events (so the panel redraws and a click on Cancel is delivered) and raises
`deepradiology.progress.Cancelled` once Cancel was pressed; the Logic then stops and keeps nothing
half-made. Inside Slicer ``process_events`` is ``slicer.app.processEvents`` (a ``QApplication``); the
widgets are driven through their setter methods only (``setValue``, ``setText``, ``setEnabled``), which
Slicer's PythonQt and PySide6 both provide, so the same class is tested on real Qt widgets.
"""

from __future__ import annotations

__all__ = ["PanelProgress"]


class PanelProgress:
    """``with PanelProgress(bar, label, cancel_button, process_events) as progress: logic.run(..., progress=progress)``.

    While the ``with`` block runs, ``busy_widgets`` (the buttons that start work) are disabled and the
    Cancel button is enabled; on leaving, both are restored and the bar goes back to 0.
    """

    def __init__(self, bar, label, cancel_button, process_events, *, busy_widgets=()) -> None:
        self.bar, self.label, self.cancel_button = bar, label, cancel_button
        self.process_events = process_events
        self.busy_widgets = tuple(busy_widgets)
        self.cancel_requested = False

    def cancel(self, *args) -> None:
        """Connected to the Cancel button's ``clicked``: the next progress call raises `Cancelled`."""
        self.cancel_requested = True

    def __enter__(self) -> PanelProgress:
        self.cancel_requested = False
        for widget in self.busy_widgets:
            widget.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.bar.setValue(0)
        self.process_events()
        return self

    def __call__(self, fraction: float, message: str = "") -> None:
        from deepradiology.progress import Cancelled

        self.bar.setValue(int(round(100 * min(1.0, max(0.0, float(fraction))))))
        if message:
            self.label.setText(message)
        self.process_events()  # redraw, and deliver a click on Cancel
        if self.cancel_requested:
            raise Cancelled("cancelled by the user")

    def __exit__(self, *exc) -> None:
        self.cancel_button.setEnabled(False)
        for widget in self.busy_widgets:
            widget.setEnabled(True)
        self.bar.setValue(0)
