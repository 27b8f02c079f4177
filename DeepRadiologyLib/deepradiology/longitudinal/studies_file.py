"""Read a patient's studies from JSON: the input of ``deepradiology longitudinal match``.

Format (paths relative to the JSON file)::

    {"patient": "P1",                       # optional
     "studies": [
        {"study_id": "S0", "date": "2024-01-15",            # date optional (then the order given)
         "volume": "S0_ct.nii.gz",                          # optional: CT for registration
         "lesions": "S0_lesions.json"},                     # a lesion file, or a list of lesion records
        ...]}

A phantom's ``ground_truth.json`` (``deepradiology phantom``) is read as well: its truth lesions
become the marked lesions and its CT files the volumes.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..lesion import Lesion, load_lesions
from .study import Study
from ..io.jsonfile import interpreting, read_json

__all__ = ["read_studies_file"]


def _phantom_studies(data: dict, folder: Path, *, load_volumes: bool) -> list[Study]:
    from ..io import read_volume
    from .phantom_eval import phantom_lesion

    pid = str(data.get("patient_id", ""))
    out = []
    for s in data["studies"]:
        ct = folder / s.get("files", {}).get("ct", f"{s['study_id']}_ct.nii.gz")
        image = read_volume(ct, modality="CT") if load_volumes and ct.exists() else None
        out.append(Study(s["study_id"], [phantom_lesion(t, patient=pid, study=s["study_id"]) for t in s["lesions"]],
                         date=s.get("date", ""), patient=pid, image=image))
    return out


def read_studies_file(path: str | Path, *, load_volumes: bool = True) -> list[Study]:
    """Read the studies JSON (module docstring); volumes are loaded only when ``load_volumes``.

    Raises:
        InputError: missing or malformed file, a study without an id, unreadable lesion or volume files.
    """
    path = Path(path)
    data = read_json(path)
    folder = path.parent
    if isinstance(data, dict) and "organ_labels" in data and "studies" in data:
        with interpreting(path, "phantom ground_truth.json"):
            return _phantom_studies(data, folder, load_volumes=load_volumes)
    with interpreting(path, "studies file"):
        return _studies(path, data, folder, load_volumes=load_volumes)


def _studies(path: Path, data, folder: Path, *, load_volumes: bool) -> list[Study]:
    from ..validate import text_field
    if not isinstance(data, dict) or not isinstance(data.get("studies"), list):
        raise InputError(path, 'expected {"studies": [{"study_id": ..., "lesions": ...}, ...]}')
    patient = text_field(data.get("patient", ""), "patient", str(path))
    studies = []
    for n, entry in enumerate(data["studies"]):
        if not isinstance(entry, dict) or not str(entry.get("study_id", "")):
            raise InputError(path, f"study {n + 1} has no 'study_id'")
        sid = text_field(entry["study_id"], "study_id", f"{path} study {n + 1}")
        lesions_field = entry.get("lesions", [])
        if isinstance(lesions_field, str):
            lesions = load_lesions(folder / lesions_field)
        elif isinstance(lesions_field, list):
            lesions = [Lesion.from_dict(r, source=f"{path} study {sid}") for r in lesions_field]
        else:
            raise InputError(path, f"study {sid}: 'lesions' must be a file name or a list of lesion records")
        image = None
        volume = text_field(entry.get("volume") or "", "volume", f"{path} study {sid}")
        if volume and load_volumes:
            from ..io import read_volume

            image = read_volume(folder / volume, modality="CT")
        from ..validate import study_date  # issue 17: "2024-13-45" must not reorder the studies

        date = study_date(entry.get("date", ""), f"{path} study {sid}")
        studies.append(Study(sid, lesions, date=date,
                             patient=text_field(entry.get("patient", patient), "patient", f"{path} study {sid}"),
                             image=image))
    return studies
