"""Servers for tests and benches, always on 127.0.0.1: the real waitress host in a thread
(``serving``, ``site_host``, ``demo_site``), a build's files alone with the real security
headers (``static_site``: tests play the API with Playwright's request interception), or a
server process such as `wbs serve` (``running``, ``wbs_serve``) that is ready once
/api/health answers."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from nacl.public import PrivateKey

from functions.headers import SECURITY_HEADERS
from functions.notify import Notifier
from tests.support.api import write_keyring
from tests.support.site import build_site

WBS = str(Path(sys.executable).with_name("wbs"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(server: Any) -> Iterator[None]:
    """Run a waitress server in a thread; stop it and wait for the thread on the way out."""

    def run() -> None:
        # close() pulls the sockets from under the loop's select(): that ends the loop.
        with contextlib.suppress(OSError, ValueError):
            server.run()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.close()
        thread.join(timeout=5)


@contextlib.contextmanager
def site_host(
    site: Path,
    keyring: Path,
    storage: Path,
    pow_difficulty: int | None = None,
    notifier: Notifier | None = None,
) -> Iterator[str]:
    """The real local host (page and API) on a free port, storing in ``storage``; yields its
    base URL. The proof of work is ``pow_difficulty``, or WBS_POW_DIFFICULTY's. The API
    checks reports against the routing rules the site was built with (its routing.json, as
    `wbs serve` does), or the keyring's only desk for a build that wrote none. With
    ``notifier``, the API sends its notices through it (the handlers' wiring is reset after)."""
    from functions import app as api
    from functions.config import Settings
    from functions.host import make_server

    chosen = {} if pow_difficulty is None else {"pow_difficulty": pow_difficulty}
    rules = site / "routing.json"
    routing = rules if rules.is_file() else None
    settings = Settings(
        f"local:{storage}", keyring, routing_path=routing, notifier=notifier, **chosen
    )
    server = make_server(site, settings, port=0)
    try:
        with serving(server):
            yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        if notifier is not None:
            api.configure()


@contextlib.contextmanager
def demo_site(tmp: Path, extra: Mapping[str, str] | None = None) -> Iterator[str]:
    """The site built for a throwaway inspector's key in ``tmp`` (with ``extra`` files added:
    name to text) and served by ``site_host``; yields its base URL."""
    inspector = bytes(PrivateKey.generate().public_key)
    keyring = write_keyring(tmp / "keys" / "keyring.json", [inspector])
    site = build_site(keyring, tmp / "site")
    for name, text in (extra or {}).items():
        (site / name).write_text(text, encoding="utf-8")
    with site_host(site, keyring, tmp / "storage") as base:
        yield base


def wait_for_health(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Return once http://127.0.0.1:port/api/health answers; fail with the server's log if the
    process ends or a minute passes first."""
    deadline = time.monotonic() + 60
    while True:
        try:
            url = f"http://127.0.0.1:{port}/api/health"
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError("the server did not start:\n" + log.read_text()) from None
            time.sleep(0.1)


@contextlib.contextmanager
def running(
    command: list[str], env: Mapping[str, str], log: Path, port: int, cwd: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """``command`` in its own process, output to ``log``, serving on ``port``; yields it once
    it answers, and stops it as systemctl stop does (SIGTERM) on the way out."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_health(process, port, log)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def wbs_serve(args: list[str], env: Mapping[str, str], log: Path) -> Iterator[str]:
    """`wbs serve ARGS` (build, the real waitress host) on a free port; yields its base URL."""
    port = free_port()
    with running([WBS, "serve", *args, "--port", str(port)], env, log, port):
        yield f"http://127.0.0.1:{port}"


class StaticHandler(SimpleHTTPRequestHandler):
    """A build's files with the real security headers, and no log."""

    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
    }

    def end_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's name)
        pass


@contextlib.contextmanager
def static_site(site: Path) -> Iterator[str]:
    """Serve the build ``site`` on 127.0.0.1; yields its origin."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(StaticHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
