"""Reading OpenI XML, CSV batches with bad reports in them, and the `reports` CLI."""

from __future__ import annotations

import csv
import json
import tarfile

import pytest

from deepradiology.cli import main
from deepradiology.errors import InputError
from deepradiology.reports import Report, ReportProblem, read_reports
from deepradiology.reports.openi import report_from_openi_xml


def openi_xml(uid, findings=None, impression=None, comparison="None."):
    def section(label, text):
        return f'<AbstractText Label="{label}">{text}</AbstractText>' if text is not None else \
            f'<AbstractText Label="{label}"/>'
    return (f'<?xml version="1.0" encoding="utf-8"?><eCitation><uId id="{uid}"/><MedlineCitation><Article>'
            f'<Abstract>{section("COMPARISON", comparison)}{section("INDICATION", "Cough.")}'
            f'{section("FINDINGS", findings)}{section("IMPRESSION", impression)}</Abstract></Article>'
            f'</MedlineCitation></eCitation>')


def test_an_openi_report_keeps_findings_and_impression_and_its_id():
    report = report_from_openi_xml(openi_xml("CXR7", "No effusion.", "Normal chest."), name="7.xml")
    assert isinstance(report, Report) and report.report_id == "CXR7"
    assert "No effusion" in report.text and "Normal chest" in report.text and "Cough" not in report.text


@pytest.mark.parametrize("xml, why", [
    (openi_xml("CXR8", None, None, comparison="PA and lateral 2010."), "only a comparison section"),
    (openi_xml("CXR9", None, None, comparison=None), "no findings or impression"),
    ("<eCitation><uId id='CXR10'/></eCitation>", "not an OpenI report"),
    ("<eCitation><uId id='CXR11'", "not well-formed XML"),
])
def test_an_unusable_openi_file_becomes_a_problem_with_its_reason(xml, why):
    problem = report_from_openi_xml(xml, name="x/11.xml")
    assert isinstance(problem, ReportProblem) and why in problem.problem


def write_batch(folder):
    folder.mkdir()
    (folder / "1.xml").write_text(openi_xml("CXR1", "Small right pleural effusion.", "Effusion."), encoding="utf-8")
    (folder / "2.xml").write_text(openi_xml("CXR2", None, None, comparison="Chest 2012."), encoding="utf-8")
    (folder / "3.xml").write_text(openi_xml("CXR3", "Heart normal. No pneumothorax.", "No acute disease."), encoding="utf-8")
    (folder / "4.xml").write_text(openi_xml("CXR4", "Pas d'épanchement, cœur de taille normale, poumons clairs.", None), encoding="utf-8")
    (folder / "5.xml").write_text("<not xml", encoding="utf-8")
    return folder


def test_the_cli_labels_a_folder_and_lists_the_reports_it_could_not_label(tmp_path, capsys):
    folder = write_batch(tmp_path / "reports")
    out = tmp_path / "labels.csv"
    assert main(["reports", "label", str(folder), "-o", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["labelled"] == 2 and summary["failed"] == 3
    rows = list(csv.DictReader(open(out, newline="", encoding="utf-8")))
    assert list(rows[0]) == ["filename", "Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass",
                             "Nodule", "Pneumonia", "Pneumothorax", "Consolidation", "Edema", "Emphysema",
                             "Fibrosis", "Pleural_Thickening", "Hernia", "normal"]
    by_id = {r["filename"]: r for r in rows}
    assert by_id["CXR1"]["Effusion"] == "1" and by_id["CXR1"]["normal"] == "0"
    assert by_id["CXR3"]["normal"] == "1" and by_id["CXR3"]["Pneumothorax"] == "0"
    problems = {r["filename"]: r["problem"] for r in csv.DictReader(open(summary["problems_file"], newline="", encoding="utf-8"))}
    assert "comparison" in problems["CXR2"] and "English" in problems["CXR4"] and "XML" in problems["CXR5"]


def test_the_cli_refuses_to_overwrite_and_reads_a_tgz_and_a_csv(tmp_path, capsys):
    folder = write_batch(tmp_path / "reports")
    archive = tmp_path / "reports.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="reports")
    out = tmp_path / "labels.csv"
    assert main(["reports", "label", str(archive), "-o", str(out)]) == 0
    assert main(["reports", "label", str(archive), "-o", str(out)]) == 2  # exists, no --force
    table = tmp_path / "reports.csv"
    table.write_text('id,report\nA,"Cannot exclude pneumonia."\nB,\n', encoding="utf-8")
    assert main(["reports", "label", str(table), "-o", str(tmp_path / "u.csv"), "--uncertain"]) == 0
    rows = list(csv.DictReader(open(tmp_path / "u.csv", newline="", encoding="utf-8")))
    assert [r["filename"] for r in rows] == ["A"] and rows[0]["Pneumonia"] == "-1"
    capsys.readouterr()


def test_a_csv_without_a_text_column_is_refused_by_name(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("id,notes\n1,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="no report text column"):
        list(read_reports(table))


def test_eval_prints_per_finding_and_micro_scores(tmp_path, capsys):
    folder = write_batch(tmp_path / "reports")
    pred = tmp_path / "labels.csv"
    main(["reports", "label", str(folder), "-o", str(pred)])
    gold = tmp_path / "gold.csv"
    gold.write_text(open(pred).read().replace("CXR3,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1", "CXR3,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0"), encoding="utf-8")
    capsys.readouterr()
    assert main(["reports", "eval", "--pred", str(pred), "--gold", str(gold)]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["per_label"]["Effusion"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "tp": 1, "fp": 0, "fn": 1}
    assert scores["per_label"]["normal"]["fp"] == 1
    assert scores["reports_scored"] == 2


def test_the_labeler_reaches_its_accuracy_on_the_openi_dev_reports(shared_data, tmp_path, capsys):
    """Regression guard on the 3,080 OpenI reports (the full figures are in docs/benchmarks.md)."""
    out = tmp_path / "labels.csv"
    assert main(["reports", "label", str(shared_data / "reports" / "openi_dev_reports.tgz"), "-o", str(out)]) == 0
    capsys.readouterr()
    main(["reports", "eval", "--pred", str(out), "--gold", str(shared_data / "reports" / "openi_dev_labels.csv")])
    scores = json.loads(capsys.readouterr().out)
    assert scores["reports_scored"] >= 3000
    assert scores["micro_talk8_normal"]["f1"] >= 0.92
    assert scores["micro_all"]["f1"] >= 0.90


def test_chexpert_s_headerless_sample_reports_are_read_one_per_row(shared_data, tmp_path, capsys):
    from deepradiology.cli import main

    out = tmp_path / "labels.csv"
    assert main(["reports", "label", str(shared_data / "reports" / "chexpert_samples" / "sample_reports.csv"),
                 "-o", str(out), "--uncertain"]) == 0
    rows = list(csv.DictReader(open(out, newline="", encoding="utf-8")))
    assert [r["filename"] for r in rows] == ["row1", "row2", "row3", "row4"]
    assert rows[0]["normal"] == "1" and rows[1]["Effusion"] == "1" and rows[2]["Atelectasis"] == "-1"
    capsys.readouterr()
