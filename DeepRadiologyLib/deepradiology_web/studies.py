"""The studies open in one tab: each case image as a volume node, and which one is on screen.

Images are read with the core readers (LPS) and put into the scene through the MRML bridge
(`deepradiology_mrml.volumes.image_to_volume_node`), exactly as the Slicer modules receive them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .default_data import Case, CaseImage

__all__ = ["OpenStudy", "StudyList"]


@dataclass
class OpenStudy:
    """One case image in the scene: what it is, its volume node, and its organ map when it has one.

    The organ map named by ``info.organs`` is read on first use (`organ_map`, inside a measuring job,
    not while the tab opens); one the radiologist opens later is set with `set_organ_map`.
    """

    info: CaseImage
    node: object
    _organ_map: object = field(default=None, repr=False)
    _organ_map_read: bool = field(default=False, repr=False)
    #: What the image reader said about the file it accepted (an uploaded file's ITK geometry warning).
    reader_warnings: list = field(default_factory=list)

    @property
    def node_id(self) -> str:
        return self.node.GetID()

    @property
    def organ_map(self):
        """The study's `organ_maps.OrganMap`, or None when it has none.

        Raises:
            InputError: the configured map is missing, not a label map, or not on the CT's grid.
        """
        if not self._organ_map_read:
            path = getattr(self.info, "organs", "")
            if path:
                from deepradiology_mrml.volumes import volume_node_to_image

                from .organ_maps import load_organ_map_of

                names = self.info.organ_label_names() if hasattr(self.info, "organ_label_names") else {}
                self._organ_map = load_organ_map_of(path, names, volume_node_to_image(self.node),
                                                    source=getattr(self.info, "organ_source", "") or "organ map")
            self._organ_map_read = True
        return self._organ_map

    def has_organ_map(self) -> bool:
        """Whether the study has (or is configured with) an organ map, without reading it."""
        return self._organ_map is not None or (not self._organ_map_read and bool(getattr(self.info, "organs", "")))

    def organ_map_source(self) -> str:
        """Where the organ map comes from, in words; "" when the study has none."""
        if self._organ_map is not None:
            return self._organ_map.source
        return (getattr(self.info, "organ_source", "") or "organ map") if self.has_organ_map() else ""

    def set_organ_map(self, organ_map) -> None:
        """Use ``organ_map`` (an `organ_maps.OrganMap` already checked against this study's grid)."""
        self._organ_map, self._organ_map_read = organ_map, True

    def measure_options(self) -> dict:
        """Keyword arguments for the measurement (`RECISTAssistLogic.measure`, `measure_lesion`): the
        organ labels and names when the study has an organ map, else none (the location is then
        "unknown" and flagged)."""
        organ_map = self.organ_map
        if organ_map is None:
            return {}
        return {"organ_labels": organ_map.labels, "label_names": dict(organ_map.names)}


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
        self._organ_listeners: list[Callable[[OpenStudy], None]] = []
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

    def on_organ_map(self, listener: Callable[[OpenStudy], None]) -> None:
        """Call ``listener(study)`` when a study gets an organ map during the session (`set_organ_map`)."""
        self._organ_listeners.append(listener)

    def set_organ_map(self, study: OpenStudy, organ_map) -> None:
        """Give ``study`` an organ map (checked against its grid by the caller) and tell the listeners."""
        study.set_organ_map(organ_map)
        for listener in self._organ_listeners:
            listener(study)

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
