"""Pancreas segmentation speed and peak memory on a 512 x 512 x 200 CT, against MONAI's plain sliding window.

For each architecture (default configs: `deepradiology pancreas train` defaults), two fresh processes run
on the same CT file:

- ``ours``: `segment_pancreas` (checks, windowing, coarse locator over the whole CT at 6 mm, fine
  sliding window over the located region at 1.5 mm, resampling back, post-processing).
- ``peer``: the same fine network through ``monai.inferers.sliding_window_inference`` (Gaussian blending,
  overlap 0.5, one window at a time) over the whole CT resampled to 1.5 mm, then a 0.5 threshold.

Weights are freshly initialised (no weights ship; speed does not depend on their values). An untrained
locator finds nothing, so ``ours`` runs the real coarse network over the whole CT and then uses the
phantom's true pancreas box, which is what a trained locator returns: the work timed is the work a
trained model does. The CT is the phantom (seed 0) rendered at 0.8 x 0.8 x 1.0 mm, padded with air to
512 x 512 and cut to 200 slices around the pancreas. Peak memory is each process's maximum resident set.

Usage: ``.venv/bin/python benchmarks/pancreas_speed.py [--arch dynunet hnn-bclstm] [--threads N]``;
prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _peak_mib() -> float:
    """This process's peak resident memory (MiB). VmHWM, not ru_maxrss: Linux carries ru_maxrss over
    exec from the parent (which rendered the phantom), VmHWM starts afresh with the new program."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def make_ct(folder: Path) -> tuple[Path, list]:
    """The benchmark CT (512 x 512 x 200, 0.8 x 0.8 x 1.0 mm) and its pancreas box (k, j, i) start/stop."""
    from deepradiology.image import Image
    from deepradiology.io import write_image
    from deepradiology.phantom import generate_phantom

    study = generate_phantom(0, n_studies=1, spacing=(0.8, 0.8, 1.0)).studies[0]
    ct, organs = study.ct, study.organs
    k_centre = int(np.argwhere(organs.array == 5)[:, 0].mean())
    k0 = int(np.clip(k_centre - 100, 0, ct.array.shape[0] - 200))
    size = (200, 512, 512)
    array = np.full(size, -1000, np.int16)
    pancreas = np.zeros(size, np.uint8)
    rows, cols = min(512, ct.array.shape[1]), min(512, ct.array.shape[2])
    pj, pi = (512 - rows) // 2, (512 - cols) // 2
    array[:, pj:pj + rows, pi:pi + cols] = ct.array[k0:k0 + 200, :rows, :cols]
    pancreas[:, pj:pj + rows, pi:pi + cols] = organs.array[k0:k0 + 200, :rows, :cols] == 5
    origin = ct.index_to_lps((-pi, -pj, k0))
    image = Image(array, spacing=ct.spacing, origin=origin, direction=ct.direction, modality="CT")
    idx = np.argwhere(pancreas)
    box = [idx.min(0).tolist(), (idx.max(0) + 1).tolist()]
    path = write_image(image, folder / "ct_512x512x200.nii.gz")
    return path, box


def _model(arch: str):
    import torch

    from deepradiology.pancreas.model import PancreasModel
    from deepradiology.pancreas.networks import NetworkConfig, build_network
    from deepradiology.pancreas.train import TrainConfig, _card

    config = TrainConfig(arch=arch, name=f"benchmark-{arch}")
    card = _card(config, training_data="untrained (speed benchmark)", metrics={})
    torch.manual_seed(0)
    state = {}
    for part, channels in (("fine", config.channels), ("coarse", config.coarse_channels)):
        net = build_network(NetworkConfig(arch=arch, channels=channels))
        state.update({f"{part}.{k}": v for k, v in net.state_dict().items()})
    return PancreasModel.from_state(state, card, device="cpu")


def run_ours(ct_path: str, arch: str, box) -> dict:
    from deepradiology.io import read_volume
    from deepradiology.pancreas import inference

    ct = read_volume(ct_path)
    model = _model(arch)
    baseline = _peak_mib()
    real_locate = inference.locate_pancreas
    from deepradiology.pancreas.inference import REGION_MARGIN_MM

    def locate_then_true_box(model_, windowed, spacing, **kw):
        real_locate(model_, windowed, spacing, **kw)          # the coarse network's real work
        margin = [int(np.ceil(REGION_MARGIN_MM / s)) for s in spacing[::-1]]
        return (tuple(max(0, a - m) for a, m in zip(box[0], margin)),
                tuple(min(n, b + m) for b, m, n in zip(box[1], margin, windowed.shape)))

    inference.locate_pancreas = locate_then_true_box
    t = time.perf_counter()
    result = inference.segment_pancreas(ct, model=model)
    seconds = time.perf_counter() - t
    return {"seconds": round(seconds, 2), "stages_s": {k: round(v, 2) for k, v in result.seconds.items()},
            "peak_rss_mib": round(_peak_mib(), 1), "rss_before_inference_mib": round(baseline, 1)}


def run_peer(ct_path: str, arch: str) -> dict:
    import torch
    from monai.inferers import sliding_window_inference

    from deepradiology.io import read_volume
    from deepradiology.pancreas.data import window_hu
    from deepradiology.pancreas.resample import grid_size, resample_axes

    ct = read_volume(ct_path)
    model = _model(arch)
    baseline = _peak_mib()
    t = time.perf_counter()
    own, fine = ct.spacing[::-1], model.spacing_mm[::-1]
    windowed = window_hu(ct.array, model.window_hu)
    volume = resample_axes(windowed, scale_kji=[f / o for o, f in zip(own, fine)],
                           out_shape=grid_size(windowed.shape, own, fine))
    with torch.inference_mode():
        logits = sliding_window_inference(torch.from_numpy(volume)[None, None], roi_size=model.patch,
                                          sw_batch_size=1, predictor=model.fine, overlap=0.5, mode="gaussian")
        mask = (torch.sigmoid(logits) >= 0.5).numpy()
    seconds = time.perf_counter() - t
    return {"seconds": round(seconds, 2), "fine_grid_kji": list(volume.shape), "mask_voxels": int(mask.sum()),
            "peak_rss_mib": round(_peak_mib(), 1), "rss_before_inference_mib": round(baseline, 1)}


def _child(kind: str, ct_path: Path, arch: str, box, threads: int) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, "--ct", str(ct_path), "--arch", arch,
           "--box", json.dumps(box), "--threads", str(threads)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", nargs="+", default=["dynunet", "hnn-bclstm"])
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--child", choices=("ours", "peer"), help=argparse.SUPPRESS)
    parser.add_argument("--ct", help=argparse.SUPPRESS)
    parser.add_argument("--box", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if args.child:
        out = run_ours(args.ct, args.arch[0], json.loads(args.box)) if args.child == "ours" \
            else run_peer(args.ct, args.arch[0])
        print(json.dumps(out))
        return
    import torch

    with tempfile.TemporaryDirectory() as tmp:
        ct_path, box = make_ct(Path(tmp))
        report = {"ct": {"size_ijk": [512, 512, 200], "spacing_mm": [0.8, 0.8, 1.0], "pancreas_box_kji": box},
                  "device": "cpu", "torch_threads": args.threads or torch.get_num_threads(),
                  "cpu_count": os.cpu_count(), "cuda_available": torch.cuda.is_available()}
        for arch in args.arch:
            ours = _child("ours", ct_path, arch, box, args.threads)
            peer = _child("peer", ct_path, arch, box, args.threads)
            report[arch] = {"ours": ours, "peer_monai_sliding_window": peer,
                            "time_ratio_ours_to_peer": round(ours["seconds"] / peer["seconds"], 3),
                            "peak_memory_ratio_ours_to_peer": round(ours["peak_rss_mib"] / peer["peak_rss_mib"], 3)}
        report["target_default_cpu_s"] = 60.0
    print(json.dumps(report))


if __name__ == "__main__":
    main()
