"""Benchmark: time of `dicom export` (SEG + TID 1500 SR) vs writing the same lesion masks as NIfTI.

    PYTHONPATH=DeepRadiologyLib python benchmarks/dicom_export.py

Prints one JSON object: seconds for each (best of 3) and their ratio, on the default phantom's baseline.
"""

from __future__ import annotations

import json
import tempfile
import time
import warnings
from pathlib import Path

from deepradiology.dicom.export import export_lesions
from deepradiology.dicom.series import write_ct_series
from deepradiology.io.write import write_image
from deepradiology.lesion import Lesion
from deepradiology.phantom import generate_phantom


def _best(fn, n=3):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    warnings.simplefilter("ignore")
    phantom = generate_phantom(0, n_studies=1)
    study = phantom.studies[0]
    lesions = [Lesion.from_dict({**d, "patient": phantom.plan.patient_id, "study": "S0", "location": d["organ"]})
               for d in study.lesions]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_ct_series(study.ct, tmp / "ct", patient_id=phantom.plan.patient_id, study_id="S0",
                        study_date=study.plan.date, seed_key="bench")
        dicom_s = _best(lambda: export_lesions(lesions, study.lesions_map.array, tmp / "ct", tmp / "out", force=True))
        nifti_s = _best(lambda: write_image(study.lesions_map, tmp / "lesions.nii.gz", force=True))
        sizes = {"seg_bytes": (tmp / "out" / "seg.dcm").stat().st_size,
                 "sr_bytes": (tmp / "out" / "sr.dcm").stat().st_size,
                 "nifti_bytes": (tmp / "lesions.nii.gz").stat().st_size}
    print(json.dumps({"lesions": len(lesions), "grid_kji": list(study.ct.array.shape),
                      "dicom_export_s": round(dicom_s, 3), "nifti_write_s": round(nifti_s, 3),
                      "ratio_dicom_over_nifti": round(dicom_s / nifti_s, 1), **sizes}, indent=2))


if __name__ == "__main__":
    main()
