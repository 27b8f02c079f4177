"""``python -m deepradiology`` runs the CLI (Slicer's ``PythonSlicer -m deepradiology`` too)."""

import sys

from .cli import main

sys.exit(main())
