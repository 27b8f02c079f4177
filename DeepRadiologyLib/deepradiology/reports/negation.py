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

__all__ = ["POSITIVE", "NEGATIVE", "UNCERTAIN", "classify_mention", "classify_sentence", "classify_spans", "is_differential", "is_hypothetical"]

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
                         r"no|not|without|(?:do|does|did) not (?:demonstrate|show|reveal|see)|absent|absence of|free of|clear of|negative for"
                         r"|denies|denied|deny|denying|(?:patient|pt) (?:denies|has no)"
                         r"|(?:complete |interval )?resolution of|resolved|removal of|disappearance of"
                         r"|negative|neither|nor|never|rather than|ruled out|exclude[sd]?|excluding|instead of"
                         # ConText's "argues against": the finding is reasoned away, not doubted
                         r"|(?:argues?|argued|arguing|speaks?) against"
                         r"|no (?:\w+ )?(?:evidence|signs?|findings?|suggestion) (?:of|for|to suggest)"
                         # "Clear" may share its subject with another predicate: "lungs are (well)
                         # expanded and clear (of) airspace disease".
                         r"|(?:lungs?|lung fields?|chest) (?:\w+ )?(?:is|are|remain|remains)? ?"
                         r"(?:(?:well |fully )?(?:expanded|inflated|aerated) and )?clear(?: of)?"
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
_ADV = r"(?:completely|entirely|totally|definitely|fully|absolutely|definitively|confidently)"
_UNC_BEFORE = re.compile(r"\b(?:"
                         r"possible|possibly|likely|most likely|probable|probably|presumed|presumably|versus|vs|questionable|question(?: of)?|questioned|\?"
                         # An adverb may sit inside the cue ("cannot entirely exclude", "difficult to
                         # completely exclude"); without it here, the bare "exclude" would read as a denial.
                         r"|may|might|could|can|(?:cannot|can not|can't)(?: " + _ADV + r")? (?:exclude|rule out)"
                         r"|(?:difficult|hard|impossible) to(?: " + _ADV + r")? (?:exclude|rule out|assess|evaluate)"
                         r"|may represent|may be|may reflect|may indicate|could represent|could be|might be|can be"
                         r"|concern(?:ing)? for|concerning|suspicious(?: for)?|suspect(?:ed)?|suspicion(?: of| for)?"
                         # "Most suggestive of X" names X as the leading candidate, like "most likely X"
                         # (a differential); plain "suggestive of" stays a hedge.
                         r"|most suggestive of|suggest(?:s|ed|ing|ive)?(?: of)?|suggestion of|worrisome(?: for)?|worrying"
                         r"|differential(?: diagnosis)?(?: includes?| would include| considerations? includes?)?"
                         # A list of candidates and an open question are hedges, whatever joins their
                         # items: "considerations would include X or Y", "unclear whether X or Y".
                         r"|(?:diagnostic |other )?considerations? (?:would |could |may )?(?:include|includes|are)"
                         r"|unclear(?: (?:whether|if)(?: there (?:is|are|has been|have been))?)?"
                         r"|either|equivocal|indeterminate|uncertain|undetermined|evaluation for"
                         r"|rule[- ]out|r/o|in the (?:appropriate )?clinical (?:setting|context)|to exclude|evaluate for|assess for|further evaluat\w*|consider(?:ed)?"
                         r"|not excluded|not ruled out|cannot be (?:excluded|ruled out|entirely excluded)"
                         r"|perhaps"
                         # A conditional names a finding without claiming it (ConText's "hypothetical"):
                         # "if there is concern for fracture, ...".
                         r"|if"
                         r")\b")
# Uncertainty cues that govern the words before them.
_UNC_AFTER = re.compile(r"\b(?:"
                        r"(?:is|are)? ?(?:not|cannot be|can not be|could not be|is not|are not) (?:" + _ADV + r" )?(?:excluded|ruled out|exclude)"
                        # Poorly seen is not absent: "the rib fracture is not well seen on this view".
                        r"|(?:is|are|was|were)? ?not (?:well|clearly) (?:seen|visuali[sz]ed|demonstrated|delineated|identified|depicted)"
                        r"|versus|vs|(?:is|are)? ?(?:(?:most )?likely|probable|possible|suspected|questioned|not excluded|a consideration|considered|in question|a possibility)"
                        # a predicate of doubt on the finding itself: "recurrence is questionable / equivocal"
                        r"|(?:is|are|was|were|remains?) (?:questionable|equivocal|indeterminate|uncertain)"
                        r")\b")

# Words that end a cue's reach: a new clause or an exception.
_STOP = re.compile(r"(?:[;:]|\(|\)|\b(?:but|however|although|though|whereas|while|which|who|that|except|"
                   r"apart from|aside from|other than|besides|with the exception of|otherwise|"
                   r"there is|there are|there has|there have|is seen|are seen|is noted|are noted|is present|are present|"
                   r"due to|secondary to|related to|consistent with|compatible with|"
                   r"representing|reflecting|because|given|with|"
                   r"is|are|was|were|has|have|remains?|persists?|appears?|seems?|demonstrates?|shows?)\b"
                   # "no definite effusion seen, left hilar calcifications and a nodule": the participle
                   # and comma close the negated clause; what follows is a new, affirmed item.
                   r"|\b(?:seen|identified|noted|demonstrated|visuali[sz]ed|appreciated|present|detected),)")


# Doubt reaches further than denial: "may be due to atelectasis", "could be compatible with pneumonia".
_UNC_STOP = re.compile(r"(?:[;:]|\b(?:but|however|although|though|whereas|which|except|otherwise|there is|there are|"
                       r"is seen|are seen|is noted|are noted|is present|are present)\b)")


# A condition reaches to the end of its "if" clause, which is usually closed by a comma or "then"
# ("if there is concern for fracture, consider ...").
_IF_STOP = re.compile(r"(?:[;:,]|\b(?:then|but|however|although|though|whereas|otherwise)\b)")


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


# "X or Y" names two candidates and asserts neither: a mention right next to "or" (at most one
# modifier word between) is uncertain unless a negation reaches it ("no effusion or pneumothorax").
# Fixed phrases with "or" that are no disjunction are blanked first.
_OR_PSEUDO = re.compile(r"\b(?:with or without|whether or not|more or less|one or more|two or more|or so)\b")
_OR = re.compile(r"\b(?:and/or|or)\b")
_ONE_WORD_GAP = re.compile(r"^[\s,]*(?:[\w'-]+\s+)?$")


def _next_to_or(text: str, start: int, end: int, ors: list[tuple[int, int]]) -> bool:
    for s, e in ors:
        if e <= start and _ONE_WORD_GAP.match(text[e:start]):
            return True
        if end <= s and re.fullmatch(r"[\s,]*", text[end:s]):
            return True
    return False


# Uncertainty of a differential diagnosis ("atelectasis versus scarring", "opacity, likely atelectasis",
# "probable effusion", "atelectasis or infiltrate"): the reader names the finding as the leading or an
# equal candidate. It is uncertain (-1 for CheXpert, "uncertain" on screen), but the NegBio OpenI gold
# standard counts it as present, so its 0/1 output does too (`is_differential`). Hedges ("may",
# "possible", "cannot exclude", "concern for") stay 0 there.
_DIFFERENTIAL = re.compile(r"(?:(?:is|are) )?(?:most )?(?:or|and/or|either|versus|vs|likely|probable|probably|presumed|presumably)|most suggestive of")


def is_differential(cue: str) -> bool:
    """True if an uncertainty cue names a differential diagnosis rather than a hedge (see above)."""
    return _DIFFERENTIAL.fullmatch(cue) is not None


def is_hypothetical(cue: str) -> bool:
    """True if an uncertainty cue is a condition ("if there is concern for fracture"): the finding is
    named, neither claimed nor doubted, so it does not make a study abnormal."""
    return cue == "if"


def _nearest_before(cues: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The cue that ends last among cues before a mention (the one closest to it)."""
    return max(cues, key=lambda c: c[1]) if cues else None


def _nearest_after(cues: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The cue that starts first among cues after a mention (the one closest to it)."""
    return min(cues, key=lambda c: c[0]) if cues else None


def classify_spans(sentence: str, spans: list[tuple[int, int]]) -> list[tuple[int, str]]:
    """(POSITIVE / NEGATIVE / UNCERTAIN, deciding cue) for each ``(start, end)`` span of one lower-cased sentence.

    The spans are the concepts of the sentence (character offsets); each one's status depends on the
    cues whose scope reaches it, and the other spans are blanked so that no cue is read inside a
    concept's own words ("nodular", "normal"). The cue is ``""`` for a plain assertion.
    """
    if not spans:
        return []
    text = _blank(sentence, _spans(_PSEUDO, sentence) + _spans(_OR_PSEUDO, sentence))
    text_no_mentions = _blank(text, spans)
    neg_before = _spans(_NEG_BEFORE, text_no_mentions)
    neg_after = _spans(_NEG_AFTER, text_no_mentions)
    unc_before = _spans(_UNC_BEFORE, text_no_mentions)
    unc_after = _spans(_UNC_AFTER, text_no_mentions)
    ors = _spans(_OR, text_no_mentions)
    # Doubt inside a negation's scope is negated too: "no opacity to suggest pneumonia", "no
    # suspicious nodule" deny, they do not hedge.
    unc_before = [(s, e) for s, e in unc_before
                  if not any(_reaches_forward(text_no_mentions, ne, s) for _, ne in neg_before)]
    cue = lambda span: " ".join(text_no_mentions[span[0]:span[1]].split())
    results = []
    for start, end in spans:
        inside = re.search(r"\b(?:not|no|without)\b", text[start:end])
        if inside:
            results.append((NEGATIVE, inside.group(0)))
            continue
        # A concept phrase that holds its own alternative ("upper limits of normal or mildly
        # enlarged") is a differential, unless a cue outside it decides first (below).
        inside_or = re.search(r"\b(?:or|versus|vs)\b", text[start:end])
        # A hedge that reaches the mention decides over a differential cue ("may represent nodules versus
        # rib lesions", "question effusion versus thickening" are hedged), and among cues of one kind
        # the nearest decides (and is the one shown).
        before = [c for c in unc_before if _reaches_forward(text_no_mentions, c[1], start, _UNC_STOP)]
        after = [c for c in unc_after if _reaches_back(text_no_mentions, end, c[0])]
        # A condition ("if there is concern for X") frames everything in its clause, so it comes first.
        hedges = lambda cues: [c for c in cues if not is_differential(cue(c))]
        conditions = [c for c in unc_before if is_hypothetical(cue(c))
                      and _reaches_forward(text_no_mentions, c[1], start, _IF_STOP)]
        hit = _nearest_before(conditions) or _nearest_before(hedges(before)) or _nearest_after(hedges(after)) or \
            _nearest_before(before) or _nearest_after(after)
        if hit:
            results.append((UNCERTAIN, cue(hit)))
            continue
        hit = _nearest_before([c for c in neg_before if _reaches_forward(text_no_mentions, c[1], start)]) or \
            _nearest_after([c for c in neg_after if _reaches_back(text_no_mentions, end, c[0])])
        if hit:
            results.append((NEGATIVE, cue(hit)))
        elif inside_or:
            results.append((UNCERTAIN, inside_or.group(0)))
        elif _next_to_or(text_no_mentions, start, end, ors):
            results.append((UNCERTAIN, "or"))
        else:
            results.append((POSITIVE, ""))
    return results


def classify_sentence(sentence: str, mentions: list[Mention]) -> list[int]:
    """POSITIVE, NEGATIVE or UNCERTAIN for each mention of one lower-cased sentence."""
    return [status for status, _ in classify_spans(sentence, [(m.start, m.end) for m in mentions])]


def classify_mention(mention: Mention, mentions: list[Mention] | None = None) -> int:
    """POSITIVE, NEGATIVE or UNCERTAIN for one mention (``mentions``: all of its sentence)."""
    others = mentions if mentions is not None else [mention]
    return classify_sentence(mention.sentence, others)[others.index(mention)]
