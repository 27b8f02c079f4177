"""Issue 15's rule errors, each as a general rule with sentences whose labels were written by hand."""

from __future__ import annotations

import csv
import json

import pytest

from deepradiology.cli import main
from deepradiology.reports import label_report
from deepradiology.reports.assertion import assert_phrase
from deepradiology.reports.chexpert import CHEXPERT_OBSERVATIONS, chexpert_cell, label_chexpert
from deepradiology.reports.mentions import split_sentences

POS, NEG, UNC = 1, 0, -1


@pytest.mark.parametrize("text, finding, expected", [
    # Improving or past disease is still disease: not negation.
    ("Resolving RLL pneumonia.", "Pneumonia", POS),
    ("Partial clearing of the left lower lobe consolidation.", "Consolidation", POS),
    ("History of pneumonia.", "Pneumonia", POS),
    ("Known history of emphysema.", "Emphysema", POS),
    # Gone is negated.
    ("Interval resolution of the right pleural effusion.", "Effusion", NEG),
    # Differential diagnoses and hedges are uncertain.
    ("Right basilar opacity, likely atelectasis.", "Atelectasis", UNC),
    ("Nodule versus nipple shadow.", "Nodule", UNC),
    ("Atelectasis or pneumonia in the left base.", "Pneumonia", UNC),
    ("Atelectasis or pneumonia in the left base.", "Atelectasis", UNC),
    ("Possible small left effusion.", "Effusion", UNC),
    ("Cannot exclude a small pneumothorax.", "Pneumothorax", UNC),
    # ... but a negation over the list wins over the "or".
    ("No effusion or pneumothorax.", "Pneumothorax", NEG),
    ("Pneumothorax or effusion is not seen.", "Pneumothorax", NEG),
    # Thickened bronchial walls are airway disease, not pleural.
    ("Mild peribronchial thickening.", "Pleural_Thickening", NEG),
    ("Bronchial wall thickening.", "Pleural_Thickening", NEG),
    ("Mild right apical pleural thickening.", "Pleural_Thickening", POS),
    # Negation scope ends at "but", "however", "which".
    ("No pneumothorax, however a small left effusion is present.", "Effusion", POS),
    ("No consolidation but there is right lower lobe atelectasis.", "Atelectasis", POS),
    ("No new opacity which would suggest pneumonia; chronic emphysema.", "Emphysema", POS),
])
def test_issue15_rules(text, finding, expected):
    assert label_report(text).labels[finding] == expected


@pytest.mark.parametrize("text, count", [
    ("No pleural abnormality, e.g. effusion. Heart normal.", 2),
    ("Follow-up, i.e. repeat film. Lungs clear.", 2),
    ("Discussed with Dr. Smith. No pneumothorax.", 2),
    ("Nodule measures 1.5 cm. No effusion.", 2),
    ("Cardiomegaly. 2. Small effusion.", 2),
])
def test_the_sentence_splitter_does_not_break_at_abbreviations_or_decimals(text, count):
    assert len(split_sentences(text)) == count


def test_an_example_after_e_g_stays_inside_its_negation():
    assert label_report("No pleural abnormality, e.g. effusion.").labels["Effusion"] == NEG


def test_four_states_with_the_deciding_sentence():
    states = label_report("Heart size is normal. No pneumothorax. Opacity, likely atelectasis. "
                          "Small right effusion.").states
    assert states["Pneumothorax"].status == "negated" and states["Pneumothorax"].sentence == "no pneumothorax."
    assert states["Atelectasis"].status == "uncertain" and "likely" in states["Atelectasis"].cue
    assert states["Effusion"].status == "affirmed" and states["Effusion"].sentence == "small right effusion."
    assert states["Cardiomegaly"].status == "negated"  # the heart is said to be normal
    assert states["Edema"].status == "not_mentioned" and states["Edema"].sentence == ""
    assert states["normal"].status == "negated"


def test_a_normal_study_shows_its_normal_statement():
    states = label_report("Heart size normal. No acute cardiopulmonary disease.").states
    assert states["normal"].status == "affirmed"
    assert states["normal"].sentence == "no acute cardiopulmonary disease."


def test_differential_diagnoses_count_as_present_in_negbio_zero_one_but_hedges_do_not():
    result = label_report("Opacity, likely atelectasis. Cannot exclude pneumonia.")
    assert result.labels["Atelectasis"] == UNC and result.binary()["Atelectasis"] == 1
    assert result.labels["Pneumonia"] == UNC and result.binary()["Pneumonia"] == 0


@pytest.mark.parametrize("phrase, sentence, status", [
    ("chest pain", "Patient denies chest pain.", "negated"),
    ("appendicitis", "Findings are concerning for early appendicitis.", "uncertain"),
    ("hepatic steatosis", "Diffuse hepatic steatosis.", "affirmed"),
    ("fever", "No fever, but she reports a productive cough.", "negated"),
    ("cough", "No fever, but she reports a productive cough.", "affirmed"),
    ("metastatic disease", "Metastatic disease cannot be excluded.", "uncertain"),
    ("diabetes", "History of diabetes.", "affirmed"),
    ("renal cyst", "Simple renal cyst versus hemorrhagic cyst.", "uncertain"),
    ("pulmonary embolism", "No evidence of pulmonary embolism.", "negated"),
    ("hydronephrosis", "There is mild left hydronephrosis.", "affirmed"),
    ("appendicitis", "Findings likely represent acute appendicitis.", "uncertain"),
    ("free fluid", "The liver is normal; there is no free fluid.", "negated"),
    ("gallstones", "Gallstones without cholecystitis.", "affirmed"),
    ("cholecystitis", "Gallstones without cholecystitis.", "negated"),
    ("stroke", "Rule out stroke.", "uncertain"),
    ("hemorrhage", "No intracranial hemorrhage, mass effect or midline shift.", "negated"),
    ("midline shift", "No intracranial hemorrhage, mass effect or midline shift.", "negated"),
    ("lymphadenopathy", "Lymphadenopathy is not excluded.", "uncertain"),
    ("meniscal tear", "Possible meniscal tear.", "uncertain"),
    ("disc herniation", "Resolving disc herniation at L4-5.", "affirmed"),
])
def test_phrase_level_assertion_works_outside_the_chest_vocabulary(phrase, sentence, status):
    assert assert_phrase(phrase, sentence).status == status


def test_the_assert_cli_adds_status_and_refuses_a_phrase_not_in_its_sentence(tmp_path, capsys):
    table = tmp_path / "in.csv"
    table.write_text("id,phrase,sentence\n1,pneumonia,Resolving RLL pneumonia.\n2,nodule,No nodule.\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["reports", "assert", str(table), "-o", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 2
    rows = list(csv.DictReader(open(out, newline="", encoding="utf-8")))
    assert [r["status"] for r in rows] == ["affirmed", "negated"]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,phrase,sentence\n1,effusion,No pneumothorax.\n", encoding="utf-8")
    assert main(["reports", "assert", str(bad), "-o", str(tmp_path / "bad_out.csv")]) == 2
    assert "line 2" in capsys.readouterr().err and not (tmp_path / "bad_out.csv").exists()
    assert main(["reports", "assert", str(table), "-o", str(out)]) == 2  # exists, no --force


def test_chexpert_labels_match_the_chexpert_labeler_samples(shared_data, tmp_path, capsys):
    folder = shared_data / "reports" / "chexpert_samples"
    out = tmp_path / "cx.csv"
    assert main(["reports", "label", str(folder / "sample_reports.csv"), "-o", str(out), "--labels", "chexpert"]) == 0
    capsys.readouterr()
    ours = list(csv.DictReader(open(out, newline="", encoding="utf-8")))
    theirs = list(csv.DictReader(open(folder / "labeled_reports.csv", newline="", encoding="utf-8")))
    assert list(ours[0])[1:] == list(CHEXPERT_OBSERVATIONS)
    for mine, gold in zip(ours, theirs):
        assert {o: mine[o] for o in CHEXPERT_OBSERVATIONS} == {o: gold[o] for o in CHEXPERT_OBSERVATIONS}


def test_chexpert_no_finding_is_one_or_blank_and_ignores_support_devices():
    assert chexpert_cell(label_chexpert("Right PICC line in place. Lungs are clear.")["No Finding"]) == "1.0"
    found = label_chexpert("Possible left lower lobe pneumonia. No fracture.")
    assert found["No Finding"] is None and found["Pneumonia"] == UNC and found["Fracture"] == NEG


def test_front_ends_get_four_distinct_words_and_the_sentence():
    result = label_report("No pneumothorax. Small effusion. Possible pneumonia.")
    assert result.display("Pneumothorax") == ("negated", "no pneumothorax.")
    assert result.display("Effusion") == ("asserted", "small effusion.")
    assert result.display("Pneumonia") == ("uncertain", "possible pneumonia.")
    assert result.display("Edema") == ("not mentioned", "")


def test_the_per_letter_mention_search_finds_exactly_what_the_plain_scan_finds(shared_data):
    from deepradiology.reports import read_reports
    from deepradiology.reports.mentions import _find_mentions_scan, find_mentions

    reports = [r for r in read_reports(shared_data / "reports" / "openi_dev_reports.tgz") if hasattr(r, "text")]
    sentences = [s for r in reports[::10] for s in split_sentences(r.text)]
    sentences += ["subcutaneous emphysema and a left-sided effusion.", "hyperinflation; no 2nd nodule (3 mm)."]
    assert len(sentences) > 1000
    assert all(find_mentions(s) == _find_mentions_scan(s) for s in sentences)


def test_the_assert_cli_names_a_missing_column(tmp_path, capsys):
    table = tmp_path / "in.csv"
    table.write_text("id,text\n1,No effusion.\n", encoding="utf-8")
    assert main(["reports", "assert", str(table), "-o", str(tmp_path / "out.csv")]) == 2
    err = capsys.readouterr().err
    assert "in.csv" in err and "lacks columns ['phrase', 'sentence']" in err
