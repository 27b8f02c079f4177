"""Stage 2 of the report labeler: is a mention asserted, negated or uncertain?

The talk's labeler writes its rules on a dependency parse ("no <- * <- DISEASE", "* -> prep_without
-> DISEASE", "cannot <- md <- exclude" ...). This module applies the same rules to a shallow parse of
the sentence that needs no parser model: a cue ("no", "without", "free of", "cannot exclude" ...) governs
the mentions in its scope, and the scope is the stretch of the clause the cue's phrase can reach:

* a cue before its mentions ("no", "without", "concern for") reaches forward over a noun phrase and
  its coordinated list ("no focal consolidation, effusion or pneumothorax") and stops at the next
  clause ("; ", "but", "however", "which", "with the exception of", a new subject and verb ...);
* a cue after its mentions ("is not seen", "has resolved", "cannot be excluded") reaches back over the
  subject noun phrase, to the start of the clause;
* pseudo-cues look like negation and are not ("no change in", "not only", "no increase in the size of"):
  their span is removed before cues are looked for.

A mention is ``UNCERTAIN`` if any uncertainty cue reaches it, else ``NEGATIVE`` if any negation cue
reaches it, else ``POSITIVE``.
"""

from __future__ import annotations

import re

from .mentions import Mention

__all__ = ["POSITIVE", "NEGATIVE", "UNCERTAIN", "classify_mention", "classify_sentence"]

POSITIVE, NEGATIVE, UNCERTAIN = 1, 0, -1

_W = r"(?:[\w'-]+)"  # one word

# Phrases that look like negation or doubt but assert the finding.
_PSEUDO = re.compile(r"\b(?:"
                     r"no (?:significant |substantial |appreciable |definite |interval |radiographic |marked )*(?:change|increase|decrease|progression|improvement|worsening|enlargement)s?(?: in| of)?"
                     r"|not (?:significantly |substantially )?(?:changed|increased|decreased|improved|worsened|only)"
                     r"|(?:unchanged|stable|persistent)(?: in)?"
                     r"|no longer (?:seen|visualized|identified|present|evident|demonstrated|apparent)" 
                     r"|without (?:significant |interval |appreciable )*(?:change|progression|improvement)"
                     r"|(?:not|no) (?:been )?(?:well )?(?:assessed|evaluated|included|imaged)"
                     r"|gram[- ]negative)\b")

# Negation cues that govern the words after them.
_NEG_BEFORE = re.compile(r"\b(?:"
                         r"no|not|without|(?:do|does|did) not (?:demonstrate|show|reveal|see)|absent|absence of|free of|clear of|clearing of|negative for"
                         r"|resolution of|resolved|resolving|interval resolution of|removal of|disappearance of"
                         r"|(?:a |prior |known |past )?history of|negative|neither|nor|never|rather than|ruled out|exclude[sd]?|excluding|instead of"
                         r"|no (?:\w+ )?(?:evidence|signs?|findings?|suggestion) (?:of|for|to suggest)"
                         r"|(?:lungs?|lung fields?|chest) (?:\w+ )?(?:is|are|remain|remains)? ?clear(?: of)?"
                         r")\b")
# Negation cues that govern the words before them (the subject of their clause).
_NEG_AFTER = re.compile(r"\b(?:"
                        r"(?:is|are|was|were|has been|have been|has|have|appears?|seems?)? ?(?:not|no longer) (?:\w+ )?"
                        r"(?:seen|identified|present|visuali[sz]ed|demonstrated|evident|appreciated|noted|detected|visible|apparent|shown|observed|enlarged|found)"
                        r"|(?:has|have|had)? ?(?:resolved|cleared|disappeared|been removed|been excised)"
                        r"|(?:is|are|was|were)? ?(?:absent|unlikely|negative|excluded|ruled out|gone)"
                        r"|(?:is|are)? ?(?:now )?resolved"
                        r"|(?:is|are|appears?|remains?)? ?(?:within|at|in) (?:the )?(?:limits of )?normal(?: limits)?"
                        r"|(?:is|are|appears?|remains?) (?:\w+ )?(?:normal|unremarkable)"
                        r")\b")
# Uncertainty cues that govern the words after them.
_UNC_BEFORE = re.compile(r"\b(?:"
                         r"possible|possibly|questionable|question(?: of)?|questioned|\?"
                         r"|may|might|could|can|cannot exclude|can not exclude|cannot rule out|can't exclude"
                         r"|(?:difficult|hard|impossible) to (?:exclude|rule out|assess|evaluate|exclude)"
                         r"|may represent|may be|may reflect|may indicate|could represent|could be|might be|can be"
                         r"|concern(?:ing)? for|concerning|suspicious(?: for)?|suspect(?:ed)?|suspicion(?: of| for)?"
                         r"|suggest(?:s|ed|ing|ive)?(?: of)?|suggestion of|worrisome(?: for)?|worrying"
                         r"|differential(?: diagnosis)?(?: includes?| would include| considerations? includes?)?"
                         r"|either|equivocal|indeterminate|uncertain|undetermined|evaluation for"
                         r"|rule[- ]out|r/o|in the (?:appropriate )?clinical (?:setting|context)|to exclude|evaluate for|assess for|further evaluat\w*|consider(?:ed)?"
                         r"|not excluded|not ruled out|cannot be (?:excluded|ruled out|entirely excluded)"
                         r"|perhaps"
                         r")\b")
# Uncertainty cues that govern the words before them.
_UNC_AFTER = re.compile(r"\b(?:"
                        r"(?:is|are)? ?(?:not|cannot be|can not be|could not be|is not|are not) (?:entirely |completely |totally |definitely )?(?:excluded|ruled out|exclude)"
                        r"|(?:is|are)? ?(?:possible|suspected|questioned|not excluded|a consideration|considered|in question|a possibility)"
                        r")\b")

# Words that end a cue's reach: a new clause or an exception.
_STOP = re.compile(r"(?:[;:]|\(|\)|\b(?:but|however|although|though|whereas|while|which|who|that|except|"
                   r"apart from|aside from|other than|besides|with the exception of|otherwise|"
                   r"there is|there are|there has|there have|is seen|are seen|is noted|are noted|is present|are present|"
                   r"due to|secondary to|related to|consistent with|compatible with|"
                   r"representing|reflecting|because|given|with|"
                   r"is|are|was|were|has|have|remains?|persists?|appears?|seems?|demonstrates?|shows?)\b)")


# Doubt reaches further than denial: "may be due to atelectasis", "could be compatible with pneumonia".
_UNC_STOP = re.compile(r"(?:[;:]|\b(?:but|however|although|though|whereas|except|otherwise|there is|there are|"
                       r"is seen|are seen|is noted|are noted|is present|are present)\b)")


def _spans(pattern: re.Pattern, text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for s, e in spans:
        chars[s:e] = " " * (e - s)
    return "".join(chars)


def _reaches_forward(text: str, cue_end: int, mention_start: int, stop: re.Pattern = _STOP) -> bool:
    """True if nothing between a cue and a later mention ends the cue's scope."""
    return cue_end <= mention_start and stop.search(text, cue_end, mention_start) is None


def _reaches_back(text: str, mention_end: int, cue_start: int) -> bool:
    """True if nothing between an earlier mention and a cue after it ends the cue's scope."""
    if mention_end > cue_start:
        return False
    between = text[mention_end:cue_start]
    return re.search(r"[;:,]|\b(?:but|however|although|though|whereas|while|which|and there|with|without)\b", between) is None


def classify_sentence(sentence: str, mentions: list[Mention]) -> list[int]:
    """POSITIVE, NEGATIVE or UNCERTAIN for each mention of one lower-cased sentence."""
    if not mentions:
        return []
    # Blank out pseudo-cues and the mentions themselves so that no cue is found inside a finding name
    # ("nodular", "normal"), except negation written inside a mention ("heart is not enlarged").
    text = _blank(sentence, _spans(_PSEUDO, sentence))
    text_no_mentions = _blank(text, [(m.start, m.end) for m in mentions])
    neg_before = _spans(_NEG_BEFORE, text_no_mentions)
    neg_after = _spans(_NEG_AFTER, text_no_mentions)
    unc_before = _spans(_UNC_BEFORE, text_no_mentions)
    unc_after = _spans(_UNC_AFTER, text_no_mentions)
    # Doubt inside a negation's scope is negated too: "no opacity to suggest pneumonia", "no
    # suspicious nodule" deny, they do not hedge.
    unc_before = [(s, e) for s, e in unc_before
                  if not any(_reaches_forward(text_no_mentions, ne, s) for _, ne in neg_before)]
    results = []
    for m in mentions:
        inside = text[m.start:m.end]
        if re.search(r"\b(?:not|no|without)\b", inside):
            results.append(NEGATIVE)
            continue
        if any(_reaches_forward(text_no_mentions, e, m.start, _UNC_STOP) for s, e in unc_before) or \
                any(_reaches_back(text_no_mentions, m.end, s) for s, e in unc_after):
            results.append(UNCERTAIN)
        elif any(_reaches_forward(text_no_mentions, e, m.start) for s, e in neg_before) or \
                any(_reaches_back(text_no_mentions, m.end, s) for s, e in neg_after):
            results.append(NEGATIVE)
        else:
            results.append(POSITIVE)
    return results


def classify_mention(mention: Mention, mentions: list[Mention] | None = None) -> int:
    """POSITIVE, NEGATIVE or UNCERTAIN for one mention (``mentions``: all of its sentence)."""
    others = mentions if mentions is not None else [mention]
    return classify_sentence(mention.sentence, others)[others.index(mention)]
