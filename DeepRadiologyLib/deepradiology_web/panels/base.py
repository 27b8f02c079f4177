"""What every panel receives and must provide."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["Workspace", "Panel"]


@dataclass
class Workspace:
    """The collaborators of one tab, handed to each panel's constructor.

    Attributes:
        server: the tab's trame server (``server.state``, ``server.controller``).
        scene: the tab's MRML scene (shared by all panels, as in Slicer).
        viewer: `deepradiology_web.viewer.ViewerManager` (show volumes and overlays, centre views).
        picker: `deepradiology_web.picking.PointPicker` (a click in a slice view -> a point in LPS mm).
        jobs: `deepradiology_web.jobs.JobRunner` (long work off the UI thread).
        studies: `deepradiology_web.studies.StudyList` (the open studies, the one on screen).
        lesions: `deepradiology_web.lesion_book.LesionBook` (lesions marked per study).
        case: `deepradiology_web.default_data.Case` (e.g. its lesion database for retrieval).
    """

    server: object
    scene: object
    viewer: object
    picker: object
    jobs: object
    studies: object
    lesions: object
    case: object

    @property
    def state(self):
        return self.server.state


class Panel(Protocol):
    """A tool in the side bar: one per DeepRadiology module, over that module's Logic."""

    #: short id, used in state names and test ids ("recist").
    key: str
    #: the tab's title ("RECIST").
    title: str

    def build_ui(self) -> None:
        """Add the panel's widgets at the current position of the UI tree (inside a ``with`` block)."""
