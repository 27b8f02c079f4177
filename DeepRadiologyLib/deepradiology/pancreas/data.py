"""Pancreas training data in the public datasets' own layouts, HU windowing and augmentation.

Layouts read as they are downloaded:

- **MSD Task07** (Medical Segmentation Decathlon, pancreas): ``dataset.json``, ``imagesTr/*.nii.gz``,
  ``labelsTr/*.nii.gz``; label 1 pancreas, 2 tumour. The tumour lies inside the pancreas, so for organ
  segmentation both count as pancreas.
- **NIH Pancreas-CT** (TCIA): ``PANCREAS_0001/<study>/<series>/*.dcm`` (one DICOM series per patient,
  possibly below a ``Pancreas-CT/`` folder) and ``label0001.nii.gz`` files (any folder below the root).

Every case comes out as a CT `Image` in HU and a 0/1 uint8 label `Image` on the CT's grid (LPS mm).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..image import Image
from ..io.jsonfile import read_json

__all__ = ["WINDOW_HU", "window_hu", "PancreasCase", "find_cases", "read_msd_task07", "read_nih_pancreas",
           "split_folds", "augment_patch"]

#: The abdominal soft-tissue window (level 40, width 400 HU) that pancreas networks see.
WINDOW_HU = (-160.0, 240.0)


def window_hu(array: np.ndarray, window=WINDOW_HU) -> np.ndarray:
    """HU -> float32 in [-1, 1] over the window (values outside are clipped)."""
    lo, hi = float(window[0]), float(window[1])
    out = (np.asarray(array, dtype=np.float32) - (lo + hi) / 2) / ((hi - lo) / 2)
    return np.clip(out, -1.0, 1.0, out=out)


@dataclass(frozen=True)
class PancreasCase:
    """One training case: where its CT and its pancreas label are on disk."""

    case_id: str
    image_path: Path
    label_path: Path
    layout: str  # "msd-task07", "nih-pancreas-ct" or "pairs"

    def load(self) -> tuple[Image, Image]:
        """(CT in HU, 0/1 pancreas label on the CT's grid). Tumour (MSD label 2) counts as pancreas."""
        from ..io import read_image, require_3d, require_ct

        ct = require_ct(require_3d(read_image(self.image_path)))
        label = read_image(self.label_path)
        return ct, label_on_ct_grid(label, ct, source=self.label_path)


def label_on_ct_grid(label: Image, ct: Image, *, source) -> Image:
    """The label as 0/1 uint8 on the CT's grid; resampled in world space (nearest) when the grids differ."""
    same_grid = (label.size == ct.size and np.allclose(label.spacing, ct.spacing, atol=1e-3)
                 and np.allclose(label.origin, ct.origin, atol=1e-2)
                 and np.allclose(label.direction, ct.direction, atol=1e-4))
    array = (np.asarray(label.array) > 0).astype(np.uint8)
    if not same_grid:
        import SimpleITK as sitk

        moved = sitk.Resample(label.with_array(array).to_sitk(), ct.to_sitk(), sitk.Transform(),
                              sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)
        resampled = sitk.GetArrayFromImage(moved)
        if array.any() and not resampled.any():
            raise InputError(source, "the label does not overlap its CT in world coordinates (check the "
                             "label's origin and direction against the CT's)")
        array = resampled
    return ct.with_array(array, modality="SEG", source=str(source), meta={})


def read_msd_task07(root: str | Path) -> list[PancreasCase]:
    """Cases listed under "training" in an MSD Task07 ``dataset.json``."""
    root = Path(root)
    spec_path = root / "dataset.json"
    spec = read_json(spec_path, expect=dict, what="Decathlon dataset.json")
    cases = []
    training = spec.get("training", [])
    if not isinstance(training, list):
        raise InputError(spec_path, f"'training' must be a list of image/label pairs, got {type(training).__name__}")
    for n, entry in enumerate(training):
        if not (isinstance(entry, dict) and isinstance(entry.get("image"), str) and isinstance(entry.get("label"), str)):
            raise InputError(spec_path, f"training[{n}] must be an object with 'image' and 'label' paths")
        image = root / entry["image"]
        label = root / entry["label"]
        if not image.exists() or not label.exists():
            raise InputError(image if not image.exists() else label, "listed in dataset.json but missing")
        case_id = image.name.split(".")[0]
        cases.append(PancreasCase(case_id, image, label, "msd-task07"))
    if not cases:
        raise InputError(spec_path, "lists no training cases")
    return cases


def _dicom_folder(patient: Path) -> Path:
    """The folder below ``patient`` that holds its DICOM files (NIH nests study/series folders)."""
    folders = sorted({p.parent for p in patient.rglob("*.dcm")})
    if len(folders) != 1:
        raise InputError(patient, f"expected one DICOM series folder, found {len(folders)}")
    return folders[0]


def read_nih_pancreas(root: str | Path) -> list[PancreasCase]:
    """Cases of the NIH Pancreas-CT layout: ``PANCREAS_NNNN`` DICOM folders and ``labelNNNN.nii.gz``."""
    root = Path(root)
    labels = {int(m.group(1)): p for p in root.rglob("label*.nii*")
              if (m := re.fullmatch(r"label(\d+)\.nii(\.gz)?", p.name))}
    patients = {int(m.group(1)): p for p in root.rglob("PANCREAS_*")
                if p.is_dir() and (m := re.fullmatch(r"PANCREAS_(\d+)", p.name))}
    cases = [PancreasCase(f"PANCREAS_{n:04d}", _dicom_folder(patients[n]), labels[n], "nih-pancreas-ct")
             for n in sorted(patients) if n in labels]
    if not cases:
        raise InputError(root, "no PANCREAS_NNNN folder has a matching labelNNNN.nii.gz")
    return cases


def find_cases(root: str | Path) -> list[PancreasCase]:
    """Detect the layout of ``root`` and list its cases.

    Raises:
        InputError: the folder is missing or in neither layout (names both).
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(root, "no such folder")
    if (root / "dataset.json").is_file():
        return read_msd_task07(root)
    if any(root.rglob("PANCREAS_*")):
        return read_nih_pancreas(root)
    raise InputError(root, "is neither an MSD Task07 folder (dataset.json, imagesTr/, labelsTr/) nor an NIH "
                     "Pancreas-CT folder (PANCREAS_NNNN/ DICOM series and labelNNNN.nii.gz)")


def split_folds(cases: list[PancreasCase], *, n_folds: int = 4, fold: int = 0, seed: int = 0
                ) -> tuple[list[PancreasCase], list[PancreasCase]]:
    """(training, validation) cases for cross-validation fold ``fold`` of ``n_folds``.

    Cases are shuffled once by ``seed`` and dealt into folds, so each case validates in exactly one fold.
    With fewer cases than folds (a smoke test on one case) training and validation are the same cases,
    which measures fitting, not accuracy.
    """
    if not 0 <= fold < n_folds:
        raise InputError("--fold", f"must be 0-{n_folds - 1} for {n_folds}-fold cross-validation, got {fold}")
    if len(cases) < n_folds:
        return list(cases), list(cases)
    order = np.random.default_rng(seed).permutation(len(cases))
    val = [cases[i] for n, i in enumerate(order) if n % n_folds == fold]
    train = [cases[i] for n, i in enumerate(order) if n % n_folds != fold]
    return train, val


def augment_patch(patch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Intensity augmentation of a windowed patch: contrast, brightness and noise.

    No flips or large rotations: the pancreas lies on one side of the body, and its position relative to
    the spine and vessels is what the network should learn.
    """
    out = patch * rng.uniform(0.9, 1.1) + rng.uniform(-0.1, 0.1)
    out = out + rng.normal(0.0, rng.uniform(0.0, 0.05), size=patch.shape).astype(np.float32)
    return out.astype(np.float32)
