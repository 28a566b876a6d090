"""POST /api/reports and friends, called as Lambda calls them: canned API Gateway events in,
JSON answers out. Every bad input gets a 4xx JSON error and writes nothing."""

from __future__ import annotations

import base64
import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import app as api
from functions import envelope
from functions.errors import StorageError
from functions.storage import LocalStorage
from tests.helpers_api import (
    CLIENT_IP,
    USER_AGENT_MARK,
    envelope_json,
    identity,
    load_event,
    post_event,
    sealed,
    write_keyring,
)
from wbs import crypto

ROOT = Path(__file__).resolve().parent.parent
CANARY = b"CANARY-report-text-8e41"
PLAINTEXT = b'{"what":"' + CANARY + b'","who":[{"name":"Budi"}]}'
INSPECTOR = identity(1)
STRANGER = identity(2)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStorage]:
    storage = LocalStorage(tmp_path / "storage")
    api.configure(
        storage=storage,
        keyring_path=write_keyring(tmp_path / "keyring.json", [INSPECTOR.public_key]),
    )
    yield storage
    api.configure()


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """What the API's Logger writes (JSON lines)."""
    handler = api.logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def call(event: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
    response = api.lambda_handler(event, LambdaContext())
    return response["statusCode"], json.loads(response["body"]), response["headers"]


def submit(
    body: bytes | str, content_type: str | None = "application/json"
) -> tuple[int, dict[str, Any]]:
    status, answer, _ = call(post_event(body, content_type))
    return status, answer


def good_report(report_id: str | None = None) -> dict[str, Any]:
    return sealed(PLAINTEXT, [INSPECTOR.public_key], report_id).to_json()


def assert_refused(
    status: int, answer: dict[str, Any], store: LocalStorage, expected: int, code: str
) -> None:
    assert (status, answer.get("error")) == (expected, code), answer
    assert set(answer) == {"error", "message"}
    assert answer["message"].endswith(".") and "\n" not in answer["message"]
    assert list(store.list()) == []


# --- accepted ----------------------------------------------------------------------------


def test_valid_report_is_stored_as_ciphertext_only(store: LocalStorage) -> None:
    # Given a report sealed to the keyring's only active key
    sent = good_report()
    # When it is posted
    status, answer = submit(envelope_json(sent))
    # Then it is stored once, under its id, holding the envelope and no plaintext
    assert status == 201
    assert answer["id"] == sent["id"]
    [info] = list(store.list())
    assert info.key == f"reports/{sent['id']}.json"
    raw = store.get(info.key)
    assert CANARY not in raw and b"Budi" not in raw
    stored = json.loads(raw)
    assert stored == {"received": answer["received"], "envelope": sent}
    assert raw == json.dumps(stored, sort_keys=True, separators=(",", ":")).encode()
    assert len(answer["received"]) == 20 and answer["received"].endswith("Z")
    # And the inspector can still open what was stored: nothing accepted is lost
    opened = crypto.open_envelope(envelope.parse(stored["envelope"]), INSPECTOR)
    assert opened == PLAINTEXT


def test_base64_encoded_body_and_charset_parameter(store: LocalStorage) -> None:
    event = post_event(
        envelope_json(good_report()), "application/json; charset=utf-8", base64_body=True
    )
    status, _, headers = call(event)
    assert status == 201
    assert headers["Cache-Control"] == "no-store"


def test_inactive_keys_need_not_be_recipients(store: LocalStorage, tmp_path: Path) -> None:
    write_keyring(tmp_path / "keyring.json", [INSPECTOR.public_key], inactive=[STRANGER.public_key])
    assert submit(envelope_json(good_report()))[0] == 201


def test_health() -> None:
    status, answer, _ = call(load_event("get_health"))
    assert (status, answer) == (200, {"ok": True})


# --- refused: transport --------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonx",
    ],
)
def test_wrong_content_type(store: LocalStorage, content_type: str | None) -> None:
    status, answer = submit(envelope_json(good_report()), content_type)
    assert_refused(status, answer, store, 415, "unsupported_media_type")


def test_oversized_body(store: LocalStorage) -> None:
    body = '{"v":1,"pad":"' + "A" * envelope.MAX_ENVELOPE_BYTES + '"}'
    assert_refused(*submit(body), store, 413, "too_large")


def test_declared_length_over_the_limit(store: LocalStorage) -> None:
    event = post_event(envelope_json(good_report()))
    event["headers"]["content-length"] = str(envelope.MAX_ENVELOPE_BYTES + 1)
    status, answer, _ = call(event)
    assert_refused(status, answer, store, 413, "too_large")


def test_body_that_is_not_base64(store: LocalStorage) -> None:
    event = post_event("{}")
    event["body"], event["isBase64Encoded"] = "not base64!", True
    status, answer, _ = call(event)
    assert_refused(status, answer, store, 400, "bad_request")


def test_body_that_is_not_utf8(store: LocalStorage) -> None:
    event = post_event(b'{"v":1,"kind":"\xff"}', base64_body=True)
    status, answer, _ = call(event)
    assert_refused(status, answer, store, 400, "bad_envelope")


# --- refused: the envelope ---------------------------------------------------------------


def mutated(path: str, value: Any) -> str:
    """A good report with one member (``recipients.0.kid``...) replaced; DELETE removes it."""
    data = good_report()
    *parents, last = path.split(".")
    target: Any = data
    for part in parents:
        target = target[int(part) if isinstance(target, list) else part]
    key: Any = int(last) if isinstance(target, list) else last
    if value is DELETE:
        del target[key]
    else:
        target[key] = value
    return json.dumps(data)


DELETE = object()


def noncanonical(b64: str) -> str:
    """Same bytes, different text: set unused low bits of the last character before '='."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    body = b64.rstrip("=")
    flipped = alphabet[alphabet.index(body[-1]) ^ 1]
    assert base64.b64decode(body[:-1] + flipped + b64[len(body) :]) == base64.b64decode(b64)
    return body[:-1] + flipped + b64[len(body) :]


def sealed_b64() -> str:
    return good_report()["recipients"][0]["sealed"]


BAD_ENVELOPES = {
    "malformed JSON": '{"v":1,',
    "empty body": "",
    "array": "[1,2,3]",
    "string": '"report"',
    "null": "null",
    "v as string": mutated("v", "1"),
    "v as float": mutated("v", 1.0),
    "v as bool": mutated("v", True),
    "kind as number": mutated("kind", 1),
    "id as number": mutated("id", 1234567890123456),
    "recipients as object": mutated("recipients", {}),
    "recipients empty": mutated("recipients", []),
    "recipient as string": mutated("recipients.0", "x"),
    "recipient type as number": mutated("recipients.0.type", 1),
    "recipient kid as number": mutated("recipients.0.kid", 1),
    "recipient sealed as list": mutated("recipients.0.sealed", []),
    "recipient extra member": mutated("recipients.0.extra", "x"),
    "nonce as number": mutated("nonce", 0),
    "ciphertext as null": mutated("ciphertext", None),
    "missing ciphertext": mutated("ciphertext", DELETE),
    "unknown member": mutated("note", "hello"),
    "duplicate member": '{"v":1,"v":1}',
    "duplicate id": mutated("id", "0123456789ABCDEF")[:-1] + ',"id":"0123456789ABCDEF"}',
    "NaN": '{"v":NaN}',
    "Infinity": mutated("v", 1).replace('"v": 1', '"v": Infinity'),
    "deeply nested": '{"v":1,"x":' + "[" * 100_000 + "]" * 100_000 + "}",
    "bad base64": mutated("nonce", "!!!!" * 8),
    "base64 with newline": mutated("nonce", "A" * 16 + "\n" + "A" * 16),
    "url-safe base64": mutated("recipients.0.sealed", "-_" * 54),
    "non-canonical base64": mutated("recipients.0.sealed", noncanonical(sealed_b64())),
    "short nonce": mutated("nonce", base64.b64encode(bytes(23)).decode()),
    "long nonce": mutated("nonce", base64.b64encode(bytes(25)).decode()),
    "ciphertext not a bucket": mutated("ciphertext", base64.b64encode(bytes(1000)).decode()),
    "ciphertext bucket without tag": mutated("ciphertext", base64.b64encode(bytes(1024)).decode()),
    "sealed key of wrong length": mutated(
        "recipients.0.sealed", base64.b64encode(bytes(79)).decode()
    ),
    "path-like id": mutated("id", "../../etc/passwd"),
    "id with slash": mutated("id", "ABCDEFGH/JKMNPQR"),
    "lower-case id": mutated("id", "0123456789abcdef"),
    "short id": mutated("id", "0123456789ABCDE"),
    "id with I": mutated("id", "0123456789ABCDEI"),
    "wrong kind": mutated("kind", "reply"),
}


@pytest.mark.parametrize("body", BAD_ENVELOPES.values(), ids=BAD_ENVELOPES.keys())
def test_bad_envelope(store: LocalStorage, body: str) -> None:
    assert_refused(*submit(body), store, 400, "bad_envelope")


def test_unknown_version(store: LocalStorage) -> None:
    assert_refused(*submit(mutated("v", 2)), store, 400, "unsupported_version")


def test_only_reports_even_when_the_format_knows_more_kinds(
    store: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a future format with a second kind of envelope
    monkeypatch.setattr(envelope, "KINDS", frozenset({"report", "reply"}))
    reply = sealed(PLAINTEXT, [INSPECTOR.public_key], kind="reply")
    # Then the report route still takes reports only
    assert_refused(*submit(envelope_json(reply)), store, 400, "wrong_kind")


@pytest.mark.parametrize(
    "keys",
    [
        pytest.param([STRANGER.public_key], id="another key"),
        pytest.param([INSPECTOR.public_key, STRANGER.public_key], id="an extra key"),
    ],
)
def test_recipients_not_matching_the_keyring(store: LocalStorage, keys: list[bytes]) -> None:
    status, answer = submit(envelope_json(sealed(PLAINTEXT, keys)))
    assert_refused(status, answer, store, 422, "stale_keys")
    assert "reload" in answer["message"].lower()


def test_recipients_missing_an_active_key(store: LocalStorage, tmp_path: Path) -> None:
    write_keyring(tmp_path / "keyring.json", [INSPECTOR.public_key, STRANGER.public_key])
    assert_refused(*submit(envelope_json(good_report())), store, 422, "stale_keys")


def test_id_reuse_is_refused_and_the_original_kept(store: LocalStorage) -> None:
    # Given a stored report
    first = good_report()
    assert submit(envelope_json(first))[0] == 201
    [info] = list(store.list())
    original = store.get(info.key)
    # When another report arrives under the same id
    status, answer = submit(envelope_json(good_report(first["id"])))
    # Then it is refused, and the stored report is byte for byte the first one
    assert (status, answer["error"]) == (409, "id_taken")
    assert [i.key for i in store.list()] == [info.key]
    assert store.get(info.key) == original


# --- routes and failures -------------------------------------------------------------------


def test_unknown_route() -> None:
    status, answer, _ = call(load_event("get_unknown"))
    assert (status, answer["error"]) == (404, "not_found")


def test_wrong_method() -> None:
    status, answer, headers = call(load_event("get_reports"))
    assert (status, answer["error"], headers["Allow"]) == (405, "method_not_allowed", "POST")


class BrokenStorage(LocalStorage):
    def __init__(self, error: Exception) -> None:
        super().__init__(Path("/nonexistent"))
        self.error = error

    def put_new(self, key: str, data: bytes) -> None:
        raise self.error


def test_storage_failure_is_a_retryable_503(store: LocalStorage) -> None:
    api.configure(
        storage=BrokenStorage(StorageError("disk full")), keyring_path=api._wiring.keyring_path
    )
    status, answer, headers = call(post_event(envelope_json(good_report())))
    assert (status, answer["error"]) == (503, "storage_unavailable")
    assert "try again" in answer["message"]
    assert headers["Retry-After"]


def test_unexpected_error_is_a_500_without_details(store: LocalStorage, logs: io.StringIO) -> None:
    api.configure(
        storage=BrokenStorage(RuntimeError(CANARY.decode())), keyring_path=api._wiring.keyring_path
    )
    status, answer, _ = call(post_event(envelope_json(good_report())))
    assert (status, answer["error"]) == (500, "internal_error")
    assert CANARY.decode() not in json.dumps(answer) + logs.getvalue()
    assert "RuntimeError" in logs.getvalue()


def test_missing_keyring_is_a_503(store: LocalStorage, tmp_path: Path) -> None:
    (tmp_path / "keyring.json").unlink()
    status, answer, _ = call(post_event(envelope_json(good_report())))
    assert (status, answer["error"]) == (503, "server_misconfigured")
    assert list(store.list()) == []


# --- what is logged ------------------------------------------------------------------------

ALLOWED_LOG_KEYS = {"level", "location", "message", "timestamp", "service", "sampling_rate"}
REQUEST_KEYS = {"method", "route", "status", "error"}


def test_logs_hold_no_body_header_ip_or_user_agent(
    store: LocalStorage, logs: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    # Given requests of every outcome, each carrying the client's IP and user agent
    caplog.set_level(logging.DEBUG)
    report = good_report()
    bodies = [
        envelope_json(report),
        envelope_json(report),
        mutated("note", CANARY.decode()),
        "{" + CANARY.decode(),
    ]
    answers = [submit(body)[0] for body in bodies]
    answers.append(call(load_event("get_unknown"))[0])
    assert answers == [201, 409, 400, 400, 404]
    # Then one allow-listed line per request, and nothing from the request
    written = logs.getvalue() + caplog.text
    secrets = [
        CANARY.decode(),
        CLIENT_IP,
        USER_AGENT_MARK,
        "Mozilla",
        report["id"],
        report["ciphertext"][:40],
        report["nonce"],
        "execute-api",
        "Root=1-",
    ]
    for secret in secrets:
        assert secret not in written, secret
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    assert [line["message"] for line in lines] == ["request"] * 5
    for line in lines:
        assert set(line) <= ALLOWED_LOG_KEYS | REQUEST_KEYS, line
    assert [(line["route"], line["status"], line.get("error")) for line in lines] == [
        ("/api/reports", 201, None),
        ("/api/reports", 409, "id_taken"),
        ("/api/reports", 400, "bad_envelope"),
        ("/api/reports", 400, "bad_envelope"),
        ("other", 404, "not_found"),
    ]


def test_powertools_switches_cannot_make_it_log_the_event(tmp_path: Path) -> None:
    # Given every Powertools setting that would print or log a whole event
    env = {
        "PATH": "/usr/bin:/bin",
        "POWERTOOLS_DEV": "true",
        "POWERTOOLS_EVENT_HANDLER_DEBUG": "true",
        "POWERTOOLS_LOGGER_LOG_EVENT": "true",
        "POWERTOOLS_LOG_LEVEL": "DEBUG",
        "WBS_STORAGE": f"local:{tmp_path}",
        "WBS_KEYRING": str(tmp_path / "missing.json"),
    }
    code = (
        "from aws_lambda_powertools.utilities.typing import LambdaContext\n"
        "from functions.app import lambda_handler\n"
        "from tests.helpers_api import load_event\n"
        "lambda_handler(load_event('post_report'), LambdaContext())\n"
        "lambda_handler(load_event('get_unknown'), LambdaContext())\n"
    )
    # When the handler runs
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    # Then nothing about the client is written
    for secret in (CLIENT_IP, USER_AGENT_MARK, "execute-api", "Root=1-"):
        assert secret not in out.stdout + out.stderr, secret
    assert '"status":400' in out.stdout and '"status":404' in out.stdout  # empty body, no route


def test_functions_import_nothing_that_decrypts() -> None:
    code = (
        "import sys, functions.app, functions.host, functions.config, functions.storage\n"
        "print(sorted(m for m in sys.modules if m == 'nacl' or m.startswith('nacl.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
