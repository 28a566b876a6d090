"""POST /api/reports and friends, called as Lambda calls them: canned API Gateway events in,
JSON answers out. Every bad input gets a 4xx JSON error and writes nothing. The mailbox
routes have their own tests (test_mailbox_api.py)."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import app as api
from functions import envelope, mailbox_token
from functions.errors import StorageError
from functions.storage import LocalStorage
from tests.support.api import (
    BAD_AUTHORIZATIONS,
    CLIENT_IP,
    USER_AGENT_MARK,
    api_logs,
    bad_envelopes,
    bearer,
    envelope_json,
    identity,
    load_event,
    mutated,
    new_token,
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
def logs() -> Iterator[io.StringIO]:
    """What the API's Logger writes (JSON lines)."""
    with api_logs() as stream:
        yield stream


def call(event: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
    response = api.lambda_handler(event, LambdaContext())
    return response["statusCode"], json.loads(response["body"]), response["headers"]


def submit(
    body: bytes | str, content_type: str | None = "application/json", token: bytes | None = None
) -> tuple[int, dict[str, Any]]:
    """POST a report with ``token`` (None: a fresh one)."""
    event = post_event(body, content_type, authorization=bearer(token or new_token()))
    status, answer, _ = call(event)
    return status, answer


def good_report(token: bytes) -> dict[str, Any]:
    """A report sealed to the keyring, under the id that ``token`` gives."""
    return sealed(PLAINTEXT, [INSPECTOR.public_key], mailbox_token.report_id(token)).to_json()


def good_event(token: bytes | None = None) -> dict[str, Any]:
    token = token or new_token()
    return post_event(envelope_json(good_report(token)), authorization=bearer(token))


def assert_refused(
    status: int, answer: dict[str, Any], store: LocalStorage, expected: int, code: str
) -> None:
    assert (status, answer.get("error")) == (expected, code), answer
    assert set(answer) == {"error", "message"}
    assert answer["message"].endswith(".") and "\n" not in answer["message"]
    assert list(store.list()) == []


# --- accepted ----------------------------------------------------------------------------


def test_valid_report_is_stored_as_ciphertext_only(store: LocalStorage) -> None:
    # Given a report sealed to the keyring's only active key, under its token's id
    token = new_token()
    sent = good_report(token)
    # When it is posted with the token
    status, answer = submit(envelope_json(sent), token=token)
    # Then it is stored once, under its id, holding the envelope, the token's verifier (not
    # the token) and no plaintext
    assert status == 201
    assert answer["id"] == sent["id"]
    verifier_key, report_key = sorted(i.key for i in store.list())
    assert report_key == f"reports/{sent['id']}.json"
    assert verifier_key == f"mailboxes/{sent['id']}/verifier.json"
    raw = store.get(report_key)
    for data in (raw, store.get(verifier_key)):
        assert CANARY not in data and b"Budi" not in data
        assert token.hex().encode() not in data and bearer(token)[7:].encode() not in data
    stored = json.loads(raw)
    assert stored == {"received": answer["received"], "envelope": sent}
    assert raw == json.dumps(stored, sort_keys=True, separators=(",", ":")).encode()
    assert json.loads(store.get(verifier_key))["verifier"] == mailbox_token.verifier(token)
    assert len(answer["received"]) == 20 and answer["received"].endswith("Z")
    # And the inspector can still open what was stored: nothing accepted is lost
    opened = crypto.open_envelope(envelope.parse(stored["envelope"]), INSPECTOR)
    assert opened == PLAINTEXT


def test_base64_encoded_body_and_charset_parameter(store: LocalStorage) -> None:
    token = new_token()
    event = post_event(
        envelope_json(good_report(token)),
        "application/json; charset=utf-8",
        base64_body=True,
        authorization=bearer(token),
    )
    status, _, headers = call(event)
    assert status == 201
    assert headers["Cache-Control"] == "no-store"


def test_inactive_keys_need_not_be_recipients(store: LocalStorage, tmp_path: Path) -> None:
    write_keyring(tmp_path / "keyring.json", [INSPECTOR.public_key], inactive=[STRANGER.public_key])
    assert call(good_event())[0] == 201


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
    token = new_token()
    status, answer = submit(envelope_json(good_report(token)), content_type, token)
    assert_refused(status, answer, store, 415, "unsupported_media_type")


def test_oversized_body(store: LocalStorage) -> None:
    body = '{"v":1,"pad":"' + "A" * envelope.MAX_ENVELOPE_BYTES + '"}'
    assert_refused(*submit(body), store, 413, "too_large")


def test_declared_length_over_the_limit(store: LocalStorage) -> None:
    event = good_event()
    event["headers"]["content-length"] = str(envelope.MAX_ENVELOPE_BYTES + 1)
    status, answer, _ = call(event)
    assert_refused(status, answer, store, 413, "too_large")


def test_body_that_is_not_base64(store: LocalStorage) -> None:
    event = post_event("{}", authorization=bearer(new_token()))
    event["body"], event["isBase64Encoded"] = "not base64!", True
    status, answer, _ = call(event)
    assert_refused(status, answer, store, 400, "bad_request")


def test_body_that_is_not_utf8(store: LocalStorage) -> None:
    event = post_event(
        b'{"v":1,"kind":"\xff"}', base64_body=True, authorization=bearer(new_token())
    )
    status, answer, _ = call(event)
    assert_refused(status, answer, store, 400, "bad_envelope")


# --- refused: the envelope ---------------------------------------------------------------


BAD_ENVELOPES = bad_envelopes(good_report(new_token()))


@pytest.mark.parametrize("body", BAD_ENVELOPES.values(), ids=BAD_ENVELOPES.keys())
def test_bad_envelope(store: LocalStorage, body: str) -> None:
    assert_refused(*submit(body), store, 400, "bad_envelope")


def test_unknown_version(store: LocalStorage) -> None:
    body = mutated(good_report(new_token()), "v", 2)
    assert_refused(*submit(body), store, 400, "unsupported_version")


@pytest.mark.parametrize("kind", ["followup", "reply"])
def test_only_reports(store: LocalStorage, kind: str) -> None:
    # Given a well-formed envelope of another kind, under the token's id
    token = new_token()
    other = sealed(PLAINTEXT, [INSPECTOR.public_key], mailbox_token.report_id(token), kind)
    # Then the report route refuses it
    assert_refused(*submit(envelope_json(other), token=token), store, 400, "wrong_kind")


def test_report_id_must_be_the_tokens(store: LocalStorage) -> None:
    # Given a good report whose id belongs to another token
    report = good_report(new_token())
    # When it is sent with a fresh token, then it is refused: its id could not be opened
    assert_refused(*submit(envelope_json(report)), store, 400, "id_mismatch")


@pytest.mark.parametrize(
    "authorization", BAD_AUTHORIZATIONS.values(), ids=BAD_AUTHORIZATIONS.keys()
)
def test_report_without_a_usable_token(store: LocalStorage, authorization: str | None) -> None:
    token = new_token()
    event = post_event(envelope_json(good_report(token)), authorization=authorization)
    status, answer, headers = call(event)
    assert_refused(status, answer, store, 401, "bad_token")
    assert headers["WWW-Authenticate"] == "Bearer"


def test_token_scheme_is_case_insensitive(store: LocalStorage) -> None:
    token = new_token()
    event = post_event(
        envelope_json(good_report(token)), authorization="bearer " + bearer(token)[7:]
    )
    assert call(event)[0] == 201


@pytest.mark.parametrize(
    "keys",
    [
        pytest.param([STRANGER.public_key], id="another key"),
        pytest.param([INSPECTOR.public_key, STRANGER.public_key], id="an extra key"),
    ],
)
def test_recipients_not_matching_the_keyring(store: LocalStorage, keys: list[bytes]) -> None:
    token = new_token()
    report = sealed(PLAINTEXT, keys, mailbox_token.report_id(token))
    status, answer = submit(envelope_json(report), token=token)
    assert_refused(status, answer, store, 422, "stale_keys")
    assert "reload" in answer["message"].lower()


def test_recipients_missing_the_recovery_key(store: LocalStorage) -> None:
    token = new_token()
    report = sealed(
        PLAINTEXT, [INSPECTOR.public_key], mailbox_token.report_id(token), recovery=False
    )
    assert_refused(*submit(envelope_json(report), token=token), store, 422, "stale_keys")


def test_recipients_of_a_rotated_desk(store: LocalStorage, tmp_path: Path) -> None:
    # Given the desk rotated to a new generation after the page was built
    write_keyring(tmp_path / "keyring.json", [STRANGER.public_key], inactive=[INSPECTOR.public_key])
    # Then a report sealed to the old generation is refused: reload the page
    assert_refused(*call(good_event())[:2], store, 422, "stale_keys")


def test_several_desks_without_routing_rules_is_a_server_error(
    store: LocalStorage, tmp_path: Path
) -> None:
    # Given a keyring of two desks and no WBS_ROUTING: nothing says which desk gets a report
    write_keyring(tmp_path / "keyring.json", [INSPECTOR.public_key, STRANGER.public_key])
    # Then the server says it is not ready, and writes nothing
    assert_refused(*call(good_event())[:2], store, 503, "server_misconfigured")


def snapshot(store: LocalStorage) -> dict[str, bytes]:
    return {i.key: store.get(i.key) for i in store.list()}


def test_id_reuse_is_refused_and_the_original_kept(store: LocalStorage) -> None:
    # Given a stored report
    token = new_token()
    assert call(good_event(token))[0] == 201
    before = snapshot(store)
    # When another report arrives with the same token (so under the same id)
    status, answer = submit(envelope_json(good_report(token)), token=token)
    # Then it is refused, and what is stored is byte for byte what was there
    assert (status, answer["error"]) == (409, "id_taken")
    assert snapshot(store) == before


def test_the_same_report_sent_again_is_stored_once(store: LocalStorage) -> None:
    # Given a report that was stored, but whose answer the reporter never got
    token = new_token()
    body = envelope_json(good_report(token))
    first_status, first = submit(body, token=token)
    before = snapshot(store)
    # When the browser sends exactly the same report with the same code again
    status, again = submit(body, token=token)
    # Then it is accepted as the same report, and nothing is stored twice
    assert (first_status, status) == (201, 201)
    assert again == first
    assert snapshot(store) == before


def test_a_retry_after_a_half_done_write_completes_it(store: LocalStorage) -> None:
    # Given the mailbox verifier was written but the report write then failed
    token = new_token()
    body = envelope_json(good_report(token))
    api.configure(storage=FailingReports(store.root), keyring_path=api._wiring.keyring_path)
    assert submit(body, token=token)[0] == 503
    api.configure(storage=store, keyring_path=api._wiring.keyring_path)
    # When the browser retries the same report
    status, answer = submit(body, token=token)
    # Then the report is stored once, under the first attempt's time
    assert status == 201
    keys = sorted(snapshot(store))
    assert keys == [f"mailboxes/{answer['id']}/verifier.json", f"reports/{answer['id']}.json"]


class FailingReports(LocalStorage):
    """Writes mailboxes, fails on reports (a storage fault between the two writes)."""

    def put_new(self, key: str, data: bytes, *, desks: Collection[str] = frozenset()) -> None:
        if key.startswith("reports/"):
            raise StorageError("injected fault")
        super().put_new(key, data, desks=desks)


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

    def put_new(self, key: str, data: bytes, *, desks: Collection[str] = frozenset()) -> None:
        raise self.error


def test_storage_failure_is_a_retryable_503(store: LocalStorage) -> None:
    api.configure(
        storage=BrokenStorage(StorageError("disk full")), keyring_path=api._wiring.keyring_path
    )
    status, answer, headers = call(good_event())
    assert (status, answer["error"]) == (503, "storage_unavailable")
    assert "try again" in answer["message"]
    assert headers["Retry-After"]


def test_unexpected_error_is_a_500_without_details(store: LocalStorage, logs: io.StringIO) -> None:
    api.configure(
        storage=BrokenStorage(RuntimeError(CANARY.decode())), keyring_path=api._wiring.keyring_path
    )
    status, answer, _ = call(good_event())
    assert (status, answer["error"]) == (500, "internal_error")
    assert CANARY.decode() not in json.dumps(answer) + logs.getvalue()
    assert "RuntimeError" in logs.getvalue()


def test_missing_keyring_is_a_503(store: LocalStorage, tmp_path: Path) -> None:
    (tmp_path / "keyring.json").unlink()
    status, answer, _ = call(good_event())
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
    token = new_token()
    report = good_report(token)
    bodies = [
        envelope_json(report),
        envelope_json(good_report(token)),  # another report under the same code
        mutated(report, "note", CANARY.decode()),
        "{" + CANARY.decode(),
    ]
    answers = [submit(body, token=token)[0] for body in bodies]
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
        bearer(token)[7:],
        token.hex(),
        mailbox_token.verifier(token),
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
        "from tests.support.api import load_event\n"
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
    assert '"status":401' in out.stdout and '"status":404' in out.stdout  # no token, no route


def test_functions_import_nothing_that_decrypts() -> None:
    code = (
        "import sys, functions.app, functions.host, functions.config, functions.storage\n"
        "print(sorted(m for m in sys.modules if m == 'nacl' or m.startswith('nacl.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
