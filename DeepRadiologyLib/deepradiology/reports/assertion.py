"""Phrase-level assertion: is a concept affirmed, negated or uncertain in the sentence that names it?

This is the one function every labeller here is built on. It works for any finding or concept of any
clinical report kind (the cues are general English: "no", "denies", "negative for", "cannot exclude",
"likely", "versus", "X or Y" ...), not only for the chest-film vocabulary. The 14-finding and CheXpert
labellers call `classify_spans` with the vocabulary's mentions; `assert_phrase` calls it with the
caller's phrase.

Statuses (strings, for CSV and display): ``affirmed``, ``negated``, ``uncertain``; a labeller adds
``not_mentioned`` for a finding no sentence names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .mentions import find_mentions
from .negation import NEGATIVE, POSITIVE, UNCERTAIN, classify_spans

__all__ = ["AFFIRMED", "NEGATED", "UNCERTAIN_STATUS", "NOT_MENTIONED", "STATUSES", "STATUS_OF", "Assertion",
           "assert_phrase", "PhraseNotFound"]

AFFIRMED, NEGATED, UNCERTAIN_STATUS, NOT_MENTIONED = "affirmed", "negated", "uncertain", "not_mentioned"
STATUSES = (AFFIRMED, NEGATED, UNCERTAIN_STATUS, NOT_MENTIONED)
#: The status word of each numeric decision (1 / 0 / -1).
STATUS_OF = {POSITIVE: AFFIRMED, NEGATIVE: NEGATED, UNCERTAIN: UNCERTAIN_STATUS}


class PhraseNotFound(ValueError):
    """The phrase does not occur in the sentence (case-insensitive, on word boundaries)."""


@dataclass(frozen=True)
class Assertion:
    """The status of one phrase in one sentence and the cue that decided it (``""`` when affirmed plainly)."""

    status: str
    cue: str = ""


def _find(phrase: str, sentence: str, start: int | None = None) -> tuple[int, int]:
    words = phrase.lower().split()
    if not words:
        raise PhraseNotFound("the phrase is empty")
    pattern = r"\s+".join(re.escape(w) for w in words)
    if start is not None:
        match = re.compile(pattern).match(sentence, start)
        if match is None:
            raise PhraseNotFound(f"phrase {phrase!r} does not occur at character {start} of the sentence")
        return match.start(), match.end()
    match = re.search(rf"(?<![\w]){pattern}(?![\w])", sentence) or re.search(pattern, sentence)
    if match is None:
        raise PhraseNotFound(f"phrase {phrase!r} does not occur in the sentence")
    return match.start(), match.end()


def assert_phrase(phrase: str, sentence: str, *, start: int | None = None) -> Assertion:
    """Status of ``phrase`` in ``sentence`` (one sentence; its first occurrence is judged, or the one
    at character ``start`` of the whitespace-collapsed sentence when given).

    Other concepts of the sentence that the chest vocabulary knows are blanked as concepts too, so that
    a cue is never read inside them; any other words are read as they are.

    Raises:
        PhraseNotFound: the phrase is not in the sentence.
    """
    lower = " ".join(sentence.lower().split())
    start, end = _find(phrase, lower, start)
    others = [(m.start, m.end) for m in find_mentions(lower) if m.end <= start or m.start >= end]
    spans = sorted(others + [(start, end)])
    status, cue = classify_spans(lower, spans)[spans.index((start, end))]
    return Assertion(STATUS_OF[status], cue)
