"""CheXpert's 14 observations, written as the CheXpert labeler writes them: 1 / 0 / -1 / blank.

The same two stages as the ChestX-ray14 labeller (`mentions` finds concepts, `negation.classify_spans`
decides each), with a vocabulary regrouped into CheXpert's observations (Lung Lesion = mass or nodule,
Lung Opacity = opacity, density, infiltrate, airspace disease ...). Per observation: 1 if any sentence
affirms it, else -1 if any leaves it uncertain, else 0 if any negates it, else blank (not mentioned).
No Finding is 1 when no other observation except Support Devices is 1 or -1, and blank otherwise (the
CheXpert labeler's rule: it is never 0).
"""

from __future__ import annotations

import re

from .sections import chest_sentences
from .mentions import split_sentences
from .negation import NEGATIVE, POSITIVE, UNCERTAIN, classify_spans
from .vocabulary import IGNORE, NORMAL_ORGAN_STATEMENTS, PLEURAL_EFFUSION, VOCABULARY

__all__ = ["CHEXPERT_OBSERVATIONS", "NO_FINDING", "label_chexpert", "chexpert_cell"]

NO_FINDING = "No Finding"
#: CheXpert's column order.
CHEXPERT_OBSERVATIONS = (NO_FINDING, "Enlarged Cardiomediastinum", "Cardiomegaly", "Lung Lesion", "Lung Opacity",
                         "Edema", "Consolidation", "Pneumonia", "Atelectasis", "Pneumothorax", "Pleural Effusion",
                         "Pleural Other", "Fracture", "Support Devices")

_V = VOCABULARY
_OPACITY = (r"opacit(?:y|ies|ification)", r"densit(?:y|ies)", r"airspace (?:disease|opacit(?:y|ies))",
            r"air[- ]?space (?:disease|process)", r"hazy", r"haziness", r"infiltrat(?:e|es|ion|ive)",
            r"interstitial (?:markings|opacit(?:y|ies)|prominence|disease|pattern)", r"reticular", r"ground[- ]glass")
_VOCABULARY: dict[str, tuple[str, ...]] = {
    "Enlarged Cardiomediastinum": (
        r"(?:widen(?:ed|ing)|enlarged?|enlargement) (?:of the )?(?:\w+ )?(?:mediastinum|mediastinal|cardiomediastinal)(?: silhouette| contours?)?",
        r"mediastin(?:um|al) (?:silhouette |contours? )?(?:is |are |appears )?(?:widened|widening|enlarged|enlargement)",
        r"cardiomediastinal (?:silhouette |contours? )?(?:is |are |appears )?(?:widened|enlarged|enlargement)"),
    "Cardiomegaly": _V["Cardiomegaly"],
    "Lung Lesion": _V["Mass"] + _V["Nodule"] + (r"lesions?", r"cavitary lesions?", r"masses"),
    "Lung Opacity": _OPACITY + _V["Infiltration"],
    "Edema": _V["Edema"] + (r"(?:vascular|pulmonary) congestion", r"congestive (?:heart )?failure", r"chf"),
    "Consolidation": _V["Consolidation"],
    "Pneumonia": _V["Pneumonia"],
    "Atelectasis": _V["Atelectasis"],
    "Pneumothorax": _V["Pneumothorax"],
    "Pleural Effusion": PLEURAL_EFFUSION,
    "Pleural Other": _V["Pleural_Thickening"] + (r"fibrothorax", r"pleural (?:abnormalit(?:y|ies)|disease)",
                                                 r"(?:pleural|pleural[- ]parenchymal|pleuroparenchymal|pleural[- ]based) scar(?:s|ring)?"),
    "Fracture": (r"fractures?", r"fractured"),
    "Support Devices": (
        r"(?:endotracheal|et|nasogastric|ng|chest|feeding|tracheostomy|enteric|dobhoff) tubes?", r"tubes?",
        r"(?:picc|central venous|central|ij|subclavian|swan[- ]ganz|venous) (?:lines?|catheters?)", r"catheters?",
        r"pacemakers?", r"pacers?", r"aicd", r"defibrillators?", r"(?:pacer|pacemaker|cardiac) leads?",
        r"port-?a-?cath", r"(?:chest |mediport )?port", r"stents?", r"sternotomy wires", r"valve replacement",
        r"(?:prosthetic|mechanical) valves?", r"picc"),
    IGNORE: _V[IGNORE] + (r"pericardial effusions?", r"joint effusions?", r"subcutaneous emphysema", r"mass effect",
                          r"soft tissue mass(?:es)?", r"breast mass(?:es)?"),
}


def _compile() -> tuple[re.Pattern, list[str]]:
    entries = [(p, o) for o, patterns in _VOCABULARY.items() for p in patterns]
    entries.sort(key=lambda e: -len(e[0]))  # longest first at each position
    groups = "|".join(f"(?P<m{n}>{p})" for n, (p, _) in enumerate(entries))
    return re.compile(rf"(?<![\w-])(?:{groups})(?![\w])"), [o for _, o in entries]


_MENTION, _OBSERVATION = _compile()
_RANK = {None: 0, NEGATIVE: 1, UNCERTAIN: 2, POSITIVE: 3}


def label_chexpert(text: str) -> dict[str, int | None]:
    """``{observation: 1, 0, -1 or None (blank)}`` for one report text, in CheXpert's 14 observations."""
    found: dict[str, int | None] = {o: None for o in CHEXPERT_OBSERVATIONS}
    for sentence in chest_sentences(split_sentences(text)):
        matches = [(m.start(), m.end(), _OBSERVATION[int(m.lastgroup[1:])]) for m in _MENTION.finditer(sentence)]
        matches = [m for m in matches if m[2] != IGNORE]
        for (_, _, observation), (decision, _) in zip(matches, classify_spans(sentence, [m[:2] for m in matches])):
            if _RANK[decision] > _RANK[found[observation]]:
                found[observation] = decision
        if found["Cardiomegaly"] is None and any(re.search(rf"\b{p}\b", sentence)
                                                 for p in NORMAL_ORGAN_STATEMENTS["Cardiomegaly"]):
            found["Cardiomegaly"] = NEGATIVE
    pathology = [o for o in CHEXPERT_OBSERVATIONS if o not in (NO_FINDING, "Support Devices")]
    found[NO_FINDING] = None if any(found[o] in (POSITIVE, UNCERTAIN) for o in pathology) else POSITIVE
    return found


def chexpert_cell(value: int | None) -> str:
    """A value as the CheXpert labeler's CSV writes it: ``1.0``, ``0.0``, ``-1.0`` or empty."""
    return "" if value is None else f"{float(value):.1f}"
