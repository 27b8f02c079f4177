"""The studies open in one tab: each case image as a volume node, and which one is on screen.

Images are read with the core readers (LPS) and put into the scene through the MRML bridge
(`deepradiology_mrml.volumes.image_to_volume_node`), exactly as the Slicer modules receive them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .default_data import Case, CaseImage

__all__ = ["OpenStudy", "StudyList"]


@dataclass
class OpenStudy:
    """One case image in the scene: what it is, its volume node."""

    info: CaseImage
    node: object

    @property
    def node_id(self) -> str:
        return self.node.GetID()


class StudyList:
    """Loads a `Case` into the scene and tracks the study being read.

    Args:
        scene: the tab's MRML scene.
        case: the images to open.
        state: the tab's trame state (``studies`` for the selector, ``study_index`` for the choice).
    """

    def __init__(self, *, scene, case: Case, state) -> None:
        from deepradiology.io import read_image
        from deepradiology_mrml.volumes import image_to_volume_node

        self._state = state
        self._listeners: list[Callable[[OpenStudy], None]] = []
        self.studies: list[OpenStudy] = []
        for info in case.images:
            image = read_image(info.path)
            node = image_to_volume_node(scene, image, info.name)
            _use_reading_window(node, info, image)
            self.studies.append(OpenStudy(info, node))
        state.studies = [{"title": study_title(s.info), "value": i} for i, s in enumerate(self.studies)]
        state.study_index = 0 if self.studies else None
        state.change("study_index")(self._on_index)

    def add(self, *, scene, image, info: CaseImage, show: bool = True) -> OpenStudy:
        """Add an image (a core `Image`, LPS) opened during the session, e.g. one the user uploaded."""
        from deepradiology_mrml.volumes import image_to_volume_node

        study = OpenStudy(info, image_to_volume_node(scene, image, info.name))
        _use_reading_window(study.node, info, image)
        self.studies.append(study)
        with self._state:
            self._state.studies = [{"title": study_title(s.info), "value": i} for i, s in enumerate(self.studies)]
        if show:
            self.show(study)
        return study

    def on_change(self, listener: Callable[[OpenStudy], None]) -> None:
        """Call ``listener(study)`` whenever another study is put on screen."""
        self._listeners.append(listener)

    @property
    def current(self) -> OpenStudy | None:
        index = self._state.study_index
        return self.studies[index] if index is not None and 0 <= index < len(self.studies) else None

    def volumes(self) -> list[OpenStudy]:
        return [s for s in self.studies if s.info.kind != "radiograph"]

    def radiographs(self) -> list[OpenStudy]:
        return [s for s in self.studies if s.info.kind == "radiograph"]

    def index_of(self, study: OpenStudy) -> int:
        return self.studies.index(study)

    def show(self, study: OpenStudy) -> None:
        """Put ``study`` on screen (as if the radiologist picked it in the study list)."""
        with self._state:
            self._state.study_index = self.index_of(study)

    def _on_index(self, study_index, **_):
        study = self.current
        if study is not None:
            for listener in self._listeners:
                listener(study)


def study_title(info: CaseImage) -> str:
    """The study's name as the study list shows it, led by the short id the tables use ("S0: Phantom
    study 1 ..."), so that a table row's study can be found in the list."""
    return f"{info.study_id}: {info.name}" if info.study_id else info.name


#: Window width and level (HU) CT opens with: the abdominal soft-tissue window radiologists read in.
SOFT_TISSUE_WINDOW = (400.0, 40.0)


def _use_reading_window(node, info: CaseImage, image) -> None:
    """Open CT in the soft-tissue window unless the file names its own window (DICOM 0028,1050/1051)."""
    if info.kind != "ct" or image.meta.get("window_center"):
        return
    display = node.GetDisplayNode()
    if display is not None and display.IsA("vtkMRMLScalarVolumeDisplayNode"):
        display.AutoWindowLevelOff()
        display.SetWindowLevel(*SOFT_TISSUE_WINDOW)
