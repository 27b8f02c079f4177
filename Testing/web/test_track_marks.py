"""Issue 11 in the web app: a lesion found gone is "absent", not "not evaluated", from the tracks table
to the RECIST 1.1 response, and the default patient's prior readings say so.

In-process on a real MRML scene and trame state (`inprocess`). Expected categories come from the
phantom's own truth (`phantom_eval.truth_categories`, written from the RECIST paper without the
engine) or are written here by hand from Eisenhauer et al. 2009.
"""

from __future__ import annotations

import pytest

from .conftest import TEST_PHANTOM_SPACING
from .inprocess import make_workspace

pytest.importorskip("slicer", reason="the panel tests need the slicer-core wheel (pip install 'deepradiology[mrml]')")
pytest.importorskip("trame", reason="the panel tests need trame (pip install 'deepradiology[web]')")


@pytest.fixture(scope="module")
def a_default_case(tmp_path_factory):
    """The web app's embedded default patient (as ``deepradiology serve`` makes it), and its phantom."""
    from deepradiology.frames import parse_point
    from deepradiology.phantom import generate_phantom
    from deepradiology_web.default_data import DEFAULT_PHANTOM_SEED, embedded_default_case

    spacing = tuple(parse_point(TEST_PHANTOM_SPACING))
    case = embedded_default_case(tmp_path_factory.mktemp("default_case"), spacing=spacing)
    return case, generate_phantom(DEFAULT_PHANTOM_SEED, n_studies=3, spacing=spacing)


def _overall(ws) -> list[str]:
    return [row["overall response"] for row in ws.state.tracks_response_rows]


def _track_of(panel, lesion_id: str) -> str:
    result = panel._logic.result
    return next(t.track_id for t in result.tracks if lesion_id in t.lesions.get("S0", []))


def test_prior_readings_mark_vanished_lesions_absent_and_keep_them_out_of_the_database(a_default_case):
    from deepradiology.lesion import load_lesions
    from deepradiology.retrieval import LesionDatabase

    case, phantom = a_default_case
    truth = phantom.ground_truth()["studies"]
    for n, (image, study) in enumerate(zip(case.images, truth)):
        records = load_lesions(image.lesions)
        gone = {t["track_id"] for earlier in truth[:n] for t in earlier["lesions"]} - \
            {t["track_id"] for t in study["lesions"]}
        absent = [r for r in records if r.extra.get("status") == "absent"]
        assert len(absent) == len(gone)                   # S1 and S2: the one lesion that vanished after S0
        assert {r.extra["same_as"].split("-")[1] for r in absent} == gone
        assert len(records) - len(absent) == len(study["lesions"])
    db = LesionDatabase(case.lesion_database)
    try:
        expected = sum(len(s["lesions"]) for s in truth[1:])
        assert db.count() == expected                      # seen lesions only, no absent marks
    finally:
        db.close()


@pytest.mark.slow
def test_default_flow_gives_the_truth_response_and_marks_move_it(a_scene, a_default_case):
    from deepradiology.longitudinal.phantom_eval import truth_categories
    from deepradiology_web.panels.tracks import TracksPanel

    case, phantom = a_default_case
    ws, studies = make_workspace(a_scene, case)
    panel = TracksPanel(ws)
    panel.run_matching()
    assert ws.jobs.error == ""
    truth = truth_categories(phantom.ground_truth())
    assert truth == ["baseline", "SD", "PD"]               # what the phantom's plan says, for the reader
    assert _overall(ws) == truth

    # The baseline liver lesion that vanishes after S0 (phantom truth T2), a target.
    vanished = next(t["lesion_id"] for t in phantom.studies[0].lesions
                    if t["track_id"] not in {u["track_id"] for u in phantom.studies[1].lesions})
    track = _track_of(panel, vanished)
    row = next(r for r in ws.state.tracks_rows if r["track"] == track)
    assert row["S1 diameter (mm)"] == "gone"

    # RECIST 1.1 (by hand): a target not assessed makes the time point NE unless the assessed
    # targets already show PD; at S1 the others sum 94.7 mm < the 100.4 mm baseline, so NE.
    panel._marks.apply(track, "S1", "not_evaluated")
    assert ws.state.marks_error == ""
    assert _overall(ws)[1] == "NE"
    row = next(r for r in ws.state.tracks_rows if r["track"] == track)
    assert row["S1 diameter (mm)"] == "not evaluated"
    # ... and the mark is a record of S1's reading: matching again keeps it.
    s1 = studies.studies[1]
    assert [m.extra["status"] for m in ws.lesions.marks_for(s1)] == ["not_evaluated"]
    panel.run_matching()
    assert _overall(ws)[1] == "NE"

    # Found gone again: back to the truth.
    track = _track_of(panel, vanished)
    panel._marks.apply(track, "S1", "absent")
    assert _overall(ws) == truth
    assert [m.extra["status"] for m in ws.lesions.marks_for(s1)] == ["absent"]

    # A lesion measured at S1 cannot be marked gone there: the page says why, nothing changes.
    measured = next(t.track_id for t in panel._logic.result.tracks if t.lesions.get("S1"))
    panel._marks.apply(measured, "S1", "absent")
    assert "remove it before marking the lesion absent" in ws.state.marks_error
    assert _overall(ws) == truth
