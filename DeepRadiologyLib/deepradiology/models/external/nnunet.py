"""nnU-Net v2 result folders (plain nnU-Net and TotalSegmentator task folders) as pancreas models.

Import reads only JSON and checks each ``fold_*/checkpoint_final.pth`` with `safe_pickle` (no code in it
runs); inference uses the ``nnunetv2`` package's own ``nnUNetPredictor`` (imported only then) on a folder
whose files were re-hashed against the card first. On top of nnU-Net's label map DeepRadiology adds its
geometry checks, the pancreas probability map on the CT's own grid, the volume and the confidence flag.

Axis conventions: nnU-Net works on SimpleITK arrays, (z, y, x) = our (k, j, i), with spacing reversed
to (k, j, i) order. TotalSegmentator (and plans whose reader reorients) expect the CT turned to the
closest RAS+ axis order first; `to_ras` does that on the array and `from_ras` undoes it exactly.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ...errors import InputError, ModelError
from ...io.jsonfile import read_json
from ..card import ModelCard

__all__ = ["FORMAT", "is_nnunet_folder", "resolve_result_folder", "nnunet_files", "nnunet_card", "NnUNetPancreasModel",
           "to_ras", "from_ras", "PANCREAS_NAMES", "require_network_importable"]

FORMAT = "nnunetv2"
TASK = "pancreas-segmentation"
#: Label names taken as the pancreas (lower case); TotalSegmentator and MSD Task07 call it "pancreas".
PANCREAS_NAMES = ("pancreas",)
_AS_READ = ("SimpleITKIO", "NibabelIO")
_REORIENT = ("SimpleITKIOWithReorient", "NibabelIOWithReorient")
_FOLDER = re.compile(r"^(?P<trainer>[^_].*?)__(?P<plans>.+?)__(?P<config>[^_].*)$")
CHECKPOINT = "checkpoint_final.pth"


def is_nnunet_folder(path: Path) -> bool:
    """True for a result folder (dataset.json + plans.json) or a Dataset folder holding one."""
    try:
        resolve_result_folder(path)
        return True
    except ModelError:
        return False


def resolve_result_folder(path: Path) -> Path:
    """The folder holding dataset.json, plans.json and fold_*: ``path`` itself, or its one
    ``Trainer__Plans__configuration`` subfolder (the layout of a Dataset folder / TotalSegmentator task)."""
    path = Path(path)
    if (path / "dataset.json").is_file() and (path / "plans.json").is_file():
        return path
    subs = [p for p in sorted(path.iterdir()) if p.is_dir() and _FOLDER.match(p.name)
            and (p / "plans.json").is_file()] if path.is_dir() else []
    if len(subs) == 1:
        return subs[0]
    if len(subs) > 1:
        raise ModelError(f"{path}: holds {len(subs)} nnU-Net trained models ({', '.join(p.name for p in subs)}); "
                         "import one of them")
    raise ModelError(f"{path}: not an nnU-Net v2 result folder (no dataset.json and plans.json)")


def _json(path: Path) -> dict:
    """An nnU-Net JSON file (dataset.json, plans.json) as a dict, through the package's one JSON reader."""
    if not path.exists():
        raise ModelError(f"{path}: missing")
    try:
        return read_json(path, expect=dict, what="nnU-Net JSON file")
    except InputError as exc:
        raise ModelError(str(exc)) from None


def _check_checkpoint(path: Path, configuration: str) -> dict:
    """Open a checkpoint without running its code; refuse a truncated or foreign one."""
    from .safe_pickle import safe_torch_load

    blob = safe_torch_load(path)
    if not isinstance(blob, dict) or not isinstance(blob.get("network_weights"), dict):
        raise ModelError(f"{path}: not an nnU-Net v2 checkpoint (no network_weights)")
    init = blob.get("init_args") if isinstance(blob.get("init_args"), dict) else {}
    if init.get("configuration") not in (None, configuration):
        raise ModelError(f"{path}: trained for configuration {init.get('configuration')!r}, but its folder says "
                         f"{configuration!r}")
    return {"trainer": str(blob.get("trainer_name", "")), "tensors": len(blob["network_weights"]),
            "mirroring_axes": list(blob.get("inference_allowed_mirroring_axes") or [])}


def nnunet_files(path: Path) -> tuple[Path, list[str]]:
    """(result folder, the model's files relative to it): what an import copies and its manifest hashes.

    Found from names alone (no file is opened), so that a manifest can be checked before any checkpoint is
    read. Training by-products (logs, progress plots, validation outputs, checkpoint_best) are not model files.
    """
    root = resolve_result_folder(path)
    folds = sorted(p.parent.name for p in root.glob(f"fold_*/{CHECKPOINT}"))
    files = ["dataset.json", "plans.json"] + [f"{f}/{CHECKPOINT}" for f in folds]
    if (root / "dataset_fingerprint.json").is_file():
        files.append("dataset_fingerprint.json")
    return root, files


def nnunet_card(path: Path, *, licence: str | None = None) -> tuple[Path, list[str], ModelCard]:
    """(result folder, the files to install relative to it, the card) for an nnU-Net v2 folder.

    Raises:
        ModelError: not nnU-Net, no fold with checkpoint_final.pth, a truncated checkpoint, no pancreas
            label (a model for another task), or inputs other than one CT channel.
    """
    root = resolve_result_folder(path)
    dataset, plans = _json(root / "dataset.json"), _json(root / "plans.json")
    match = _FOLDER.match(root.name)
    configs = plans.get("configurations") or {}
    config = match.group("config") if match else (next(iter(configs)) if len(configs) == 1 else None)
    if config not in configs:
        raise ModelError(f"{root}: cannot tell which plans configuration it was trained with (folder name "
                         f"{root.name!r}; plans have {', '.join(configs) or 'none'})")
    labels = dataset.get("labels")
    if not isinstance(labels, dict) or not labels:
        raise ModelError(f"{root / 'dataset.json'}: has no labels")
    pancreas = [k for k in labels if str(k).strip().lower() in PANCREAS_NAMES]
    if not pancreas:
        shown = ", ".join(list(labels)[:12]) + (" ..." if len(labels) > 12 else "")
        raise ModelError(f"{root}: this nnU-Net model is for another task: its labels are {shown}; none is the "
                         "pancreas, so it cannot segment the pancreas")
    value = labels[pancreas[0]]
    if not isinstance(value, int) or isinstance(value, bool):
        raise ModelError(f"{root}: the pancreas label is a region ({value!r}); region-based nnU-Net models are "
                         "not supported")
    channels = dataset.get("channel_names") or dataset.get("modality") or {}
    if len(channels) != 1 or str(next(iter(channels.values()))).upper() != "CT":
        raise ModelError(f"{root}: the model expects inputs {dict(channels)}; DeepRadiology feeds one CT channel")
    folds = sorted(p.parent.name for p in root.glob(f"fold_*/{CHECKPOINT}"))
    if not folds:
        raise ModelError(f"{root}: no fold_*/{CHECKPOINT}; the training did not finish or the folder is incomplete")
    facts = [_check_checkpoint(root / f / CHECKPOINT, config) for f in folds]
    cfg = configs[config]
    reader = str(plans.get("image_reader_writer", "SimpleITKIO"))
    name_text = " ".join(str(x) for x in (dataset.get("name"), plans.get("dataset_name"), root.parent.name, root))
    totalseg = "totalsegmentator" in name_text.lower()
    if reader in _REORIENT or totalseg:
        orientation = "RAS"
    elif reader in _AS_READ:
        orientation = "as-read"
    else:
        raise ModelError(f"{root}: its plans read images with {reader!r}, which DeepRadiology cannot reproduce")
    spacing_kji = [float(s) for s in cfg.get("spacing", [])]
    files = nnunet_files(root)[1]
    dataset_name = str(plans.get("dataset_name") or root.parent.name or "nnunet")
    card = ModelCard(
        name=_safe_name(f"{'totalseg' if totalseg else 'nnunet'}-{dataset_name}-{config}"),
        task=TASK, version=f"nnunetv2:{facts[0]['trainer'] or (match.group('trainer') if match else '?')}",
        architecture=f"nnunetv2:{(cfg.get('architecture') or {}).get('network_class_name', 'unknown')}",
        input_spec={"spacing_mm": spacing_kji[::-1], "patch": [int(p) for p in cfg.get("patch_size", [])],
                    "channels": 1, "normalisation": (cfg.get("normalization_schemes") or ["?"])[0],
                    "orientation": orientation, "reader": reader},
        labels=["pancreas"],
        training_data=f"nnU-Net dataset {dataset_name} ({dataset.get('numTraining', '?')} training cases)",
        licence=licence or (TOTALSEG_LICENCE if totalseg else "not stated in the folder: ask its provider "
                            "(nnU-Net code: Apache-2.0)"),
        description=("TotalSegmentator task model (nnU-Net v2); DeepRadiology uses its pancreas label only."
                     if totalseg else "nnU-Net v2 model; DeepRadiology uses its pancreas label."),
        extra={"format": FORMAT, "configuration": config, "folds": folds, "trainer": facts[0]["trainer"],
               "label_map": {"pancreas": {"their_name": pancreas[0], "value": value}},
               "dataset_labels": {str(k): v for k, v in labels.items()}, "totalsegmentator": totalseg,
               "needs": "nnunetv2==2.8.1 (in the main venv from requirements/peer-nodeps.txt; elsewhere pip "
                        "install nnunetv2)"})
    return root, files, card


TOTALSEG_LICENCE = ("TotalSegmentator: Apache-2.0 for the open tasks (incl. 'total'); some tasks' weights need a "
                    "separate licence (non-commercial) - check github.com/wasserth/TotalSegmentator for this task")


def _safe_name(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._")[:100]
    return name or "nnunet-model"


# --- orientation ----------------------------------------------------------------------------------------
def _ras_plan(direction: np.ndarray) -> tuple[tuple[int, int, int], tuple[bool, bool, bool]]:
    """For axes (i, j, k): which axis goes to each RAS+ position, and whether it must be flipped.

    ``direction`` columns are LPS unit vectors of i, j, k. RAS+ wants axis 0 growing toward R (-x in
    LPS), axis 1 toward A (-y), axis 2 toward S (+z)."""
    d = np.asarray(direction, float).reshape(3, 3)
    ras = d * np.array([-1.0, -1.0, 1.0])[:, None]      # the axes' directions written in RAS
    order, flips = [], []
    for world in range(3):
        axis = int(np.argmax([abs(ras[world, a]) if a not in order else -1 for a in range(3)]))
        order.append(axis)
        flips.append(bool(ras[world, axis] < 0))
    return tuple(order), tuple(flips)


def to_ras(array_kji: np.ndarray, spacing_ijk, direction) -> tuple[np.ndarray, tuple[float, float, float]]:
    """The (k, j, i) array and (i, j, k) spacing turned to the closest RAS+ axis order (no resampling)."""
    order, flips = _ras_plan(direction)
    a = array_kji.transpose(2, 1, 0)                        # (i, j, k)
    a = a.transpose(order)
    for axis, flip in enumerate(flips):
        if flip:
            a = np.flip(a, axis)
    return np.ascontiguousarray(a.transpose(2, 1, 0)), tuple(float(spacing_ijk[o]) for o in order)


def from_ras(array_kji: np.ndarray, direction) -> np.ndarray:
    """Undo `to_ras` on an array (k, j, i) of the RAS+ grid (a label map or one probability channel)."""
    order, flips = _ras_plan(direction)
    a = array_kji.transpose(2, 1, 0)
    for axis, flip in enumerate(flips):
        if flip:
            a = np.flip(a, axis)
    a = a.transpose(np.argsort(order))
    return np.ascontiguousarray(a.transpose(2, 1, 0))


# --- inference ------------------------------------------------------------------------------------------
class NnUNetPancreasModel:
    """An installed nnU-Net v2 pancreas model, run by nnunetv2's own predictor."""

    def __init__(self, card: ModelCard, folder: Path, *, device: str | None = "cpu", use_mirroring: bool = True,
                 tile_step_size: float = 0.5):
        self.card, self.folder = card, Path(folder)
        self.device_name = device or "cpu"
        self.use_mirroring, self.tile_step_size = use_mirroring, tile_step_size
        self._predictor = None

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def pancreas_value(self) -> int:
        return int(self.card.extra["label_map"]["pancreas"]["value"])

    def predictor(self):
        """nnunetv2's ``nnUNetPredictor`` for this folder (built once)."""
        if self._predictor is None:
            try:
                import torch
                from nnunetv2.inference.predict_from_raw_data import nnUNetPredictor
            except ImportError as exc:
                raise ModelError(f"model {self.name!r} is an nnU-Net v2 model and needs the nnunetv2 package, which "
                                 f"does not import here ({exc}); `make venv` installs it (requirements/"
                                 "peer-nodeps.txt), elsewhere: pip install nnunetv2") from None
            require_network_importable(self.card)
            from ...pancreas.model import resolve_device

            device = resolve_device(self.device_name)
            torch.set_num_threads(max(1, torch.get_num_threads()))
            p = nnUNetPredictor(tile_step_size=self.tile_step_size, use_gaussian=True,
                                use_mirroring=self.use_mirroring, perform_everything_on_device=device.type == "cuda",
                                device=device, verbose=False, allow_tqdm=False)
            p.initialize_from_trained_model_folder(str(self.folder), use_folds=tuple(
                f.split("_", 1)[1] for f in self.card.extra["folds"]), checkpoint_name=CHECKPOINT)
            self._predictor = p
        return self._predictor

    def predict(self, image) -> tuple[np.ndarray, np.ndarray]:
        """(nnU-Net's label map, the pancreas probability), both (k, j, i) on ``image``'s own grid."""
        ras = self.card.input_spec.get("orientation") == "RAS"
        array, spacing = (to_ras(image.array, image.spacing, image.direction) if ras
                          else (image.array, image.spacing))
        data = np.ascontiguousarray(array, dtype=np.float32)[None]
        props = {"spacing": [float(s) for s in spacing[::-1]]}
        seg, probs = self.predictor().predict_single_npy_array(data, props, None, None, True)
        seg = np.asarray(seg)
        prob = np.asarray(probs[self.pancreas_value], dtype=np.float32)
        if ras:
            seg, prob = from_ras(seg, image.direction), from_ras(prob, image.direction)
        if seg.shape != image.array.shape:
            raise ModelError(f"model {self.name!r}: nnU-Net returned shape {seg.shape} for a CT of {image.array.shape}")
        return seg, prob


def require_network_importable(card: ModelCard) -> None:
    """Refuse, in one line, a model whose network class does not import here, before nnunetv2 tries.

    The main venv installs dynamic_network_architectures without timm (requirements/peer-nodeps.txt): its
    U-Nets import, its Primus/EVA transformers need timm -> torchvision, which does not import beside the
    pinned torch. nnunetv2 would otherwise print a warning and fail later with a traceback.
    """
    import importlib

    class_path = card.architecture.split(":", 1)[-1]
    module, _, class_name = class_path.rpartition(".")
    if not module:
        return   # a bare class name: nnunetv2 searches dynamic_network_architectures for it itself
    try:
        found = getattr(importlib.import_module(module), class_name, None)
    except Exception as exc:   # ImportError, or torchvision's RuntimeError about operators of another torch
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ModelError(f"model {card.name!r} uses the network {class_path}, whose module does not import here "
                         f"({type(exc).__name__}: {first}); transformer networks (Primus) need timm and torchvision: "
                         "run it from .venv-interop (bash Testing/install-interop.sh)") from None
    if found is None:
        raise ModelError(f"model {card.name!r} uses the network {class_path}, which this dynamic_network_architectures "
                         "does not have; it needs another version of the package")


def require_nnunet_input(image, card: ModelCard) -> None:
    """Geometry checks before nnU-Net runs: 3D, finite CT, voxels not far coarser than the model's."""
    from ...io import require_3d, require_ct, require_finite
    from ...pancreas.checks import MAX_UPSAMPLING

    require_ct(require_3d(require_finite(image)))
    want = card.input_spec.get("spacing_mm") or []
    if card.input_spec.get("orientation") == "RAS":
        want = list(want)   # (i, j, k) of the RAS+ grid; compare sorted so orientation does not matter
        have = sorted(image.spacing)
        want = sorted(want)
    else:
        have = list(image.spacing)
    if len(want) == 3 and any(h > MAX_UPSAMPLING * w for h, w in zip(have, want)):
        raise InputError(image.source, f"voxels of {tuple(round(s, 2) for s in image.spacing)} mm are more than "
                         f"{MAX_UPSAMPLING:g} times coarser than model {card.name!r} was trained on ({want} mm)")
