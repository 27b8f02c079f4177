"""The report labeler tells asserted findings from negated and uncertain ones."""

from __future__ import annotations

import csv

import pytest

from deepradiology.errors import InputError
from deepradiology.reports import LABEL_COLUMNS, label_report

POS, NEG, UNC = 1, 0, -1


def labels(text):
    return label_report(text).labels


@pytest.mark.parametrize("text, finding, expected", [
    ("Small left pleural effusion.", "Effusion", POS),
    ("No pneumothorax.", "Pneumothorax", NEG),
    ("There is no focal consolidation, pleural effusion, or pneumothorax.", "Effusion", NEG),
    ("There is no focal consolidation, pleural effusion, or pneumothorax.", "Pneumothorax", NEG),
    ("Lungs are clear without focal infiltrate.", "Infiltration", NEG),
    ("The lungs are free of focal airspace disease or nodules.", "Nodule", NEG),
    ("Lungs clear of consolidation.", "Consolidation", NEG),
    ("Negative for pneumothorax or pleural effusion.", "Pneumothorax", NEG),
    ("No evidence of pneumonia.", "Pneumonia", NEG),
    ("The previously seen right effusion has resolved.", "Effusion", NEG),
    ("Pneumothorax is not seen.", "Pneumothorax", NEG),
    ("The heart is not enlarged.", "Cardiomegaly", NEG),
    ("The heart is enlarged.", "Cardiomegaly", POS),
    ("Cardiomegaly without edema.", "Cardiomegaly", POS),
    ("Cardiomegaly without edema.", "Edema", NEG),
    ("Cannot exclude early pneumonia.", "Pneumonia", UNC),
    ("Right basilar opacity may represent atelectasis.", "Atelectasis", UNC),
    ("Findings are concerning for pneumonia.", "Pneumonia", UNC),
    ("Patchy opacity suggesting pneumonia.", "Pneumonia", UNC),
    ("A small effusion cannot be excluded.", "Effusion", UNC),
    ("There is no focal airspace opacity to suggest a pneumonia.", "Pneumonia", NEG),
    ("No suspicious pulmonary nodules.", "Nodule", NEG),
    ("No change in the left lower lobe atelectasis.", "Atelectasis", POS),
    ("No effusion, but there is a small right pneumothorax.", "Pneumothorax", POS),
    ("Extensive subcutaneous emphysema in the right chest wall.", "Emphysema", NEG),
    ("Large hiatal hernia.", "Hernia", POS),
    # "X versus Y" weighs two candidates and asserts neither (issue 15).
    ("Bibasilar atelectasis versus scarring.", "Atelectasis", UNC),
])
def test_each_mention_is_asserted_negated_or_uncertain_by_its_sentence(text, finding, expected):
    assert labels(text)[finding] == expected


def test_a_report_that_finds_nothing_abnormal_is_normal():
    result = labels("The heart is normal in size. The lungs are clear. No pleural effusion or pneumothorax. "
                    "No acute cardiopulmonary disease.")
    assert result["normal"] == POS
    assert all(result[f] == NEG for f in LABEL_COLUMNS if f != "normal")


def test_an_abnormality_outside_the_fourteen_makes_a_study_not_normal():
    result = labels("Heart size normal. Lungs are clear. Calcified granuloma in the right upper lobe.")
    assert result["normal"] == NEG
    assert all(result[f] == NEG for f in LABEL_COLUMNS if f != "normal")


def test_an_asserted_finding_wins_over_a_negated_mention_elsewhere_in_the_report():
    result = labels("No pleural effusion on the left. Small right pleural effusion.")
    assert result["Effusion"] == POS and result["normal"] == NEG


def test_binary_labels_count_uncertain_as_absent():
    result = label_report("Cannot exclude pneumonia.")
    assert result.labels["Pneumonia"] == UNC and result.binary()["Pneumonia"] == 0


def test_evidence_names_the_sentence_and_the_decision():
    evidence = label_report("No pneumothorax. Small effusion.").evidence("Pneumothorax")
    assert evidence == ["negated: 'pneumothorax' in 'no pneumothorax.'"]


@pytest.mark.parametrize("text, why", [
    ("", "empty"), ("   \n ", "empty"), ("XXXX XXXX.", "no words"),
    ("Pas d'épanchement pleural. Le cœur est de taille normale et les poumons sont clairs.", "English"),
    ("Kein Pleuraerguss, kein Pneumothorax, Herz normal groß, Lunge frei, unauffälliger Befund.", "English"),
])
def test_empty_or_non_english_reports_are_refused_with_the_reason(text, why):
    with pytest.raises(InputError, match=why):
        label_report(text, report_id="R1")


def test_the_labels_agree_with_the_chexpert_samples(shared_data):
    """The CheXpert labeler's own samples (1 / 0 / -1), on the findings both label sets name."""
    folder = shared_data / "reports" / "chexpert_samples"
    same_name = {"Cardiomegaly": "Cardiomegaly", "Edema": "Edema", "Consolidation": "Consolidation",
                 "Pneumonia": "Pneumonia", "Atelectasis": "Atelectasis", "Pneumothorax": "Pneumothorax",
                 "Pleural Effusion": "Effusion"}
    rows = list(csv.DictReader(open(folder / "labeled_reports.csv", newline="", encoding="utf-8")))
    assert len(rows) == 4
    for row in rows:
        ours = labels(row["Reports"])
        for theirs, mine in same_name.items():
            if row[theirs] != "":
                assert ours[mine] == int(float(row[theirs])), (row["Reports"], theirs)
