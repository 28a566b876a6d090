"""The system the hostile corpus runs against: one local store with real cases in it, so
that a refusal can happen deep in the checks and not only at the token.

- case A: a report, four grant records (a file with its one part sent, a completed file, a
  file of two parts with none sent, and a file whose upload has ended);
- case B: a report and nothing else (another case's token);
- case C: a report and the 50 follow-ups a case takes (a full mailbox);
- NEW: a well-formed token that opens no case;
- two proof-of-work markers: a report's and a follow-up's proof, used once already.

The same store is served by the Lambda handler and by the local host (waitress on
127.0.0.1), with the same keyring, limits and grant secret, so one corpus runs through both.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import app as api
from functions import host, mailbox, mailbox_token
from functions.attachment_size import stored_size
from functions.config import Settings
from functions.proofs import Proofs
from functions.proofs import challenge as pow_format
from functions.storage import LocalStorage
from functions.storage.layout import attachment, upload_record
from functions.uploads import Limits, LocalUploads, Uploads
from functions.uploads.grants import MIB, Part, Record
from tests.support.api import bearer, identity, load_event, post_event, sealed, write_keyring
from tests.support.host import serving

INSPECTOR = identity(1)
STRANGER = identity(2)
REPORTER = identity(3)


def _token(label: str) -> bytes:
    return hashlib.sha256(b"wbs-hostile/" + label.encode()).digest()


TOKEN_A, TOKEN_B, TOKEN_C, TOKEN_NEW = (_token(x) for x in ("A", "B", "C", "new"))
CASE_A, CASE_B, CASE_C, CASE_NEW = (
    mailbox_token.report_id(t) for t in (TOKEN_A, TOKEN_B, TOKEN_C, TOKEN_NEW)
)
AUTH_A, AUTH_B, AUTH_C, AUTH_NEW = (bearer(t) for t in (TOKEN_A, TOKEN_B, TOKEN_C, TOKEN_NEW))

PART = 5 * MIB  # the smallest part size a deployment may set
# Small enough that a few grants reach every limit, each in the order the server checks it.
LIMITS = Limits(part_bytes=PART, max_files=6, max_case_bytes=10 * 1024 * MIB)
SECRET = "hostile-corpus-grant-secret-0123456789"
SMALL = stored_size(0, 1024)  # the smallest attachment: one part
TWO_PARTS = stored_size(6 * MIB, 1024)  # two parts: 5 MiB and the rest
F_OPEN, F_DONE, F_TWO, F_ENDED = (
    "0PEN0000000000AA",
    "D0NE0000000000AA",
    "TW000000000000AA",
    "END0000000000AAA",
)
F_NEW = "NEW0000000000AAA"  # never granted
F_OPEN_DATA = b"\x17" * SMALL
# Text that must never come back in an answer: the corpus puts it into hostile values.
ECHO = "ECHO-CANARY-q7Zx"
# The proof-of-work gate of the challenge cases: tests/test_pow.py's key and difficulty, and
# a clock at its start, so that its hand-made challenges mean the same here.
POW_SECRET = bytes(range(32))
POW_BITS = 8
POW_NOW = 1_800_000_000.0
POW_LATER = POW_NOW + 300


def challenge_text(
    action: str,
    *,
    secret: bytes = POW_SECRET,
    bits: int = POW_BITS,
    expires: float = POW_LATER,
    nonce: bytes = bytes(16),
) -> str:
    """A challenge made by hand: any key, action, difficulty, expiry and nonce."""
    body = pow_format.BODY.pack(1, pow_format.ACTIONS[action], bits, int(expires), nonce)
    return base64.urlsafe_b64encode(body + pow_format._mac(secret, body)).decode().rstrip("=")


def solved(text: str, bits: int = POW_BITS) -> str:
    counter = 0
    while pow_format.work_bits(f"{text}.{counter}") < bits:
        counter += 1
    return f"{text}.{counter}"


# Proofs whose markers built() writes: used once already.
SPENT_REPORT = solved(challenge_text("report", nonce=b"spent-report-000"))
SPENT_FOLLOWUP = solved(challenge_text("followup", nonce=b"spent-followup-0"))


def report(
    token: bytes, keys: tuple[bytes, ...] = (INSPECTOR.public_key,), recovery: bool = True
) -> dict[str, Any]:
    """A well-formed report for the case ``token`` opens, sealed to ``keys`` and (unless
    told not to) the recovery key."""
    case = mailbox_token.report_id(token)
    return sealed(b'{"what":"hostile"}', keys, case, recovery=recovery).to_json()


def followup(
    case: str, keys: tuple[bytes, ...] | None = None, size: int = 10, recovery: bool = True
) -> dict[str, Any]:
    """A well-formed follow-up for ``case``, sealed to the desk, the recovery key (unless
    told not to) and the reporter."""
    keys = keys or (INSPECTOR.public_key, REPORTER.public_key)
    return sealed(b"f" * size, keys, case, "followup", recovery).to_json()


class Response(NamedTuple):
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass
class World:
    base: Path
    storage: LocalStorage
    backend: LocalUploads
    port: int
    files: dict[str, dict[str, Any]]  # the grant answers of case A's files, by file id
    etags: dict[str, list[str]]  # the ETags of the parts sent
    host_wiring: dict[str, Any] = field(default_factory=dict)  # what the host configures

    @contextmanager
    def proofs_on(self) -> Iterator[None]:
        """The proof-of-work gate on, as tests/test_pow.py sets it (its key, 8 bits, its
        clock), for both ways in; off again afterwards."""
        gate = Proofs(self.storage, lambda: POW_SECRET, POW_BITS, clock=lambda: POW_NOW)
        before = self.host_wiring.get("proofs"), api._wiring.proofs
        self.host_wiring["proofs"] = api._wiring.proofs = gate
        try:
            yield
        finally:
            self.host_wiring["proofs"], api._wiring.proofs = before

    def url(self, file_id: str, part: int = 1) -> str:
        return str(self.files[file_id]["parts"][part - 1]["url"])

    def upload(self, file_id: str) -> str:
        return str(self.files[file_id]["upload"])

    def signed(self, case: str, file_id: str, upload: str, part: Part, expires: datetime) -> str:
        """A URL this host really signed, for whatever key, upload, part and expiry."""
        key = attachment(case, file_id)
        (url,) = self.backend.urls(key, upload, [part], datetime.now(UTC), expires)
        return url

    def snapshot(self) -> dict[str, bytes | None]:
        """Every file (its bytes) and folder (None) under the store, hidden ones included."""
        root = self.storage.root
        found: dict[str, bytes | None] = {}
        for folder, dirs, names in os.walk(root):
            for name in dirs:
                found[os.path.relpath(os.path.join(folder, name), root) + "/"] = None
            for name in names:
                path = os.path.join(folder, name)
                with open(path, "rb") as f:
                    found[os.path.relpath(path, root)] = f.read()
        return found

    # --- the two ways in ---------------------------------------------------------------

    def lambda_call(self, event: dict[str, Any]) -> Response:
        answer = api.lambda_handler(event, LambdaContext())
        body = answer.get("body") or ""
        raw = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode()
        headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
        return Response(int(answer["statusCode"]), headers, raw)

    def http(self, data: bytes) -> Response:
        """Send raw bytes to the local host (the request says Connection: close); read the
        whole answer."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as conn:
            conn.sendall(data)
            chunks = []
            while True:
                try:
                    chunk = conn.recv(1 << 16)
                except ConnectionResetError:  # the server closed on unread request bytes
                    break
                if not chunk:
                    break
                chunks.append(chunk)
        head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
        if not head:
            return Response(0, {}, b"")  # closed without an answer
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers: dict[str, str] = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return Response(int(status_line.split(" ")[1]), headers, body)


SITE = {
    "index.html": "<!doctype html><title>Lapor</title>",
    "en/index.html": "<!doctype html><title>Report</title>",
    "static/js/app.mjs": "export const x = 1;",
    ".hidden": "OUTSIDE-THE-SITE",
}
OUTSIDE = b"OUTSIDE-THE-SITE"


def _site(base: Path) -> Path:
    site = base / "site"
    for name, text in SITE.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    (base / "secret.txt").write_text(OUTSIDE.decode())
    (site / "escape").symlink_to(base / "secret.txt")
    return site


def _ok(world: World, event: dict[str, Any], status: int) -> dict[str, Any]:
    answer = world.lambda_call(event)
    assert answer.status == status, answer
    return dict(json.loads(answer.body))


@contextmanager
def built(base: Path) -> Iterator[World]:
    """Start the host on a fresh store and fill it with cases A, B and C."""
    with ExitStack() as stack:
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        # The proof of work (a helper adds it to POST /api/reports and /api/mailbox) is not
        # what this corpus tests; its own cases switch it on.
        patch.setenv("WBS_POW_DIFFICULTY", "0")
        settings = Settings(
            storage_url=f"local:{base / 'storage'}",
            keyring_path=write_keyring(base / "keyring.json", [INSPECTOR.public_key]),
            upload_secret=SECRET,
            upload_limits=LIMITS,
        )
        # make_server's own steps, keeping the application: waitress wraps what it serves
        application = host.make_app(_site(base), settings)
        server = host._server(application, settings, "127.0.0.1", 0)
        stack.enter_context(serving(server))
        stack.callback(api.configure)
        uploads = api._wiring.uploads
        assert isinstance(uploads, Uploads) and isinstance(uploads.backend, LocalUploads)
        storage = uploads.storage
        assert isinstance(storage, LocalStorage)
        world = World(base, storage, uploads.backend, server.effective_port, {}, {})
        for token in (TOKEN_A, TOKEN_B, TOKEN_C):
            _ok(world, post_event(json.dumps(report(token)), authorization=bearer(token)), 201)
        for n in range(mailbox.MAX_REPORTER_MESSAGES):
            sent = sealed(b"c", [INSPECTOR.public_key, REPORTER.public_key], CASE_C, "followup")
            mailbox.post(
                storage, CASE_C, "reporter", sent, datetime.now(UTC) + timedelta(seconds=n)
            )
        asked = {"files": [{"id": f, "size": SMALL} for f in (F_OPEN, F_DONE)]}
        asked["files"].append({"id": F_TWO, "size": TWO_PARTS})
        event = post_event(json.dumps(asked), authorization=AUTH_A, path="/api/uploads")
        world.files = {f["id"]: f for f in _ok(world, event, 201)["files"]}
        for file_id in (F_OPEN, F_DONE):
            path, _, query = world.url(file_id).partition("?")
            etag = world.backend.receive(path, query, str(SMALL), io.BytesIO(F_OPEN_DATA))
            world.etags[file_id] = [etag]
        done = {
            "id": F_DONE,
            "upload": world.upload(F_DONE),
            "parts": [{"number": 1, "etag": world.etags[F_DONE][0]}],
        }
        _ok(
            world,
            post_event(json.dumps(done), authorization=AUTH_A, path="/api/uploads/complete"),
            201,
        )
        ended = Record(
            "2020-01-01T00:00:00Z", datetime(2020, 1, 2, tzinfo=UTC), PART, SMALL, "e" * 32
        )
        storage.put_new(upload_record(CASE_A, F_ENDED), ended.to_json())
        for spent, action in ((SPENT_REPORT, "report"), (SPENT_FOLLOWUP, "followup")):
            text = spent.partition(".")[0]
            marker = pow_format.marker_name(pow_format.Challenge(text, action, POW_BITS, 0))
            storage.put_new(f"proofs/{marker}", b"")
        world.host_wiring = getattr(application, "wiring", {})
        yield world


def lambda_event(
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: str,
    base64_body: bool,
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event as it reaches the function: the client's
    address and user agent are in it, as they always are."""
    event = load_event("post_report")
    path, _, query = target.partition("?")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["rawQueryString"] = query
    event["requestContext"]["http"]["method"] = method
    kept = {
        k: v for k, v in event["headers"].items() if k not in ("content-type", "content-length")
    }
    for name, value in headers:  # API Gateway joins repeated headers with commas
        name = name.lower()
        kept[name] = f"{kept[name]},{value}" if name in kept else value
    event["headers"] = kept
    event["body"], event["isBase64Encoded"] = body, base64_body
    return event
