"""Who may talk to the web app: loopback by default, an access token for anything else.

The rules (issue 8):

* the server binds ``127.0.0.1`` unless told otherwise;
* binding any other interface requires an access token, or the server refuses to start;
* with a token, every HTTP request and every websocket must carry it (``?token=`` once, after which
  the browser keeps it in a same-site cookie, or an ``Authorization: Bearer`` header); anything else
  gets ``403`` and no data;
* without a token (loopback only), a request must also name this machine in its ``Host`` header, so a
  web page elsewhere cannot reach the server through DNS rebinding (a name of theirs that resolves to
  127.0.0.1);
* logs never hold patient data: no image paths, no query strings, no DICOM tags. Only counts, timings
  and session numbers are logged, and aiohttp's access log (which would print paths) is switched off.

Per-tab worker processes listen on loopback only and accept only requests the broker forwarded, which
carry a per-worker secret header; so a local user cannot bypass the token by talking to a worker.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass

from deepradiology.errors import InputError

__all__ = ["AccessPolicy", "is_loopback", "new_secret", "TOKEN_COOKIE", "TOKEN_QUERY", "WORKER_SECRET_HEADER",
           "token_middleware", "worker_secret_middleware"]

#: The cookie the broker sets once a browser has shown the token.
TOKEN_COOKIE = "deepradiology_token"
#: The query parameter a user puts in the first URL (``http://host:port/?token=...``).
TOKEN_QUERY = "token"
#: The header the broker adds when it forwards a request to a tab's worker process.
WORKER_SECRET_HEADER = "X-DeepRadiology-Worker-Secret"

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """True when ``host`` names only this machine (``127.0.0.0/8``, ``::1``, ``localhost``)."""
    name = host.strip().strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a host name or ``0.0.0.0``-style wildcard: treat as reachable from outside


def new_secret() -> str:
    """A fresh random secret, URL-safe, 256 bits."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class AccessPolicy:
    """Where the server listens and which token, if any, a client must present.

    Args:
        host: interface to bind (``127.0.0.1`` by default).
        token: the access token; ``None`` means none is asked for, allowed only on loopback.
    """

    host: str = "127.0.0.1"
    token: str | None = None

    def __post_init__(self) -> None:
        if self.token is not None and len(self.token.strip()) < 8:
            # blanks do not count: a token of spaces is as guessable as none
            raise InputError("--token", "an access token must be at least 8 characters long, not counting blanks")
        if not is_loopback(self.host) and not self.token:
            raise InputError("--host", f"listening on {self.host!r} makes patient images reachable from other "
                                       "machines; give an access token with --token (or keep the default "
                                       "--host 127.0.0.1)")

    @property
    def requires_token(self) -> bool:
        return bool(self.token)

    def accepts(self, presented: str | None) -> bool:
        """True when no token is needed, or ``presented`` equals it (constant-time comparison)."""
        if not self.token:
            return True
        return bool(presented) and hmac.compare_digest(presented.encode(), self.token.encode())

    def accepts_host(self, host_header: str) -> bool:
        """Without a token, only requests addressed to this machine by a loopback name or address."""
        if self.token:
            return True
        host = host_header.strip()
        if host.startswith("["):  # [::1]:8080
            host = host[1:host.find("]")] if "]" in host else host
        elif host.count(":") == 1:
            host = host.split(":", 1)[0]
        return is_loopback(host) or host == self.host

    def presented_token(self, request) -> str | None:
        """The token an aiohttp ``request`` carries: query, then bearer header, then cookie."""
        if TOKEN_QUERY in request.query:
            return request.query[TOKEN_QUERY]
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        return request.cookies.get(TOKEN_COOKIE)


def _no_framing(response):
    """No other site may show our pages in a frame (clickjacking: a hidden frame over a button of theirs)."""
    headers = getattr(response, "headers", None)
    if headers is not None and not getattr(response, "prepared", False):
        headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        headers.setdefault("Content-Security-Policy", "frame-ancestors 'self'")
    return response


def token_middleware(policy: AccessPolicy):
    """An aiohttp middleware refusing (403, empty body) every request without the policy's token.

    When the token came in the query string, the response sets it as an HttpOnly same-site cookie so
    that the page's own asset requests and its websocket (which cannot carry a query) are accepted.
    """
    from aiohttp import web

    @web.middleware
    async def check_token(request, handler):
        if not policy.accepts_host(request.headers.get("Host", "")):
            return _no_framing(web.Response(status=403, text="this server answers only to its own address\n"))
        presented = policy.presented_token(request)
        if not policy.accepts(presented):
            return _no_framing(web.Response(status=403, text="access token required\n"))
        response = await handler(request)
        if policy.requires_token and TOKEN_QUERY in request.query and hasattr(response, "set_cookie"):
            response.set_cookie(TOKEN_COOKIE, presented, httponly=True, samesite="Strict", path="/")
        return _no_framing(response)

    return check_token


def worker_secret_middleware(secret: str):
    """An aiohttp middleware for a tab's worker: only requests forwarded by the broker get through."""
    from aiohttp import web

    @web.middleware
    async def check_secret(request, handler):
        presented = request.headers.get(WORKER_SECRET_HEADER, "")
        if not hmac.compare_digest(presented.encode(), secret.encode()):
            return web.Response(status=403, text="forbidden\n")
        return await handler(request)

    return check_secret
