"""Fixtures for the MRML bridge tests: a properly set-up scene on the real ``slicer-core`` wheel."""

from __future__ import annotations

import pytest

pytest.importorskip("slicer", reason="the MRML bridge tests need the slicer-core wheel (pip install slicer-core)")


@pytest.fixture
def a_scene():
    """A fresh `create_scene` scene, closed (logics released) after the test."""
    from deepradiology_mrml.scene import close_scene, create_scene

    scene = create_scene()
    yield scene
    close_scene(scene)
