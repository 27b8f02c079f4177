"""Issue 15, round 4: label-definition and clinical-language rules found on the dev half of OpenI.

Every sentence here was written by hand for the rule it tests (none is copied from a report), and the
expected label is the one the label's definition or a radiologist's reading gives, not the labeller's
output. ``binary`` is the 0/1 of the NegBio convention (a differential counts as present, a hedge as absent).
"""

from __future__ import annotations

import pytest

from deepradiology.reports import label_report
from deepradiology.reports.assertion import assert_phrase
from deepradiology.reports.chexpert import label_chexpert

POS, NEG, UNC = 1, 0, -1


@pytest.mark.parametrize("text, finding, three_way, binary", [
    # ChestX-ray14's Effusion is defined by UMLS concepts that include pericardial effusion
    # (Wang et al. 2017, supplement Table 5), so a pericardial effusion is an Effusion ...
    ("Large pericardial effusion.", "Effusion", POS, 1),
    ("Enlarged cardiac silhouette, cardiomegaly versus pericardial effusion.", "Effusion", UNC, 1),
    ("No pericardial effusion.", "Effusion", NEG, 0),
    # ... and pleural scarring is not Pleural_Thickening (NegBio's ChestX-ray14 phrases give that label
    # the thickening only); a thickened pleura still is.
    ("Biapical pleural scarring.", "Pleural_Thickening", NEG, 0),
    ("Biapical pleural thickening.", "Pleural_Thickening", POS, 1),
    # A list of candidates and an open question are hedges, even when "or" joins the items.
    ("Considerations would include pericardial effusion or cardiomyopathy.", "Effusion", UNC, 0),
    ("It is unclear whether this represents cardiomegaly or a pericardial effusion.", "Cardiomegaly", UNC, 0),
    ("Unclear if there is a small left effusion.", "Effusion", UNC, 0),
    # A plain "X or Y" is still a differential (present in 0/1).
    ("Left basilar atelectasis or infiltrate.", "Atelectasis", UNC, 1),
])
def test_round4_rules(text, finding, three_way, binary):
    labels = label_report(text)
    assert labels.labels[finding] == three_way
    assert labels.binary()[finding] == binary


def test_senescent_change_is_age_related_degeneration_and_so_abnormal_like_degenerative_change():
    # The labeller counts degenerative change as an abnormality outside the 14; its synonym the same.
    assert label_report("Lungs are clear. Anticipated senescent changes of the spine.").binary()["normal"] == 0
    assert label_report("Lungs are clear. Degenerative changes of the spine.").binary()["normal"] == 0


def test_pleural_scarring_is_abnormal_though_not_pleural_thickening():
    assert label_report("Heart size is normal. Bibasilar pleural scarring.").binary()["normal"] == 0


def test_pleural_scarring_is_still_pleural_other_for_chexpert_and_pericardial_fluid_no_pleural_effusion():
    cells = label_chexpert("Biapical pleural-parenchymal scarring. Small pericardial effusion.")
    assert cells["Pleural Other"] == POS
    assert cells["Pleural Effusion"] is None  # not mentioned: pericardial fluid is not pleural


@pytest.mark.parametrize("text", [
    "Lungs are expanded and clear airspace disease.",  # "of" dropped in dictation
    "The lungs are well expanded and clear of focal airspace disease.",
])
def test_clear_shares_its_subject_with_another_predicate(text):
    labels = label_report("Heart size is normal. " + text)
    assert labels.binary()["normal"] == 1


def test_lungs_that_are_not_clear_are_not_a_negation():
    labels = label_report("The lungs are expanded and not clear, with right basilar consolidation.")
    assert labels.labels["Consolidation"] == POS


@pytest.mark.parametrize("phrase, sentence, status", [
    ("lymphoma", "Considerations would include lymphoma or sarcoidosis.", "uncertain"),
    ("the stone", "It is unclear whether the stone has passed.", "uncertain"),
])
def test_round4_rules_hold_for_any_phrase(phrase, sentence, status):
    assert assert_phrase(phrase, sentence).status == status


@pytest.mark.parametrize("text, finding, three_way, binary", [
    # ConText's "argues against" reasons a finding away: it is negated, not doubted.
    ("Findings argue against pneumonia.", "Pneumonia", NEG, 0),
    ("The appearance speaks against a pneumothorax.", "Pneumothorax", NEG, 0),
    # A predicate of doubt after the finding is a hedge (absent in 0/1) ...
    ("A small left pleural effusion is questionable.", "Effusion", UNC, 0),
    ("Right lower lobe consolidation remains equivocal.", "Consolidation", UNC, 0),
    # ... but the same words about something else leave the finding asserted.
    ("Large right pneumothorax. The cause is uncertain.", "Pneumothorax", POS, 1),
])
def test_argues_against_negates_and_a_doubting_predicate_hedges(text, finding, three_way, binary):
    labels = label_report(text)
    assert labels.labels[finding] == three_way
    assert labels.binary()[finding] == binary
