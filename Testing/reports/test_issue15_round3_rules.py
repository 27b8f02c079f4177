"""Issue 15, round 3: general rules found by reading errors of the dev half of OpenI (even report ids).

Every sentence here was written by hand for the rule it tests (none is copied from a report), and the
expected label is the reading a radiologist gives it, not the labeller's output. ``binary`` is the 0/1
of the NegBio convention (a differential counts as present, a hedge as absent).
"""

from __future__ import annotations

import pytest

from deepradiology.reports import label_report
from deepradiology.reports.assertion import assert_phrase

POS, NEG, UNC = 1, 0, -1


@pytest.mark.parametrize("text, finding, three_way, binary", [
    # An adverb inside an exclusion cue keeps it a doubt, not a denial.
    ("Difficult to completely exclude a small left effusion.", "Effusion", UNC, 0),
    ("Cannot entirely exclude a tiny apical pneumothorax.", "Pneumothorax", UNC, 0),
    ("A small nodule at the right base cannot be definitely excluded.", "Nodule", UNC, 0),
    # ... and the plain forms are unchanged.
    ("Cannot exclude early pneumonia.", "Pneumonia", UNC, 0),
    ("Pneumothorax is excluded.", "Pneumothorax", NEG, 0),
    # "Most suggestive of X" names X as the leading candidate (like "most likely X"); plain
    # "suggestive of X" is a hedge.
    ("Linear basilar opacity most suggestive of atelectasis.", "Atelectasis", UNC, 1),
    ("Linear basilar opacity suggestive of atelectasis.", "Atelectasis", UNC, 0),
    # Poorly seen is not absent; not seen is.
    ("The known right upper lobe nodule is not well seen on this film.", "Nodule", UNC, 0),
    ("The previously noted nodule is not seen.", "Nodule", NEG, 0),
])
def test_round3_rules(text, finding, three_way, binary):
    labels = label_report(text)
    assert labels.labels[finding] == three_way
    assert labels.binary()[finding] == binary


def test_a_doubted_abnormality_makes_the_study_not_normal():
    # The doubt is about bronchitis; the film is not called normal.
    text = "Heart size is normal. Difficult to completely exclude mild bronchitic change."
    assert label_report(text).binary()["normal"] == 0


def test_a_poorly_seen_fracture_is_not_a_normal_study():
    text = "Lungs are clear. Healing left sixth rib fracture not well visualized on this view."
    assert label_report(text).binary()["normal"] == 0


@pytest.mark.parametrize("phrase, sentence, status", [
    ("appendicitis", "Difficult to completely exclude early appendicitis.", "uncertain"),
    ("the stone", "The stone is not clearly visualized on this image.", "uncertain"),
    ("the stone", "The stone is not visualized on this image.", "negated"),
])
def test_round3_rules_hold_for_any_phrase(phrase, sentence, status):
    assert assert_phrase(phrase, sentence).status == status


@pytest.mark.parametrize("text, sentences", [
    # A dropped full stop: the capital of the next sentence still marks it.
    ("Surgical clips in the left axilla unchanged Visualized bones are intact.",
     ["surgical clips in the left axilla unchanged.", "visualized bones are intact."]),
    ("Right hip There is a displaced fracture.", ["right hip.", "there is a displaced fracture."]),
    # A capital after a word that cannot end a sentence, and all-capital words, are no sentence end.
    ("The mediastinum is Within normal limits.", ["the mediastinum is within normal limits."]),
    ("Catheter tip in the SVC. No CT was done.", ["catheter tip in the svc.", "no ct was done."]),
    ("Heart size normal, XXXX XXXX are intact.", ["heart size normal, xxxx xxxx are intact."]),
])
def test_a_dropped_full_stop_is_found_by_the_next_capital(text, sentences):
    from deepradiology.reports.mentions import split_sentences
    assert split_sentences(text) == sentences


def test_a_dropped_full_stop_does_not_let_a_later_normal_statement_deny_an_earlier_finding():
    text = "Heart size is normal. Surgical clips in the left axilla unchanged Visualized bones are within normal limits."
    assert label_report(text).binary()["normal"] == 0


@pytest.mark.parametrize("text, three_way, binary", [
    # Upper limits of normal *or* mildly enlarged: cardiomegaly is one of two candidates.
    ("Heart size is upper limits of normal or mildly enlarged.", UNC, 1),
    ("The cardiac silhouette is at the upper limits of normal versus slightly enlarged.", UNC, 1),
    # Upper limits of normal alone is a normal heart, explicitly.
    ("The heart is at the upper limits of normal.", NEG, 0),
])
def test_a_heart_at_the_upper_limit_or_enlarged_is_a_differential(text, three_way, binary):
    labels = label_report(text)
    assert labels.labels["Cardiomegaly"] == three_way
    assert labels.binary()["Cardiomegaly"] == binary
