"""The ``deepradiology`` command: one subcommand per capability, each in its own module here.

Each command module defines ``register(subparsers)``, which adds its parser and sets ``func`` (a
function taking the parsed arguments and returning an exit code). Errors the user can act on
(`DeepRadiologyError`) print one line and exit with code 2. So does an operating-system error about a
named file (permission denied, disk full, not a folder), the one kind of failure that checking
inputs and outputs up front cannot rule out, and a missing package of an optional extra (the line names
the extra); anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys

from .. import __version__
from ..errors import DeepRadiologyError

__all__ = ["main", "build_parser", "COMMAND_MODULES"]

#: Command modules in the order their commands are listed in ``--help``.
COMMAND_MODULES = (
    "phantom",
    "demo",
    "longitudinal",
    "reports",
    "cxr",
    "serve",
    "recist",
    "models",
    "retrieval",
    "pancreas",
    "dicom",
    "pacs",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deepradiology",
        description="Deep-learning radiology tools: RECIST measurement, lesion tracking and retrieval, "
                    "pancreas segmentation, chest X-ray triage. Positions are in mm; volumes in mL.",
    )
    parser.add_argument("--version", action="version", version=f"deepradiology {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


@contextlib.contextmanager
def _one_line_warnings(command: str):
    """While a command runs, show each warning as one line naming the command, as errors are: not Python's
    file:line and source text. Python's own display comes back afterwards (main is also called in-process)."""
    import warnings

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001 (warnings' signature)
        print(f"deepradiology {command}: warning: {' '.join(str(message).split())}", file=file or sys.stderr)

    before, warnings.showwarning = warnings.showwarning, show
    try:
        yield
    finally:
        warnings.showwarning = before


#: Top-level modules of the optional extras (DeepRadiologyLib/pyproject.toml) -> the extra that brings them.
#: A command that needs one that is missing gets one line naming the extra, not an ImportError traceback.
OPTIONAL_MODULES = {
    "torch": "torch", "monai": "torch", "faiss": "retrieval", "nnunetv2": "nnunet", "nninteractive": "nninteractive",
    "highdicom": "dicom", "dicomweb_client": "dicom", "slicer": "mrml", "vtk": "mrml", "vtkmodules": "mrml",
    "MRMLCorePython": "mrml", "trame": "web", "trame_slicer": "web", "spacy": "reports-peer",
}


#: Extras that pip alone cannot install beside the pinned torch (their metadata pulls torchvision): the
#: Makefile installs them without those dependencies (requirements/peer-nodeps.txt).
MAKE_VENV_EXTRAS = {"nnunet", "reports-peer"}


def _missing_extra(exc: ImportError) -> str | None:
    """The extra whose package ``exc`` found missing, or None: the package is installed and fails inside
    (a broken install or a bug), which keeps its traceback."""
    import importlib.util

    name = (exc.name or "").split(".")[0]
    if name not in OPTIONAL_MODULES:
        return None
    try:
        if importlib.util.find_spec(name) is not None:
            return None
    except (ImportError, ValueError):
        pass
    return OPTIONAL_MODULES[name]


def _install_hint(extra: str) -> str:
    if extra in MAKE_VENV_EXTRAS:
        return "`make venv` in the DeepRadiology checkout installs it (requirements/peer-nodeps.txt)"
    return f"pip install -e 'DeepRadiologyLib[{extra}]' (in the DeepRadiology checkout)"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with _one_line_warnings(args.command):
            return int(args.func(args) or 0)
    except DeepRadiologyError as exc:
        # one line, whatever the message holds (a library's reason may span lines)
        print(f"deepradiology {args.command}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except ImportError as exc:
        extra = _missing_extra(exc)
        if extra is None:
            raise
        print(f"deepradiology {args.command}: error: this needs the optional package {exc.name.split('.')[0]}, "
              f"which is not installed: {_install_hint(extra)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader of stdout went away (`... | head`): nothing is wrong with the input; stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:
        if exc.filename is None:
            raise
        print(f"deepradiology {args.command}: error: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"deepradiology {args.command}: cancelled", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
