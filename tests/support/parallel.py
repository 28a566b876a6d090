"""Handler calls run at the same moment, as separate Lambda instances run them.

Powertools keeps the request being answered on the resolver's class: one request at a time
in a process, as on Lambda, and as the local host (its ``API_LOCK``) serves them. To let
threads stand for Lambda instances, ``per_thread_requests`` gives each thread its own;
``together`` starts every call at once, behind a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

T = TypeVar("T")
_current = threading.local()


def per_thread_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``app.current_event`` the event of the calling thread's own request."""
    real = APIGatewayHttpResolver._to_proxy_event

    def to_proxy_event(self: APIGatewayHttpResolver, event: dict[str, Any]) -> Any:
        _current.event = real(self, event)
        return _current.event

    monkeypatch.setattr(APIGatewayHttpResolver, "_to_proxy_event", to_proxy_event)
    monkeypatch.setattr(APIGatewayHttpResolver, "current_event", property(_event), raising=False)


def _event(_: APIGatewayHttpResolver) -> Any:
    return _current.event


def together(calls: list[Callable[[], T]]) -> list[T]:
    """Run every call in a thread of its own, all released at once; their results in order."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        start.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))
