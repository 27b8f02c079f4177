"""SSBR training check: does the self-supervised body-part regressor learn to order slices?

Trains the regressor (`deepradiology.longitudinal.ssbr`) on six unlabelled phantom studies and prints
one JSON object: training time, loss at the start and end, and the Spearman correlation between each
slice's score and its z position (LPS +z, superior) on a held-out phantom and, when the shared data is
present, on the real TotalSegmentator example CT. Usage:

    .venv/bin/python benchmarks/longitudinal_ssbr.py [--steps 300] [--size 64]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np


def spearman_to_z(regressor, image) -> float:
    from scipy.stats import spearmanr

    scores = regressor.slice_scores(image)
    n = len(scores)
    z = image.index_to_lps(np.stack([np.zeros(n), np.zeros(n), np.arange(n)], axis=1))[:, 2]
    return round(float(spearmanr(scores, z).statistic), 4)


def main() -> None:
    from deepradiology.io import read_volume
    from deepradiology.longitudinal.ssbr import BodyPartRegressor, SSBRSettings, train_body_part_regressor
    from deepradiology.phantom import generate_phantom

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()
    volumes = [s.ct for seed in (0, 1, 2) for s in generate_phantom(seed, n_studies=2, spacing=(1.6, 1.6, 3.0)).studies]
    held_out = generate_phantom(7, n_studies=1, spacing=(1.6, 1.6, 3.0)).studies[0].ct
    settings = SSBRSettings(size=args.size, channels=(16, 32, 64, 64), slices=8, batch=4, gap_mm=(6.0, 25.0))
    t0 = time.perf_counter()
    model, history = train_body_part_regressor(volumes, steps=args.steps, settings=settings)
    seconds = time.perf_counter() - t0
    regressor = BodyPartRegressor(model, settings, tuple(history["score_range"]))
    report = {"steps": args.steps, "size": args.size, "train_seconds": round(seconds, 1),
              "loss_first10": round(float(np.mean(history["loss"][:10])), 3),
              "loss_last10": round(float(np.mean(history["loss"][-10:])), 3),
              "spearman_heldout_phantom": spearman_to_z(regressor, held_out)}
    real = Path(os.environ.get("DEEPRADIOLOGY_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    real = real / "ct" / "totalsegmentator" / "example_ct.nii.gz"
    if real.exists():
        report["spearman_real_ct"] = spearman_to_z(regressor, read_volume(real, modality="CT"))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
