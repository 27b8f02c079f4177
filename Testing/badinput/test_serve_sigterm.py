"""Issue 17 item 7: `deepradiology serve` stopped with SIGTERM cleans up as Ctrl+C does."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_sigterm_stops_serve_and_removes_its_work_folder(tmp_path):
    env = {"PYTHONPATH": str(REPO / "DeepRadiologyLib"), "PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path),
           "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen([sys.executable, "-m", "deepradiology", "serve", "--port", "0",
                             "--phantom-spacing", "2.0,2.0,5.0", "--max-tabs", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        seen, deadline = "", time.monotonic() + 120
        while "serving at" not in seen and time.monotonic() < deadline and proc.poll() is None:
            if sel.select(timeout=1):  # raw reads: a buffered readline can hide a line from select
                seen += os.read(proc.stdout.fileno(), 65536).decode("utf-8", "replace")
        assert "serving at" in seen, seen
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith("deepradiology-serve-")]
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    assert rc == 0, seen
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith("deepradiology-serve-")]
