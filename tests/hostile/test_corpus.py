"""Hostile input (issue 6): every request of the corpus (tests/hostile/corpus/) through the
Lambda handler and through the local host over HTTP. Each one must be refused with a 4xx that
says why in JSON (the site's own pages answer in HTML), never a 5xx, and must leave the store
byte for byte as it was, hidden upload folders included."""

from __future__ import annotations

import base64
import json
import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from functions.headers import SECURITY_HEADERS
from functions.storage import layout
from tests.hostile.corpus import (
    AUTO,
    CASES,
    CHALLENGE_CASES,
    MAILBOX,
    ROUTES,
    Case,
    Expect,
    Request,
)
from tests.hostile.world import ECHO, OUTSIDE, Response, World, built, lambda_event

MAX_MESSAGE_CHARS = 300


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with built(tmp_path_factory.mktemp("hostile")) as system:
        yield system


@pytest.fixture(scope="module")
def before(world: World) -> dict[str, bytes | None]:
    """The store once the cases exist: what every refused request must leave."""
    return world.snapshot()


def params(way: str) -> list[object]:
    return [
        pytest.param(
            case,
            id=case.name[:120],
            marks=[pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else [],
        )
        for case in [*CASES, *CHALLENGE_CASES]
        if case.only in (None, way)
    ]


def resolve(case: Case, world: World) -> Request:
    return case.request if isinstance(case.request, Request) else case.request(world)


def length_header(request: Request) -> list[tuple[str, str]]:
    if request.chunked or request.length is None:
        return []
    if request.length != AUTO:
        return [("Content-Length", request.length)]
    if request.body or request.method in ("POST", "PUT", "PATCH"):
        return [("Content-Length", str(len(request.body)))]
    return []


def through_lambda(world: World, request: Request) -> Response:
    if request.event_body is not None:
        body, encoded = request.event_body
    else:
        try:
            body, encoded = request.body.decode("utf-8"), False
        except UnicodeDecodeError:  # API Gateway hands a binary body over in base64
            body, encoded = base64.b64encode(request.body).decode("ascii"), True
    headers = [*request.headers, *length_header(request)]
    return world.lambda_call(lambda_event(request.method, request.target, headers, body, encoded))


def through_host(world: World, request: Request) -> Response:
    lines = [f"{request.method} {request.target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in [*request.headers, *length_header(request)]]
    payload = request.body
    if request.chunked:
        lines.append("Transfer-Encoding: chunked")
        pieces = [payload[i : i + 65536] for i in range(0, len(payload), 65536)]
        payload = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    head = "\r\n".join(lines) + "\r\n\r\n"
    return world.http(head.encode("utf-8", "surrogateescape") + payload)


def check(answer: Response, expect: Expect, request: Request, way: str) -> None:
    status, code = expect
    assert 400 <= status < 500  # the corpus itself expects refusals only
    assert (answer.status, answer.headers.get("content-type", "")[:16]) == (
        status,
        "application/json" if code is not None else "text/html; chars",
    ), answer.body[:300]
    assert answer.headers.get("cache-control") == "no-store"
    if way == "host":
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers.get(name.lower()) == value, name
    if status == 405:
        assert answer.headers.get("allow"), "a 405 names the methods it takes"
    if status == 401:
        assert answer.headers.get("www-authenticate") == "Bearer"
    if way == "host" and request.method == "HEAD":
        assert answer.body == b""  # a HEAD answer has headers only
        return
    if code is None:
        assert OUTSIDE not in answer.body and b"<h1>" in answer.body
        return
    body = json.loads(answer.body)
    assert set(body) == {"error", "message"}, body
    assert body["error"] == code, body
    message = body["message"]
    assert isinstance(message, str) and message.endswith(".") and "\n" not in message
    # One sentence of the server's own words: nothing from the request comes back.
    assert len(message) <= MAX_MESSAGE_CHARS, message[:400]
    assert ECHO not in answer.body.decode("utf-8", "replace")


def run(world: World, before: dict[str, bytes | None], case: Case, way: str) -> None:
    request = resolve(case, world)
    send = through_lambda if way == "lambda" else through_host
    if case.proofs:
        with world.proofs_on():
            answer = send(world, request)
    else:
        answer = send(world, request)
    expect = (case.lambda_ if way == "lambda" else case.host) or case.expect
    assert answer.status < 500, (answer.status, answer.body[:300])
    check(answer, expect, request, way)
    after = world.snapshot()
    assert after.keys() == before.keys(), sorted(after.keys() ^ before.keys())
    assert after == before, "a refused request changed a stored file"


@pytest.mark.parametrize("case", params("lambda"))
def test_refused_by_the_lambda_handler(
    world: World, before: dict[str, bytes | None], case: Case
) -> None:
    run(world, before, case, "lambda")


@pytest.mark.parametrize("case", params("host"))
def test_refused_by_the_local_host(
    world: World, before: dict[str, bytes | None], case: Case
) -> None:
    run(world, before, case, "host")


# --- what the corpus covers ------------------------------------------------------------------


def endpoint(case: Case) -> str:
    """Which endpoint a case is aimed at, from its name (``METHOD /path: what``)."""
    if case.name.startswith("site:"):
        return "static site"
    method, _, rest = case.name.partition(" ")
    path = rest.partition(":")[0].split(" ")[0]
    if path.startswith("/attachments"):
        return "PUT /attachments"
    if path not in ROUTES:
        return "/api/health and unknown /api paths"
    if path == MAILBOX:
        return f"{'POST' if method == 'POST' else 'GET'} {path}"
    return f"{ROUTES[path][0]} {path}"


def coverage() -> Counter[str]:
    return Counter(endpoint(case) for case in [*CASES, *CHALLENGE_CASES])


def test_the_corpus_reaches_every_endpoint() -> None:
    counts = coverage()
    assert sum(counts.values()) >= 200
    assert set(counts) == {
        "/api/health and unknown /api paths",
        "GET /api/health",
        "POST /api/reports",
        "GET /api/mailbox",
        "POST /api/mailbox",
        "POST /api/uploads",
        "POST /api/uploads/renew",
        "POST /api/uploads/complete",
        "POST /api/challenge",
        "PUT /attachments",
        "static site",
    }, counts
    assert min(counts.values()) >= 7, counts
    names = [case.name for case in [*CASES, *CHALLENGE_CASES]]
    assert len(set(names)) == len(names), [n for n, k in Counter(names).items() if k > 1]


def test_the_world_has_what_the_cases_need(world: World, before: dict[str, bytes | None]) -> None:
    # The deep cases mean something only if the cases they aim at exist.
    keys = [k for k in before if not k.endswith("/")]
    assert sum(k.startswith("reports/") for k in keys) == 3
    assert sum(layout.upload_file_id(k) is not None for k in keys) == 4  # grant records
    assert sum(k.startswith("attachments/") for k in keys) == 1
    assert sum("-reporter-" in k for k in keys) == 50
    assert any(Path(k).parent.parent.name == ".uploads" for k in keys)  # a part was sent


# --- refused by waitress itself ---------------------------------------------------------------

# Requests the local host's HTTP server (waitress) refuses before any handler runs: malformed
# framing, headers or request lines. Its answers are its own plain text, without the security
# headers; nothing reaches the API and nothing is written.
WAITRESS: dict[str, tuple[bytes, int]] = {
    "invalid chunk size": (
        b"POST /api/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        400,
    ),
    "Content-Length in superscript digits": (
        b"POST /api/reports HTTP/1.1\r\nHost: x\r\nContent-Length: \xc2\xb2\r\n\r\n{}",
        400,
    ),
    "negative Content-Length": (
        b"POST /api/reports HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        400,
    ),
    "two Content-Lengths": (
        b"POST /api/reports HTTP/1.1\r\nHost: x\r\n"
        b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        400,
    ),
    # Waitress's parser fails on int() of over 4,300 digits and closes the connection
    # without an answer (0); functions/host.py keeps the client's address out of its log line.
    "Content-Length of 5,000 digits": (
        b"POST /api/reports HTTP/1.1\r\nHost: x\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n{}",
        0,
    ),
    "a NUL in a header": (
        b"GET /api/mailbox HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \x00\r\n\r\n",
        400,
    ),
    "headers over 256 KiB": (
        b"GET /api/mailbox HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + b"A" * (300 * 1024)
        + b"\r\n\r\n",
        431,
    ),
    "a method in lower case": (b"post /api/reports HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "a malformed request line": (b"GARBAGE\r\n\r\n", 400),
    "a raw 0xff in the path": (b"GET /api/\xff HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "a body over the part size": (
        b"PUT /attachments/x HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (6 * 1024 * 1024),
        413,
    ),
    # RFC 9112 section 6.1: a transfer coding the server does not know is answered 501.
    "Transfer-Encoding gzip": (
        b"POST /api/reports HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
        501,
    ),
}


@pytest.mark.parametrize("data", [v[0] for v in WAITRESS.values()], ids=list(WAITRESS))
def test_refused_by_waitress(
    world: World, before: dict[str, bytes | None], data: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    expected = next(status for raw, status in WAITRESS.values() if raw == data)
    answer = world.http(data)
    assert answer.status == expected, answer
    if expected:
        assert answer.headers["content-type"].startswith("text/plain")
    assert world.snapshot() == before
    assert "127.0.0.1" not in caplog.text  # the client's address (the server's is not logged)
    # And the host goes on serving
    health = world.http(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert (health.status, json.loads(health.body)) == (200, {"ok": True})
