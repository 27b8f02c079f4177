"""Body-part sections of a multi-exam report: keep the chest film's sentences for the chest labels.

A report may cover several exams read together ("Chest. Lungs are clear. Left knee. Severe joint
space narrowing and spurring."). The 14 findings and ``normal`` describe the chest film, so a knee's
osteophytes or a hand's fracture must not make the chest abnormal. A section starts at a header: a
sentence that is only a body part ("chest.", "left knee.", "kub", "pelvis and left hip.") or a sentence
that starts with one and a colon ("right shoulder: negative for fracture."). Only when a report has both
a chest header and a header of another body part are the other sections dropped; the sentences before
the first header are kept (they are usually the chest's). Rib series are read as part of the chest.
"""

from __future__ import annotations

import re

__all__ = ["chest_sentences", "section_of"]

_SIDE = r"(?:(?:left|right|bilateral|both) )?"
_OTHER_PARTS = (r"abdomen|abdominal|kub|pelvis|pelvic|hips?|knees?|hands?|fingers?|thumb|wrists?|forearms?|"
                r"elbows?|humerus|shoulders?|clavicles?|scapulae?|femurs?|femoral|tibia(?: and fibula)?|"
                r"tib(?:ia)?[/ -]fib(?:ula)?|ankles?|feet|foot|toes?|heels?|calcaneus|skull|face|facial bones|"
                r"sinuses|mandible|neck|soft tissue neck|(?:cervical|lumbar|lumbosacral|sacral) spine|"
                r"[cl]-spine|sacrum|coccyx|legs?|arms?|thigh")
_CHEST_PARTS = r"chest|thorax|ribs?|sternum|thoracic spine|t-spine"
_PART = rf"{_SIDE}(?:{_OTHER_PARTS}|{_CHEST_PARTS})"
_TAIL = r"(?: (?:films?|views?|series|x-?rays?|radiographs?|xxxx|exam|examination|comparison|\d+ views?))*"
# A whole sentence that is a header, or a header and a colon before the section's first sentence.
_HEADER = re.compile(rf"^(?P<part>{_PART}(?: (?:and|&) {_PART})*){_TAIL}\s*(?:[.:]\s*$|:)")
_CHEST = re.compile(rf"^{_SIDE}(?:{_CHEST_PARTS})\b")


def section_of(sentence: str) -> str | None:
    """``"chest"`` or ``"other"`` if a lower-cased sentence starts a body-part section, else None."""
    match = _HEADER.match(sentence)
    if match is None:
        return None
    return "chest" if _CHEST.match(match.group("part")) else "other"


def chest_sentences(sentences: list[str]) -> list[str]:
    """The sentences that describe the chest film (all of them unless the report has other exams' sections)."""
    kinds = [section_of(s) for s in sentences]
    if "chest" not in kinds or "other" not in kinds:
        return sentences
    kept, current, previous = [], "chest", None
    for sentence, kind in zip(sentences, kinds):
        # Headers in a row ("Chest. Right shoulder. 1. ...") head one joint impression: keep it if
        # any of them is the chest.
        if kind is not None:
            current = "chest" if kind == "chest" or (previous is not None and current == "chest") else kind
        previous = kind
        if current == "chest":
            kept.append(sentence)
    return kept
