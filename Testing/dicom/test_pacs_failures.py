"""PACS failures from a scripted HTTP server: 5xx, timeouts, and a send that fails half-way."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from deepradiology.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


class _QuietHTTPServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # The timeout test's client hangs up before the delayed answer; writing it then fails in a handler
        # thread that outlives the test, and socketserver would print that traceback into a later test's stderr.
        pass


class _Server:
    """Answers POSTs (STOW) with the next status of ``stow_statuses``, GETs with ``get_status`` after ``delay_s``."""

    def __init__(self, stow_statuses=(), get_status=500, delay_s=0.0):
        outer = self
        self.stow_statuses = list(stow_statuses)
        self.posts = 0

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status):
                self.send_response(status)
                self.send_header("Content-Type", "application/dicom+json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def do_GET(self):
                time.sleep(delay_s)
                self._answer(get_status)

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.posts += 1
                self._answer(outer.stow_statuses.pop(0) if outer.stow_statuses else 500)

        self.httpd = _QuietHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/dicom-web"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def series_files(phantom_dicom):
    return [str(p) for p in sorted((phantom_dicom / "S0_dicom").iterdir())[:3]]


def test_server_error_on_query(capsys):
    server = _Server(get_status=503)
    try:
        assert main(["pacs", "--url", server.url, "query"]) == 2
    finally:
        server.close()
    err = capsys.readouterr().err
    assert "HTTP 503" in err and err.count("\n") == 1


def test_timeout_on_query(capsys):
    server = _Server(get_status=200, delay_s=3.0)
    try:
        assert main(["pacs", "--url", server.url, "--timeout", "0.5", "query"]) == 2
    finally:
        server.close()
    assert "timed out" in capsys.readouterr().err


def test_send_failing_half_way_names_what_was_stored(series_files, capsys):
    server = _Server(stow_statuses=[200, 500])
    try:
        assert main(["pacs", "--url", server.url, "send", *series_files]) == 2
    finally:
        server.close()
    err = capsys.readouterr().err
    assert "1 of 3 objects were stored before it" in err and series_files[0] in err
    assert f"storing {series_files[1]}" in err
    assert server.posts == 2  # nothing after the failure was sent
