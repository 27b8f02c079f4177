"""Checks against what Slicer 5.8-5.12 and the Extension Index accept (issue 12).

- Slicer 5.8 ships Python 3.9: every module file and every file of the bridge and core that the
  extension ships must parse with Python 3.9's grammar (no ``match``, no parenthesised context
  managers), checked with ``ast.parse(feature_version=(3, 9))``. Annotations like ``X | None`` are
  fine only under ``from __future__ import annotations`` (they are then never evaluated).
- ``EXTENSION_CATEGORY`` must be a category extensions in the Slicer Extension Index already use
  (these names are from the index's .s4ext/CMake metadata; "Radiology" is not one), and the README
  must name the same category.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INDEX_CATEGORIES = {"Quantification", "Segmentation", "Registration", "Informatics", "Filtering", "Utilities",
                    "Examples", "DICOM", "IGT", "Diffusion", "Radiotherapy", "Shape Analysis", "Cardiac",
                    "Nuclear Medicine", "Developer Tools", "Tractography"}
SHIPPED = sorted([*ROOT.glob("DeepRadiology/*/*.py"), *ROOT.glob("DeepRadiologyLib/deepradiology_mrml/**/*.py"),
                  *ROOT.glob("DeepRadiologyLib/deepradiology/**/*.py")])


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_file_parses_with_python_3_9s_grammar(path):
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path), feature_version=(3, 9))
    uses_union_annotations = re.search(r"(->|:)\s*[^=\n]*\|\s*None", source) is not None
    future = any(isinstance(n, ast.ImportFrom) and n.module == "__future__" for n in tree.body)
    assert future or not uses_union_annotations, f"{path.name}: 'X | None' annotations need 'from __future__ import annotations' on 3.9"


def test_the_extension_category_is_one_the_index_uses_and_the_readme_names_it():
    category = re.search(r'set\(EXTENSION_CATEGORY "([^"]+)"\)', (ROOT / "CMakeLists.txt").read_text()).group(1)
    assert category in INDEX_CATEGORIES
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"*{category}*" in readme
    assert "under the *Radiology* category" not in readme


def test_no_panel_text_tells_an_extension_user_to_run_a_command_line_tool():
    """An extension install has no ``deepradiology`` command: help texts and .ui strings must say what to
    click instead (e.g. "Load model...")."""
    command = re.compile(r"['`\"]deepradiology [a-z]")
    offenders = []
    for path in [*ROOT.glob("DeepRadiology/*/*.py"), *ROOT.glob("DeepRadiology/*/Resources/UI/*.ui")]:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":  # only strings the user sees: helpText and tr()/_() strings
            text = "\n".join(line for line in text.splitlines() if '"' in line and not line.lstrip().startswith("#"))
        offenders += [f"{path.name}: {m.group(0)}" for m in command.finditer(text)]
    assert not offenders, offenders
