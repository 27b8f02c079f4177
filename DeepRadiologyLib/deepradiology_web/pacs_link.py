"""One tab's link to a PACS over DICOMweb: list its studies, open one as a study, send results back.

All DICOM work is the core's (`deepradiology.dicom`): QIDO/WADO/STOW in `dicom.pacs`, SEG + TID 1500 SR
in `dicom.export`. This module only ties it to the tab: the fetched series becomes an open study
(`studies.StudyList.add`), and "send" exports the study's measured lesions (`lesion_book.LesionBook`)
with their masks from the RECIST Logic's segmentation node and their track ids from the LongitudinalMatch
tracks table (so the same lesion gets the same Tracking UID in every study), then stores SEG and SR.

Privacy: the server, not the browser, talks to the PACS, so only a client the server accepts (its token,
`security`) can make it do so; URLs must be http(s). A fetched series is kept in a private temporary
folder (mode 0700) for as long as the tab runs, because the SEG and SR must reference its images; the
folder is deleted when the tab's worker exits. Nothing here logs a URL, a UID or a patient name.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlparse

from deepradiology.errors import InputError

from .default_data import CaseImage

__all__ = ["PacsLink", "PacsStudyRef", "SendOutcome", "check_url", "iso_date", "IMAGE_MODALITIES"]

#: Series we open as images; SEG, SR, KO, PR and the like are derived objects, not pictures to read.
IMAGE_MODALITIES = ("CT", "MR", "PT", "NM")
#: The RECIST Logic's segmentation node (`deepradiology_mrml.logic.recist.SEGMENTATION_NAME`), where
#: each measured lesion's mask is a segment named by its measurement id.
RECIST_SEGMENTATION = "RECIST lesion masks"
#: LongitudinalMatch's tracks table (`deepradiology_mrml.logic.longitudinal`): per track, its id in
#: column "track" and each study's lesion ids in "<study> lesion".
TRACKS_TABLE = "LongitudinalMatch tracks"


def check_url(url: str) -> str:
    """The DICOMweb root ``url`` without trailing slash; InputError unless it is an http(s) URL with a host."""
    text = (url or "").strip()
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        shown = repr(text) if text else "an empty address"
        raise InputError("PACS URL", f"{shown} is not an http(s) DICOMweb address, "
                                     "e.g. http://localhost:8042/dicom-web")
    return text.rstrip("/")


@dataclass
class PacsStudyRef:
    """Where an open study came from: the PACS, its study and series UIDs, the fetched series folder."""

    url: str
    study_uid: str
    series_uid: str
    folder: Path


@dataclass
class SendOutcome:
    """What was stored: SOP Instance UIDs of the SEG and the SR, and the lesions sent / left out."""

    stored: list[str]
    sent: list[str]
    left_out: list[str]


def iso_date(date: str) -> str:
    """A DICOM date (YYYYMMDD) as YYYY-MM-DD; anything else as it is."""
    return f"{date[:4]}-{date[4:6]}-{date[6:8]}" if len(date) == 8 and date.isdigit() else date


def _check_same_grid(image, folder: Path) -> None:
    """The volume on screen and the series the SEG/SR will reference must be one grid (LPS mm), or masks
    drawn on the one would land on other slices of the other: refuse rather than send them misplaced."""
    import numpy as np

    from deepradiology.dicom.reference import read_reference

    ref = read_reference(folder)
    same = (tuple(np.asarray(image.array).shape) == ref.shape
            and np.allclose(image.origin, ref.origin, atol=1e-3)
            and np.allclose(image.spacing, ref.spacing, atol=1e-4)
            and np.allclose(np.asarray(image.direction, dtype=float), ref.direction, atol=1e-4))
    if not same:
        raise InputError("PACS study", "the series' image grid as read for viewing differs from its DICOM "
                                       "geometry (slice order or spacing); it can be viewed but results "
                                       "could not be sent back onto it, so it is not opened")


class PacsLink:
    """Opens PACS studies into the tab and sends their measured lesions back.

    Args:
        scene: the tab's MRML scene.
        studies: the tab's `studies.StudyList`.
        lesions: the tab's `lesion_book.LesionBook`.
        timeout_s: seconds per DICOMweb request.
    """

    def __init__(self, *, scene, studies, lesions, timeout_s: float = 30.0) -> None:
        self._scene = scene
        self._studies = studies
        self._lesions = lesions
        self._timeout_s = timeout_s
        self._folder = Path(tempfile.mkdtemp(prefix="deepradiology-pacs-"))  # 0700: only this user
        atexit.register(shutil.rmtree, self._folder, True)
        self.origin: dict[str, PacsStudyRef] = {}  # volume node id -> where the study came from
        self._fetches = 0
        self._tracking_uids: dict[tuple[str, str], str] = {}

    # -- off the UI thread (network, disk) -------------------------------------------------------
    def list_studies(self, url: str, patient_id: str = "") -> list[dict]:
        """The PACS's studies (QIDO-RS), oldest first: the `dicom.pacs.query_studies` rows."""
        from deepradiology.dicom.pacs import query_studies

        return query_studies(check_url(url), patient_id=patient_id.strip(), timeout_s=self._timeout_s)

    def fetch(self, url: str, study: dict):
        """WADO-RS the study's image series (the one with most instances among CT/MR/PT/NM) and read it.

        Only that series is fetched: its files stay for the tab's life, under ``PacsStudyRef.folder``.

        Args:
            study: a row of `list_studies`.
        Returns:
            (core `Image` in LPS, `CaseImage`, `PacsStudyRef`), for `open_fetched` on the UI thread.
        Raises:
            PacsError: the PACS failed; InputError: the study has no image series we can read.
        """
        from deepradiology.dicom.pacs import fetch_series, list_series
        from deepradiology.io import read_image

        url = check_url(url)
        series = [s for s in list_series(url, study["study_uid"], timeout_s=self._timeout_s)
                  if s["modality"] in IMAGE_MODALITIES]
        if not series:
            raise InputError("PACS study", f"study {study.get('study_id') or study['study_uid']} has no "
                                           f"{'/'.join(IMAGE_MODALITIES)} image series to open")
        # A localiser has a few images; the series to read has the most. The PACS says how many (QIDO);
        # where it does not, the first image series is taken rather than fetching every one to count.
        chosen = max(series, key=lambda s: s["instances"] or 0)
        self._fetches += 1
        folder = self._folder / f"series-{self._fetches}"
        try:
            fetch_series(url, study["study_uid"], chosen["series_uid"], folder, timeout_s=self._timeout_s)
            image = read_image(folder)
            _check_same_grid(image, folder)
        except Exception:
            shutil.rmtree(folder, ignore_errors=True)  # no half-fetched copy of patient images stays behind
            raise
        kind = "ct" if chosen["modality"] == "CT" else "volume"
        label = " ".join(v for v in (study.get("description"), iso_date(study.get("date", ""))) if v)
        info = CaseImage(name=f"PACS: {label or study['study_uid']}", path=str(folder), kind=kind,
                         patient=study.get("patient_id") or "PACS", date=iso_date(study.get("date", "")),
                         study_id=study.get("study_id", "")[:16])
        return image, info, PacsStudyRef(url, study["study_uid"], chosen["series_uid"], folder)

    # -- on the UI thread (scene) ------------------------------------------------------------------
    def open_fetched(self, fetched):
        """Add a `fetch` result to the tab as a study and put it on screen; returns the `OpenStudy`."""
        image, info, ref = fetched
        study = self._studies.add(scene=self._scene, image=image, info=info)
        self.origin[study.node_id] = ref
        return study

    def prepare_send(self, study):
        """The study's measured lesions and their masks, gathered on the UI thread (MRML is not thread-safe).

        Returns:
            (ref, lesions, label map [k, j, i] with lesion n = n + 1, ids left out and why)
        Raises:
            InputError: the study was not opened from a PACS, or has no measured lesion with a mask.
        """
        import numpy as np

        from deepradiology_mrml.segmentations import segmentation_to_labelmap

        ref = self.origin.get(study.node_id) if study is not None else None
        if ref is None:
            raise InputError("Send to PACS", "the study on screen was not opened from a PACS; open it with "
                                             "'Open from PACS' first, so the SEG and SR can reference its images")
        node = self._scene.GetFirstNodeByName(RECIST_SEGMENTATION)
        names = set()
        if node is not None:
            segmentation = node.GetSegmentation()
            names = {segmentation.GetNthSegment(i).GetName() for i in range(segmentation.GetNumberOfSegments())}
        track_of = self._tracks_of(study)
        lesions, planes, left_out = [], [], []
        for record in self._lesions.lesions_for(study):
            if record.long_axis_lps is None:
                continue  # a status mark (absent / not evaluated), no measurement to send
            segment = str((record.extra or {}).get("measured_as", ""))
            if segment not in names:
                left_out.append(f"{record.lesion_id} (no mask: not measured here)")
                continue
            mask = segmentation_to_labelmap(node, study.node, segment_names=[segment]).array > 0
            if not mask.any():
                left_out.append(f"{record.lesion_id} (its mask is empty)")
                continue
            extra = {**record.extra, "label": len(lesions) + 1}
            if record.lesion_id in track_of:  # matched across studies: the track's UID, shared by its lesions
                extra["track_id"] = track_of[record.lesion_id]
                extra.pop("tracking_uid", None)
            elif not extra.get("track_id") and not extra.get("tracking_uid"):
                # Record ids ("L1") restart in every tab: a UID derived from them would give two different
                # lesions of one patient the same Tracking UID. A lesion in no track gets its own random
                # UID, kept for the tab so that sending it again repeats it.
                extra["tracking_uid"] = self._tracking_uids.setdefault(
                    (study.node_id, record.lesion_id), f"2.25.{uuid.uuid4().int}")
            # The core checks the lesion's study against the series: name it by its Study Instance UID.
            lesions.append(replace(record, study=ref.study_uid, extra=extra))
            planes.append(mask)
        if not lesions:
            raise InputError("Send to PACS", "no lesion measured on this study has a mask to send; measure one "
                                             "in the RECIST panel first" + (f" (left out: {', '.join(left_out)})"
                                                                            if left_out else ""))
        labels = np.zeros(planes[0].shape, dtype=np.uint16)
        for n, plane in enumerate(planes, start=1):
            labels[plane & (labels == 0)] = n  # one label per voxel; the first measured keeps a shared voxel
        return ref, lesions, labels, left_out

    def _tracks_of(self, study) -> dict[str, str]:
        """Record id -> track id for ``study``, from the tab's last LongitudinalMatch run (none: {})."""
        from deepradiology_mrml.tables import table_to_records

        node = self._scene.GetFirstNodeByName(TRACKS_TABLE)
        if node is None:
            return {}
        column = f"{study.info.study_id or study.info.name} lesion"  # the tracks panel's study names
        found = {}
        for row in table_to_records(node):
            for lesion_id in str(row.get(column) or "").split(","):
                if lesion_id.strip():
                    found[lesion_id.strip()] = str(row["track"])
        return found

    # -- off the UI thread again -------------------------------------------------------------------
    def send(self, prepared, *, seg_type: str = "binary") -> SendOutcome:
        """Export SEG + SR of ``prepared`` (from `prepare_send`) and STOW them to the study's PACS.

        Raises:
            InputError: the export refused (the core's reason); PacsError: naming what was stored first.
        """
        from deepradiology.dicom.export import export_lesions
        from deepradiology.dicom.pacs import send_objects

        ref, lesions, labels, left_out = prepared
        out = Path(tempfile.mkdtemp(prefix="send-", dir=self._folder))
        try:
            paths = export_lesions(lesions, labels, ref.folder, out, seg_type=seg_type)
            stored = send_objects(ref.url, [paths["seg"], paths["sr"]], timeout_s=self._timeout_s)
        finally:
            shutil.rmtree(out, ignore_errors=True)
        return SendOutcome(stored=stored, sent=[les.lesion_id for les in lesions], left_out=left_out)
