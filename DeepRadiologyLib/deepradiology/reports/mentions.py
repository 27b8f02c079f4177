"""Stage 1 of the report labeler: find the sentences of a report and the finding mentions in each.

A mention is a span of one sentence (character offsets into the lower-cased sentence) that the
vocabulary maps to one of the 14 ChestX-ray14 findings, to ``OTHER`` (an abnormality outside them) or
to ``IGNORE``. Longer phrases win over the words inside them ("subcutaneous emphysema" is not
Emphysema).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .vocabulary import VOCABULARY

__all__ = ["Mention", "split_sentences", "find_mentions"]


@dataclass(frozen=True)
class Mention:
    """One finding mentioned in a sentence.

    Attributes:
        finding: a ChestX-ray14 finding name, ``OTHER`` or ``IGNORE``.
        start, end: character offsets of the mention in ``sentence``.
        sentence: the lower-cased sentence it was found in.
    """

    finding: str
    start: int
    end: int
    sentence: str

    @property
    def text(self) -> str:
        return self.sentence[self.start:self.end]


# A sentence ends at a full stop, question mark or exclamation mark followed by space, at a blank
# line, or before a list number such as "2." or "2)". A full stop that ends an abbreviation ("e.g.",
# "i.e.", "Dr.", "vs.", "approx.", a single initial) is not a sentence end; a decimal point ("2.5 cm")
# is never followed by space, so it never is.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n\s*\n|\s+(?=\d{1,2}[.)]\s)")
_LIST_NUMBER = re.compile(r"^\s*\d{1,2}[.)]\s*")
_ABBREVIATION = re.compile(r"(?:^|[\s(])(?:e\.g|i\.e|cf|dr|drs|mr|mrs|ms|prof|vs|approx|esp|incl|fig|no|nos|st|"
                           r"resp|etc|viz|ca|min|max|[a-z])\.$")


def split_sentences(text: str) -> list[str]:
    """Split report text into lower-cased sentences, list numbers removed, whitespace collapsed."""
    sentences = []
    pending = ""
    for piece in _SENTENCE_END.split(text.lower()):
        # A break right after an abbreviation is taken back: the next piece continues the sentence.
        # ("etc." and "no." may end a sentence, but joining two short clauses costs less than
        # cutting one in two.)
        piece = pending + " " + piece if pending else piece
        if _ABBREVIATION.search(piece.rstrip()) and not piece.rstrip().endswith(("etc.",)):
            pending = piece.rstrip()
            continue
        pending = ""
        piece = _LIST_NUMBER.sub("", piece)
        piece = " ".join(piece.split())
        if piece.strip(" .,;:"):
            sentences.append(piece)
    if pending:
        piece = " ".join(_LIST_NUMBER.sub("", pending).split())
        if piece.strip(" .,;:"):
            sentences.append(piece)
    return sentences


def _compile() -> tuple[re.Pattern, list[str]]:
    entries = [(pattern, finding) for finding, patterns in VOCABULARY.items() for pattern in patterns]
    # Longest pattern text first: at one start position the alternation takes the first that fits.
    entries.sort(key=lambda e: -len(e[0]))
    groups = "|".join(f"(?P<m{n}>{pattern})" for n, (pattern, _) in enumerate(entries))
    return re.compile(rf"(?<![\w-])(?:{groups})(?![\w])"), [finding for _, finding in entries]


_MENTION, _GROUP_FINDING = _compile()


def find_mentions(sentence: str) -> list[Mention]:
    """All non-overlapping mentions in one lower-cased sentence, left to right."""
    mentions = []
    for match in _MENTION.finditer(sentence):
        index = int(match.lastgroup[1:])
        mentions.append(Mention(_GROUP_FINDING[index], match.start(), match.end(), sentence))
    return mentions
