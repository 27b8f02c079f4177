"""The web app binds loopback by default, refuses other interfaces without a token, and serves no
data to a request without the token."""

from __future__ import annotations

import subprocess
import sys
import threading
import urllib.error
import urllib.request

import numpy as np
import pytest

from .conftest import open_tab, save_screenshot, start_server

TOKEN = "correct-horse-battery-staple"


def _get(url: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
    """GET without following redirects: (status, body, headers)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=30) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


@pytest.fixture(scope="module")
def a_small_ct(tmp_path_factory):
    """A tiny CT-like NIfTI, so the server starts in seconds."""
    import SimpleITK as sitk

    volume = np.full((8, 48, 48), -1000, dtype=np.int16)
    volume[:, 12:36, 12:36] = 40
    image = sitk.GetImageFromArray(volume)
    image.SetSpacing((1.0, 1.0, 3.0))
    path = tmp_path_factory.mktemp("ct") / "small_ct.nii.gz"
    sitk.WriteImage(image, str(path))
    return path


@pytest.fixture(scope="module")
def a_server_with_a_token(a_small_ct):
    server = start_server("--token", TOKEN, str(a_small_ct))
    yield server
    server.stop()


def test_the_default_interface_is_loopback():
    from deepradiology.cli import build_parser

    args = build_parser().parse_args(["serve"])
    assert args.host == "127.0.0.1"


def test_loopback_names_are_recognised_and_wildcards_are_not():
    from deepradiology_web.security import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.20") and not is_loopback("example.org")


def test_listening_on_all_interfaces_without_a_token_is_refused_at_start(a_small_ct):
    run = subprocess.run([sys.executable, "-m", "deepradiology", "serve", "--host", "0.0.0.0", "--port", "0",
                          str(a_small_ct)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "--token" in run.stderr
    assert "serving at" not in run.stdout


def test_a_request_without_the_token_gets_no_data(a_server_with_a_token):
    status, body, _ = _get(a_server_with_a_token.url)
    assert status == 403
    assert b"<html" not in body.lower() and len(body) < 100


def test_a_wrong_token_is_refused(a_server_with_a_token):
    status, _, _ = _get(a_server_with_a_token.url + "?token=not-the-token")
    assert status == 403


def test_a_tab_url_without_the_token_gets_no_data(a_server_with_a_token):
    status, _, headers = _get(a_server_with_a_token.url + f"?token={TOKEN}")
    assert status == 302
    tab_url = a_server_with_a_token.url.rstrip("/") + headers["Location"]
    for path in ("index.html", "ws"):
        status, body, _ = _get(tab_url + path)
        assert status == 403, path
        assert len(body) < 100


def test_a_blank_token_is_refused():
    from deepradiology.errors import InputError
    from deepradiology_web.security import AccessPolicy

    with pytest.raises(InputError, match="not counting blanks"):
        AccessPolicy(host="0.0.0.0", token=" " * 12)


def test_no_other_site_may_frame_the_pages(a_server_with_a_token):
    for headers in ({"Authorization": f"Bearer {TOKEN}"}, {}):       # served and refused answers alike
        _, _, answer = _get(a_server_with_a_token.url, headers=headers)
        assert answer["X-Frame-Options"] == "SAMEORIGIN"
        assert answer["Content-Security-Policy"] == "frame-ancestors 'self'"


def test_the_token_as_a_bearer_header_is_accepted(a_server_with_a_token):
    status, _, headers = _get(a_server_with_a_token.url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 302 and headers["Location"].startswith("/tab/")


def test_no_image_path_reaches_the_server_log(a_server_with_a_token, a_small_ct):
    assert not any(a_small_ct.name in line or str(a_small_ct.parent) in line
                   for line in a_server_with_a_token.output)


@pytest.mark.browser
def test_with_the_token_the_browser_gets_the_views(a_browser, a_server_with_a_token):
    page = open_tab(a_browser, a_server_with_a_token.url + f"?token={TOKEN}")
    try:
        assert "/tab/" in page.url
        assert "token" not in page.url  # the token moved into a cookie, out of the address bar history
        save_screenshot(page, "token-protected-session")
    finally:
        page.close()


def test_without_a_token_a_request_for_another_host_name_is_refused(a_small_ct):
    """A page elsewhere cannot reach the loopback server through a name of its own (DNS rebinding)."""
    server = start_server(str(a_small_ct))
    try:
        status, body, _ = _get(server.url, headers={"Host": "attacker.example:8080"})
        assert status == 403 and len(body) < 100
        # HTTP/1.0 without any Host header: refused the same way, no traceback in the server's output
        import socket

        host, port = server.url.split("//")[1].split("/")[0].rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=30) as conn:
            conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
            assert conn.recv(64).startswith(b"HTTP/1.0 403")
        assert not any("Traceback" in line for line in server.output)
        status, _, headers = _get(server.url)
        assert status == 302 and headers["Location"].startswith("/tab/")
    finally:
        server.stop()


def test_a_tab_worker_answers_only_requests_forwarded_by_the_broker():
    import asyncio

    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from deepradiology_web.security import WORKER_SECRET_HEADER, worker_secret_middleware

    async def scenario():
        app = web.Application(middlewares=[worker_secret_middleware("s3cret-of-this-tab")])
        app.router.add_get("/index.html", lambda request: web.Response(text="the viewer"))
        async with TestClient(TestServer(app)) as client:
            without = await client.get("/index.html")
            wrong = await client.get("/index.html", headers={WORKER_SECRET_HEADER: "guess"})
            right = await client.get("/index.html", headers={WORKER_SECRET_HEADER: "s3cret-of-this-tab"})
            return without.status, wrong.status, right.status, await right.text()

    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(r=asyncio.run(scenario())))
    thread.start()
    thread.join(30)
    assert outcome["r"] == (403, 403, 200, "the viewer")


def test_a_tab_worker_refuses_to_start_without_the_broker_secret(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if k != "DEEPRADIOLOGY_WORKER_SECRET"}
    run = subprocess.run([sys.executable, "-m", "deepradiology_web.app", "--port", "0", "--case",
                          str(tmp_path / "case.json")], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 2 and "deepradiology serve" in run.stderr
