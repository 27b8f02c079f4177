"""torchxrayvision DenseNet-121 weights as a DeepRadiology chest X-ray model (no torchxrayvision needed).

The published files (github.com/mlmed/torchxrayvision releases "v1") are pickled modules; they are read
with `safe_pickle` (no code in them runs) and loaded strictly into `xrv_network.build_densenet121`.
Preprocessing is torchxrayvision's: grey values scaled to [-1024, 1024] (``(2 v / maxval - 1) * 1024``,
here from DeepRadiology's [0, 1] film as ``(2 u - 1) * 1024``), a centre crop to the shorter side, and a
resize to 224 x 224 with ``skimage.transform.resize(mode="constant", preserve_range=True)``; outputs
are sigmoid probabilities calibrated by the published operating points (``op_norm``: threshold -> 0.5),
so DeepRadiology's operating point for each finding is 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import ModelError
from ..card import ModelCard

__all__ = ["FORMAT", "WEIGHTS", "is_xrv_file", "xrv_card", "XRVModel", "load_xrv_model", "xrv_preprocess"]

FORMAT = "torchxrayvision"
TASK = "cxr-classification"
SIZE = 224

_ALL = ["Atelectasis", "Consolidation", "Infiltration", "Pneumothorax", "Edema", "Emphysema", "Fibrosis", "Effusion",
        "Pneumonia", "Pleural_Thickening", "Cardiomegaly", "Nodule", "Mass", "Hernia", "Lung Lesion", "Fracture",
        "Lung Opacity", "Enlarged Cardiomediastinum"]
_NAN = float("nan")
#: The published weights DeepRadiology knows: file name in the v1 release, channel labels ("" = unused)
#: and operating points, as torchxrayvision 1.5.7 lists them.
WEIGHTS = {
    "densenet121-res224-nih": {
        "file": "nih-densenet121-d121-tw-lr001-rot45-tr15-sc15-seed0-best.pt",
        "labels": _ALL[:14] + ["", "", "", ""],
        "op_threshs": [0.039117552, 0.0034529066, 0.11396341, 0.0057298196, 0.00045666535, 0.0018880932, 0.012037827,
                       0.038744126, 0.0037213727, 0.014730946, 0.016149804, 0.054241467, 0.037198864, 0.0004403434,
                       _NAN, _NAN, _NAN, _NAN],
        "training_data": "NIH ChestX-ray14 (112,120 frontal films)"},
    "densenet121-res224-all": {
        "file": "nih-pc-chex-mimic_ch-google-openi-kaggle-densenet121-d121-tw-lr001-rot45-tr15-sc15-seed0-best.pt",
        "labels": list(_ALL),
        "op_threshs": [0.07422872, 0.038290843, 0.09814756, 0.0098118475, 0.023601074, 0.0022490358, 0.010060724,
                       0.103246614, 0.056810737, 0.026791653, 0.050318155, 0.023985857, 0.01939503, 0.042889766,
                       0.053369623, 0.035975814, 0.20204692, 0.05015312],
        "training_data": "NIH, PadChest, CheXpert, MIMIC-CXR, Google, OpenI, RSNA (torchxrayvision 'all')"},
}
LICENCE = ("torchxrayvision code and weights: Apache-2.0 (github.com/mlmed/torchxrayvision); the terms of the "
           "training data sets also apply (research use); not a medical device")
_REQUIRED_KEYS = ("features.conv0.weight", "features.denseblock4.denselayer16.conv2.weight", "features.norm5.weight",
                  "classifier.weight", "classifier.bias")


def _state(path: Path) -> dict:
    from .safe_pickle import module_state_dict, safe_torch_load

    try:
        return module_state_dict(safe_torch_load(path))
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from None


def is_xrv_file(path: Path) -> bool:
    """True for a torch file whose tensors have the torchxrayvision DenseNet-121 names."""
    if Path(path).suffix.lower() not in (".pt", ".pth"):
        return False
    try:
        state = _state(Path(path))
    except ModelError:
        return False
    return all(k in state for k in _REQUIRED_KEYS)


def _which_weights(path: Path, weights: str | None) -> str:
    if weights:
        if weights not in WEIGHTS:
            raise ModelError(f"{path}: --weights {weights!r} is not one DeepRadiology knows ({', '.join(WEIGHTS)})")
        return weights
    for key, info in WEIGHTS.items():
        if path.name == info["file"]:
            return key
    raise ModelError(f"{path}: the file name is not one of the published torchxrayvision weights "
                     f"({', '.join(i['file'] for i in WEIGHTS.values())}); say which with --weights "
                     f"({' or '.join(WEIGHTS)})")


def xrv_card(path: Path, *, licence: str | None = None, weights: str | None = None):
    """(folder, [file name], card) for a torchxrayvision weights file.

    Raises:
        ModelError: unreadable or truncated, not a DenseNet-121 (e.g. a segmentation or autoencoder
            model: another task), or channels that do not match the named weights.
    """
    from ...reports.vocabulary import FINDINGS

    path = Path(path)
    state = _state(path)
    missing = [k for k in _REQUIRED_KEYS if k not in state]
    if missing:
        raise ModelError(f"{path}: not a torchxrayvision DenseNet-121 classifier (no {missing[0]}); only the "
                         "DenseNet-121 chest X-ray classifiers can be imported for cxr-classification")
    key = _which_weights(path, weights)
    info = WEIGHTS[key]
    n = int(state["classifier.weight"].shape[0])
    if n != len(info["labels"]):
        raise ModelError(f"{path}: the classifier has {n} outputs but {key} has {len(info['labels'])}")
    channels = {name: i for i, name in enumerate(info["labels"]) if name in FINDINGS}
    card = ModelCard(
        name=f"xrv-{key}", task=TASK, version=f"torchxrayvision-v1:{key}", architecture="xrv-densenet121",
        input_spec={"size": SIZE, "channels": 1, "grey": "(2u-1)*1024 of the [0,1] film, centre crop, "
                    "skimage resize to 224"},
        labels=list(channels), training_data=info["training_data"], licence=licence or LICENCE,
        url=f"https://github.com/mlmed/torchxrayvision/releases/download/v1/{info['file']}",
        description="torchxrayvision DenseNet-121 (Cohen et al., MIDL 2022); probabilities calibrated to its "
                    "published operating points (0.5 = operating point); heatmaps are class activation maps.",
        extra={"format": FORMAT, "weights": key, "file": path.name, "label_map": channels,
               "unused_outputs": [x for x in info["labels"] if x and x not in channels],
               "op_threshs": info["op_threshs"], "operating_points": {k: 0.5 for k in channels}})
    return path.parent, [path.name], card


def xrv_preprocess(unit: np.ndarray) -> np.ndarray:
    """A [0, 1] film (rows, cols) -> the (224, 224) float32 network input, torchxrayvision's way."""
    from skimage.transform import resize

    x = (2.0 * np.asarray(unit, np.float32) - 1.0) * 1024.0
    rows, cols = x.shape
    side = min(rows, cols)
    top, left = rows // 2 - side // 2, cols // 2 - side // 2
    x = x[None, top:top + side, left:left + side]
    return resize(x, (1, SIZE, SIZE), mode="constant", preserve_range=True).astype(np.float32)[0]


@dataclass
class XRVModel:
    """A loaded torchxrayvision DenseNet with the interface of `cxr.CXRModel` (labels, size, predict)."""

    network: object
    card: ModelCard

    @property
    def labels(self) -> list[str]:
        return list(self.card.labels)

    @property
    def size(self) -> int:
        return SIZE

    @property
    def operating_points(self) -> dict[str, float]:
        return {k: 0.5 for k in self.labels}

    def prepare(self, unit: np.ndarray) -> np.ndarray:
        return xrv_preprocess(unit)

    def outputs(self, batch: np.ndarray):
        """All published outputs (N, 18) after op_norm, and CAMs (N, 18, 7, 7), for prepared inputs."""
        import torch

        from .xrv_network import op_norm

        x = torch.as_tensor(np.asarray(batch, np.float32))[:, None]
        with torch.inference_mode():
            logits, maps = self.network.forward_with_activations(x)
            probs = op_norm(torch.sigmoid(logits), torch.tensor(self.card.extra["op_threshs"], dtype=torch.float32))
        return probs.numpy(), maps.numpy()

    def predict(self, batch: np.ndarray, *, with_maps: bool = True):
        """Probabilities (N, C) and maps (N, C, 7, 7) of DeepRadiology's labels, in card order."""
        probs, maps = self.outputs(batch)
        idx = [int(self.card.extra["label_map"][k]) for k in self.labels]
        return probs[:, idx], (maps[:, idx] if with_maps else None)


def load_xrv_model(folder: Path, card: ModelCard) -> XRVModel:
    """Build the network and load the (already verified) file strictly."""
    from .xrv_network import build_densenet121

    path = Path(folder) / card.extra["file"]
    state = _state(path)
    network = build_densenet121(num_classes=len(card.extra["op_threshs"]))
    state = {k: v for k, v in state.items() if k != "op_threshs"}
    try:
        network.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ModelError(f"{path}: the weights do not fit DenseNet-121 ({str(exc).splitlines()[0]})") from None
    return XRVModel(network.eval(), card)
