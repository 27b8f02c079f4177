"""Opening an image from the browser: a file the radiologist picks on their own computer.

The file's bytes arrive over the tab's websocket, are written to a private temporary file only long
enough for the core readers to read it (they pick the reader from the name), and are then deleted:
no copy of patient data stays on the server's disk. The image joins the tab's study list.

An organ map can be opened beside a CT the same way (state ``organ_upload_file``): one label-map file,
or several binary organ masks named by organ (TotalSegmentator's). It is checked against the grid of
the study on screen (resampled onto its grid when on another, `deepradiology.io.label_grid`) and, when
it lies on that CT, becomes the study's organ map for RECIST's lesion-or-not check; otherwise
``organ_upload_error`` says why not.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import warnings
from pathlib import Path

from deepradiology.errors import DeepRadiologyError

from .default_data import CaseImage

__all__ = ["UploadManager", "ACCEPTED_SUFFIXES", "ORGAN_MAP_SUFFIXES", "ORGAN_NAMES_SUFFIXES", "MAX_UPLOAD_MB"]

ACCEPTED_SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".mha", ".dcm", ".png", ".jpg", ".jpeg")
#: An organ map is a 3D label volume (or binary organ masks) on the CT's grid.
ORGAN_MAP_SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".mha")
#: Organ names chosen with a label-map file: a Slicer colour table or JSON {value: name}.
ORGAN_NAMES_SUFFIXES = (".txt", ".ctbl", ".json")
#: Larger files belong on the command line (``deepradiology serve FILE``), not in a websocket message.
MAX_UPLOAD_MB = 64


class UploadManager:
    """Turns the file in state ``upload_file`` into an open study.

    Args:
        scene: the tab's MRML scene.
        studies: the tab's `studies.StudyList`.
        state: the tab's trame state (``upload_file`` in, ``upload_error`` out).
    """

    def __init__(self, *, scene, studies, state) -> None:
        self._scene = scene
        self._studies = studies
        self._state = state
        state.upload_file = None
        state.upload_error = ""
        state.upload_message = ""     # what the reader said about a file it did open (geometry, tags)
        state.organ_upload_file = None
        state.organ_upload_error = ""
        state.organ_upload_message = ""
        state.change("upload_file")(self._on_file)
        state.change("organ_upload_file")(self._on_organ_file)

    def _on_file(self, upload_file, **_):
        if not upload_file:
            return
        files = upload_file if isinstance(upload_file, list) else [upload_file]
        errors, notes = [], []
        for item in files:
            try:
                study = self.open_bytes(str(item.get("name", "image")), item.get("content") or b"")
                notes += study.reader_warnings
            except DeepRadiologyError as exc:
                errors.append(exc.problem if hasattr(exc, "problem") else str(exc))
        with self._state:
            self._state.upload_error = "; ".join(errors)
            self._state.upload_message = "; ".join(notes)
            self._state.upload_file = None

    def _on_organ_file(self, organ_upload_file, **_):
        if not organ_upload_file:
            return
        files = organ_upload_file if isinstance(organ_upload_file, list) else [organ_upload_file]
        error, message = "", ""
        try:
            study = self.open_organ_map([(str(f.get("name", "organs")), f.get("content") or b"") for f in files])
            message = f"{study.organ_map_source()} is now the organ map of {study.info.study_id or study.info.name}"
            resampled = study.organ_map.resampled_note() if study.organ_map is not None else ""
            message += f" ({resampled})" if resampled else ""
        except DeepRadiologyError as exc:
            error = exc.problem if hasattr(exc, "problem") else str(exc)
        with self._state:
            self._state.organ_upload_error = error
            self._state.organ_upload_message = message
            self._state.organ_upload_file = None

    def open_organ_map(self, files: list[tuple[str, bytes]], study=None):
        """Make the uploaded label map (or organ masks) the organ map of ``study`` (the one on screen by
        default); returns that `OpenStudy`.

        Raises:
            InputError: no CT on screen, a radiograph, an unsupported file, or a map that does not lie on
                the CT (no overlap, too little of it, off the patient; the message says which).
        """
        from deepradiology.errors import InputError
        from deepradiology_mrml.volumes import volume_node_to_image

        from .organ_maps import organ_map_from_files

        study = study or self._studies.current
        if study is None or study.info.kind == "radiograph":
            raise InputError("organ map", "open the CT it belongs to first: an organ map goes with a CT study")
        for name, _ in files:
            if not name.lower().endswith(ORGAN_MAP_SUFFIXES + ORGAN_NAMES_SUFFIXES):
                raise InputError(name, f"an organ map is a label volume; use one of {', '.join(ORGAN_MAP_SUFFIXES)} "
                                       f"(with its organ names as {', '.join(ORGAN_NAMES_SUFFIXES)})")
        organ_map = organ_map_from_files(files, volume_node_to_image(study.node), max_mb=MAX_UPLOAD_MB)
        self._studies.set_organ_map(study, organ_map)
        return study

    def open_bytes(self, name: str, content: bytes):
        """Read an uploaded file and add it as a study; returns the new `OpenStudy`, whose
        ``reader_warnings`` hold what the reader said about the file it accepted (an ITK geometry warning,
        for instance), with the user's file name in place of the temporary one.

        Raises:
            InputError: unsupported type, too large, or unreadable (the reader's own sentence).
        """
        from deepradiology.errors import InputError
        from deepradiology.io import read_image

        lower = name.lower()
        if not lower.endswith(ACCEPTED_SUFFIXES):
            raise InputError(name, f"cannot open this kind of file here; use one of {', '.join(ACCEPTED_SUFFIXES)}")
        if isinstance(content, str):
            raise InputError(name, "the browser sent no file content")
        if len(content) > MAX_UPLOAD_MB * 2**20:
            raise InputError(name, f"larger than {MAX_UPLOAD_MB} MB; give it to 'deepradiology serve' instead")
        suffix = ".nii.gz" if lower.endswith(".nii.gz") else Path(lower).suffix
        handle, path = tempfile.mkstemp(prefix="deepradiology-upload-", suffix=suffix)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                image = read_image(path)
        except InputError as exc:
            raise InputError(name, exc.problem) from None  # name the user's file, not the temporary one
        finally:
            os.unlink(path)
        kind = "radiograph" if image.is_2d else ("ct" if image.modality.upper() == "CT" else "volume")
        label = re.sub(r"[^\w.\- ]", "_", name)[:80]
        info = CaseImage(name=f"{'Radiograph' if kind == 'radiograph' else 'Study'}: {label} (opened here)",
                         path="", kind=kind, patient="uploaded")
        import dataclasses

        image = dataclasses.replace(image, source=info.name)  # the temporary path is gone
        study = self._studies.add(scene=self._scene, image=image, info=info)
        study.reader_warnings = _said_about(caught, path, name)
        for line in study.reader_warnings:   # the server's log keeps them too
            logging.getLogger(__name__).warning("%s", line)
        return study


def _said_about(caught, temporary: str, name: str) -> list[str]:
    """The distinct warning lines a reader raised, naming the user's file rather than the temporary copy."""
    lines: list[str] = []
    for item in caught:
        line = str(item.message).replace(temporary, name).replace(Path(temporary).name, name)
        if line not in lines:
            lines.append(line)
    return lines
