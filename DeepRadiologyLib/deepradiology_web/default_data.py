"""What the web app opens: the user's images, or the embedded default patient.

A `Case` is the list of images one server shows, written once by ``deepradiology serve`` as a small
JSON file that every tab's worker reads. The embedded default is the project's synthetic patient
(phantom seed 0: three CT studies of one patient, lesions growing, shrinking, vanishing and appearing
under a known patient shift), written as NIfTI into a private temporary folder; when the real public
CT of ``../shared/data`` is configured (``DEEPRADIOLOGY_SHARED_DATA`` or ``--shared-data``) it is
offered too, as its own patient.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from deepradiology.errors import InputError

__all__ = ["CaseImage", "Case", "embedded_default_case", "case_from_inputs", "shared_ct_path",
           "DEFAULT_PHANTOM_SEED", "SHARED_CT", "SHARED_CT_ORGANS", "SHARED_CXR"]

DEFAULT_PHANTOM_SEED = 0
#: The real CT inside the shared data folder (TotalSegmentator example, Apache-2.0).
SHARED_CT = "ct/totalsegmentator/example_ct.nii.gz"
#: TotalSegmentator's organ masks of that CT (one binary mask per organ, same grid), its organ map.
SHARED_CT_ORGANS = "ct/totalsegmentator/example_ct_organs"
#: A real chest film inside the shared data folder (NIH ChestX-ray14), for the chest X-ray panel.
SHARED_CXR = "cxr/nih/00000001_000.png"


@dataclass
class CaseImage:
    """One image the app offers.

    Attributes:
        name: what the radiologist sees in the study list (no file path).
        path: where the worker reads it from (never shown, never logged).
        kind: ``"ct"`` / ``"volume"`` (3D) or ``"radiograph"`` (2D, e.g. a chest X-ray).
        patient: which patient it belongs to; studies of one patient can be matched over time.
        date: the study date when known (``YYYY-MM-DD``), else "".
        study_id: a short id for tables ("S0"); the name is used when empty.
        lesions: a lesion JSON file (`deepradiology.lesion.save_lesions`) of lesions already marked on
            this study, e.g. from a prior reading; "" when none. LongitudinalMatch starts from them.
        organs: the study's organ map on its CT grid, a label-map file or a folder of organ masks
            (`deepradiology.recist.load_organ_map`); "" when none (locations then read "unknown").
        organ_names: {label value: organ name} for a label-map file's values (JSON keys are strings).
        organ_source: where the organ map comes from, in words, for the RECIST panel.
    """

    name: str
    path: str
    kind: str
    patient: str = "patient"
    date: str = ""
    study_id: str = ""
    lesions: str = ""
    organs: str = ""
    organ_names: dict = field(default_factory=dict)
    organ_source: str = ""

    def __post_init__(self) -> None:
        # A saved case has the label values as JSON strings; in memory they are the integers of the map.
        self.organ_names = {int(value): str(name) for value, name in (self.organ_names or {}).items()}

    def organ_label_names(self) -> dict[int, str]:
        """``organ_names``: {label value (int): organ name}."""
        return dict(self.organ_names)


@dataclass
class Case:
    """The images of one server run, in study order."""

    images: list[CaseImage] = field(default_factory=list)
    description: str = ""
    lesion_database: str = ""
    #: a DICOMweb root the PACS panel starts with (``deepradiology serve --pacs URL``); "" for none.
    pacs_url: str = ""

    def volumes(self) -> list[CaseImage]:
        return [im for im in self.images if im.kind != "radiograph"]

    def radiographs(self) -> list[CaseImage]:
        return [im for im in self.images if im.kind == "radiograph"]

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps({"description": self.description, "lesion_database": self.lesion_database,
                                    "pacs_url": self.pacs_url, "images": [asdict(im) for im in self.images]}, indent=1), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Case:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls([CaseImage(**im) for im in data["images"]], data.get("description", ""),
                   data.get("lesion_database", ""), data.get("pacs_url", ""))


def shared_ct_path(shared_data: str | Path | None = None, relative: str = SHARED_CT) -> Path | None:
    """A file of the shared data folder (the real CT by default) when the folder is configured and
    holds it, else None.

    Args:
        shared_data: the folder given on the command line; falls back to ``$DEEPRADIOLOGY_SHARED_DATA``.
        relative: the file's path inside the folder.
    """
    folder = shared_data or os.environ.get("DEEPRADIOLOGY_SHARED_DATA")
    if not folder:
        return None
    path = Path(folder) / relative
    return path if path.is_file() else None


def embedded_default_case(folder: str | Path, *, spacing=(0.8, 0.8, 2.5), shared_data: str | Path | None = None,
                          progress=None) -> Case:
    """Render the synthetic patient into ``folder`` (NIfTI, LPS) and describe it as a `Case`.

    Each study comes with the lesions a reader marked on it (the phantom's known lesions, as
    ``deepradiology longitudinal match`` reads them), and a lesion database for LesionRetrieval is
    filled with the follow-up studies' lesions (thumbnails from their images), so that a lesion
    clicked on the baseline finds its later appearances and look-alikes.

    Args:
        folder: a private, writable folder (the caller owns and removes it).
        spacing: voxel size (i, j, k) in mm; coarser is quicker to render and to serve.
        shared_data: the shared data folder, to add its real CT when present.
        progress: optional ``progress(fraction, message)`` callback.
    """
    from deepradiology.io import write_image
    from deepradiology.lesion import save_lesions
    from deepradiology.longitudinal.records import record_status
    from deepradiology.phantom import ORGAN_LABELS, generate_phantom

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    phantom = generate_phantom(DEFAULT_PHANTOM_SEED, n_studies=3, spacing=tuple(spacing), progress=progress)
    images = []
    marked = []
    for number, (study, reading) in enumerate(zip(phantom.studies, _prior_readings(phantom)), start=1):
        # uncompressed: every tab reads these, and gzip would cost each tab seconds
        path = write_image(study.ct, folder / f"study{number}_ct.nii", force=True, compress=False)
        # The lesion database holds lesions seen, not the marks of lesions found gone.
        marked.append([les for les in reading if record_status(les) == "present"])
        lesion_file = save_lesions(reading, folder / f"study{number}_lesions.json", force=True)
        # The phantom's own organ labels are its organ map: exact, on the CT's grid by construction.
        organs = write_image(study.organs, folder / f"study{number}_organs.nii", force=True, compress=False)
        label = "baseline" if number == 1 else f"follow-up {number - 1}"
        images.append(CaseImage(name=f"Phantom study {number} ({label}, {study.plan.date})", path=str(path),
                                kind="ct", patient=phantom.plan.patient_id, date=study.plan.date,
                                study_id=study.plan.study_id, lesions=str(lesion_file), organs=str(organs),
                                organ_names={value: name for name, value in ORGAN_LABELS.items()},
                                organ_source="the phantom's organ labels"))
    database = _follow_up_lesion_database(folder / "lesions.sqlite", phantom, marked, images)
    real_ct = shared_ct_path(shared_data)
    if real_ct is not None:
        organ_masks = real_ct.parent / Path(SHARED_CT_ORGANS).name
        images.append(CaseImage(name="Real abdominal CT (TotalSegmentator example)", path=str(real_ct),
                                kind="ct", patient="shared-data-ct",
                                organs=str(organ_masks) if organ_masks.is_dir() else "",
                                organ_source="TotalSegmentator's organ masks (model predictions)"
                                if organ_masks.is_dir() else ""))
    real_cxr = shared_ct_path(shared_data, SHARED_CXR)
    if real_cxr is not None:
        images.append(CaseImage(name="Real chest X-ray (NIH ChestX-ray14 00000001_000)", path=str(real_cxr),
                                kind="radiograph", patient="nih-00000001"))
    extras = [what for what, found in (("the real example CT", real_ct), ("a real chest X-ray", real_cxr)) if found]
    return Case(images, description="Synthetic patient with three phantom CT studies"
                + (" plus " + " and ".join(extras) if extras else ""), lesion_database=str(database))


def _prior_readings(phantom) -> list[list]:
    """Each phantom study's lesions as a reader marked them (RECIST axes in LPS mm), no truth labels.

    A lesion seen at an earlier study and gone at this one gets an "absent" record naming its last
    sighting (``extra`` status/same_as, `deepradiology.longitudinal.records`), as a reader who looked
    and found it gone writes it: without it the response reads that lesion as not evaluated (NE).
    """
    from deepradiology.longitudinal.phantom_eval import phantom_studies

    readings = []
    for study in phantom_studies(phantom, with_images=False, mark_absent=True):
        for lesion in study.lesions:
            # the track it truly belongs to is for evaluation, not for the matcher
            lesion.extra = {k: v for k, v in lesion.extra.items() if k != "truth_track"}
        readings.append(list(study.lesions))
    return readings


def _follow_up_lesion_database(path: Path, phantom, marked: list, images: list[CaseImage]) -> Path:
    """A lesion database holding the follow-up studies' marked lesions, with thumbnails."""
    from deepradiology.retrieval import LesionDatabase
    from deepradiology.retrieval.importers import import_lesions

    db = LesionDatabase(path, create=True)
    try:
        for study, lesions, info in list(zip(phantom.studies, marked, images))[1:]:
            import_lesions(db, lesions, image=study.ct, image_path=info.path, source="phantom-follow-up")
    finally:
        db.close()
    return path


def case_from_inputs(inputs: list[str | Path], *, organs: str | Path | None = None,
                     organ_names: str | None = None) -> Case:
    """Describe the user's images (NIfTI/NRRD files, DICOM folders or files, PNG/JPEG radiographs).

    Each input is read once here so that a bad one stops the server at start with a clear message,
    rather than failing later inside a tab.

    Args:
        inputs: the images, in study order.
        organs: the organ map of the one 3D volume among them (``serve --organs``): a label-map file or
            a folder of organ masks (TotalSegmentator's). It is checked against that CT here
            (`deepradiology.recist.load_organ_map`: resampled by nearest neighbour in LPS mm when on
            another grid, refused when it does not lie on the CT); each tab reads it again.

    Raises:
        InputError: an input is missing, unreadable or of no supported kind; ``organs`` without exactly
            one volume among the inputs, or an organ map that does not fit it.
    """
    from deepradiology.io import read_image

    images = []
    volumes = []
    for number, raw in enumerate(inputs, start=1):
        path = Path(raw)
        image = read_image(path)
        if image.array.size == 0:
            raise InputError(path, "the image holds no voxels")
        kind = "radiograph" if image.is_2d else ("ct" if image.modality.upper() == "CT" else "volume")
        name = f"{'Radiograph' if kind == 'radiograph' else 'Study'} {number}: {path.name}"
        images.append(CaseImage(name=name, path=str(path.resolve()), kind=kind, patient="patient"))
        if kind != "radiograph":
            volumes.append((images[-1], image))
    description = f"{len(images)} image(s) given on the command line"
    if organs is not None:
        description += "; " + _attach_organ_map(Path(organs), volumes, organ_names)
    return Case(images, description=description)


def _attach_organ_map(path: Path, volumes: list, organ_names: str | None = None) -> str:
    """Check ``path`` as the organ map of the single volume in ``volumes`` and name it in its `CaseImage`;
    returns a line saying what was attached (and that it was resampled, from which spacing).

    ``organ_names`` (``serve --organ-names``): a colour table, JSON or atlas naming a label-map file's
    values (`deepradiology.io.organ_names`); without it a table beside the map names them."""
    from deepradiology.recist import load_organ_map

    if len(volumes) != 1:
        raise InputError("--organs", f"names the organ map of one CT, but {len(volumes)} volumes were given "
                                     "(give exactly one CT volume as INPUT with it)")
    info, image = volumes[0]
    labels, names = load_organ_map(path, image, organ_names)
    info.organs = str(path.resolve())
    info.organ_source = f"organ map {path.name} (--organs)"
    if not path.is_dir():
        # --organ-names resolved here, once; else each tab finds the table beside the map (or "label N")
        info.organ_names = dict(names) if organ_names else {}
    present = sorted({names[int(v)] for v in np.unique(labels.array) if int(v) in names})
    line = f"organ map {path.name} with {len(present)} organ(s) for {Path(info.path).name}"
    if labels.meta.get("resampled_from"):
        spacing = " x ".join(f"{v:.2f}" for v in labels.meta["resampled_spacing_mm"])
        resampled = f"resampled onto the CT's grid from {spacing} mm (nearest neighbour, LPS mm)"
        if labels.meta.get("coverage", 1.0) < 0.995:
            resampled += f", covering {100 * labels.meta['coverage']:.0f} % of it"
        line += ", " + resampled
        info.organ_source += ", " + resampled        # the RECIST panel's organ map line says so too
    if labels.meta.get("organ_names_warning"):
        line += "; " + labels.meta["organ_names_warning"]
    return line
