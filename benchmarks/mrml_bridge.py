"""Benchmark of the MRML bridge on the phantom CT: prints one JSON object.

Each bridge step (and the scene set-up, against a bare ``vtkMRMLScene``) is timed beside a peer doing the same amount of data work without MRML, measured in
the same run, and reported as a ratio:

- volume round trip (Image -> volume node -> Image) vs. two numpy copies of the voxels;
- organ label map -> segmentation -> label map vs. SimpleITK's label-map round trip through a
  ``sitk.Image`` (the core's own path for label images);
- ``save_mrb`` of CT + segmentation + RECIST lines vs. ``write_image`` of the CT alone (.nrrd, gzip).

Usage: python benchmarks/mrml_bridge.py [--repeats 3] [--coarse]
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path


def _best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--coarse", action="store_true", help="1.6 x 1.6 x 4 mm phantom instead of 0.8 x 0.8 x 2.5")
    args = parser.parse_args(argv)

    import numpy as np
    import SimpleITK as sitk

    from deepradiology.image import Image
    from deepradiology.io import write_image
    from deepradiology.phantom import ORGAN_LABELS, generate_phantom
    from deepradiology_mrml.markups import add_recist_lines
    from deepradiology_mrml.mrb import save_mrb
    from deepradiology_mrml.scene import close_scene, create_scene
    from deepradiology_mrml.segmentations import labelmap_to_segmentation, segmentation_to_labelmap
    from deepradiology_mrml.volumes import image_to_volume_node, volume_node_to_image

    spacing = (1.6, 1.6, 4.0) if args.coarse else (0.8, 0.8, 2.5)
    study = generate_phantom(0, n_studies=1, spacing=spacing).studies[0]
    names = {value: name for name, value in ORGAN_LABELS.items()}
    import slicer

    made = []
    create_scene_s = _best(lambda: made.append(create_scene()), args.repeats)
    for extra in made:
        close_scene(extra)
    scene = create_scene()
    bare_s = _best(slicer.vtkMRMLScene, args.repeats)

    def volume_round_trip():
        node = image_to_volume_node(scene, study.ct, "CT")
        volume_node_to_image(node)
        scene.RemoveNode(node)

    volume_s = _best(volume_round_trip, args.repeats)
    copy_s = _best(lambda: study.ct.array.copy().copy(), args.repeats)

    ct = image_to_volume_node(scene, study.ct, "CT")

    def segmentation_round_trip():
        node = labelmap_to_segmentation(scene, study.organs, names, reference_volume=ct)
        segmentation_to_labelmap(node, ct)
        scene.RemoveNode(node)

    segmentation_s = _best(segmentation_round_trip, args.repeats)
    sitk_s = _best(lambda: Image.from_sitk(sitk.Cast(study.organs.to_sitk(), sitk.sitkUInt8)), args.repeats)

    labelmap_to_segmentation(scene, study.organs, names, reference_volume=ct)
    lesion = study.lesions[0]
    add_recist_lines(scene, lesion["lesion_id"], lesion["long_axis_lps"], lesion["short_axis_lps"])
    with tempfile.TemporaryDirectory() as tmp:
        mrb_s = _best(lambda: save_mrb(scene, Path(tmp) / "scene.mrb", force=True), args.repeats)
        nrrd_s = _best(lambda: write_image(study.ct, Path(tmp) / "ct.nrrd", force=True), args.repeats)
        mrb_mb = (Path(tmp) / "scene.mrb").stat().st_size / 1e6
    close_scene(scene)

    print(json.dumps({
        "benchmark": "mrml_bridge",
        "ct_size_ijk": list(study.ct.size), "spacing_mm": list(spacing), "repeats": args.repeats,
        "create_scene_s": round(create_scene_s, 4), "bare_scene_s": round(bare_s, 5),
        "create_scene_vs_bare_scene": round(create_scene_s / bare_s, 1),
        "volume_round_trip_s": round(volume_s, 4), "numpy_two_copies_s": round(copy_s, 4),
        "volume_round_trip_vs_numpy_copies": round(volume_s / copy_s, 2),
        "segmentation_round_trip_s": round(segmentation_s, 4), "sitk_label_round_trip_s": round(sitk_s, 4),
        "segmentation_round_trip_vs_sitk": round(segmentation_s / sitk_s, 2),
        "save_mrb_s": round(mrb_s, 3), "write_ct_nrrd_s": round(nrrd_s, 3),
        "save_mrb_vs_write_ct_nrrd": round(mrb_s / nrrd_s, 2), "mrb_mb": round(mrb_mb, 2),
        "python": platform.python_version(),
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
