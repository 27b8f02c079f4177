"""Terminology codes used in our SEG and SR (SNOMED CT, DCM, UCUM, NCIt), in one place."""

from __future__ import annotations

__all__ = ["site_code", "site_word", "SITE_CODES", "RECIST_CATEGORIES", "RECIST_CATEGORY_NAME",
           "LOCAL_SCHEME", "local_code", "uses_local_codes", "declare_local_scheme"]

#: Our private coding scheme (PS3.16 8.2: a designator beginning "99" is private to its maker). Used only
#: where no standard code says what we mean; every object that uses it declares it in its Coding Scheme
#: Identification Sequence (0008,0110), see `declare_local_scheme`.
LOCAL_SCHEME = "99DEEPRAD"
LOCAL_SCHEME_NAME = "DeepRadiology local codes"
LOCAL_SCHEME_VERSION = "1"
LOCAL_SCHEME_ORGANIZATION = "DeepRadiology project"

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
RECIST_CATEGORY_NAME = ("RECIST11TP", LOCAL_SCHEME, "RECIST 1.1 time point response")


def local_code(value: str, meaning: str):
    """A CodedConcept of our private scheme: value at most 16 characters (SH), meaning at most 64 (LO)."""
    from highdicom.sr import CodedConcept

    return CodedConcept(value[:16], LOCAL_SCHEME, meaning[:64])


def uses_local_codes(dataset) -> bool:
    """Whether any item of ``dataset`` (a pydicom Dataset, searched through every sequence) is coded in
    `LOCAL_SCHEME`."""
    if str(dataset.get("CodingSchemeDesignator", "")) == LOCAL_SCHEME:
        return True
    for element in dataset:
        if element.VR == "SQ" and any(uses_local_codes(item) for item in element.value):
            return True
    return False


def declare_local_scheme(dataset) -> bool:
    """Add `LOCAL_SCHEME` to ``dataset``'s Coding Scheme Identification Sequence when the object uses it
    (designator, name, version, responsible organisation; it is in no registry, so no UID). Returns
    whether it was declared. Standard schemes (SCT, DCM, UCUM, NCIt) are not listed: PS3.16 defines them."""
    from highdicom.coding_schemes import CodingSchemeIdentificationItem
    from pydicom.sequence import Sequence

    if not uses_local_codes(dataset):
        return False
    existing = list(dataset.get("CodingSchemeIdentificationSequence", []))
    if not any(str(i.get("CodingSchemeDesignator", "")) == LOCAL_SCHEME for i in existing):
        existing.append(CodingSchemeIdentificationItem(
            designator=LOCAL_SCHEME, name=LOCAL_SCHEME_NAME, version=LOCAL_SCHEME_VERSION,
            responsible_organization=LOCAL_SCHEME_ORGANIZATION))
        dataset.CodingSchemeIdentificationSequence = Sequence(existing)
    return True


def site_code(site: str):
    """The SNOMED CT CodedConcept of a site in words; a local 99DEEPRAD code (the word itself) when SNOMED
    has none we are sure of, so the site still round-trips; None for no site."""
    from highdicom.sr import CodedConcept

    word = (site or "").strip().lower()
    if not word:
        return None
    hit = SITE_CODES.get(word)
    return CodedConcept(hit[0], "SCT", hit[1]) if hit else local_code(word, word)


def site_word(code: str, meaning: str, scheme: str = "SCT") -> str:
    """Our word for a finding-site code (inverse of `site_code`); the code meaning in lower case otherwise."""
    if scheme == LOCAL_SCHEME:
        return meaning
    for word, (value, _) in SITE_CODES.items():
        if value == code:
            return word
    return meaning.lower()
