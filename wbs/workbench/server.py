"""Starting the workbench: waitress on a random loopback address and a free port the system
picks, the guard made for that address and port, and the URL with its one-time token.

Cookies are kept apart by host, not by port: a cookie of 127.0.0.1 is sent to every server
on 127.0.0.1 the browser visits. So the workbench listens on an address of 127.0.0.0/8 that
no other program uses (Linux routes all of it to the loopback), and its session cookie goes
nowhere else. Where that address cannot be bound (systems that route 127.0.0.1 alone, such
as macOS), it listens on 127.0.0.1, and ``wbs workbench`` says so.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from typing import Any

from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

from functions.host import WithholdDetails
from wbs.workbench.app import Config, StartResponse, Workbench
from wbs.workbench.guard import Guard
from wbs.workbench.session import Session

Server = BaseWSGIServer | MultiSocketServer
FALLBACK = "127.0.0.1"  # never another interface: the workbench serves plaintext
# 127.0.0.0/24 and 127.0.1.0/24 hold the addresses other programs use (127.0.0.1, the
# resolver's 127.0.0.53, Debian's 127.0.1.1 for the host's own name).
_TAKEN = frozenset({(0, 0), (0, 1)})


def loopback_address() -> str:
    """A random address of 127.0.0.0/8, outside the ranges in use, with a host part that is
    neither 0 nor 255."""
    while True:
        x, y = secrets.randbelow(256), secrets.randbelow(256)
        if (x, y) not in _TAKEN:
            return f"127.{x}.{y}.{1 + secrets.randbelow(254)}"


def make_server(config: Config, idle_seconds: float) -> tuple[Server, Workbench]:
    """A bound, not yet running server and its application."""
    holder: list[Workbench] = []

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        return holder[0](environ, start_response)

    # A failed request's log line would hold its path, and a search's words with it.
    for name in ("waitress", "waitress.queue"):
        waitress_log = logging.getLogger(name)
        if not any(isinstance(f, WithholdDetails) for f in waitress_log.filters):
            waitress_log.addFilter(WithholdDetails())
    server, address = _listen(application, loopback_address())
    port = int(server.effective_port)  # type: ignore[union-attr]
    holder.append(Workbench(config, Guard(address, port), Session(config.key, idle_seconds)))
    return server, holder[0]


def _listen(application: Any, address: str) -> tuple[Server, str]:
    """Bind ``address``, or 127.0.0.1 if this system does not route it to the loopback."""

    def bind(host: str) -> Server:
        return create_server(application, host=host, port=0, ident="wbs", threads=2)

    try:
        return bind(address), address
    except OSError:
        return bind(FALLBACK), FALLBACK
