"""``deepradiology phantom``: write a synthetic patient's studies and their ground truth."""

from __future__ import annotations

import argparse
import json

from ..frames import parse_point

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "phantom", help="write a synthetic CT patient with lesions of known size (ground truth JSON)",
        description="Render a deterministic CT-like abdomen (HU) with organs and lesions, as a baseline and "
                    "follow-up studies under a known rigid shift in which lesions grow, shrink, vanish and "
                    "appear. Writes <study>_ct/_organs/_lesions.nii.gz and ground_truth.json (LPS mm).")
    p.add_argument("-o", "--output", required=True, help="folder to write into")
    p.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same patient (default 0)")
    p.add_argument("--studies", type=int, default=3, help="number of studies, 1-6 (default 3)")
    p.add_argument("--spacing", default="0.8,0.8,2.5", help="voxel size i,j,k in mm (default 0.8,0.8,2.5)")
    p.add_argument("--noise", type=float, default=10.0, help="noise standard deviation in HU (default 10)")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.add_argument("--dicom", action="store_true", help="also write each study as a CT DICOM series (<study>_dicom/)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import InputError
    from ..phantom import generate_phantom, write_phantom
    from ..progress import TqdmProgress

    from ..validate import check_phantom_options

    seed, spacing, noise = check_phantom_options(args.seed, parse_point(args.spacing), args.noise)  # issue 17
    if not 1 <= args.studies <= 6:
        raise InputError("--studies", f"must be 1-6, got {args.studies}")
    from ..io.write import check_output_folder

    check_output_folder(args.output)      # before the volumes are drawn, not after
    with TqdmProgress("phantom") as bar:
        phantom = generate_phantom(seed, n_studies=args.studies, spacing=spacing,
                                   noise_hu=noise, progress=bar)
    paths = write_phantom(phantom, args.output, force=args.force)
    if args.dicom:  # issue 13 hook: the DICOM writer lives in deepradiology.dicom
        from ..dicom.phantom_series import write_phantom_dicom
        paths.update(write_phantom_dicom(phantom, args.output, force=args.force))
    print(json.dumps({k: str(v) for k, v in paths.items()}, indent=2))
    return 0
