"""Assertion benchmark: our rules vs medspaCy's ConText (default rules) on the same mentions, same run.

Two measurements, both printed as one JSON object with ratios (ours / peer):

1. Report level: the 3,059 OpenI dev reports with text, against the NegBio gold (14 findings + normal).
   Both systems get the same sentences and the same vocabulary mentions (stage 1); only the assertion
   step differs. medspaCy: negated -> 0, uncertain or hypothetical -> uncertain (0 in 0/1), historical
   and the rest -> affirmed. Scored on the dev half (even ids) and the held-back half (odd ids) apart.
   Reports/s is CPU time of one core for the whole labelling (sentences, mentions, assertion).
2. Phrase level: the hand-labelled (phrase, sentence, status) rows of Testing/reports (any report
   kind), accuracy of the three-way status.
3. Phrase level, not written by us: rows derived from the NegBio OpenI gold (`reports.phrase_gold`:
   a finding named exactly once in a report carries the report's label, present / absent). F1 of
   ``present`` and phrases/s for both systems on the same rows, dev (even ids) and held back (odd ids)
   apart; uncertain counts as absent for both (the gold's convention for hedges), and, as a second
   reading, as present for both. ``--write-phrase-set CSV`` writes the rows (input of `reports assert`).

Usage: ``python benchmarks/reports_assertion.py [--shared-data ../shared/data]``. Needs medspacy
(requirements/lock.txt); without it the peer part says why and only our figures are printed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import time
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "Testing" / "reports"))


def load_medspacy():
    """spaCy blank English + sentencizer + medspaCy ConText with its default rules, or (None, reason)."""
    try:
        import spacy  # noqa: F401
    except ImportError as exc:
        return None, f"spaCy not installed ({exc})"
    # medspacy/__init__ imports PyRuSH and QuickUMLS (sentence splitting, UMLS lookup), whose wheels
    # for Python 3.11 pin spaCy < 3.8 and numpy < 2; ConText uses neither, so stand-ins are put in place
    # only when those two packages are absent.
    for name, attr in (("PyRuSH", "PyRuSHSentencizer"), ("quickumls", "spacy_component")):
        try:
            __import__(name)
        except ImportError:
            stub = types.ModuleType(name)
            setattr(stub, attr, None)
            sys.modules[name] = stub
    try:
        import spacy
        from medspacy.context import ConText
    except ImportError as exc:
        return None, f"medspacy not installed ({exc})"
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return (nlp, ConText(nlp)), ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-data", default=os.environ.get("DEEPRADIOLOGY_SHARED_DATA", "../shared/data"))
    parser.add_argument("--write-phrase-set", metavar="CSV", help="also write the derived OpenI phrase rows here")
    args = parser.parse_args()

    from deepradiology.reports import LABEL_COLUMNS, label_report, read_reports, score_labels
    from deepradiology.reports.assertion import assert_phrase
    from deepradiology.reports.negation import is_differential
    from deepradiology.reports.phrase_gold import PRESENT, derive_phrase_rows
    from deepradiology.reports.mentions import find_mentions, split_sentences
    from deepradiology.reports.vocabulary import FINDINGS, IGNORE, NORMAL
    # The hand-labelled (phrase, sentence, status) rows of the phrase-level test.
    from test_issue15_rules import test_phrase_level_assertion_works_outside_the_chest_vocabulary as phrase_test

    data = Path(args.shared_data) / "reports"
    reports = [r for r in read_reports(data / "openi_dev_reports.tgz") if hasattr(r, "text")]
    gold = {row["filename"]: {c: int(row[c]) for c in LABEL_COLUMNS}
            for row in csv.DictReader(open(data / "openi_dev_labels.csv", newline=""))}

    start = time.process_time()
    ours = {r.report_id: label_report(r.text, check=False).binary() for r in reports}
    ours_s = time.process_time() - start

    peer, why = load_medspacy()
    result = {"benchmark": "reports_assertion", "reports": len(reports),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"}

    def halves(pred):
        out = {}
        for name, parity in (("dev_even_ids", 0), ("held_back_odd_ids", 1)):
            keep = lambda k: int(k[3:]) % 2 == parity
            s = score_labels({k: v for k, v in pred.items() if keep(k)}, {k: v for k, v in gold.items() if keep(k)})
            out[name] = {"micro_f1_14_normal": s["micro_all"]["f1"], "precision": s["micro_all"]["precision"],
                         "recall": s["micro_all"]["recall"]}
        return out

    result["ours"] = {**halves(ours), "reports_per_second_one_core": round(len(reports) / ours_s, 1)}

    # Phrase level: hand-labelled rows from the tests (sentence, phrase, status).
    phrases = [tuple(row) for row in phrase_test.pytestmark[0].args[1]]
    ours_phrase = sum(assert_phrase(p, s).status == st for p, s, st in phrases)
    result["phrase_level"] = {"rows": len(phrases), "ours_accuracy": round(ours_phrase / max(1, len(phrases)), 4)}

    # Phrase level, derived from the gold standard (not written by the rules' author).
    derived = derive_phrase_rows(reports, gold)
    if args.write_phrase_set:
        with open(args.write_phrase_set, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(derived[0]))
            writer.writeheader()
            writer.writerows(derived)
    start = time.process_time()
    ours_derived = [assert_phrase(r["phrase"], r["sentence"], start=int(r["start"])) for r in derived]
    ours_derived_s = time.process_time() - start

    def phrase_scores(statuses, present_of):
        out = {}
        for name, parity in (("dev_even_ids", 0), ("held_back_odd_ids", 1)):
            tp = fp = fn = right = n = 0
            for row, status in zip(derived, statuses):
                if int(row["report_id"][3:]) % 2 != parity:
                    continue
                p, g = present_of(status), row["gold"] == PRESENT
                tp += p and g
                fp += p and not g
                fn += g and not p
                right += p == g
                n += 1
            prec = tp / (tp + fp) if tp + fp else 0.0
            rec = tp / (tp + fn) if tp + fn else 0.0
            out[name] = {"rows": n, "present": tp + fn, "f1_present": round(2 * prec * rec / (prec + rec), 4) if prec + rec else 0.0,
                         "precision": round(prec, 4), "recall": round(rec, 4), "accuracy": round(right / max(1, n), 4)}
        return out

    strict = lambda st: st == "affirmed"
    lenient = lambda st: st in ("affirmed", "uncertain")
    result["phrase_level_openi_derived"] = {
        "rows": len(derived), "how": "finding name once per report, report-level NegBio gold -> phrase",
        "ours": {"uncertain_as_absent": phrase_scores([a.status for a in ours_derived], strict),
                 "uncertain_as_present": phrase_scores([a.status for a in ours_derived], lenient),
                 "negbio_convention_differential_present": phrase_scores(
                     [("affirmed" if a.status == "uncertain" and is_differential(a.cue) else a.status) for a in ours_derived], strict),
                 "phrases_per_second_one_core": round(len(derived) / ours_derived_s, 1)},
    }

    if peer is None:
        result["peer"] = {"skipped": why}
        print(json.dumps(result))
        return
    nlp, context = peer
    from spacy.tokens import Span

    def medspacy_status(sentence_doc_spans):
        doc, ents = sentence_doc_spans
        doc.ents = ents
        doc = context(doc)
        return [("negated" if e._.is_negated else "uncertain" if (e._.is_uncertain or e._.is_hypothetical)
                 else "affirmed") for e in doc.ents]

    def peer_label(text):
        labels = {c: 0 for c in LABEL_COLUMNS}
        abnormal = False
        sentences = split_sentences(text)
        doc = nlp.make_doc(" ".join(sentences))
        offset, ents, kinds = 0, [], []
        for sentence in sentences:
            for m in find_mentions(sentence):
                if m.finding == IGNORE:
                    continue
                span = doc.char_span(offset + m.start, offset + m.end, label="FINDING", alignment_mode="expand")
                if span is not None and not any(span.start < e.end and e.start < span.end for e in ents):
                    ents.append(span)
                    kinds.append(m.finding)
            offset += len(sentence) + 1
        for name, proc in nlp.pipeline:
            doc = proc(doc)
        for kind, status in zip(kinds, medspacy_status((doc, ents))):
            if status == "affirmed":
                if kind in FINDINGS:
                    labels[kind] = 1
            if status != "negated":
                abnormal = True
        labels[NORMAL] = int(not abnormal)
        return labels

    start = time.process_time()
    theirs = {r.report_id: peer_label(r.text) for r in reports}
    peer_s = time.process_time() - start

    def peer_phrase(p, s):
        doc = nlp(s)
        low = s.lower()
        i = low.index(p.lower())
        span = doc.char_span(i, i + len(p), label="X", alignment_mode="expand")
        return medspacy_status((doc, [span]))[0]

    theirs_phrase = sum(peer_phrase(p, s) == st for p, s, st in phrases)

    def peer_phrase_at(row):
        doc = nlp(row["sentence"])
        i = int(row["start"])
        span = doc.char_span(i, i + len(row["phrase"]), label="X", alignment_mode="expand")
        return medspacy_status((doc, [span]))[0]

    start = time.process_time()
    theirs_derived = [peer_phrase_at(r) for r in derived]
    theirs_derived_s = time.process_time() - start
    block = result["phrase_level_openi_derived"]
    block["peer"] = {"uncertain_as_absent": phrase_scores(theirs_derived, strict),
                     "uncertain_as_present": phrase_scores(theirs_derived, lenient),
                     "phrases_per_second_one_core": round(len(derived) / theirs_derived_s, 1)}
    block["ratios_ours_over_peer"] = {
        **{f"f1_{half}_{mapping}": round(block["ours"][mapping][half]["f1_present"]
                                         / max(1e-9, block["peer"][mapping][half]["f1_present"]), 3)
           for half in ("dev_even_ids", "held_back_odd_ids") for mapping in ("uncertain_as_absent", "uncertain_as_present")},
        "phrases_per_second": round(theirs_derived_s / ours_derived_s, 2),
    }
    import medspacy
    result["peer"] = {"name": f"medspaCy {medspacy.__version__} ConText, default rules ({len(context.rules)})",
                      **halves(theirs), "reports_per_second_one_core": round(len(reports) / peer_s, 1),
                      "phrase_level_accuracy": round(theirs_phrase / max(1, len(phrases)), 4)}
    result["ratios_ours_over_peer"] = {
        "micro_f1_held_back": round(result["ours"]["held_back_odd_ids"]["micro_f1_14_normal"]
                                    / result["peer"]["held_back_odd_ids"]["micro_f1_14_normal"], 3),
        "micro_f1_dev": round(result["ours"]["dev_even_ids"]["micro_f1_14_normal"]
                              / result["peer"]["dev_even_ids"]["micro_f1_14_normal"], 3),
        "reports_per_second": round(peer_s / ours_s, 2),
        "phrase_accuracy": round(ours_phrase / max(1, theirs_phrase), 3),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
