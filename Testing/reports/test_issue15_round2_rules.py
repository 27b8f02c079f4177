"""Issue 15, round 2: general rules found by reading errors of the dev half of OpenI (even report ids).

Every sentence here was written by hand for the rule it tests (none is copied from a report), and the
expected label is the reading a radiologist gives it, not the labeller's output.
"""

from __future__ import annotations

import pytest

from deepradiology.reports import label_report

POS, NEG, UNC = 1, 0, -1


@pytest.mark.parametrize("text, finding, three_way, binary", [
    # The nearest cue decides: the edema is questioned, the effusions are called probable.
    ("Probable small effusions and questionable interstitial edema.", "Edema", UNC, 0),
    ("Probable small effusions and questionable interstitial edema.", "Effusion", UNC, 1),
    # A hedge over a differential hedges the whole differential.
    ("These may represent rib lesions versus pulmonary nodules.", "Nodule", UNC, 0),
    ("Question small right effusion versus pleural thickening.", "Pleural_Thickening", UNC, 0),
    # "Either X or Y" is a differential like "X or Y".
    ("Bibasilar opacity, either atelectasis or infiltrate.", "Infiltration", UNC, 1),
    # The strongest statement over the report decides: a later differential beats an earlier hedge.
    ("Findings may be related to edema. Edema versus chronic interstitial change.", "Edema", UNC, 1),
    # A postposed participle and comma close a negated clause; the next item is affirmed.
    ("No definite pleural effusion seen, dense nodule in the left lung.", "Nodule", POS, 1),
    ("No definite pleural effusion seen, dense nodule in the left lung.", "Effusion", NEG, 0),
    # ... but a plain list after one "no" stays negated.
    ("No effusion, consolidation or pneumothorax seen.", "Pneumothorax", NEG, 0),
    # Lexicon: nodular patterns written as one word, collapse of part of a lung.
    ("Minimal fibronodular scarring at the right apex.", "Nodule", POS, 1),
    ("Reticulonodular opacities at both bases.", "Nodule", POS, 1),
    ("Collapse of a large portion of the left lung.", "Atelectasis", POS, 1),
])
def test_round2_rules(text, finding, three_way, binary):
    labels = label_report(text)
    assert labels.labels[finding] == three_way
    assert labels.binary()[finding] == binary


def test_a_condition_names_a_finding_without_making_the_study_abnormal():
    labels = label_report("Lungs are clear. Heart size is normal. If there is concern for a rib fracture, "
                          "consider dedicated rib films.")
    assert labels.binary()["normal"] == 1
    assert labels.states["normal"].status == "affirmed"


def test_a_condition_ends_at_its_comma():
    # The condition covers only its own clause; the fracture after the comma is stated.
    labels = label_report("If symptoms persist, there is a healing rib fracture on the right.")
    assert labels.binary()["normal"] == 0


def test_bronchitic_changes_are_abnormal():
    assert label_report("Heart size is normal. Mild bronchitic changes.").binary()["normal"] == 0


def test_other_exams_sections_do_not_make_the_chest_abnormal():
    text = ("Chest. Heart size is normal. Lungs are clear. Left knee. Severe joint space narrowing and "
            "large osteophytes. Chest. No acute cardiopulmonary disease. Left knee. Advanced arthritis.")
    labels = label_report(text)
    assert labels.binary()["normal"] == 1


def test_a_chest_finding_is_kept_when_another_exam_is_read_with_it():
    text = "Abdomen: nonobstructive bowel gas pattern. Chest: small right pleural effusion."
    labels = label_report(text)
    assert labels.labels["Effusion"] == POS and labels.binary()["normal"] == 0


def test_without_a_chest_header_nothing_is_dropped():
    # A single-exam report that names the knee is not sectioned: its findings all count.
    assert label_report("Left knee. Osteophytes. Small right pleural effusion.").labels["Effusion"] == POS


def test_joint_headers_keep_the_joint_impression():
    from deepradiology.reports.sections import chest_sentences
    sentences = ["chest.", "lungs clear.", "right shoulder: no fracture.", "chest.", "right shoulder.",
                 "cardiomegaly.", "left knee.", "spurring."]
    assert chest_sentences(sentences) == ["chest.", "lungs clear.", "chest.", "right shoulder.", "cardiomegaly."]


def test_a_nodular_contour_is_no_nodule():
    assert label_report("Elevated right hemidiaphragm with a nodular soft tissue contour.").labels["Nodule"] == NEG
    assert label_report("Nodular opacity in the left upper lobe, likely a nodule.").labels["Nodule"] != NEG
