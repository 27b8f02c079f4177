"""``deepradiology serve CT --organs PATH``: the user's own organ map for their own CT, checked at start.

A map that cannot be this CT's stops the server before it listens, in one line with exit 2; a map of
TotalSegmentator's masks on a coarser grid is resampled at start (the console says from which spacing)
and, in a tab, refuses a click deep inside the left kidney (a voxel of TotalSegmentator's own mask on the
CT's grid, an independent source) and says on the RECIST panel that it was resampled."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from ..conftest import shared_file
from .conftest import start_server

CT = "ct/totalsegmentator/example_ct.nii.gz"
ORGANS = "ct/totalsegmentator/example_ct_organs"


def _serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "deepradiology", "serve", "--port", "0", *args],
                          capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def coarse_masks(tmp_path_factory):
    """TotalSegmentator's masks of the real CT on a 6 mm grid (twice the CT's 3 mm), by the test's own
    sampling: coarse voxel (i, j, k) takes the CT voxel at (2i, 2j, 2k)."""
    from deepradiology.image import Image
    from deepradiology.io import read_volume, write_image

    folder = tmp_path_factory.mktemp("coarse_organs")
    for path in sorted(shared_file(ORGANS).iterdir()):
        mask = read_volume(path)
        coarse = (np.asarray(mask.array)[::2, ::2, ::2] > 0).astype(np.uint8)
        write_image(Image(coarse, spacing=tuple(2 * s for s in mask.spacing), origin=mask.origin,
                          direction=mask.direction), folder / path.name)
    return folder


def test_an_organ_map_beside_the_ct_stops_the_server_at_start_in_one_line(tmp_path):
    from deepradiology.image import Image
    from deepradiology.io import read_volume, write_image

    liver = read_volume(shared_file(f"{ORGANS}/liver.nii.gz"))
    far = write_image(Image((liver.array > 0).astype(np.uint8), spacing=liver.spacing, direction=liver.direction,
                            origin=tuple(np.asarray(liver.origin) + (0.0, 0.0, 1000.0))), tmp_path / "far.nii.gz")
    run = _serve("--organs", str(far), str(shared_file(CT)))
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2 and "serving at" not in run.stdout
    assert len(lines) == 1 and "far.nii.gz" in lines[0] and "does not overlap the CT" in lines[0]


@pytest.mark.parametrize("args, says", [
    (["--organs", "{missing}", "{ct}"], "does not exist"),
    (["--organs", "{organs}"], "give the CT as INPUT"),
    (["--organs", "{organs}", "{ct}", "{ct}"], "2 volumes were given"),
])
def test_organs_without_its_one_ct_or_missing_is_refused_at_start(tmp_path, args, says):
    paths = {"missing": str(tmp_path / "no_organs"), "organs": str(shared_file(ORGANS)), "ct": str(shared_file(CT))}
    run = _serve(*[a.format(**paths) for a in args])
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2 and "serving at" not in run.stdout
    assert len(lines) == 1 and says in lines[0]


@pytest.mark.slow
def test_a_coarse_organ_map_is_resampled_at_start_and_said_so_on_the_console(coarse_masks):
    server = start_server("--organs", str(coarse_masks), str(shared_file(CT)))
    try:
        console = "".join(server.output)
    finally:
        server.stop()
    assert "organ map" in console and "5 organ(s)" in console
    assert "resampled onto the CT's grid from 6.00 x 6.00 x 6.00 mm" in console


@pytest.mark.slow
def test_in_a_tab_the_resampled_map_refuses_the_left_kidney_and_the_panel_says_it_was_resampled(coarse_masks):
    pytest.importorskip("slicer", reason="the panel tests need the slicer-core wheel (pip install 'deepradiology[mrml]')")
    pytest.importorskip("trame", reason="the panel tests need trame (pip install 'deepradiology[web]')")
    from scipy import ndimage

    from deepradiology.io import read_volume
    from deepradiology_mrml.scene import close_scene, create_scene
    from deepradiology_web.default_data import Case, case_from_inputs
    from deepradiology_web.panels.recist import RECISTPanel

    from .inprocess import make_workspace

    case = case_from_inputs([shared_file(CT)], organs=coarse_masks)
    case = Case.load(case.save(coarse_masks.parent / "case.json"))        # as each tab's worker reads it
    scene = create_scene()
    try:
        ws, _ = make_workspace(scene, case)
        ws.state.ready()
        panel = RECISTPanel(ws)
        study = ws.studies.studies[0]
        ws.studies.show(study)
        assert "resampled onto the CT's grid from 6.00 x 6.00 x 6.00 mm" in ws.state.recist_organ_map
        kidney = read_volume(shared_file(f"{ORGANS}/kidney_left.nii.gz"))
        # 3 CT voxels (9 mm) deep: beyond the reach of a 6 mm voxel's nearest-neighbour boundary
        deep = np.argwhere(ndimage.binary_erosion(kidney.array > 0, iterations=3))
        k, j, i = deep[len(deep) // 2]
        panel._measure_at(kidney.index_to_lps([int(i), int(j), int(k)]))
        assert ws.state.recist_last.startswith("Not measured:") and "kidney_left" in ws.state.recist_last
        assert not ws.state.recist_rows
    finally:
        close_scene(scene)
