"""Rule-based chest X-ray report labeler (the talk's two-stage method, no learned weights).

Stage 1 finds mentions of the 14 ChestX-ray14 findings and of abnormalities in general through a
vocabulary of synonyms and related terms; stage 2 keeps the asserted ones, using the sentence's
structure to find the scope of negation ("no", "without", "free of" ...) and of doubt ("cannot
exclude", "may represent", "concern for" ...).

>>> from deepradiology.reports import label_report
>>> label_report("No pneumothorax. Small left pleural effusion.").labels["Effusion"]
1
"""

from __future__ import annotations

from .evaluate import evaluate_label_files, read_label_table, score_labels
from .labeler import ReportLabels, check_report_text, label_report, label_reports
from .openi import Report, ReportProblem, read_reports
from .vocabulary import FINDINGS, LABEL_COLUMNS, NORMAL, TALK_FINDINGS
from .writer import problems_path_for, write_label_csv

__all__ = ["label_report", "label_reports", "ReportLabels", "check_report_text", "read_reports", "Report",
           "ReportProblem", "FINDINGS", "TALK_FINDINGS", "NORMAL", "LABEL_COLUMNS", "score_labels",
           "read_label_table", "evaluate_label_files", "write_label_csv", "problems_path_for"]
