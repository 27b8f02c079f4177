"""Issue 17 in the web app: what the image reader says about a file the radiologist opened reaches them.

A NIfTI whose sform ITK cannot represent (a shear) is read with the qform instead; the CLI prints that
as one warning line. Opened from the browser it used to vanish into the server's stderr: the study
opened as if nothing had been said about its geometry. Now the "Open an image" field shows the line,
naming the user's file (not the server's temporary copy), and a clean file shows nothing.
In-process on a real MRML scene and trame state (`inprocess`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .conftest import TEST_PHANTOM_SPACING
from .inprocess import make_workspace

sys.path.insert(0, str(Path(__file__).parents[1] / "badinput"))
from _badvolumes import SHAPE, _nifti_header, _voxels  # noqa: E402
from test_reader_messages import sheared_sform_nifti  # noqa: E402

pytest.importorskip("slicer", reason="the panel tests need the slicer-core wheel (pip install 'deepradiology[mrml]')")
pytest.importorskip("trame", reason="the panel tests need trame (pip install 'deepradiology[web]')")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def uploads(tmp_path_factory):
    """(trame state, upload manager) of a tab over the default case."""
    from deepradiology.frames import parse_point
    from deepradiology_mrml.scene import close_scene, create_scene
    from deepradiology_web.default_data import embedded_default_case
    from deepradiology_web.uploads import UploadManager

    case = embedded_default_case(tmp_path_factory.mktemp("upload_case"), spacing=tuple(parse_point(TEST_PHANTOM_SPACING)))
    scene = create_scene()
    ws, _ = make_workspace(scene, case)
    ws.state.ready()
    yield ws.state, UploadManager(scene=scene, studies=ws.studies, state=ws.state)
    close_scene(scene)


def _open(state, name: str, content: bytes) -> None:
    state.upload_file = {"name": name, "content": content}
    state.flush()


def test_a_reader_warning_on_an_opened_file_is_shown_under_the_field_naming_the_users_file(uploads):
    state, _ = uploads
    _open(state, "sheared.nii", sheared_sform_nifti())
    assert state.upload_error == ""
    assert "sform" in state.upload_message and "sheared.nii" in state.upload_message, state.upload_message
    assert "deepradiology-upload-" not in state.upload_message   # not the server's temporary file


def test_a_clean_file_shows_no_message_and_a_refused_one_shows_only_the_reason(uploads):
    state, _ = uploads
    _open(state, "clean.nii", _nifti_header(SHAPE) + _voxels())
    assert state.upload_error == "" and state.upload_message == ""
    _open(state, "negative-spacing.nii", _nifti_header(SHAPE, pixdim=(-1.0, 1.0, 1.0)) + _voxels())
    # the field itself shows the chosen file's name; the error under it is the reason, never the server's copy
    assert "spacing" in state.upload_error and "negative" in state.upload_error, state.upload_error
    assert "deepradiology-upload-" not in state.upload_error and state.upload_message == ""
