"""Cancel acts inside long steps, not only between them (issue 12).

Each long core loop gets a progress callback that raises `Cancelled` at its N-th call, the way the
Slicer progress dialog, the module panel and the web app's job bar do once Cancel was pressed. The loop
must stop there: no further progress call after the cancel, out within a second, and no output (no
result returned, no file written, no database row of the unit in progress). The callback's calls in a
full run are counted too: a loop that reported only at its start and end would pass "stops at once"
without Cancel ever acting inside it, so each loop must report once per unit of its work (slice,
optimiser iteration, window, film, row batch, index step).
"""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology.image import Image


def counting():
    calls: list[str] = []
    return calls, (lambda fraction, message="": calls.append(message))


# -- 3D propagation: one report per slice ------------------------------------------------------------------
@pytest.fixture(scope="module")
def a_ball_lesion():
    """A 40 HU ball of radius 12 mm in -80 HU fat, 1 x 1 x 1 mm voxels, and its mask on the centre slice."""
    k, j, i = np.mgrid[0:48, 0:48, 0:48]
    inside = (k - 24) ** 2 + (j - 24) ** 2 + (i - 24) ** 2 <= 12 ** 2
    ct = Image(np.where(inside, 40.0, -80.0).astype(np.float32), spacing=(1.0, 1.0, 1.0), modality="CT")
    return ct, inside[24]


def test_3d_propagation_reports_every_slice_and_stops_at_the_cancelled_one(a_ball_lesion, cancel_at_call):
    from deepradiology.recist.propagate import propagate_3d

    ct, key = a_ball_lesion
    calls, progress = counting()
    full = propagate_3d(ct, key, slice_index=24, progress=progress)
    assert full.n_slices >= 20 and sum(m.startswith("slice") for m in calls) >= full.n_slices - 1
    cancel = cancel_at_call(5)
    cancel.run_until_cancelled(lambda: propagate_3d(ct, key, slice_index=24, progress=cancel))


# -- registration: one report per optimiser iteration -----------------------------------------------------
def test_registration_reports_its_iterations_and_a_cancel_stops_the_optimiser(a_coarse_phantom_patient, cancel_at_call):
    from deepradiology.longitudinal.registration import register_follow_up

    base, follow = (s.ct for s in a_coarse_phantom_patient.studies[:2])
    cancel = cancel_at_call(12)   # a few iterations into the rigid stage's first (coarsest) level
    # SimpleITK still sets up each remaining level (its metric, ~0.2 s here) before it can stop it
    cancel.run_until_cancelled(lambda: register_follow_up(base, follow, progress=cancel), within_s=2.0)
    assert sum("iteration" in m for m in cancel.messages) >= 8, cancel.messages
    assert "rigid registration" in cancel.messages[-1]


def test_a_cancel_during_registration_is_not_taken_for_a_failed_registration(a_coarse_phantom_patient, cancel_at_call):
    """SimpleITK turns an exception in its observer into a RuntimeError, which reads as 'registration
    failed' (identity fallback): the cancel must come out as `Cancelled`, not as an alignment."""
    from deepradiology.longitudinal.tracking import align_studies, track_lesions
    from deepradiology.longitudinal.phantom_eval import phantom_studies

    studies = phantom_studies(a_coarse_phantom_patient)
    cancel = cancel_at_call(10)
    cancel.run_until_cancelled(lambda: align_studies(studies, progress=cancel), within_s=2.0)
    assert any("iteration" in m for m in cancel.messages), "align_studies did not pass progress to the registration"
    cancel = cancel_at_call(10)
    cancel.run_until_cancelled(lambda: track_lesions(studies, progress=cancel), within_s=2.0)


# -- pancreas sliding window: one report per window ----------------------------------------------------------
def test_sliding_window_inference_reports_every_window_and_stops_at_the_cancelled_one(cancel_at_call):
    import torch

    from deepradiology.pancreas.sliding_window import sliding_window_probability

    class Pointwise(torch.nn.Module):
        def forward(self, x):
            return 2.0 * x

    volume = np.zeros((24, 48, 48), np.float32)
    calls, progress = counting()
    sliding_window_probability(Pointwise(), volume, patch=(8, 16, 16), overlap=0.5, progress=progress)
    assert len(calls) == 5 * 5 * 5, "one report per window (5 windows along each axis)"
    cancel = cancel_at_call(7)
    cancel.run_until_cancelled(
        lambda: sliding_window_probability(Pointwise(), volume, patch=(8, 16, 16), overlap=0.5, progress=cancel))


# -- CXR folder: one report per film, and no worklist ------------------------------------------------------
def test_folder_triage_cancelled_at_the_second_film_writes_no_worklist_and_no_overlay(tmp_path, cancel_at_call):
    pytest.importorskip("torch", reason="the pancreas network needs torch: pip install -e 'DeepRadiologyLib[torch]'")
    from PIL import Image as PILImage

    from deepradiology.cxr.model import load_cxr_model
    from deepradiology.cxr.synthetic import SYNTHETIC_FINDINGS, synthetic_film
    from deepradiology.cxr.testing import untrained_checkpoint
    from deepradiology.cxr.triage import triage_paths

    films = tmp_path / "films"
    films.mkdir()
    rng = np.random.default_rng(5)
    for n in range(4):
        PILImage.fromarray((synthetic_film(rng, size=96).array * 255).astype(np.uint8)).save(films / f"f{n}.png")
    model = load_cxr_model(untrained_checkpoint(tmp_path / "cxr.pt", fixed={},
                                                operating_points={f: 0.5 for f in SYNTHETIC_FINDINGS}))
    out = tmp_path / "out" / "worklist.csv"
    cancel = cancel_at_call(2)
    cancel.run_until_cancelled(lambda: triage_paths([films], model, out, progress=cancel))
    assert not out.exists() and not (tmp_path / "out" / "worklist_heatmaps").exists()
    calls, progress = counting()
    triage_paths([films], model, out, progress=progress)
    assert sum(m.startswith("scored") for m in calls) == 4 and out.is_file()


# -- retrieval: index steps, DeepLesion row batches, NIfTI volumes ---------------------------------------------
def test_an_index_build_cancelled_between_steps_saves_no_index_file(tmp_path, cancel_at_call):
    from deepradiology.lesion import Lesion
    from deepradiology.retrieval import LesionDatabase, VectorIndex
    from deepradiology.retrieval.index import index_path_for

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(35_000, 8)).astype(np.float32)
    calls, progress = counting()
    VectorIndex(model="m", dim=8, kind="exact").build(np.arange(1, 35_001), vectors, progress=progress)
    assert sum(m == "adding vectors" for m in calls) >= 4, "one report per step of 10,000 vectors"

    with LesionDatabase(tmp_path / "l.db") as db:
        with db.transaction() as con:
            for n in range(300):
                db.insert_in(con, f"u{n}", Lesion(f"L{n}", patient="p", study="s"),
                             {"embedding": vectors[n], "model": "m"})
        cancel = cancel_at_call(2)
        cancel.run_until_cancelled(lambda: VectorIndex.for_database(db, "m", progress=cancel))
        assert not index_path_for(db.path, "m").exists(), "a cancelled build left an index file"


def test_a_deeplesion_import_cancelled_in_its_first_batch_stores_no_row(tmp_path, shared_data, cancel_at_call):
    from deepradiology.retrieval import LesionDatabase, import_deeplesion

    dl_info = shared_data / "deeplesion" / "DL_info_test.csv"
    if not dl_info.is_file():
        pytest.skip(f"real public data not found: {dl_info}")
    with LesionDatabase(tmp_path / "dl.db") as db:
        cancel = cancel_at_call(3)   # rows 0, 256, 512 of the first batch of 2000
        cancel.run_until_cancelled(lambda: import_deeplesion(db, dl_info, progress=cancel))
        assert db.count() == 0 and db.import_state(f"deeplesion:{dl_info.resolve()}")["rows_done"] == 0


def test_a_deeplesion_import_cancelled_later_keeps_only_whole_batches_and_resumes(tmp_path, shared_data, cancel_at_call):
    """Batches committed before the cancel are whole and recorded as an unfinished import (as after a
    crash); the batch in progress leaves nothing, and the next import completes without duplicates."""
    from deepradiology.retrieval import LesionDatabase, import_deeplesion

    dl_info = shared_data / "deeplesion" / "DL_info_test.csv"
    if not dl_info.is_file():
        pytest.skip(f"real public data not found: {dl_info}")
    with LesionDatabase(tmp_path / "dl.db") as db:
        cancel = cancel_at_call(8)   # batch 1: rows 0, 256, 512, 768 and its end; batch 2: rows 1000, 1256, 1512
        cancel.run_until_cancelled(lambda: import_deeplesion(db, dl_info, batch=1000, progress=cancel))
        assert db.count() == 1000
        assert not db.import_state(f"deeplesion:{dl_info.resolve()}")["finished"]
        rest = import_deeplesion(db, dl_info, batch=1000)
        assert rest.already_present == 1000 and db.count() == 4927


def test_a_nifti_folder_import_stops_before_the_next_volume(tmp_path, a_coarse_phantom_patient, cancel_at_call):
    from deepradiology.io import write_image
    from deepradiology.lesion import Lesion, save_lesions
    from deepradiology.retrieval import LesionDatabase, import_nifti_folder

    for n, study in enumerate(a_coarse_phantom_patient.studies):
        write_image(study.ct, tmp_path / f"v{n}.nii.gz")
        save_lesions([Lesion(t["lesion_id"], patient="p", study=f"s{n}", long_axis_lps=t["long_axis_lps"],
                             short_axis_lps=t["short_axis_lps"], long_axis_mm=t["long_axis_mm"],
                             short_axis_mm=t["short_axis_mm"]) for t in study.lesions], tmp_path / f"v{n}.json")
    with LesionDatabase(tmp_path / "l.db") as db:
        cancel = cancel_at_call(1)   # before the first volume is read
        cancel.run_until_cancelled(lambda: import_nifti_folder(db, tmp_path, progress=cancel))
        assert db.count() == 0
