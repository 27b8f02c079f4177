"""Benchmark of a RECISTAssist click through the MRML Logic (what the Slicer panel and web app run).

On the phantom CT (seed 0, study 0, 426 x 316 x 85 at 0.8 x 0.8 x 2.5 mm), every lesion is measured
through `RECISTAssistLogic.measure` (volume node -> core -> two lines, one segment, a table row) and,
as the peer in the same run, through the core's `measure_lesion` alone (no nodes). Prints one JSON
object: medians and the Logic / core ratio, with and without 3D propagation.

Usage: python benchmarks/recist_logic.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from deepradiology.frames import lps_to_ras
    from deepradiology.phantom import generate_phantom
    from deepradiology.recist import measure_lesion
    from deepradiology_mrml.logic.recist import RECISTAssistLogic
    from deepradiology_mrml.scene import close_scene, create_scene
    from deepradiology_mrml.volumes import image_to_volume_node

    study = generate_phantom(0, n_studies=1).studies[0]
    scene = create_scene()
    node = image_to_volume_node(scene, study.ct, "phantom CT")
    result = {"benchmark": "recist_logic", "machine": f"{platform.machine()}, Python {platform.python_version()}",
              "volume_size_ijk": list(study.ct.size), "lesions": len(study.lesions), "repeats": args.repeats}
    logic = RECISTAssistLogic(scene)
    logic.measure(node, lps_to_ras(np.asarray(study.lesions[0]["centre_lps"])))     # warm imports once
    logic.undo()
    for propagate in (False, True):
        through_logic, core_only = [], []
        for _ in range(args.repeats):
            for truth in study.lesions:
                ras = lps_to_ras(np.asarray(truth["centre_lps"]))
                start = time.perf_counter()
                logic.measure(node, ras, propagate=propagate)
                through_logic.append(time.perf_counter() - start)
                logic.undo()
                i, j, _ = truth["centre_ijk"]
                start = time.perf_counter()
                measure_lesion(study.ct, click=(i, j, truth["key_slice"]), propagate=propagate)
                core_only.append(time.perf_counter() - start)
        key = "with_3d" if propagate else "slice_only"
        result[key] = {"logic_median_s": round(statistics.median(through_logic), 4),
                       "core_median_s": round(statistics.median(core_only), 4),
                       "logic_vs_core": round(statistics.median(through_logic) / statistics.median(core_only), 2)}
    close_scene(scene)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
