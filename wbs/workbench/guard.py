"""Who may drive the workbench: the browser that was handed its one-time token, on this
origin, and nothing else (docs/workbench.md, "What it protects against").

- The workbench listens on a loopback address of its own, ``127.a.b.c`` (server.py): cookies
  are kept apart by host, not by port, so its cookie goes to no other local server.
- The token (256 bits) is printed in the URL once; the first GET carrying it is answered
  with a session cookie (HttpOnly, SameSite=Strict, host-only: no Domain; named after the
  port, for a workbench that had to listen on 127.0.0.1) and a redirect to the same path
  without the token, so the token does not stay in the address bar or the history. It
  works once.
- Every request must carry that cookie; its Host must be exactly ``127.a.b.c:PORT``
  (DNS rebinding; ``127.0.0.1:PORT`` is another host), and a ``Sec-Fetch-Site``, if sent,
  must be same-origin or none.
- A POST must also carry ``Origin: http://127.a.b.c:PORT`` and the session's form token.
- Anything else is refused with 403 and a short reason; nothing is changed. No CORS header
  is ever sent; a preflight (OPTIONS) is refused like the rest.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Mapping
from http.cookies import CookieError, SimpleCookie
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode

TOKEN_BYTES = 32  # 256 bits
COOKIE_PREFIX = "wbs_workbench_"
SAFE = frozenset({"GET", "HEAD"})


class Refusal(NamedTuple):
    status: str
    reason: str


class Admit(NamedTuple):
    """An admitted request; ``redirect`` is set when a token was exchanged for the cookie."""

    redirect: str | None = None
    cookie: str | None = None


class Guard:
    def __init__(self, address: str, port: int, token: str | None = None) -> None:
        self.address, self.port = address, port
        self.host = f"{address}:{port}"
        self.origin = f"http://{self.host}"
        self.cookie_name = f"{COOKIE_PREFIX}{port}"
        self.token: str | None = token or secrets.token_urlsafe(TOKEN_BYTES)
        self.session = secrets.token_urlsafe(TOKEN_BYTES)
        self.form_token = secrets.token_urlsafe(TOKEN_BYTES)
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"{self.origin}/?{urlencode({'token': self.token or ''})}"

    def check(self, environ: Mapping[str, Any], form: Mapping[str, str]) -> Admit | Refusal:
        """Admit or refuse one request; ``form`` is its parsed body (POST only)."""
        method = str(environ.get("REQUEST_METHOD", ""))
        if environ.get("HTTP_HOST") != self.host:
            return Refusal("403 Forbidden", "wrong Host")
        if method not in SAFE and method != "POST":
            return Refusal("403 Forbidden", "method not allowed here")
        fetch_site = environ.get("HTTP_SEC_FETCH_SITE")
        if fetch_site not in (None, "same-origin", "none"):
            return Refusal("403 Forbidden", "cross-site request")
        if self._has_cookie(environ):
            if method == "POST":
                return self._check_post(environ, form)
            return Admit()
        query = dict(parse_qsl(str(environ.get("QUERY_STRING", ""))))
        if method == "GET" and "token" in query and self._exchange(query["token"]):
            rest = urlencode({k: v for k, v in query.items() if k != "token"})
            path = str(environ.get("PATH_INFO", "/")) + (f"?{rest}" if rest else "")
            cookie = f"{self.cookie_name}={self.session}; Path=/; HttpOnly; SameSite=Strict"
            return Admit(redirect=path, cookie=cookie)
        return Refusal("403 Forbidden", "no valid session: open the URL that wbs workbench printed")

    def _exchange(self, offered: str) -> bool:
        with self._lock:
            if self.token is None or not _same(offered, self.token):
                return False
            self.token = None  # one time only
            return True

    def _has_cookie(self, environ: Mapping[str, Any]) -> bool:
        try:
            jar = SimpleCookie(str(environ.get("HTTP_COOKIE", "")))
        except CookieError:
            return False
        morsel = jar.get(self.cookie_name)
        return morsel is not None and _same(morsel.value, self.session)

    def _check_post(self, environ: Mapping[str, Any], form: Mapping[str, str]) -> Admit | Refusal:
        if environ.get("HTTP_ORIGIN") != self.origin:
            return Refusal("403 Forbidden", "foreign or missing Origin")
        if not _same(form.get("csrf", ""), self.form_token):
            return Refusal("403 Forbidden", "missing or wrong form token")
        return Admit()


def _same(offered: str, expected: str) -> bool:
    """Constant time, as bytes: compare_digest refuses text that is not ASCII, and whatever
    a request offers must be refused, never raise."""
    return hmac.compare_digest(offered.encode("utf-8", "surrogatepass"), expected.encode())
