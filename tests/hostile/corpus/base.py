"""What a case is: a named request and the refusal it must get, with the small builders
the corpus is written with."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.hostile.world import (
    AUTH_A,
    World,
)
from tests.support import reporter

AUTO = "auto"
HEALTH, REPORTS, MAILBOX = "/api/health", "/api/reports", "/api/mailbox"
CHALLENGE = "/api/challenge"
UPLOADS, RENEW, COMPLETE = "/api/uploads", "/api/uploads/renew", "/api/uploads/complete"
ROUTES = {
    HEALTH: ("GET",),
    REPORTS: ("POST",),
    MAILBOX: ("GET", "POST"),
    UPLOADS: ("POST",),
    RENEW: ("POST",),
    COMPLETE: ("POST",),
    CHALLENGE: ("POST",),
}
OTHER_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE")
JSON = "application/json"


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # path and query as on the wire (a lone surrogate stands for a raw byte)
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    length: str | None = AUTO  # Content-Length: the body's, this text, or none at all
    chunked: bool = False  # the host gets the body as Transfer-Encoding: chunked
    event_body: tuple[str, bool] | None = None  # the Lambda event's (body, isBase64Encoded)


Expect = tuple[int, str | None]  # status and error code; None: the site's HTML page


@dataclass(frozen=True)
class Case:
    name: str
    request: Request | Callable[[World], Request]
    expect: Expect
    host: Expect | None = None  # the local host's answer, where it differs
    lambda_: Expect | None = None  # the Lambda handler's, where it differs
    only: str | None = None  # "host" or "lambda": the request exists on that way in only
    bug: str | None = None  # a known bug, reported but not fixed here: a strict xfail
    proofs: bool = False  # sent with the proof-of-work gate on (World.proofs_on)


def body_of(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    return json.dumps(value).encode()


def post(
    path: str,
    body: Any,
    auth: str | None = AUTH_A,
    content_type: str | None = JSON,
    headers: tuple[tuple[str, str], ...] = (),
    **extra: Any,
) -> Request:
    """A POST as the page sends it: with the reporter's key (a report) or signature (a
    follow-up) when the token and body allow one (tests/support/reporter.py)."""
    sent = [("Content-Type", content_type)] if content_type is not None else []
    if auth is not None:
        sent.append(("Authorization", auth))
    data = body_of(body)
    sent += reporter.headers(path, auth, data).items()
    return Request("POST", path, (*sent, *headers), data, **extra)


def get(target: str, auth: str | None = None, method: str = "GET") -> Request:
    return Request(method, target, (("Authorization", auth),) if auth is not None else ())


def cases(
    prefix: str, bodies: dict[str, Any], build: Callable[[Any], Request], expect: Expect
) -> list[Case]:
    return [Case(f"{prefix}: {name}", build(body), expect) for name, body in bodies.items()]


def with_header(request: Request, name: str, value: str | None) -> Request:
    if value is None:
        return request
    return dataclasses.replace(request, headers=(*request.headers, (name, value)))
