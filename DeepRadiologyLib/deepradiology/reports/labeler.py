"""The report labeler: report text -> 1 / 0 / -1 for each ChestX-ray14 finding and ``normal``.

Stage 1 (`mentions`) finds what the report talks about; stage 2 (`negation`) keeps only what it
asserts. A finding is 1 if any sentence asserts it, -1 if it is only mentioned with doubt, 0 otherwise.
``normal`` is 1 when the report asserts no abnormality at all (none of the 14 and nothing else from the
vocabulary's list of other abnormalities).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from ..errors import InputError
from .assertion import AFFIRMED, NEGATED, NOT_MENTIONED, STATUS_OF
from .sections import chest_sentences
from .mentions import Mention, find_mentions, split_sentences
from .negation import NEGATIVE, POSITIVE, UNCERTAIN, classify_spans, is_differential, is_hypothetical
from .openi import Report, ReportProblem
from .vocabulary import FINDINGS, IGNORE, LABEL_COLUMNS, NORMAL, NORMAL_ORGAN_STATEMENTS, NORMAL_STATEMENTS, OTHER

__all__ = ["ReportLabels", "FindingState", "DISPLAY_WORDS", "label_report", "label_reports", "check_report_text"]


#: How a front end names each status (the issue's four states).
DISPLAY_WORDS = {AFFIRMED: "asserted", NEGATED: "negated", "uncertain": "uncertain", NOT_MENTIONED: "not mentioned"}


@dataclass(frozen=True)
class FindingState:
    """What the report says about one label, for display: one of the four statuses, and why.

    Attributes:
        status: ``affirmed``, ``negated``, ``uncertain`` or ``not_mentioned``.
        sentence: the (lower-cased) sentence that decided it; ``""`` when not mentioned.
        phrase: the words of the mention in that sentence.
        cue: the negation or uncertainty cue that decided it (``""`` for a plain assertion).
    """

    status: str
    sentence: str = ""
    phrase: str = ""
    cue: str = ""


@dataclass
class ReportLabels:
    """The labels of one report.

    Attributes:
        report_id: e.g. ``CXR10``.
        labels: for each of `LABEL_COLUMNS`, 1 (asserted), 0 (absent or negated) or -1 (uncertain).
        mentions: every mention found, with the decision taken on it (for display and checking).
        problem: why the report could not be labelled ("" when it was).
    """

    report_id: str
    labels: dict[str, int] = field(default_factory=dict)
    mentions: list[tuple[Mention, int]] = field(default_factory=list)
    problem: str = ""
    source: str = ""
    states: dict[str, FindingState] = field(default_factory=dict)

    def binary(self) -> dict[str, int]:
        """0/1 labels in the NegBio gold standard's convention: hedged mentions count as 0, a
        differential diagnosis ("X versus Y", "likely X", "X or Y") as 1 (`negation.is_differential`)."""
        out = {}
        for k, v in self.labels.items():
            state = self.states.get(k)
            out[k] = int(v == POSITIVE or (v == UNCERTAIN and state is not None and is_differential(state.cue)))
        return out

    def display(self, finding: str) -> tuple[str, str]:
        """(state word, deciding sentence) for a front end: "asserted" / "negated" / "uncertain" /
        "not mentioned", and the sentence that decided it ("" when not mentioned)."""
        state = self.states.get(finding, FindingState(NOT_MENTIONED))
        return DISPLAY_WORDS[state.status], state.sentence

    def evidence(self, finding: str) -> list[str]:
        """The sentences that mention ``finding``, each with its decision (for a reader to check)."""
        words = {POSITIVE: "asserted", NEGATIVE: "negated", UNCERTAIN: "uncertain"}
        return [f"{words[d]}: {m.text!r} in {m.sentence!r}" for m, d in self.mentions if m.finding == finding]


_ENGLISH = frozenset(
    "the a an no not is are of and with without there normal heart lungs lung clear size in on to or "
    "effusion pleural pneumothorax chest acute disease stable left right lobe mild small silhouette "
    "cardiac mediastinal contours within limits unremarkable seen evidence findings change cannot exclude may be "
    "likely noted stable unchanged bilateral mild moderate new interval since prior lower upper base opacity "
    "opacities pulmonary airspace focal consolidation pneumonia atelectasis cardiomegaly edema nodule mass "
    "enlarged there were was has have been as at by for from this that which represent but be".split())
# Function words: a longer English text with few known words still has some of these.
_FUNCTION = frozenset("the a an no not is are was were of and or but with without there in on to at by for "
                      "from this that which as be been has have".split())
_WORD = re.compile(r"[^\W\d_]+")


def check_report_text(text: str, *, source: str = "") -> None:
    """Refuse text that cannot be labelled: empty, no words, or not English.

    Raises:
        InputError: naming the report and the reason.
    """
    words = _WORD.findall(text.lower())
    if not text.strip() or not words:
        raise InputError(source, "is an empty report")
    real = [w for w in words if w != "xxxx"]  # OpenI's anonymisation token
    if not real:
        raise InputError(source, "has no words left after anonymisation")
    non_ascii = sum(1 for w in real if not w.isascii())
    english = sum(1 for w in real if w in _ENGLISH)
    # Words the vocabulary knows count as English too, so that telegraphic reports ("Heart normal.
    # Lungs clear. Calcified granuloma.") pass.
    english += sum(len(_WORD.findall(m.text)) for m in find_mentions(" ".join(real)))
    function = sum(1 for w in real if w in _FUNCTION)
    if non_ascii > 0.3 * len(real) or (len(real) >= 4 and english < 0.2 * len(real)) or \
            (len(real) >= 6 and function == 0 and english < 0.5 * len(real)):
        raise InputError(source, "does not look like an English report; the labeler's vocabulary is English")


_NORMAL_ORGAN = {f: re.compile(r"\b(?:" + "|".join(ps) + r")\b") for f, ps in NORMAL_ORGAN_STATEMENTS.items()}
_NORMAL_STUDY = re.compile(r"\b(?:" + "|".join(NORMAL_STATEMENTS) + ")")


def _strength(state: FindingState, rank: dict[str, int]) -> float:
    """How strongly a mention states its finding: the status's rank, a differential half a step above a hedge."""
    return rank[state.status] + (0.5 if state.status == "uncertain" and is_differential(state.cue) else 0.0)


def label_report(text: str, *, report_id: str = "", check: bool = True) -> ReportLabels:
    """Label one report's text (FINDINGS and IMPRESSION; leave out INDICATION and COMPARISON).

    Raises:
        InputError: the text is empty or not English (with ``check=True``).
    """
    if check:
        check_report_text(text, source=report_id)
    result = ReportLabels(report_id, {c: NEGATIVE for c in LABEL_COLUMNS})
    states = {c: FindingState(NOT_MENTIONED) for c in FINDINGS}
    rank = {NOT_MENTIONED: 0, NEGATED: 1, "uncertain": 2, AFFIRMED: 3}
    abnormal: FindingState | None = None
    normal_sentence = ""
    for sentence in chest_sentences(split_sentences(text)):
        mentions = [m for m in find_mentions(sentence) if m.finding != IGNORE]
        spans = [(m.start, m.end) for m in mentions]
        for (mention, span), (decision, cue) in zip(zip(mentions, spans), classify_spans(sentence, spans)):
            result.mentions.append((mention, decision))
            state = FindingState(STATUS_OF[decision], sentence, mention.text, cue)
            if mention.finding == OTHER:
                if decision != NEGATIVE and not is_hypothetical(cue) and abnormal is None:
                    abnormal = state
                continue
            # Asserted anywhere beats uncertain anywhere beats negated, and among uncertain mentions a
            # differential ("edema versus chronic changes") beats a hedge ("may be edema"): the report's
            # strongest statement of the finding decides. The first sentence of the winner is shown.
            if _strength(state, rank) > _strength(states[mention.finding], rank):
                states[mention.finding] = state
        for finding, pattern in _NORMAL_ORGAN.items():
            if states[finding].status == NOT_MENTIONED:
                found = pattern.search(sentence)
                if found:
                    states[finding] = FindingState(NEGATED, sentence, found.group(0), "normal")
        if not normal_sentence and _NORMAL_STUDY.search(sentence):
            normal_sentence = sentence
    code = {AFFIRMED: POSITIVE, "uncertain": UNCERTAIN, NEGATED: NEGATIVE, NOT_MENTIONED: NEGATIVE}
    for finding, state in states.items():
        result.labels[finding] = code[state.status]
    # A study is normal only if nothing abnormal is asserted or left open: a report that doubts a
    # finding does not call the study normal. The sentence shown for it is the report's own normal
    # statement ("No acute cardiopulmonary disease") when it has one, else the first abnormality.
    first_finding = next((states[f] for f in FINDINGS if states[f].status == AFFIRMED or
                          (states[f].status == "uncertain" and not is_hypothetical(states[f].cue))), None)
    decider = first_finding or abnormal
    if decider is None:
        result.labels[NORMAL] = POSITIVE
        states[NORMAL] = FindingState(AFFIRMED, normal_sentence, "", "")
    else:
        result.labels[NORMAL] = NEGATIVE
        states[NORMAL] = FindingState(NEGATED, decider.sentence, decider.phrase, "abnormal: " + decider.phrase)
    result.states = states
    return result


def label_reports(reports: Iterable[Report | ReportProblem]) -> Iterator[ReportLabels]:
    """Label a batch; an unusable report yields a `ReportLabels` with ``problem`` set and no labels."""
    for item in reports:
        if isinstance(item, ReportProblem):
            yield ReportLabels(item.report_id, {}, problem=item.problem, source=item.source)
            continue
        try:
            yield label_report(item.text, report_id=item.report_id)
        except InputError as exc:
            yield ReportLabels(item.report_id, {}, problem=exc.problem, source=item.source)
