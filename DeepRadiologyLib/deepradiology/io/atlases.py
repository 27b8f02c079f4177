"""Organ names of known atlases' multi-label maps, by label value, for ``--organ-names ATLAS``.

A TotalSegmentator multi-label output (``TotalSegmentator --ml``) holds numbers only; its value-to-organ
table is fixed per task and version, so it is written down here (facts, not code, from the published
class map) instead of guessed from the voxels.
"""

from __future__ import annotations

__all__ = ["ATLASES", "atlas_names"]

# TotalSegmentator v2, task "total" (117 classes, CT): label N is the N-th name below. Source: the
# official class map, `class_map["total"]` in totalsegmentator/map_to_binary.py of
# github.com/wasserth/TotalSegmentator (v2.x; read at commit 0275d30). Not the v1 ("total_v1") order,
# where 5 is also the liver but 7 is the aorta, not the pancreas.
_TOTALSEGMENTATOR_V2_TOTAL = (
    "spleen kidney_right kidney_left gallbladder liver stomach pancreas adrenal_gland_right adrenal_gland_left "
    "lung_upper_lobe_left lung_lower_lobe_left lung_upper_lobe_right lung_middle_lobe_right lung_lower_lobe_right "
    "esophagus trachea thyroid_gland small_bowel duodenum colon urinary_bladder prostate kidney_cyst_left "
    "kidney_cyst_right sacrum vertebrae_S1 "
    + " ".join(f"vertebrae_L{n}" for n in range(5, 0, -1)) + " "
    + " ".join(f"vertebrae_T{n}" for n in range(12, 0, -1)) + " "
    + " ".join(f"vertebrae_C{n}" for n in range(7, 0, -1)) + " "
    "heart aorta pulmonary_vein brachiocephalic_trunk subclavian_artery_right subclavian_artery_left "
    "common_carotid_artery_right common_carotid_artery_left brachiocephalic_vein_left brachiocephalic_vein_right "
    "atrial_appendage_left superior_vena_cava inferior_vena_cava portal_vein_and_splenic_vein iliac_artery_left "
    "iliac_artery_right iliac_vena_left iliac_vena_right humerus_left humerus_right scapula_left scapula_right "
    "clavicula_left clavicula_right femur_left femur_right hip_left hip_right spinal_cord gluteus_maximus_left "
    "gluteus_maximus_right gluteus_medius_left gluteus_medius_right gluteus_minimus_left gluteus_minimus_right "
    "autochthon_left autochthon_right iliopsoas_left iliopsoas_right brain skull "
    + " ".join(f"rib_left_{n}" for n in range(1, 13)) + " "
    + " ".join(f"rib_right_{n}" for n in range(1, 13)) + " "
    "sternum costal_cartilages"
).split()

#: Atlas name (as given to --organ-names) -> {label value: organ name}.
ATLASES: dict[str, dict[int, str]] = {
    "totalsegmentator": {n: name for n, name in enumerate(_TOTALSEGMENTATOR_V2_TOTAL, start=1)},
}


def atlas_names(name: str) -> dict[int, str] | None:
    """{value: organ} of the known atlas ``name`` (case-insensitive), None when it names no atlas."""
    return ATLASES.get(name.strip().lower())
