"""One worker process per browser tab, behind one broker that checks the token and forwards traffic.

A trame server keeps ONE state and ONE MRML scene, shared by every browser connected to it. Two
radiologists (or two tabs) on one server would see each other's clicks, lesion tables and running
jobs. So each tab gets its own worker process (scene, views, state, jobs) and the broker, the only
thing listening on the public port, does three jobs:

* ``GET /`` opens a new tab session: starts a worker on a free loopback port and redirects the browser
  to ``/tab/<id>/``;
* ``/tab/<id>/...`` (HTTP and the ``ws`` websocket) is forwarded to that tab's worker, with a
  per-worker secret header the worker insists on;
* the access token (`security.AccessPolicy`) is checked on every request before anything else.

A worker stops by itself a short while after its last websocket closed (trame's ``timeout``); the
broker stops the rest when it stops. Reloading ``/tab/<id>/`` reconnects to the same worker while it
lives; ``/`` always gives a fresh one.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .security import AccessPolicy, WORKER_SECRET_HEADER, new_secret, token_middleware

__all__ = ["TabSession", "SessionBroker", "free_loopback_port"]

log = logging.getLogger("deepradiology.web")

#: Headers that belong to one hop of a connection and must not be forwarded.
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
               "transfer-encoding", "upgrade", "content-length", "host", "cookie", "authorization"}


def free_loopback_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class TabSession:
    """One browser tab's worker: its process, loopback port and the secret the broker forwards."""

    number: int
    key: str
    port: int
    secret: str
    process: subprocess.Popen
    started: float = field(default_factory=time.monotonic)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    failure: str = ""

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.alive:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


#: Starts one worker: ``launch(port, secret) -> Popen``. The secret goes through the environment, not
#: the command line, so that ``ps`` does not show it.
WorkerLauncher = Callable[[int, str], subprocess.Popen]


class SessionBroker:
    """The public face of ``deepradiology serve``: token check, tab sessions, forwarding.

    Args:
        policy: where to listen and which token to require.
        launch_worker: starts a worker process for one tab.
        max_tabs: tabs open at once; each holds its own copy of the images in memory.
        start_timeout_s: how long a worker may take to start before the tab gets an error page.
    """

    def __init__(self, *, policy: AccessPolicy, launch_worker: WorkerLauncher, max_tabs: int = 4,
                 start_timeout_s: float = 180.0) -> None:
        self._policy = policy
        self._launch = launch_worker
        self._max_tabs = max_tabs
        self._start_timeout_s = start_timeout_s
        self._sessions: dict[str, TabSession] = {}
        self._opened = 0
        self._client = None

    # -- the aiohttp application ---------------------------------------------------------------
    def make_app(self):
        from aiohttp import web

        app = web.Application(middlewares=[token_middleware(self._policy)])
        app.router.add_get("/", self._open_tab)
        app.router.add_get("/healthz", self._health)
        app.router.add_route("*", "/tab/{key}/{tail:.*}", self._forward)
        app.router.add_get("/tab/{key}", self._add_slash)
        app.on_cleanup.append(self._close_all)
        return app

    def run(self, *, port: int, on_ready: Callable[[int], None] | None = None) -> None:
        """Serve until interrupted. ``on_ready(port)`` is called once the socket listens."""
        from aiohttp import web

        async def main() -> None:
            runner = web.AppRunner(self.make_app(), access_log=None)  # access logs would print paths
            await runner.setup()
            site = web.TCPSite(runner, self._policy.host, port)
            await site.start()
            bound = runner.addresses[0][1]
            if on_ready:
                on_ready(bound)
            try:
                while True:
                    await asyncio.sleep(5)
                    self._forget_stopped()
            finally:
                await runner.cleanup()

        try:
            asyncio.run(main())
        except KeyboardInterrupt:
            pass
        finally:
            for session in list(self._sessions.values()):
                session.stop()

    # -- tab sessions -------------------------------------------------------------------------
    def _forget_stopped(self) -> None:
        for key, session in list(self._sessions.items()):
            if not session.alive:
                log.info("tab %d closed", session.number)
                del self._sessions[key]

    async def _open_tab(self, request):
        from aiohttp import web

        self._forget_stopped()
        if len(self._sessions) >= self._max_tabs:
            return web.Response(status=503, text=f"{self._max_tabs} tabs are open already; close one and reload.\n")
        self._opened += 1
        key = new_secret()[:22]
        port = free_loopback_port()
        secret = new_secret()
        session = TabSession(self._opened, key, port, secret, self._launch(port, secret))
        self._sessions[key] = session
        log.info("tab %d opening (%d open)", session.number, len(self._sessions))
        asyncio.get_running_loop().create_task(self._wait_until_ready(session))
        return web.Response(status=302, headers={"Location": f"/tab/{key}/"})

    async def _wait_until_ready(self, session: TabSession) -> None:
        import aiohttp

        deadline = time.monotonic() + self._start_timeout_s
        url = f"http://127.0.0.1:{session.port}/index.html"
        async with aiohttp.ClientSession() as client:
            while time.monotonic() < deadline:
                if not session.alive:
                    session.failure = ("the viewer process stopped while starting (start the server with --verbose "
                                       "to see why)")
                    break
                try:
                    async with client.get(url, headers={WORKER_SECRET_HEADER: session.secret}) as r:
                        if r.status == 200:
                            log.info("tab %d ready in %.1f s", session.number, time.monotonic() - session.started)
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.25)
            else:
                session.failure = f"the viewer did not start within {self._start_timeout_s:.0f} s"
        session.ready.set()

    async def _health(self, request):
        from aiohttp import web

        return web.json_response({"tabs_open": len(self._sessions)})

    async def _add_slash(self, request):
        from aiohttp import web

        return web.Response(status=302, headers={"Location": f"/tab/{request.match_info['key']}/"})

    async def _close_all(self, _app) -> None:
        for session in list(self._sessions.values()):
            session.stop()
        if self._client is not None:
            await self._client.close()

    # -- forwarding ---------------------------------------------------------------------------
    async def _session_for(self, request) -> TabSession | None:
        session = self._sessions.get(request.match_info["key"])
        if session is None:
            return None
        try:
            await asyncio.wait_for(session.ready.wait(), timeout=self._start_timeout_s + 5)
        except asyncio.TimeoutError:
            return None
        return session if (session.alive and not session.failure) else None

    async def _forward(self, request):
        import aiohttp
        from aiohttp import web

        session = await self._session_for(request)
        if session is None:
            gone = self._sessions.get(request.match_info["key"])
            reason = gone.failure if gone and gone.failure else "this tab's session has ended"
            return web.Response(status=410, content_type="text/html",
                                text=f"<p>{reason}.</p><p><a href='/'>Open a new session</a></p>")
        tail = request.match_info["tail"]
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._forward_websocket(request, session, tail)
        if self._client is None:
            self._client = aiohttp.ClientSession(auto_decompress=False)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        headers[WORKER_SECRET_HEADER] = session.secret
        url = f"http://127.0.0.1:{session.port}/{tail}"
        body = await request.read()
        async with self._client.request(request.method, url, params=_without_token(request.query),
                                        headers=headers, data=body or None, allow_redirects=False) as upstream:
            payload = await upstream.read()
            out_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP}
            return web.Response(status=upstream.status, body=payload, headers=out_headers)

    async def _forward_websocket(self, request, session: TabSession, tail: str):
        import aiohttp
        from aiohttp import web

        browser_ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await browser_ws.prepare(request)
        url = f"ws://127.0.0.1:{session.port}/{tail}"
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(url, headers={WORKER_SECRET_HEADER: session.secret},
                                         max_msg_size=0, autoping=True) as worker_ws:

                async def pump(source, sink) -> None:
                    async for msg in source:
                        if msg.type == aiohttp.WSMsgType.TEXT:
                            await sink.send_str(msg.data)
                        elif msg.type == aiohttp.WSMsgType.BINARY:
                            await sink.send_bytes(msg.data)
                        else:
                            break

                tasks = [asyncio.ensure_future(pump(browser_ws, worker_ws)),
                         asyncio.ensure_future(pump(worker_ws, browser_ws))]
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in tasks:
                    task.cancel()
        await browser_ws.close()
        return browser_ws


def _without_token(query):
    """The query string minus the access token, which the worker has no business seeing."""
    from .security import TOKEN_QUERY

    return [(k, v) for k, v in query.items() if k != TOKEN_QUERY]
