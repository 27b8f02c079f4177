"""CPU time of one nnInteractive click at the released network's size, DeepRadiology against nnInteractive's own
session in the same run (run in .venv-interop, where nninteractive imports).

The model is a random-weight folder at the released scale (Testing/interop/make_nninteractive_model.py
--real-size: ResEnc-L U-Net, patch 192^3, 8 input channels, 2 outputs), its object bias set so that one
forward pass settles the click (no autozoom): the time is that of the first prediction of a click, the
common case for a compact lesion. ``reference``: nnInteractiveInferenceSession driven directly (load, then
set_image + set_target_buffer + add_point_interaction); ``ours``: `load_nninteractive` (every file
re-hashed, then the same session) and `segment_with_nninteractive` (prompt in (k, j, i), seeded, mask on
the CT grid). Both masks must be equal. Usage:

    PYTHONPATH=DeepRadiologyLib .venv-interop/bin/python benchmarks/nninteractive_click.py [--threads 2]

prints JSON (seconds).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--shape", default="80,256,256", help="CT size k,j,i (default 80,256,256)")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    from nnInteractive.inference.inference_session import nnInteractiveInferenceSession

    from deepradiology.image import Image
    from deepradiology.models.external import import_external
    from deepradiology.recist.nninteractive import load_nninteractive, segment_with_nninteractive

    shape = tuple(int(v) for v in args.shape.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ["DEEPRADIOLOGY_MODELS"] = str(work / "cache")
        done = subprocess.run([sys.executable, str(REPO / "Testing/interop/make_nninteractive_model.py"),
                               str(work / "m"), "--real-size"], capture_output=True, text=True, check=True)
        folder = Path(done.stdout.strip().splitlines()[-1])
        rng = np.random.default_rng(0)
        hu = rng.normal(40, 60, shape).astype(np.float32)
        hu[:, -20:, :] = -1000.0
        ct = Image(hu, spacing=(0.8, 0.8, 2.5), modality="CT")
        click = (shape[2] // 2, shape[1] // 2, shape[0] // 2)             # (i, j, k)

        log = contextlib.redirect_stdout(sys.stderr)      # the session's progress lines; stdout is the JSON
        log.__enter__()
        t = time.perf_counter()
        ref_session = nnInteractiveInferenceSession(device=torch.device("cpu"), torch_n_threads=args.threads,
                                                    enable_undo=False)
        ref_session.initialize_from_trained_model_folder(str(folder), use_fold=0)
        ref_load = time.perf_counter() - t
        t = time.perf_counter()
        np.random.seed(0)
        ref_session.set_image(hu[None])
        target = np.zeros(shape, np.uint8)
        ref_session.set_target_buffer(target)
        ref_session.add_point_interaction(tuple(reversed(click)), include_interaction=True)
        ref_click = time.perf_counter() - t
        del ref_session

        card = import_external(folder, name="nni-bench", licence="random benchmark weights")
        t = time.perf_counter()
        model = load_nninteractive(card.name, device="cpu")
        ours_load = time.perf_counter() - t
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ours = segment_with_nninteractive(ct, click=click, model=model)
        ours_click = time.perf_counter() - t
        log.__exit__(None, None, None)
        n_params = sum(p.numel() for p in model.session.network.parameters())
    result = {"benchmark": "nninteractive_click", "machine": "CPU", "threads": args.threads,
              "torch": torch.__version__, "network": "ResidualEncoderUNet 6 stages 32-320, patch 192^3, random weights",
              "parameters_million": round(n_params / 1e6, 1), "ct_shape_kji": list(shape),
              "masks_equal": bool(np.array_equal(ours.mask, target.astype(bool))),
              "mask_voxels": int(target.sum()),
              "reference": {"load_s": round(ref_load, 2), "click_s": round(ref_click, 2)},
              "ours": {"load_verified_s": round(ours_load, 2), "click_s": round(ours_click, 2)},
              "click_ours_over_reference": round(ours_click / ref_click, 3)}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
