"""`import deepradiology` must stay cheap and Slicer-free: heavy and GUI libraries load only when used."""

import subprocess
import sys

FORBIDDEN = ("torch", "monai", "faiss", "slicer", "vtk", "vtkmodules", "qt", "PySide6", "PyQt5", "ctk")


def test_importing_the_core_imports_no_torch_slicer_vtk_or_qt():
    code = (
        "import sys, deepradiology, deepradiology.io, deepradiology.phantom, deepradiology.deeplesion, "
        "deepradiology.cli\n"
        f"bad = sorted({{m.split('.')[0] for m in sys.modules}} & set({FORBIDDEN!r}))\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import deepradiology pulled in: {out.stdout.strip()}"


def test_building_the_cli_parser_imports_no_torch():
    code = (
        "import sys\nfrom deepradiology.cli import build_parser\nbuild_parser()\n"
        "print(','.join(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'monai', 'faiss', 'slicer', 'vtk'})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"deepradiology --help would import: {out.stdout.strip()}"
