"""Issue 11, "lesion or not", in the web RECIST panel: every study may carry an organ map, which names
the measured lesion's location and refuses a click on a normal organ; without one the location reads
unknown. In-process on a real MRML scene and trame state (`inprocess`), on the app's own default case.

Expected organs come from independent sources: the phantom's truth (the organ each lesion was planted
in) and TotalSegmentator's masks of the real CT (the click is a voxel deep inside the left kidney's mask).
"""

from __future__ import annotations

import numpy as np
import pytest

from ..conftest import shared_data_dir, shared_file
from .conftest import TEST_PHANTOM_SPACING
from .inprocess import make_workspace

pytest.importorskip("slicer", reason="the panel tests need the slicer-core wheel (pip install 'deepradiology[mrml]')")
pytest.importorskip("trame", reason="the panel tests need trame (pip install 'deepradiology[web]')")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def a_reading(tmp_path_factory):
    """(workspace, RECIST panel, uploads, phantom baseline truth) over the default case, as a tab has them."""
    from deepradiology.frames import parse_point
    from deepradiology.phantom import generate_phantom
    from deepradiology_mrml.scene import close_scene, create_scene
    from deepradiology_web.default_data import DEFAULT_PHANTOM_SEED, embedded_default_case
    from deepradiology_web.panels.recist import RECISTPanel
    from deepradiology_web.uploads import UploadManager

    spacing = tuple(parse_point(TEST_PHANTOM_SPACING))
    case = embedded_default_case(tmp_path_factory.mktemp("organ_case"), spacing=spacing,
                                 shared_data=shared_data_dir())
    scene = create_scene()
    ws, _ = make_workspace(scene, case)
    ws.state.ready()        # as once a browser has connected: state changes call their listeners
    panel = RECISTPanel(ws)
    uploads = UploadManager(scene=scene, studies=ws.studies, state=ws.state)
    truth = generate_phantom(DEFAULT_PHANTOM_SEED, n_studies=1, spacing=spacing).studies[0]
    yield ws, panel, uploads, truth
    close_scene(scene)


def _largest_liver_lesion(truth) -> dict:
    return max((t for t in truth.lesions if t["organ"] == "liver"), key=lambda t: t["long_axis_mm"])


def _last_row(ws) -> dict:
    return ws.state.recist_rows[-1]


def _phantom_copy_without_organ_map(ws, scene_study):
    """The baseline CT opened again as an upload would be: the same voxels, no organ map."""
    from deepradiology_mrml.volumes import volume_node_to_image
    from deepradiology_web.default_data import CaseImage

    image = volume_node_to_image(scene_study.node)
    info = CaseImage(name="Study: baseline copy (opened here)", path="", kind="ct", patient="uploaded")
    return ws.studies.add(scene=ws.scene, image=image, info=info)


def test_a_phantom_liver_lesion_reads_liver_from_the_phantom_s_organ_map(a_reading):
    ws, panel, _, truth = a_reading
    baseline = ws.studies.studies[0]
    ws.studies.show(baseline)
    assert "Organ map: the phantom's organ labels" in ws.state.recist_organ_map
    lesion = _largest_liver_lesion(truth)
    panel._measure_at(lesion["centre_lps"])
    assert not ws.jobs.error
    assert "location: liver (from organ map: the phantom's organ labels)" in ws.state.recist_last
    assert _last_row(ws)["location"] == "liver"
    assert float(_last_row(ws)["long mm"]) == pytest.approx(lesion["long_axis_mm"], rel=0.10)


def test_a_click_on_the_real_ct_s_left_kidney_is_refused_with_the_reason_and_nothing_is_added(a_reading):
    from scipy import ndimage

    from deepradiology.io import read_volume

    ws, panel, _, _ = a_reading
    mask = read_volume(shared_file("ct/totalsegmentator/example_ct_organs/kidney_left.nii.gz"))
    real = next((s for s in ws.studies.studies if s.info.name.startswith("Real abdominal CT")), None)
    assert real is not None, "the default case offers the real CT when the shared data are there"
    ws.studies.show(real)
    assert "TotalSegmentator" in ws.state.recist_organ_map
    deep = np.argwhere(ndimage.binary_erosion(mask.array > 0, iterations=3))
    k, j, i = deep[len(deep) // 2]                  # a voxel 3 voxels (9 mm) inside the kidney's surface
    rows, records = len(ws.state.recist_rows), len(ws.lesions.lesions_for(real))
    panel._measure_at(mask.index_to_lps([int(i), int(j), int(k)]))
    assert ws.state.recist_last.startswith("Not measured:")
    assert "kidney_left" in ws.state.recist_last and "not a lesion" in ws.state.recist_last
    assert ws.state.recist_refused
    assert len(ws.state.recist_rows) == rows                       # no row, no record
    assert len(ws.lesions.lesions_for(real)) == records


def test_without_an_organ_map_the_location_reads_unknown_and_an_uploaded_map_then_names_it(a_reading):
    from deepradiology.errors import InputError
    from deepradiology.io import write_image
    from deepradiology.phantom import ORGAN_LABELS

    ws, panel, uploads, truth = a_reading
    copy = _phantom_copy_without_organ_map(ws, ws.studies.studies[0])
    assert ws.studies.current is copy
    assert ws.state.recist_organ_map.startswith("No organ map for this study")
    lesion = _largest_liver_lesion(truth)
    panel._measure_at(lesion["centre_lps"])
    assert "location unknown: no organ map" in ws.state.recist_last
    assert _last_row(ws)["location"] == "unknown"

    # A label map lying beside the CT (its organs a metre away) is refused, saying so.
    import dataclasses
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp())
    far = dataclasses.replace(truth.organs, origin=tuple(np.asarray(truth.organs.origin) + [0.0, 0.0, 1000.0]))
    bad = write_image(far, folder / "organs_far.nii.gz", force=True)
    with pytest.raises(InputError, match="does not overlap the CT at all"):
        uploads.open_organ_map([("organs_far.nii.gz", bad.read_bytes())])
    assert not copy.has_organ_map()

    # The same labels on the CT's grid become the study's organ map; a label map file names its values.
    good = write_image(truth.organs, folder / "organs.nii.gz", force=True)
    uploads.open_organ_map([("organs.nii.gz", good.read_bytes())])
    assert "uploaded label map organs.nii.gz" in ws.state.recist_organ_map
    panel._measure_at(lesion["centre_lps"])
    assert f"location: label {ORGAN_LABELS['liver']} (from organ map: uploaded label map" in ws.state.recist_last


def test_uploaded_organ_masks_named_by_organ_refuse_the_real_kidney_on_a_copy_of_the_real_ct(a_reading):
    from scipy import ndimage

    from deepradiology.io import read_volume
    from deepradiology_web.default_data import CaseImage

    ws, panel, uploads, _ = a_reading
    folder = shared_file("ct/totalsegmentator/example_ct_organs")
    ct = read_volume(shared_file("ct/totalsegmentator/example_ct.nii.gz"))
    copy = ws.studies.add(scene=ws.scene, image=ct, info=CaseImage(name="Study: example_ct.nii.gz (opened here)",
                                                                  path="", kind="ct", patient="uploaded"))
    assert not copy.has_organ_map()
    uploads._on_organ_file([{"name": p.name, "content": p.read_bytes()} for p in sorted(folder.iterdir())])
    assert not ws.state.organ_upload_error
    assert "5 uploaded organ masks" in ws.state.organ_upload_message
    kidney = read_volume(folder / "kidney_left.nii.gz").array > 0
    deep = np.argwhere(ndimage.binary_erosion(kidney, iterations=3))
    k, j, i = deep[len(deep) // 3]
    panel._measure_at(ct.index_to_lps([int(i), int(j), int(k)]))
    assert ws.state.recist_last.startswith("Not measured:") and "kidney_left" in ws.state.recist_last


def test_an_organ_map_for_a_radiograph_or_of_the_wrong_kind_is_refused_in_one_sentence(a_reading):
    from deepradiology.errors import InputError

    ws, _, uploads, _ = a_reading
    with pytest.raises(InputError, match="label volume"):
        uploads.open_organ_map([("organs.png", b"\x89PNG")], study=ws.studies.studies[0])
    radiograph = next((s for s in ws.studies.studies if s.info.kind == "radiograph"), None)
    if radiograph is not None:
        with pytest.raises(InputError, match="goes with a CT study"):
            uploads.open_organ_map([("organs.nii.gz", b"x")], study=radiograph)
