"""Everything the extension needs is in its CMake lists: a file left out is silently missing in Slicer.

- every ``.py``, ``.ui``, ``.png`` and ``.json`` under ``DeepRadiology/<Module>/`` is listed in a
  ``CMakeLists.txt`` of that module (relative to the list's folder), and every listed file exists;
- every module folder is ``add_subdirectory``'d in the top-level ``CMakeLists.txt`` (above
  ``## NEXT_MODULE``), and every ``add_subdirectory`` names an existing folder;
- every file of the ``deepradiology`` and ``deepradiology_mrml`` packages is listed in
  ``DeepRadiologyLib/CMakeLists.txt`` (``python DeepRadiologyLib/list_package_files.py --write``).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGED_SUFFIXES = {".py", ".ui", ".png", ".json"}

_SET = re.compile(r"\bset\s*\(\s*(\w+)\s+([^)]*)\)", re.IGNORECASE)
_VAR = re.compile(r"\$\{(\w+)\}")
_ADD_SUBDIRECTORY = re.compile(r"^\s*add_subdirectory\s*\(\s*([^)\s]+)\s*\)", re.IGNORECASE | re.MULTILINE)


def _cmake_text(path: Path) -> str:
    """The file without comments."""
    return "\n".join(line.split("#", 1)[0] for line in path.read_text(encoding="utf-8").splitlines())


def cmake_tokens(path: Path) -> set[str]:
    """Every word of a CMakeLists.txt, with ``${VAR}`` expanded from single-valued ``set(VAR value)``."""
    text = _cmake_text(path)
    variables = {"CMAKE_CURRENT_SOURCE_DIR": ""}
    for name, value in _SET.findall(text):
        words = value.split()
        if len(words) == 1:
            variables[name] = words[0].strip('"')
    tokens = set()
    for word in re.split(r"[\s()]+", text):
        word = word.strip('"')
        for _ in range(5):  # nested ${A}${B}
            word = _VAR.sub(lambda m: variables.get(m.group(1), m.group(0)), word)
        if word and "${" not in word:
            tokens.add(word.lstrip("/"))
    return tokens


def listed_files(cmake_file: Path) -> set[Path]:
    """Files a CMakeLists.txt lists, as absolute paths (``Name`` also stands for ``Name.py``, as in Slicer)."""
    folder = cmake_file.parent
    out = set()
    for token in cmake_tokens(cmake_file):
        for candidate in (folder / token, folder / f"{token}.py"):
            if candidate.is_file():
                out.add(candidate.resolve())
    return out


def module_dirs(root: Path = REPO) -> list[Path]:
    """The module folders: every folder directly under ``DeepRadiology/``."""
    base = root / "DeepRadiology"
    if not base.is_dir():
        return []
    return sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))


def _packaged_files(module_dir: Path) -> list[Path]:
    return sorted(p for p in module_dir.rglob("*") if p.is_file() and p.suffix in PACKAGED_SUFFIXES
                  and "__pycache__" not in p.parts)


def unlisted_module_files(module_dir: Path) -> list[str]:
    """Sentences naming each packaged file of a module that none of its CMakeLists.txt lists."""
    cmake_files = sorted(module_dir.rglob("CMakeLists.txt"))
    if not cmake_files:
        return [f"{module_dir.name}: has no CMakeLists.txt"]
    listed = set().union(*(listed_files(c) for c in cmake_files))
    return [f"{module_dir.name}: {p.relative_to(module_dir).as_posix()} is not listed in its CMakeLists.txt"
            for p in _packaged_files(module_dir) if p.resolve() not in listed]


def listed_but_missing(module_dir: Path) -> list[str]:
    """Sentences naming each file a module's CMakeLists.txt lists (by its suffix) that does not exist."""
    out = []
    for cmake_file in sorted(module_dir.rglob("CMakeLists.txt")):
        for token in sorted(cmake_tokens(cmake_file)):
            if Path(token).suffix in PACKAGED_SUFFIXES and not (cmake_file.parent / token).is_file():
                rel = cmake_file.relative_to(module_dir).as_posix()
                out.append(f"{module_dir.name}: {rel} lists {token}, which does not exist")
    return out


def subdirectory_problems(root: Path = REPO) -> list[str]:
    """Module folders the top-level CMakeLists.txt does not add, and added folders that do not exist."""
    top = root / "CMakeLists.txt"
    text = _cmake_text(top)
    added = [entry.strip('"').rstrip("/") for entry in _ADD_SUBDIRECTORY.findall(text)]
    problems = [f"CMakeLists.txt: add_subdirectory({entry}) names no folder with a CMakeLists.txt"
                for entry in added if not (root / entry / "CMakeLists.txt").is_file()]
    for module in module_dirs(root):
        rel = module.relative_to(root).as_posix()
        if rel not in added:
            problems.append(f"CMakeLists.txt: {rel} is not added (put add_subdirectory({rel}) above ## NEXT_MODULE)")
    if (root / "DeepRadiologyLib" / "CMakeLists.txt").is_file() and "DeepRadiologyLib" not in added:
        problems.append("CMakeLists.txt: add_subdirectory(DeepRadiologyLib) is missing")
    if "## NEXT_MODULE" not in top.read_text(encoding="utf-8"):
        problems.append("CMakeLists.txt: the '## NEXT_MODULE' marker is gone")
    return problems


def _list_package_files_module(lib_dir: Path):
    spec = importlib.util.spec_from_file_location("list_package_files", lib_dir / "list_package_files.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lib_list_problems(lib_dir: Path, tool_dir: Path = REPO / "DeepRadiologyLib") -> list[str]:
    """Files of the two packages missing from, or listed but absent in, ``lib_dir/CMakeLists.txt``."""
    tool = _list_package_files_module(tool_dir)
    block = tool.current_block((lib_dir / "CMakeLists.txt").read_text(encoding="utf-8"))
    if block is None:
        return ["DeepRadiologyLib/CMakeLists.txt: the generated file-list markers are missing"]
    listed = {line.strip() for line in block.splitlines()[1:-1]
              if line.strip() and not line.strip().startswith(("set(", ")"))}
    actual = set(tool.package_files(lib_dir))
    fix = " (run: python DeepRadiologyLib/list_package_files.py --write)"
    return ([f"DeepRadiologyLib/CMakeLists.txt does not list {f}{fix}" for f in sorted(actual - listed)]
            + [f"DeepRadiologyLib/CMakeLists.txt lists {f}, which does not exist{fix}" for f in sorted(listed - actual)])


# --- the real tree ---------------------------------------------------------------------------------

@pytest.mark.parametrize("module_dir", module_dirs(), ids=lambda p: p.name)
def test_every_script_and_resource_of_the_module_is_listed_in_its_cmakelists(module_dir):
    assert unlisted_module_files(module_dir) == []
    assert listed_but_missing(module_dir) == []


def test_every_module_folder_is_added_to_the_extension():
    assert subdirectory_problems() == []


def test_every_file_of_the_core_and_the_bridge_is_listed_for_the_extension():
    assert lib_list_problems(REPO / "DeepRadiologyLib") == []


# --- the checks catch what they should (a made-up extension in a temporary folder) -----------------

_TOP = """project(Fake)
find_package(Slicer REQUIRED)
add_subdirectory(DeepRadiologyLib)
add_subdirectory(DeepRadiology/Alpha)
## NEXT_MODULE
"""

_MODULE_CMAKE = """set(MODULE_NAME Alpha)

set(MODULE_PYTHON_SCRIPTS
  ${MODULE_NAME}.py
  ${MODULE_NAME}Lib/__init__
  )

set(MODULE_PYTHON_RESOURCES
  Resources/Icons/${MODULE_NAME}.png
  Resources/UI/${MODULE_NAME}.ui
  )

slicerMacroBuildScriptedModule(
  NAME ${MODULE_NAME}
  SCRIPTS ${MODULE_PYTHON_SCRIPTS}
  RESOURCES ${MODULE_PYTHON_RESOURCES}
  WITH_GENERIC_TESTS
  )
"""


@pytest.fixture
def a_made_up_extension(tmp_path):
    module = tmp_path / "DeepRadiology" / "Alpha"
    for rel in ("Alpha.py", "AlphaLib/__init__.py", "Resources/Icons/Alpha.png", "Resources/UI/Alpha.ui"):
        (module / rel).parent.mkdir(parents=True, exist_ok=True)
        (module / rel).write_text("x", encoding="utf-8")
    (module / "CMakeLists.txt").write_text(_MODULE_CMAKE, encoding="utf-8")
    (tmp_path / "CMakeLists.txt").write_text(_TOP, encoding="utf-8")
    lib = tmp_path / "DeepRadiologyLib"
    for rel in ("deepradiology/__init__.py", "deepradiology_mrml/__init__.py"):
        (lib / rel).parent.mkdir(parents=True, exist_ok=True)
        (lib / rel).write_text("", encoding="utf-8")
    tool = _list_package_files_module(REPO / "DeepRadiologyLib")
    (lib / "CMakeLists.txt").write_text(tool.generated_block(tool.package_files(lib)) + "\n", encoding="utf-8")
    return tmp_path


def test_a_complete_made_up_extension_passes(a_made_up_extension):
    module = a_made_up_extension / "DeepRadiology" / "Alpha"
    assert unlisted_module_files(module) == []
    assert listed_but_missing(module) == []
    assert subdirectory_problems(a_made_up_extension) == []
    assert lib_list_problems(a_made_up_extension / "DeepRadiologyLib") == []


def test_an_icon_left_out_of_the_module_cmakelists_is_caught(a_made_up_extension):
    module = a_made_up_extension / "DeepRadiology" / "Alpha"
    (module / "Resources" / "Icons" / "Extra.png").write_text("x", encoding="utf-8")
    (module / "AlphaLib" / "presets.json").write_text("{}", encoding="utf-8")
    assert unlisted_module_files(module) == [
        "Alpha: AlphaLib/presets.json is not listed in its CMakeLists.txt",
        "Alpha: Resources/Icons/Extra.png is not listed in its CMakeLists.txt"]


def test_a_listed_file_that_was_deleted_is_caught(a_made_up_extension):
    module = a_made_up_extension / "DeepRadiology" / "Alpha"
    (module / "Resources" / "UI" / "Alpha.ui").unlink()
    assert listed_but_missing(module) == ["Alpha: CMakeLists.txt lists Resources/UI/Alpha.ui, which does not exist"]


def test_a_module_folder_not_added_to_the_top_level_cmakelists_is_caught(a_made_up_extension):
    beta = a_made_up_extension / "DeepRadiology" / "Beta"
    beta.mkdir()
    (beta / "CMakeLists.txt").write_text("set(MODULE_NAME Beta)\n", encoding="utf-8")
    problems = subdirectory_problems(a_made_up_extension)
    assert problems == ["CMakeLists.txt: DeepRadiology/Beta is not added (put add_subdirectory(DeepRadiology/Beta) "
                        "above ## NEXT_MODULE)"]
    assert unlisted_module_files(beta) == []


def test_a_module_folder_without_cmakelists_is_caught(a_made_up_extension):
    gamma = a_made_up_extension / "DeepRadiology" / "Gamma"
    gamma.mkdir()
    (gamma / "Gamma.py").write_text("", encoding="utf-8")
    assert unlisted_module_files(gamma) == ["Gamma: has no CMakeLists.txt"]


def test_a_new_core_file_missing_from_the_lib_cmakelists_is_caught(a_made_up_extension):
    lib = a_made_up_extension / "DeepRadiologyLib"
    (lib / "deepradiology" / "recist.py").write_text("", encoding="utf-8")
    (lib / "deepradiology_mrml" / "__init__.py").unlink()
    assert lib_list_problems(lib) == [
        "DeepRadiologyLib/CMakeLists.txt does not list deepradiology/recist.py "
        "(run: python DeepRadiologyLib/list_package_files.py --write)",
        "DeepRadiologyLib/CMakeLists.txt lists deepradiology_mrml/__init__.py, which does not exist "
        "(run: python DeepRadiologyLib/list_package_files.py --write)"]
