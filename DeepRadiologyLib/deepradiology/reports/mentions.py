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
_ABBREVIATION = re.compile(r"(?:^|[\s(])(?:e\.g|i\.e|cf|dr|drs|mr|mrs|ms|prof|vs|approx|esp|incl|fig|"
                           r"resp|viz|ca|[a-z])\.$")


# Dictation that drops a full stop still capitalises the next sentence ("surgical clips unchanged
# Visualized bones are intact", "Left knee There is ..."): a lower-case word followed by a capitalised
# one is a sentence end, unless the word before cannot end a sentence (an article, a preposition, a
# copula: "is Within normal limits", "through Primordial"). All-capital words (XXXX, CT, SVC) are not
# capitalised words here.
_MISSING_STOP = re.compile(r"(?<![\w-])([a-z]+) +(?=[A-Z][a-z]+\b)")
_CANNOT_END = frozenset("a an the of in on at to by or and as is are was were be for via with from into onto "
                        "than over through without within".split())


def _mark_missing_stop(match: re.Match) -> str:
    word = match.group(1)
    return match.group(0) if word in _CANNOT_END else word + ". "


def split_sentences(text: str) -> list[str]:
    """Split report text into lower-cased sentences, list numbers removed, whitespace collapsed."""
    sentences = []
    pending = ""
    text = _MISSING_STOP.sub(_mark_missing_stop, text)
    for piece in _SENTENCE_END.split(text.lower()):
        # A break right after an abbreviation is taken back: the next piece continues the sentence.
        # ("etc." and "no." often end a sentence, so they are not in the list.)
        piece = pending + " " + piece if pending else piece
        if _ABBREVIATION.search(piece.rstrip()):
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

# Speed: the alternation of every pattern is slow to try at each word. Each pattern can only start with
# a few letters (read off its parse), so a word is tried only against the patterns that can start with
# its first letter: one smaller alternation per letter, same longest-first order, same matches.
import string  # noqa: E402
from re import _constants as C  # noqa: E402

ALL = set(string.ascii_lowercase + string.digits + "_")


ALL = set(string.ascii_lowercase + string.digits + "_")

def _first(items):
    """First characters of a parsed sequence; returns (set, can_be_empty)."""
    out = set()
    for op, av in items:
        if op is C.LITERAL:
            out.add(chr(av)); return out, False
        if op is C.NOT_LITERAL or op is C.ANY:
            return out | ALL | set(" -"), False
        if op is C.IN:
            s = set()
            for o, a in av:
                if o is C.LITERAL: s.add(chr(a))
                elif o is C.RANGE: s |= {chr(x) for x in range(a[0], a[1] + 1)}
                else: s |= ALL | set(" -")
            return out | s, False
        if op is C.SUBPATTERN:
            f, empty = _first(av[-1])
            out |= f
            if not empty: return out, False
            continue
        if op is C.BRANCH:
            empty_any = False
            for b in av[1]:
                f, e = _first(b); out |= f; empty_any |= e
            if not empty_any: return out, False
            continue
        if op in (C.MAX_REPEAT, C.MIN_REPEAT):
            lo, hi, item = av
            f, e = _first(item); out |= f
            if lo > 0 and not e: return out, False
            continue
        if op is C.AT or op is C.ASSERT or op is C.ASSERT_NOT:
            continue
        return out | ALL | set(" -"), False
    return out, True


def _compile_by_letter() -> dict[str, tuple[re.Pattern, list[str]]]:
    entries = [(pattern, finding) for finding, patterns in VOCABULARY.items() for pattern in patterns]
    entries.sort(key=lambda e: -len(e[0]))
    starts = [_first(re._parser.parse(p))[0] for p, _ in entries]
    table = {}
    for letter in set().union(*starts):
        chosen = [e for e, s in zip(entries, starts) if letter in s]
        groups = "|".join(f"(?P<m{n}>{pattern})" for n, (pattern, _) in enumerate(chosen))
        table[letter] = (re.compile(rf"(?:{groups})(?![\w])"), [f for _, f in chosen])
    return table


_BY_LETTER = _compile_by_letter()
_WORD_START = re.compile(r"(?<![\w-])\w")


def find_mentions(sentence: str) -> list[Mention]:
    """All non-overlapping mentions in one lower-cased sentence, left to right."""
    mentions = []
    end = 0
    for word in _WORD_START.finditer(sentence):
        start = word.start()
        if start < end:
            continue
        entry = _BY_LETTER.get(sentence[start])
        if entry is None:
            continue
        match = entry[0].match(sentence, start)
        if match is not None:
            mentions.append(Mention(entry[1][int(match.lastgroup[1:])], start, match.end(), sentence))
            end = match.end()
    return mentions


def _find_mentions_scan(sentence: str) -> list[Mention]:
    """The plain scan with the one big pattern, which `find_mentions` must equal (checked in a test)."""
    return [Mention(_GROUP_FINDING[int(m.lastgroup[1:])], m.start(), m.end(), sentence) for m in _MENTION.finditer(sentence)]
