"""Helpers for the workbench tests: a workbench built in-process on a pretend address and
port, and requests made straight to its WSGI application (no socket: fast, and every header
exact); or a real one, opened and unlocked in Chromium."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlencode, urlsplit

from functions.storage import LocalStorage
from tests.support.host import serving
from tests.support.inbox import PASSPHRASE
from wbs import config, keyfile
from wbs.workbench.app import Config, Workbench
from wbs.workbench.guard import Guard
from wbs.workbench.server import make_server
from wbs.workbench.session import Session

ADDRESS = "127.41.12.34"  # a pretend loopback address, as server.loopback_address picks


class Clock:
    """A session's clock that moves only when a test moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Answer(NamedTuple):
    status: int
    headers: dict[str, str]
    data: bytes

    @property
    def body(self) -> str:
        """The answer as text (binary files: see ``data``)."""
        return self.data.decode("utf-8", "replace")

    @property
    def cookie(self) -> str:
        return self.headers.get("set-cookie", "")


class Client:
    """One browser of one workbench: it keeps the cookie it is given and sends the right
    Host and Origin unless told otherwise."""

    def __init__(self, app: Workbench) -> None:
        self.app = app
        self.cookies: dict[str, str] = {}

    @property
    def origin(self) -> str:
        return self.app.guard.origin

    def request(
        self,
        method: str,
        target: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        *,
        cookies: bool = True,
        csrf: bool = True,
    ) -> Answer:
        split = urlsplit(target)
        body = b""
        if form is not None:
            fields = {**({"csrf": self.app.guard.form_token} if csrf else {}), **form}
            body = urlencode(fields).encode()
        sent = {"Host": self.app.guard.host}
        if method == "POST":
            sent["Origin"] = self.origin
        if cookies and self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent.update(headers or {})
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": split.path or "/",
            "QUERY_STRING": split.query,
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "wsgi.input": io.BytesIO(body),
            "SERVER_NAME": self.app.guard.address,
            "SERVER_PORT": str(self.app.guard.port),
            "wsgi.url_scheme": "http",
        }
        for name, value in sent.items():
            if value is not None:
                environ["HTTP_" + name.upper().replace("-", "_")] = value
        seen: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]]) -> None:
            seen["status"] = int(status.split()[0])
            seen["headers"] = {k.lower(): v for k, v in headers}

        data = b"".join(self.app(environ, start_response))
        answer = Answer(seen["status"], seen["headers"], data)
        if answer.cookie:
            jar: SimpleCookie = SimpleCookie(answer.cookie)
            self.cookies.update({name: morsel.value for name, morsel in jar.items()})
        return answer

    def get(self, target: str, **options: Any) -> Answer:
        return self.request("GET", target, **options)

    def post(self, target: str, form: dict[str, str], **options: Any) -> Answer:
        return self.request("POST", target, form, **options)

    def follow(self, answer: Answer) -> Answer:
        assert answer.status == 303, answer
        return self.get(answer.headers["location"])

    def enter(self) -> Answer:
        """Open the printed URL, as the browser does, and follow its redirect."""
        return self.follow(self.get(self.app.guard.url))

    def sync(self) -> Answer:
        """Press "Sync now", wait for the sync's thread, and load the inbox it ends on."""
        answer = self.post("/sync", {})
        job = self.app.sync_job
        if job is not None:
            job.thread.join(timeout=30)
            assert not job.running, "the sync did not end"
        return self.follow(answer)


def workbench(
    key: Path,
    store: LocalStorage | None = None,
    keyring: Path | None = None,
    port: int = 41234,
    address: str = ADDRESS,
    clock: Callable[[], float] | None = None,
    idle: float = 900,
    lang: str = "id",
) -> Workbench:
    storage_url = f"local:{store.root}" if store is not None else "local:/nonexistent"
    settings = Config(
        key=key,
        storage_url=storage_url,
        open_storage=lambda: store,  # type: ignore[arg-type,return-value]
        keyring=keyring or default_keyring(),
        rules=config.load(None),
        lang=lang,
    )
    session = Session(key, idle, clock) if clock else Session(key, idle)
    return Workbench(settings, Guard(address, port), session)


def default_keyring() -> Path:
    """The keyring `wbs workbench` would read: WBS_KEYRING, the test institution's
    (tests/support/membership.py; tests/support/inbox.py's use_private_home sets it)."""
    return Path(os.environ.get("WBS_KEYRING") or "/nonexistent/keyring.json")


def key_file(home: Path) -> Path:
    keys = sorted((home / "keys").glob("*.key"))
    assert len(keys) == 1
    keyfile.inspect(keys[0])
    return keys[0]


@contextlib.contextmanager
def in_chromium(
    browser: Any, home: Path, store: LocalStorage, idle: float = 60
) -> Iterator[tuple[Any, list[str]]]:
    """A real workbench server on ``store`` and the test institution's keyring, locking after
    ``idle`` seconds, opened and unlocked in Chromium; yields the page and the console's
    errors."""
    settings = Config(
        key=key_file(home),
        storage_url=f"local:{store.root}",
        open_storage=lambda: store,
        keyring=default_keyring(),
        rules=config.load(None),
    )
    with opened(browser, settings, idle_seconds=idle) as (page, _, errors):
        page.fill("#passphrase", PASSPHRASE)
        page.click("#unlock button[type=submit]")
        page.wait_for_selector("#sync")  # the inbox, loaded: a click during the navigation is lost
        yield page, errors


@contextlib.contextmanager
def opened(
    browser: Any, settings: Config, idle_seconds: float
) -> Iterator[tuple[Any, Workbench, list[str]]]:
    """A real workbench server started with ``settings``, its URL opened (not unlocked) in a
    fresh Chromium context; yields the page, the application and the page's errors (uncaught
    or on the console)."""
    server, app = make_server(settings, idle_seconds)
    with serving(server):
        context = browser.new_context()
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(app.guard.url)
        try:
            yield page, app, errors
        finally:
            context.close()
