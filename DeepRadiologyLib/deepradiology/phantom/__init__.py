"""A deterministic synthetic patient: CT-like abdomen studies with lesions of known size and fate.

It is the ground truth for accuracy tests and the offline demo's default data. See `patient` for the
scenario, `anatomy` for the organs and `render` for how voxels and the truth are made.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import OutputExistsError
import numpy as np

from ..io.organ_names import write_colour_table
from ..io.write import write_image
from ..progress import ProgressCallback, report
from .anatomy import ORGAN_LABELS
from .patient import PatientPlan, plan_patient
from .render import DEFAULT_SPACING, RenderedStudy, render_study

__all__ = ["Phantom", "generate_phantom", "write_phantom", "ORGAN_LABELS", "DEFAULT_SPACING"]


@dataclass
class Phantom:
    """A rendered synthetic patient: its plan and one `RenderedStudy` per time point."""

    plan: PatientPlan
    studies: list[RenderedStudy]

    def ground_truth(self) -> dict:
        """Everything known about the patient, JSON-ready. Positions are world LPS mm and voxel ijk."""
        return {
            "patient_id": self.plan.patient_id,
            "seed": self.plan.seed,
            "frame": "LPS",
            "units": {"position": "mm", "volume": "mL", "intensity": "HU"},
            "organ_labels": ORGAN_LABELS,
            "studies": [
                {
                    "study_id": s.plan.study_id,
                    "date": s.plan.date,
                    "shift_mm": list(s.plan.shift_mm),
                    "rotation_deg": s.plan.rotation_deg,
                    "pose": "world = Rz(rotation_deg) @ patient + shift_mm",
                    "spacing_mm": list(s.ct.spacing),
                    "size_ijk": list(s.ct.size),
                    "origin_lps": list(s.ct.origin),
                    "lesions": s.lesions,
                }
                for s in self.studies
            ],
        }


def generate_phantom(seed: int = 0, *, n_studies: int = 3, spacing=DEFAULT_SPACING, noise_hu: float = 10.0,
                     progress: ProgressCallback | None = None) -> Phantom:
    """Plan and render a patient with ``n_studies`` studies (in memory).

    Args:
        seed: the same seed always gives the same patient, voxel for voxel.
        n_studies: time points, 1-6; the first is the baseline.
        spacing: voxel size (i, j, k) in mm.
        noise_hu: standard deviation of the Gaussian noise added to the CT, in HU.
    """
    plan = plan_patient(seed, n_studies=n_studies)
    studies = []
    for n in range(n_studies):
        report(progress, n / n_studies, f"rendering study {n + 1}/{n_studies}")
        studies.append(render_study(plan, n, spacing=spacing, noise_hu=noise_hu))
    report(progress, 1.0, "done")
    return Phantom(plan, studies)


def write_phantom(phantom: Phantom, folder: str | Path, *, force: bool = False) -> dict[str, Path]:
    """Write each study's CT, organ and lesion label maps as NIfTI, and ``ground_truth.json``.

    Files: ``<study>_ct.nii.gz``, ``<study>_organs.nii.gz``, ``<study>_lesions.nii.gz``, and beside the
    organ map its colour table ``<study>_organs.txt`` (Slicer's format, `deepradiology.io.organ_names`) so
    that Slicer and ``--organs`` name its organs ("liver", not "label 1"). Nothing is written when any of
    them exists already, unless ``force``.

    Returns:
        Paths by name ("ground_truth", "S0_ct", "S0_organs", ...).
    """
    folder = Path(folder)
    paths = {"ground_truth": folder / "ground_truth.json"}
    for s in phantom.studies:
        for kind in ("ct", "organs", "lesions"):
            paths[f"{s.plan.study_id}_{kind}"] = folder / f"{s.plan.study_id}_{kind}.nii.gz"
        paths[f"{s.plan.study_id}_organ_names"] = folder / f"{s.plan.study_id}_organs.txt"
    existing = [p for p in paths.values() if p.exists()]
    if existing and not force:
        raise OutputExistsError(existing[0])
    folder.mkdir(parents=True, exist_ok=True)
    truth = phantom.ground_truth()
    for s, entry in zip(phantom.studies, truth["studies"]):
        sid = s.plan.study_id
        write_image(s.ct, paths[f"{sid}_ct"], force=True)
        write_image(s.organs, paths[f"{sid}_organs"], force=True)
        # only the labels this study's map holds: a table naming an absent value is refused on reading
        present = {int(v) for v in np.unique(np.asarray(s.organs.array)) if v > 0}
        write_colour_table(paths[f"{sid}_organ_names"],
                           {label: name for name, label in ORGAN_LABELS.items() if label in present})
        write_image(s.lesions_map, paths[f"{sid}_lesions"], force=True)
        entry["files"] = {k: paths[f"{sid}_{k}"].name for k in ("ct", "organs", "lesions", "organ_names")}
    paths["ground_truth"].write_text(json.dumps(truth, indent=2), encoding="utf-8")
    return paths
