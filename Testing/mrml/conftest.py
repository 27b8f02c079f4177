"""The MRML bridge tests run on the real ``slicer-core`` wheel (their `a_scene` fixture is in Testing/conftest.py)."""

from __future__ import annotations

import pytest

pytest.importorskip("slicer", reason="the MRML bridge tests need the slicer-core wheel (pip install slicer-core)")
