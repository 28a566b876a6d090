"""Starting the workbench: waitress on 127.0.0.1 and a free port the system picks, the
guard made for that port, and the URL with its one-time token."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

from functions.host import WithholdDetails
from wbs.workbench.app import Config, StartResponse, Workbench
from wbs.workbench.guard import Guard
from wbs.workbench.session import Session

HOST = "127.0.0.1"  # never another interface: the workbench serves plaintext


def make_server(
    config: Config, idle_seconds: float
) -> tuple[BaseWSGIServer | MultiSocketServer, Workbench]:
    """A bound, not yet running server and its application."""
    holder: list[Workbench] = []

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        return holder[0](environ, start_response)

    # A failed request's log line would hold its path, and a search's words with it.
    for name in ("waitress", "waitress.queue"):
        waitress_log = logging.getLogger(name)
        if not any(isinstance(f, WithholdDetails) for f in waitress_log.filters):
            waitress_log.addFilter(WithholdDetails())
    server = create_server(application, host=HOST, port=0, ident="wbs", threads=2)
    port = int(server.effective_port)  # type: ignore[union-attr]
    holder.append(Workbench(config, Guard(port), Session(config.key, idle_seconds)))
    return server, holder[0]
