"""A phrase-level assertion set derived from a report-level gold standard (not written by the rules' author).

The NegBio OpenI gold standard says, per report, whether each finding is present (1) or not (0:
negated, hedged or never named); its annotators read the reports, not our rules. A report-level
label becomes a phrase-level one where the report names the finding exactly once: then that one
phrase, in its sentence, carries the report's label. The phrase is the finding's own name as
ChestX-ray14 spells it in reports ("effusion", "nodules", "pleural thickening" ...), not a synonym of
our vocabulary, so which rows exist does not depend on the labeller either.

A row is made when, in a report's FINDINGS + IMPRESSION text:

* the finding's name occurs exactly once (word-bounded, case-insensitive), so that the report's label
  can only come from that phrase or from a synonym elsewhere (a small, stated noise);
* the occurrence names the finding and not another concept with the same word ("pericardial effusion",
  "subcutaneous emphysema", "mass effect", "cystic fibrosis": ChestX-ray14's labels do not mean those).

The gold status is ``present`` (gold 1) or ``absent`` (gold 0). The gold does not separate negated from
hedged (its README in ``../shared/data``: "1 = finding present (negated and uncertain mentions are 0)";
the CSV holds only 0 and 1), so no uncertain class can be derived from it and the set is two-way: a labeller's ``affirmed`` is ``present``, ``negated`` is ``absent``,
and ``uncertain`` is scored both ways (see `present_of`). Hernia is left out (this gold never marks it),
and so is ``normal`` (no phrase).
"""

from __future__ import annotations

import re
from typing import Iterable, Mapping

from .mentions import split_sentences
from .openi import Report

__all__ = ["LABEL_TERMS", "derive_phrase_rows", "PRESENT", "ABSENT"]

PRESENT, ABSENT = "present", "absent"

#: The finding's own name in report spelling (singular and plural), per gold column.
LABEL_TERMS: dict[str, str] = {
    "Atelectasis": r"atelectasis", "Cardiomegaly": r"cardiomegaly", "Effusion": r"effusions?",
    "Infiltration": r"infiltrates?|infiltration", "Mass": r"mass|masses", "Nodule": r"nodules?",
    "Pneumonia": r"pneumonias?", "Pneumothorax": r"pneumothorax|pneumothoraces", "Consolidation": r"consolidations?",
    "Edema": r"edema", "Emphysema": r"emphysema", "Fibrosis": r"fibrosis", "Pleural_Thickening": r"pleural thickening",
}
# Same word, another concept: the words right before (or after) the name.
_OTHER_CONCEPT = {
    "Effusion": re.compile(r"(?:pericardial|joint|knee|elbow|ankle|hip|shoulder)\s+$"),
    "Emphysema": re.compile(r"(?:subcutaneous|mediastinal|interstitial|soft tissue)\s+$"),
    "Fibrosis": re.compile(r"cystic\s+$"),
}
_OTHER_AFTER = {"Mass": re.compile(r"^\s*(?:effect|-?like)")}
_TERM = {f: re.compile(rf"(?<![\w-])(?:{t})(?![\w-])") for f, t in LABEL_TERMS.items()}


def derive_phrase_rows(reports: Iterable[Report], gold: Mapping[str, Mapping[str, int]]) -> list[dict[str, str]]:
    """Rows ``id, report_id, finding, phrase, start, sentence, gold`` (``present`` / ``absent``) for `assert_phrase`.

    ``gold`` is ``{report_id: {finding: 0/1}}`` (e.g. `evaluate.read_label_table`); reports without a
    gold row are skipped. ``sentence`` is the lower-cased sentence (`mentions.split_sentences`) that
    holds the phrase; ``phrase`` is its words as written there, ``start`` its character offset.
    """
    rows = []
    for report in reports:
        labels = gold.get(report.report_id)
        if labels is None:
            continue
        sentences = split_sentences(report.text)
        for finding, term in _TERM.items():
            hits = [(s, m) for s in sentences for m in term.finditer(s)]
            if len(hits) != 1:
                continue
            sentence, match = hits[0]
            before = _OTHER_CONCEPT.get(finding)
            after = _OTHER_AFTER.get(finding)
            if (before and before.search(sentence[:match.start()])) or (after and after.search(sentence[match.end():])):
                continue
            rows.append({"id": f"{report.report_id}:{finding}", "report_id": report.report_id, "finding": finding,
                         "phrase": match.group(0), "start": str(match.start()), "sentence": sentence,
                         "gold": PRESENT if labels[finding] == 1 else ABSENT})
    return rows
