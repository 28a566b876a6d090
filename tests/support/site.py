"""The reporting site built for a test or a bench: every one that needs it goes through
``build_site``; ``static_site`` serves a build without the API (tests play the API with
Playwright's request interception)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from functions.headers import SECURITY_HEADERS
from wbs import build

ROOT = Path(__file__).resolve().parents[2]


def build_site(keyring: Path, out: Path, config: Path | None = None) -> Path:
    """Build the reporting site for ``keyring`` into ``out`` (the default config unless one is
    given); returns ``out``."""
    build.build(keyring=keyring, out=out, config=config or build.DEFAULT_CONFIG)
    return out


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


@contextmanager
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
