"""Terminology codes used in our SEG and SR (SNOMED CT, DCM, UCUM, NCIt), in one place."""

from __future__ import annotations

__all__ = ["site_code", "site_word", "SITE_CODES", "RECIST_CATEGORIES", "RECIST_CATEGORY_NAME"]

#: Finding sites in words (Lesion.location / organ) -> SNOMED CT (code, meaning).
SITE_CODES = {
    "liver": ("10200004", "Liver"), "lung": ("39607008", "Lung"), "kidney": ("64033007", "Kidney"),
    "kidney_left": ("18639004", "Left kidney"), "kidney_right": ("9846003", "Right kidney"),
    "aorta": ("15825003", "Aorta"),
    "pancreas": ("15776009", "Pancreas"), "spleen": ("78961009", "Spleen"),
    "lymph node": ("59441001", "Lymph node"), "bone": ("272673000", "Bone"),
    "abdomen": ("113345001", "Abdomen"), "mediastinum": ("72410000", "Mediastinum"),
    "pelvis": ("12921003", "Pelvis"), "soft tissue": ("87784001", "Soft tissue"),
}

#: RECIST 1.1 time-point categories -> NCI Thesaurus codes.
RECIST_CATEGORIES = {
    "CR": ("C4870", "Complete Response"), "PR": ("C18213", "Partial Response"),
    "SD": ("C18215", "Stable Disease"), "PD": ("C35571", "Progressive Disease"),
}
#: The concept name of the category (ours: no standard code names "RECIST 1.1 time-point response").
RECIST_CATEGORY_NAME = ("RECIST11TP", "99DEEPRAD", "RECIST 1.1 time point response")


def site_code(site: str):
    """The SNOMED CT CodedConcept of a site in words; a local 99DEEPRAD code (the word itself) when SNOMED
    has none we are sure of, so the site still round-trips; None for no site."""
    from highdicom.sr import CodedConcept

    word = (site or "").strip().lower()
    if not word:
        return None
    hit = SITE_CODES.get(word)
    return CodedConcept(hit[0], "SCT", hit[1]) if hit else CodedConcept(word[:16], "99DEEPRAD", word[:64])


def site_word(code: str, meaning: str, scheme: str = "SCT") -> str:
    """Our word for a finding-site code (inverse of `site_code`); the code meaning in lower case otherwise."""
    if scheme == "99DEEPRAD":
        return meaning
    for word, (value, _) in SITE_CODES.items():
        if value == code:
            return word
    return meaning.lower()
