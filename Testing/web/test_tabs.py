"""Several browser tabs each get their own session: what one tab does never shows up in another."""

from __future__ import annotations

import pytest

from .conftest import open_tab, select_study, shown_study

pytestmark = pytest.mark.browser


def test_two_tabs_get_separate_sessions_and_a_study_change_stays_in_its_tab(a_browser, a_default_patient_server):
    first = open_tab(a_browser, a_default_patient_server.url)
    second = open_tab(a_browser, a_default_patient_server.url)
    try:
        assert first.url != second.url  # each tab has its own session (and worker process)
        assert "Phantom study 1" in shown_study(first) and "Phantom study 1" in shown_study(second)
        select_study(first, "Phantom study 2")
        assert "Phantom study 2" in shown_study(first)
        second.reload()
        assert "Phantom study 1" in shown_study(second)
    finally:
        first.close()
        second.close()
