"""The Slicer module files cannot run without Slicer, so check statically that they import only what exists.

Every ``from deepradiology... import name`` in a module file (at any depth, as the modules import lazily)
must name a real attribute of the core or the bridge; a renamed Logic class or function fails here, not
in a radiologist's Slicer.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULE_FILES = sorted(p for p in (REPO / "DeepRadiology").glob("*/*.py") if p.stem == p.parent.name)


def _project_imports(path: Path) -> list[tuple[str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [(node.module, alias.name) for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            and node.module and node.module.split(".")[0] in ("deepradiology", "deepradiology_mrml")
            for alias in node.names]


def test_there_are_module_files_to_check():
    assert MODULE_FILES, "no DeepRadiology/<Module>/<Module>.py found"


@pytest.mark.parametrize("path", MODULE_FILES, ids=lambda p: p.stem)
def test_a_module_file_imports_only_names_the_packages_have(path):
    pytest.importorskip("slicer", reason="the bridge needs the slicer-core wheel (pip install 'deepradiology[mrml]')")
    missing = []
    for module, name in _project_imports(path):
        target = importlib.import_module(module)
        if not hasattr(target, name):
            try:
                importlib.import_module(f"{module}.{name}")
            except ImportError:
                missing.append(f"{module}.{name}")
    assert not missing, f"{path.name} imports names that do not exist: {missing}"


_SHARED_USE = re.compile(r"(?:self\._shared\([^)]*\)|self\.shared|(?<![\w.])shared)\.([A-Za-z_]\w*)")
_SHARED_CLASS = re.compile(r"from (deepradiology_mrml\.logic\.\w+) import (\w+) as SharedLogic")


@pytest.mark.parametrize("path", MODULE_FILES, ids=lambda p: p.stem)
def test_a_module_file_calls_only_what_its_shared_logic_has(path):
    """``self.shared.<name>`` / ``self._shared().<name>`` must be a method, property or attribute of the
    shared Logic class the module wraps (attributes: assigned as ``self.<name> =`` in that class)."""
    pytest.importorskip("slicer", reason="the bridge needs the slicer-core wheel (pip install 'deepradiology[mrml]')")
    text = path.read_text(encoding="utf-8")
    found = _SHARED_CLASS.search(text)
    if found is None:
        pytest.skip(f"{path.name} wraps no shared Logic")
    cls = getattr(importlib.import_module(found.group(1)), found.group(2))
    source = inspect.getsource(cls)
    logic_part = text.split(f"class {path.stem}Logic", 1)[-1].split(f"class {path.stem}Test", 1)[0]
    used = set(_SHARED_USE.findall(logic_part))
    assert used, f"{path.name}: found no use of its shared Logic to check"
    unknown = sorted(n for n in used if not hasattr(cls, n) and f"self.{n} =" not in source
                     and f"self.{n}:" not in source)
    assert not unknown, f"{path.name} uses {unknown} that {cls.__name__} does not have"
