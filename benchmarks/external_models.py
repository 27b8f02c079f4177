"""CPU speed of the imported published architectures at their real size, against the reference packages' own
inference in the same run (run in .venv-interop, where nnunetv2 and torchxrayvision import).

- ``nnunet``: a random-weight nnU-Net v2 model at the size nnU-Net plans for large CTs (1.5 mm isotropic,
  patch 128^3, 6 stages of 32-320 features; made by Testing/interop/make_nnunet_model.py --real-size), on a
  CT of 128 x 192 x 192 voxels at 1.5 mm (k, j, i). ``reference``: nnunetv2's ``predict_single_npy_array``
  (preprocessing, sliding window, resampling back). ``ours``: `segment_pancreas` with that model imported
  (DeepRadiology's geometry checks, the same nnU-Net call, probability map, post-processing, confidence).
  Mirroring off in both (the 8x test-time augmentation would only multiply both by the same factor).
- ``xrv``: DenseNet-121 at 224 px, batches of 8 films. ``reference``: torchxrayvision's model (normalize,
  XRayCenterCrop, XRayResizer, forward); ``ours``: `XRVModel.prepare` + `outputs` (forward with class
  activation maps).

Each pair runs alternately ``--repeats`` times; the medians are reported with ours / reference.
Usage: ``.venv-interop/bin/python benchmarks/external_models.py [--threads N] [--repeats 3]``; prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def _median_pair(a, b, repeats):
    ta, tb = [], []
    for _ in range(repeats):
        for fn, store in ((a, ta), (b, tb)):
            t = time.perf_counter()
            fn()
            store.append(time.perf_counter() - t)
    return float(np.median(ta)), float(np.median(tb))


def bench_nnunet(work: Path, repeats: int) -> dict:
    import torch
    from nnunetv2.inference.predict_from_raw_data import nnUNetPredictor

    from deepradiology.image import Image
    from deepradiology.models.external import import_external, verified_external
    from deepradiology.models.external.nnunet import NnUNetPancreasModel
    from deepradiology.pancreas.inference import segment_pancreas

    done = subprocess.run([sys.executable, str(REPO / "Testing/interop/make_nnunet_model.py"), str(work / "nn"),
                           "--real-size"], capture_output=True, text=True, check=True)
    folder = Path(done.stdout.strip().splitlines()[-1])
    rng = np.random.default_rng(0)
    ct = Image(rng.normal(40, 120, (128, 192, 192)).astype(np.float32), spacing=(1.5, 1.5, 1.5), modality="CT")
    card = import_external(folder.parent, licence="random benchmark weights")
    ours_model = NnUNetPancreasModel(card, verified_external(card.name, task=card.task)[0], use_mirroring=False)
    ref = nnUNetPredictor(tile_step_size=0.5, use_gaussian=True, use_mirroring=False,
                          perform_everything_on_device=False, device=torch.device("cpu"), allow_tqdm=False)
    ref.initialize_from_trained_model_folder(str(folder), use_folds=(0,))
    ours_model.predictor()   # both predictors built before timing
    props = {"spacing": list(ct.spacing[::-1])}
    t_ours, t_ref = _median_pair(
        lambda: segment_pancreas(ct, model=ours_model, check_body_region=False),
        lambda: ref.predict_single_npy_array(ct.array[None], props, None, None, True), repeats)
    params = sum(p.numel() for p in ref.network.parameters())
    return {"architecture": "nnU-Net v2 PlainConvUNet, 6 stages 32-320, patch 128^3", "parameters": params,
            "ct_voxels_kji": list(ct.array.shape), "spacing_mm": 1.5, "mirroring": False,
            "reference_s": round(t_ref, 2), "ours_s": round(t_ours, 2), "ours_over_reference": round(t_ours / t_ref, 3)}


def bench_xrv(work: Path, repeats: int, batch: int = 8) -> dict:
    import torch
    import torchvision
    import torchxrayvision as xrv

    from deepradiology.models.external import import_external
    from deepradiology.models.external.xrv import load_xrv_model, WEIGHTS
    from deepradiology.models.external import verified_external

    name = WEIGHTS["densenet121-res224-nih"]["file"]
    (work / "xrv").mkdir()
    torch.manual_seed(0)
    torch.save(xrv.models.DenseNet(num_classes=18), work / "xrv" / name)
    ref = xrv.models.DenseNet(weights="densenet121-res224-nih", cache_dir=str(work / "xrv"))
    card = import_external(work / "xrv" / name)
    ours = load_xrv_model(verified_external(card.name, task=card.task)[0], card)
    films = np.random.default_rng(0).random((batch, 1024, 1024)).astype(np.float32)   # ChestX-ray14 size
    transform = torchvision.transforms.Compose([xrv.datasets.XRayCenterCrop(), xrv.datasets.XRayResizer(224)])

    def run_ref():
        x = np.stack([transform(xrv.datasets.normalize(f * 255, 255)[None]) for f in films])
        with torch.no_grad():
            ref(torch.from_numpy(x))

    def run_ours():
        ours.outputs(np.stack([ours.prepare(f) for f in films]))

    t_ours, t_ref = _median_pair(run_ours, run_ref, repeats)
    return {"architecture": "DenseNet-121, 224 px, 18 outputs", "films_per_batch": batch, "film_px": 1024,
            "parameters": sum(p.numel() for p in ref.parameters()),
            "reference_s": round(t_ref, 3), "ours_s": round(t_ours, 3), "ours_over_reference": round(t_ours / t_ref, 3),
            "ours_films_per_s": round(batch / t_ours, 2)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", choices=("nnunet", "xrv"))
    args = ap.parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DEEPRADIOLOGY_MODELS"] = str(Path(tmp) / "cache")
        out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "repeats": args.repeats}
        if args.only in (None, "xrv"):
            out["xrv"] = bench_xrv(Path(tmp), args.repeats)
        if args.only in (None, "nnunet"):
            out["nnunet"] = bench_nnunet(Path(tmp), args.repeats)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
