"""The log-privacy guarantee (issue 6): for every endpoint, accepted and refused requests
alike, no captured log line holds the client's IP address, its user agent, any header's
value (the token in Authorization and the Cookie first), or any byte sequence of the body.

Two ways in: the Lambda handler, with everything Powertools, Python's logging and the
process's stdout and stderr write captured; and `wbs serve`, the real command, in its own
process, whose whole output is read after the requests. Every request carries a unique
marker in every header, a client address that appears nowhere else, and a canary in its
body; every 8-byte window of the body's base64 and of its raw ciphertext is looked for.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import logging
import os
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from functions import mailbox_token
from tests.hostile.world import (
    AUTH_A,
    CASE_A,
    F_DONE,
    F_OPEN,
    F_TWO,
    INSPECTOR,
    REPORTER,
    SMALL,
    TOKEN_A,
    TWO_PARTS,
    World,
    built,
    lambda_event,
)
from tests.support import reporter
from tests.support.api import api_logs, bearer, sealed, write_keyring
from tests.support.host import WBS, free_port, running

MARK_IP = "203.0.113.77"  # X-Forwarded-For, X-Real-IP, Forwarded, and the event's sourceIp
CLIENT_ADDRESS = "127.0.0.2"  # where the served host's client connects from
MARKERS = {
    "User-Agent": "Mozilla/5.0 (Linux; Android 9) UA-MARK-3f9c/1.0",
    "X-Forwarded-For": f"{MARK_IP}, 198.51.100.99",
    "X-Real-IP": MARK_IP,
    "Forwarded": f"for={MARK_IP};proto=https;by=BY-MARK-61",
    "Cookie": "session=COOKIE-MARK-77a1; theme=THEME-MARK-0b",
    "Referer": "https://referer.example/REFERER-MARK-c2",
    "Origin": "https://ORIGIN-MARK-8e.example",
    "Accept-Language": "id-ID,LANG-MARK-9d",
    "X-Request-Id": "REQID-MARK-51",
    "X-Amzn-Trace-Id": "Root=1-TRACE-MARK-4a",
    "Wbs-Proof": "PROOF-MARK-e0.1",  # ignored with the proof of work off, never logged
    "Proxy-Authorization": "Basic PROXY-MARK-2d",
}
CONTENT_TYPE = "application/json; profile=CT-MARK-13"  # the parameter is ignored, not logged
CANARY = "BODY-CANARY-5b0e"
PLAINTEXT_CANARY = b"PLAINTEXT-CANARY-91f3"


@dataclass
class Sent:
    """What the requests carried: every piece of it must stay out of the logs."""

    texts: set[str] = field(default_factory=lambda: {CANARY, CLIENT_ADDRESS, MARK_IP})
    binary: list[bytes] = field(default_factory=list)  # raw ciphertexts, tokens

    def header_values(self, headers: dict[str, str]) -> None:
        for name, value in headers.items():
            if name.lower() != "content-length":
                self.texts.add(value)
                self.texts.update(part.strip() for part in value.replace(";", ",").split(","))

    def body(self, data: bytes) -> None:
        """The canary, and every base64 value in a JSON body (and its raw bytes)."""
        try:
            document = json.loads(data)
        except ValueError:
            return
        for value in strings(document):
            if len(value) >= 16:
                self.texts.add(value)
                with contextlib.suppress(ValueError):
                    self.binary.append(base64.b64decode(value, validate=True))

    def token(self, token: bytes) -> None:
        self.binary.append(token)
        self.texts.update(
            {token.hex(), base64.b64encode(token).decode(), mailbox_token.verifier(token)}
        )


def json_records(text: str) -> list[dict[str, Any]]:
    """The JSON objects in a log, one a line or pretty-printed (POWERTOOLS_DEV)."""
    decoder = json.JSONDecoder()
    found, at = [], 0
    while (at := text.find("{", at)) >= 0:
        if at == 0 or text[at - 1] == "\n":
            try:
                record, end = decoder.raw_decode(text, at)
            except ValueError:
                at += 1
                continue
            found.append(record)
            at = end
        else:
            at += 1
    return found


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings(v)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def windows(data: bytes | str, size: int = 8) -> Iterator[bytes | str]:
    for start in range(0, max(1, len(data) - size + 1)):
        yield data[start : start + size]


def assert_nothing_of(sent: Sent, written: str) -> None:
    """No marker, header value, token, canary or 8-byte piece of a body's base64 or raw
    ciphertext in what was written."""
    ignore = {"", "application/json", "https", "1.0"}  # generic words, not the client's
    for text in sorted(sent.texts - ignore):
        pieces = [text] if len(text) < 8 else windows(text)
        for piece in pieces:
            # A run like "00000000" of an id says nothing of the request: skip such pieces.
            if len(set(piece)) > 2:
                assert piece not in written, (text[:60], piece)
    raw = written.encode("utf-8", "surrogateescape")
    for data in sent.binary:
        for piece in windows(data):
            if len(set(piece)) > 2:
                assert piece not in raw, data[:16]


def report_for(token: bytes) -> dict[str, Any]:
    return sealed(
        b'{"what":"' + PLAINTEXT_CANARY + b'"}',
        [INSPECTOR.public_key],
        mailbox_token.report_id(token),
    ).to_json()


def followup_for(case: str) -> dict[str, Any]:
    keys = [INSPECTOR.public_key, REPORTER.public_key]
    return sealed(PLAINTEXT_CANARY, keys, case, "followup").to_json()


def requests(world_files: dict[str, dict[str, Any]], etags: dict[str, list[str]]) -> list[Any]:
    """(method, path, token or None, body or None, expected status) for every endpoint: what
    a page sends, and what an attacker does."""
    new = os.urandom(32)
    other = os.urandom(32)
    bad_envelope = {**report_for(new), CANARY: CANARY}
    open_file = world_files[F_OPEN]
    complete_body = {
        "id": world_files[F_DONE]["id"],
        "upload": world_files[F_DONE]["upload"],
        "parts": [{"number": 1, "etag": etags[F_DONE][0]}],
    }
    return [
        ("GET", "/api/health", None, None, 200),
        ("POST", "/api/reports", new, report_for(new), 201),
        ("POST", "/api/reports", new, report_for(new), 409),  # another report, same code
        ("POST", "/api/reports", other, bad_envelope, 400),
        ("POST", "/api/reports", None, report_for(other), 401),
        ("GET", "/api/mailbox", TOKEN_A, None, 200),
        ("GET", "/api/mailbox", other, None, 404),
        ("POST", "/api/mailbox", TOKEN_A, followup_for(CASE_A), 201),
        ("POST", "/api/mailbox", TOKEN_A, {**followup_for(CASE_A), CANARY: 1}, 400),
        (
            "POST",
            "/api/uploads",
            TOKEN_A,
            {"files": [{"id": "CANARY00000000AA", "size": SMALL}]},
            201,
        ),
        ("POST", "/api/uploads", TOKEN_A, {"files": [{"id": CANARY, "size": SMALL}]}, 400),
        (
            "POST",
            "/api/uploads/renew",
            TOKEN_A,
            {"id": F_TWO, "upload": world_files[F_TWO]["upload"]},
            200,
        ),
        ("POST", "/api/uploads/renew", TOKEN_A, {"id": F_OPEN, "upload": CANARY}, 404),
        ("POST", "/api/uploads/complete", TOKEN_A, complete_body, 201),
        ("POST", "/api/uploads/complete", TOKEN_A, {**complete_body, "x": CANARY}, 400),
        ("PUT", open_file["parts"][0]["url"], None, b"\x17" * SMALL, 200),
        ("PUT", open_file["parts"][0]["url"] + CANARY, None, b"\x17" * SMALL, 403),
        ("GET", "/", None, None, 200),
        ("GET", f"/..%2f..%2fetc/passwd?{CANARY}", None, None, 404),
        ("POST", "/api/challenge", None, {"action": "report"}, 200),
        ("POST", "/api/challenge", None, {"action": CANARY}, 400),
        ("DELETE", "/api/reports", TOKEN_A, None, 405),
        ("GET", f"/api/{CANARY}", None, None, 404),
    ]


# --- the Lambda handler ----------------------------------------------------------------------


def test_the_lambda_handler_logs_nothing_of_a_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sent = Sent()
    statuses = []
    with built(tmp_path) as world, api_logs() as stream:
        # A file of case A to complete: granted and sent, as the page does
        files, etags = _fresh_file(world)
        capsys.readouterr()
        stream.seek(0)
        stream.truncate()
        for method, path, token, body, expected in requests(files, etags):
            if path.startswith("/attachments") or not path.startswith("/api"):
                continue  # no such route on Lambda: the deployment sends these elsewhere
            headers = dict(MARKERS)
            if token is not None:
                headers["Authorization"] = bearer(token)
                sent.token(token)
            data = b"" if body is None else json.dumps(body).encode()
            if body is not None:
                headers["Content-Type"] = CONTENT_TYPE
                sent.body(data)
            headers.update(reporter.headers(path, headers.get("Authorization"), data))
            sent.header_values(headers)
            event = lambda_event(method, path, list(headers.items()), data.decode(), False)
            event["requestContext"]["http"]["sourceIp"] = MARK_IP
            event["requestContext"]["http"]["userAgent"] = MARKERS["User-Agent"]
            event["cookies"] = [MARKERS["Cookie"]]
            answer = world.lambda_call(event)
            assert answer.status == expected, (method, path, answer)
            statuses.append(answer.status)
        out = capsys.readouterr()
        written = stream.getvalue() + caplog.text + out.out + out.err
    # One line per request, so the test looks at real output...
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["status"] for line in lines if line["message"] == "request"] == statuses
    assert len(statuses) >= 15
    # ...and nothing of any request in it
    assert_nothing_of(sent, written)


def _fresh_file(world: World) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]]]:
    """Case A's files, with F_DONE replaced by a new file whose one part was sent, ready to
    complete (built() already completed F_DONE)."""
    fresh = "C0MP1ETE000000AA"
    event = lambda_event(
        "POST",
        "/api/uploads",
        [("Authorization", AUTH_A), ("Content-Type", "application/json")],
        json.dumps({"files": [{"id": fresh, "size": SMALL}]}),
        False,
    )
    answer = world.lambda_call(event)
    assert answer.status == 201, answer
    (granted,) = json.loads(answer.body)["files"]
    path, _, query = granted["parts"][0]["url"].partition("?")
    etag = world.backend.receive(path, query, str(SMALL), io.BytesIO(b"\x17" * SMALL))
    files = {**world.files, F_DONE: {**granted, "id": fresh}}
    return files, {**world.etags, F_DONE: [etag]}


# --- `wbs serve` ---------------------------------------------------------------------------


@dataclass
class Served:
    port: int
    log: Path
    storage: Path
    process: subprocess.Popen[bytes]

    def send(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes]:
        """One request over HTTP from CLIENT_ADDRESS, an address nothing else uses."""
        lines = [f"{method} {target} HTTP/1.1", "Host: wbs.example", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if (body or method in ("POST", "PUT")) and "Content-Length" not in headers:
            lines.append(f"Content-Length: {len(body)}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        with socket.create_connection(
            ("127.0.0.1", self.port), timeout=30, source_address=(CLIENT_ADDRESS, 0)
        ) as conn:
            conn.sendall(data)
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
        head, _, rest = answer.partition(b"\r\n\r\n")
        return (int(head.split(b" ")[1]) if head else 0), rest


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    keyring = write_keyring(tmp_path / "keyring.json", [INSPECTOR.public_key])
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "WBS_HOME": str(tmp_path / "home"),
        "WBS_STORAGE": f"local:{tmp_path / 'storage'}",
        "WBS_KEYRING": str(keyring),
        "WBS_POW_DIFFICULTY": "0",
        "WBS_UPLOAD_PART_BYTES": str(5 * 1024 * 1024),
        # Everything a careless setting could make a library print
        "POWERTOOLS_LOG_LEVEL": "DEBUG",
        "POWERTOOLS_DEBUG": "true",
        "POWERTOOLS_LOGGER_LOG_EVENT": "true",
        "POWERTOOLS_DEV": "true",
        "POWERTOOLS_EVENT_HANDLER_DEBUG": "true",
    }
    log = tmp_path / "server.log"
    command = [WBS, "serve", "--site-out", str(tmp_path / "site"), "--port", str(port)]
    with running(command, env, log, port) as process:
        yield Served(port, log, tmp_path / "storage", process)


def test_wbs_serve_logs_nothing_of_a_request(served: Served) -> None:
    # Given case A as the page makes it: a report, and a grant with one part sent
    sent = Sent()
    auth = {"Authorization": AUTH_A, "Content-Type": "application/json"}
    report = json.dumps(report_for(TOKEN_A)).encode()
    signed = auth | reporter.headers("/api/reports", AUTH_A, report)
    assert served.send("POST", "/api/reports", signed, report)[0] == 201
    files: dict[str, dict[str, Any]] = {}
    asked = {"files": [{"id": f, "size": SMALL} for f in (F_OPEN, F_DONE)]}
    asked["files"].append({"id": F_TWO, "size": TWO_PARTS})
    status, answer = served.send("POST", "/api/uploads", auth, json.dumps(asked).encode())
    assert status == 201, answer
    files = {f["id"]: f for f in json.loads(answer)["files"]}
    status, answer = served.send("PUT", files[F_DONE]["parts"][0]["url"], {}, b"\x17" * SMALL)
    assert status == 200, answer
    etags = {F_DONE: [json.loads(answer)["etag"]]}
    start = served.log.stat().st_size
    # When every endpoint gets what a page sends and what an attacker does, each request
    # carrying markers in every header and a canary in its body
    statuses = []
    plan = requests(files, etags)
    for method, target, token, body, expected in plan:
        headers = dict(MARKERS)
        if token is not None:
            headers["Authorization"] = bearer(token)
            sent.token(token)
        if isinstance(body, bytes):
            data = body
            sent.binary.append(body)
        else:
            data = b"" if body is None else json.dumps(body).encode()
        if body is not None and not target.startswith("/attachments"):
            headers["Content-Type"] = CONTENT_TYPE
            sent.body(data)
        headers.update(reporter.headers(target, headers.get("Authorization"), data))
        sent.header_values(headers)
        status, answer = served.send(method, target, headers, data)
        assert status == expected, (method, target, answer[:200])
        statuses.append(status)
        if target.startswith("/attachments"):
            sent.texts.update(
                part for part in target.replace("?", "&").split("&") if len(part) >= 8
            )
    # And a request whose Content-Length makes waitress's own parser fail (it logs then)
    status, _ = served.send("POST", "/api/reports", {"Content-Length": "9" * 5000}, b"{}")
    assert status == 0
    # Then the server's whole output (the journal, under systemd) holds one line per API
    # request and nothing of any request
    served.process.terminate()
    served.process.wait(timeout=10)
    written = served.log.read_bytes()[start:].decode("utf-8", "surrogateescape")
    lines = json_records(written)
    api_statuses = [s for (_, t, *_), s in zip(plan, statuses, strict=True) if t.startswith("/api")]
    assert [line["status"] for line in lines if line.get("message") == "request"] == api_statuses
    assert "uncaptured python exception" in written  # waitress did log the failure...
    assert_nothing_of(sent, written)  # ...without the client's address
    sent.texts.update({CASE_A, *(f["upload"] for f in files.values())})
    assert_nothing_of(sent, written)
