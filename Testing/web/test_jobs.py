"""Long work runs off the UI thread, reports progress to the page's state, and stops when cancelled."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest


@pytest.fixture()
def a_tab_state():
    from trame.app import get_server

    server = get_server(f"jobs-test-{time.monotonic_ns()}", client_type="vue3")
    return server.state


def _run(scenario):
    """Run ``scenario()`` on an event loop in its own thread (the "UI thread"), as trame's loop runs.

    Its own thread, because Playwright's sync API may already run a loop in the test's thread.
    """
    outcome = {}

    def ui_thread():
        outcome["thread"] = threading.get_ident()
        outcome["value"] = asyncio.run(scenario())

    thread = threading.Thread(target=ui_thread)
    thread.start()
    thread.join(60)
    return outcome


def test_a_job_runs_in_another_thread_and_its_result_comes_back_on_the_ui_thread(a_tab_state):
    from deepradiology_web.jobs import JobRunner

    busy_calls, results = [], []

    def work(progress):
        progress(0.5, "halfway")
        return threading.get_ident()

    async def scenario():
        runner = JobRunner(state=a_tab_state, set_busy=busy_calls.append)
        assert runner.start("Test job", work, on_done=lambda r: results.append((r, threading.get_ident())))
        while not results:
            await asyncio.sleep(0.01)
        return runner

    ui_thread = _run(scenario)["thread"]
    worker_thread, done_thread = results[0]
    assert worker_thread != ui_thread and done_thread == ui_thread
    assert busy_calls == [True, False]
    assert a_tab_state.job_running is False and a_tab_state.job_progress == 100


def test_cancel_stops_the_job_at_its_next_progress_report(a_tab_state):
    from deepradiology_web.jobs import JobRunner

    steps, done = [], []

    def work(progress):
        for step in range(1000):
            progress(step / 1000, f"step {step}")
            steps.append(step)
            time.sleep(0.005)
        return "finished"

    async def scenario():
        runner = JobRunner(state=a_tab_state)
        runner.start("Long job", work, on_done=done.append)
        while len(steps) < 5:
            await asyncio.sleep(0.01)
        runner.cancel()
        while runner.running:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)

    _run(scenario)
    assert done == [] and len(steps) < 1000
    assert a_tab_state.job_running is False and a_tab_state.job_message == "cancelled"


def test_a_failing_job_shows_its_error_and_frees_the_runner(a_tab_state):
    from deepradiology.errors import InputError
    from deepradiology_web.jobs import JobRunner

    errors = []

    def work(progress):
        raise InputError("study 2", "holds no CT")

    async def scenario():
        runner = JobRunner(state=a_tab_state)
        runner.start("Failing job", work, on_done=lambda r: None, on_error=errors.append)
        while runner.running or not errors:
            await asyncio.sleep(0.01)

    _run(scenario)
    assert errors == ["study 2: holds no CT"]
    assert a_tab_state.job_error == "study 2: holds no CT" and a_tab_state.job_running is False


def test_a_second_job_is_refused_while_one_runs(a_tab_state):
    from deepradiology_web.jobs import JobRunner

    release = threading.Event()

    async def scenario():
        runner = JobRunner(state=a_tab_state)
        assert runner.start("First", lambda progress: release.wait(5), on_done=lambda r: None)
        refused = not runner.start("Second", lambda progress: None, on_done=lambda r: None)
        release.set()
        while runner.running:
            await asyncio.sleep(0.01)
        return refused

    assert _run(scenario)["value"]
    assert "still running" in a_tab_state.job_error


def test_cancelling_the_matching_job_stops_it_inside_the_registration_and_keeps_the_scene(
        a_tab_state, a_scene, a_coarse_phantom_patient):
    """The tracks panel's job (issue 12): its Cancel used to wait for each registration to finish."""
    from deepradiology.longitudinal.phantom_eval import phantom_studies
    from deepradiology_mrml.logic.longitudinal import LongitudinalMatchLogic, StudyInput
    from deepradiology_mrml.volumes import image_to_volume_node
    from deepradiology_web.jobs import JobRunner

    studies = phantom_studies(a_coarse_phantom_patient, with_images=False)
    inputs = [StudyInput(image_to_volume_node(a_scene, s.ct, s.plan.study_id), study.lesions, s.plan.date)
              for s, study in zip(a_coarse_phantom_patient.studies, studies)]
    logic = LongitudinalMatchLogic(a_scene)
    nodes = a_scene.GetNumberOfNodes()
    messages, done, timing = [], [], {}

    def work(progress):
        def watched(fraction, message=""):
            messages.append(message)
            progress(fraction, message)
        return logic.run(inputs, register=True, progress=watched)

    async def scenario():
        runner = JobRunner(state=a_tab_state)
        runner.start("Matching lesions across studies", work, on_done=done.append)
        while not any("iteration" in m for m in messages):   # the optimiser is running
            if not runner.running:
                return
            await asyncio.sleep(0.005)
        timing["cancel"] = time.monotonic()
        runner.cancel()
        while runner.running:
            await asyncio.sleep(0.005)
        timing["stopped"] = time.monotonic()
        await asyncio.sleep(0.05)

    _run(scenario)
    assert "cancel" in timing, "the job ended before its registration reported an iteration"
    assert timing["stopped"] - timing["cancel"] < 2.0
    assert done == [] and a_tab_state.job_message == "cancelled"
    assert a_scene.GetNumberOfNodes() == nodes and logic.result is None and logic.tracks_table is None
