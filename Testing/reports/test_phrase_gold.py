"""The phrase-level set derived from a report-level gold standard, and `reports assert` with ``start``.

The reports and gold labels here are written by hand; the expected rows follow the rule stated in
`deepradiology.reports.phrase_gold` (a finding named exactly once carries the report's label).
"""

from __future__ import annotations

import csv

from deepradiology.cli import main
from deepradiology.reports import LABEL_COLUMNS
from deepradiology.reports.assertion import assert_phrase
from deepradiology.reports.openi import Report
from deepradiology.reports.phrase_gold import derive_phrase_rows


def _gold(**positive):
    return {c: int(positive.get(c, 0)) for c in LABEL_COLUMNS}


def test_a_finding_named_once_carries_the_report_label():
    reports = [Report("CXR1", "No pneumothorax. Small left effusion. Effusion is stable."),
               Report("CXR2", "Small pericardial effusion. Subcutaneous emphysema. No mass effect."),
               Report("CXR3", "Nodules versus nipple shadows. Heart size normal.")]
    gold = {"CXR1": _gold(Effusion=1), "CXR2": _gold(), "CXR3": _gold(Nodule=1)}
    rows = derive_phrase_rows(reports, gold)
    by_id = {r["id"]: r for r in rows}
    # "effusion" twice in CXR1: no row; the lone "pneumothorax" is absent per the gold.
    assert "CXR1:Effusion" not in by_id
    assert by_id["CXR1:Pneumothorax"]["gold"] == "absent" and by_id["CXR1:Pneumothorax"]["sentence"] == "no pneumothorax."
    # Same word, another concept: no rows.
    assert not any(r["report_id"] == "CXR2" for r in rows)
    nodule = by_id["CXR3:Nodule"]
    assert nodule["gold"] == "present" and nodule["phrase"] == "nodules" and nodule["start"] == "0"


def test_reports_without_a_gold_row_give_no_rows():
    assert derive_phrase_rows([Report("CXR9", "No pneumothorax.")], {}) == []


def test_assert_phrase_judges_the_occurrence_at_start():
    sentence = "no nodule on the left; nodule on the right."
    assert assert_phrase("nodule", sentence).status == "negated"
    assert assert_phrase("nodule", sentence, start=sentence.rindex("nodule")).status == "affirmed"


def test_the_assert_cli_uses_an_optional_start_column(tmp_path, capsys):
    table = tmp_path / "in.csv"
    table.write_text("id,phrase,start,sentence\n1,nodule,23,no nodule on the left; nodule on the right.\n"
                     "2,nodule,,no nodule on the left; nodule on the right.\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["reports", "assert", str(table), "-o", str(out)]) == 0
    capsys.readouterr()
    assert [r["status"] for r in csv.DictReader(open(out, newline="", encoding="utf-8"))] == ["affirmed", "negated"]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,phrase,start,sentence\n1,nodule,5,no nodule on the left.\n", encoding="utf-8")
    assert main(["reports", "assert", str(bad), "-o", str(tmp_path / "bad_out.csv")]) == 2
    assert "line 2" in capsys.readouterr().err and not (tmp_path / "bad_out.csv").exists()


def test_the_derived_openi_set_rows_are_well_formed(shared_data):
    from deepradiology.reports import read_label_table, read_reports

    folder = shared_data / "reports"
    reports = [r for r in read_reports(folder / "openi_dev_reports.tgz") if hasattr(r, "text")][::5]
    gold = read_label_table(folder / "openi_dev_labels.csv")
    rows = derive_phrase_rows(reports, gold)
    assert len(rows) > 500 and len({r["id"] for r in rows}) == len(rows)
    for row in rows:
        start = int(row["start"])
        assert row["sentence"][start:start + len(row["phrase"])] == row["phrase"]
        assert row["gold"] == ("present" if gold[row["report_id"]][row["finding"]] == 1 else "absent")
        assert row["finding"] != "Hernia"


def test_the_openi_gold_has_no_uncertain_class_so_the_derived_set_is_two_way(shared_data):
    # Why the phrase set has no "uncertain" rows: the gold itself writes only 1 (present) and 0
    # (negated, hedged or never named), as its data README says.
    with open(shared_data / "reports" / "openi_dev_labels.csv", newline="") as handle:
        values = {row[c] for row in csv.DictReader(handle) for c in LABEL_COLUMNS}
    assert values == {"0", "1"}
