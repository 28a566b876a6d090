"""The mailbox API (docs/spec/mailbox-v1.md sections 3, 5 and 6), called as Lambda calls it.

The reporter reads the case's mailbox and posts follow-ups with the mailbox token alone: the
report id always comes from the token, unknown and wrong tokens get one identical answer,
and everything is create-only and bounded. Replies are written as the inspector's tool
writes them, straight into storage."""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import app as api
from functions import envelope, mailbox, mailbox_token
from functions.envelope import Envelope
from functions.errors import StorageError
from functions.storage import LocalStorage, layout
from functions.uploads import Limits
from tests.support.api import (
    BAD_AUTHORIZATIONS,
    DESK,
    api_logs,
    bad_envelopes,
    bearer,
    envelope_json,
    get_event,
    identity,
    new_token,
    post_event,
    sealed,
    write_keyring,
)
from wbs import crypto

MAILBOX = "/api/mailbox"
INSPECTOR = identity(1)
STRANGER = identity(2)
REPORTER = identity(3)  # in real life derived from the receipt code
CANARY = b"CANARY-followup-71ad"
NOW = datetime.now(UTC)


class Answer(NamedTuple):
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    raw: str


class Case(NamedTuple):
    token: bytes
    id: str
    received: str


def call(event: dict[str, Any]) -> Answer:
    response = api.lambda_handler(event, LambdaContext())
    raw = response["body"]
    return Answer(response["statusCode"], json.loads(raw), response["headers"], raw)


def read(token: bytes) -> Answer:
    return call(get_event(MAILBOX, bearer(token)))


def post(token: bytes, body: str, content_type: str = "application/json") -> Answer:
    return call(post_event(body, content_type, authorization=bearer(token), path=MAILBOX))


def open_case(token: bytes | None = None) -> Case:
    """A report sent through the API, as the browser sends it."""
    token = token or new_token()
    report = sealed(b"report", [INSPECTOR.public_key], mailbox_token.report_id(token))
    event = post_event(envelope_json(report), authorization=bearer(token))
    answer = call(event)
    assert answer.status == 201, answer
    return Case(token, report.id, answer.body["received"])


def followup(
    case_id: str, identities: tuple[crypto.Identity, ...] = (INSPECTOR, REPORTER)
) -> Envelope:
    return sealed(CANARY, [i.public_key for i in identities], case_id, "followup")


def reply(store: LocalStorage, case_id: str, text: bytes, now: datetime) -> mailbox.Message:
    """An inspector's reply, written with storage credentials as `wbs inbox reply` does."""
    sent = sealed(text, [REPORTER.public_key, INSPECTOR.public_key], case_id, "reply")
    return mailbox.post(store, case_id, "inspectorate", sent, now)


def snapshot(store: LocalStorage) -> dict[str, bytes]:
    return {i.key: store.get(i.key) for i in store.list()}


def assert_error(answer: Answer, status: int, code: str) -> None:
    assert (answer.status, answer.body.get("error")) == (status, code), answer
    assert set(answer.body) == {"error", "message"}
    assert answer.body["message"].endswith(".") and "\n" not in answer.body["message"]
    assert answer.headers["Cache-Control"] == "no-store"


# --- reading and posting -------------------------------------------------------------------


def test_a_new_report_has_an_empty_mailbox(store: LocalStorage) -> None:
    # Given a report sent with its token
    case = open_case()
    # When the reporter opens the mailbox with the same token
    answer = read(case.token)
    # Then it answers with the case and no message, and is not cached
    assert answer.status == 200
    assert answer.body == {
        "id": case.id,
        "received": case.received,
        "desks": [DESK],
        "messages": [],
        "uploads_left": {"files": Limits().max_files, "bytes": Limits().max_case_bytes},
    }
    assert answer.headers["Cache-Control"] == "no-store"


def test_thread_holds_replies_and_followups_in_order(store: LocalStorage) -> None:
    # Given a case with a reply, then the reporter's follow-up, then another reply
    case = open_case()
    first = reply(store, case.id, b"Mohon informasi tambahan", NOW - timedelta(hours=1))
    sent = followup(case.id)
    posted = post(case.token, envelope_json(sent))
    last = reply(store, case.id, b"Terima kasih", NOW + timedelta(hours=1))
    # When the reporter reads the mailbox
    answer = read(case.token)
    # Then the follow-up was stored and the thread comes back in order
    assert posted.status == 201 and set(posted.body) == {"sent"}
    messages = answer.body["messages"]
    assert [(m["from"], m["sent"]) for m in messages] == [
        ("inspectorate", first.sent),
        ("reporter", posted.body["sent"]),
        ("inspectorate", last.sent),
    ]
    assert [m["envelope"] for m in messages] == [
        first.envelope.to_json(),
        sent.to_json(),
        last.envelope.to_json(),
    ]
    # And the reporter can open every message, the inspector the follow-up
    opened = [crypto.open_envelope(envelope.parse(m["envelope"]), REPORTER) for m in messages]
    assert opened == [b"Mohon informasi tambahan", CANARY, b"Terima kasih"]
    assert crypto.open_envelope(envelope.parse(messages[1]["envelope"]), INSPECTOR) == CANARY
    # And storage holds only ciphertext
    assert all(CANARY not in data for data in snapshot(store).values())


def test_unreadable_stored_messages_are_skipped(
    store: LocalStorage, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a case whose folder also holds broken and misplaced objects
    case, other = open_case(), open_case()
    good = reply(store, case.id, b"ok", NOW)
    folder = layout.mailbox(case.id)
    misplaced = reply(store, other.id, b"elsewhere", NOW).key.rpartition("/")[2]
    store.put_new(folder + misplaced, store.get(layout.mailbox(other.id) + misplaced))
    store.put_new(folder + "20240101T000000000000Z-inspectorate-0badf00d.json", b"{not json")
    store.put_new(folder + "20240101T000000000001Z-reporter-0badf00d.json", b"{}")
    store.put_new(folder + "notes.txt", b"not a message")
    # When the reporter reads the mailbox
    with api_logs() as logs:
        answer = read(case.token)
    # Then the good message comes back, the others are skipped and logged by name alone
    assert answer.status == 200
    assert [m["sent"] for m in answer.body["messages"]] == [good.sent]
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    skipped = sorted(line["object_name"] for line in lines if "object_name" in line)
    assert skipped == sorted(
        [
            misplaced,
            "20240101T000000000000Z-inspectorate-0badf00d.json",
            "20240101T000000000001Z-reporter-0badf00d.json",
        ]
    )
    assert case.id not in logs.getvalue() + caplog.text


# --- one answer for every wrong token --------------------------------------------------------


WRONG = new_token()  # its id has a report, but not one it opens


def record(**members: Any) -> bytes:
    """A mailbox verifier record under WRONG's id, with these members."""
    return json.dumps({"received": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"), **members}).encode()


WRONG_RECORDS = {
    "another verifier": record(verifier=mailbox_token.verifier(new_token())),
    "no verifier": record(),
    "verifier as number": record(verifier=7),
    "non-ASCII verifier": record(verifier="\u00e9" * 64),
    "record not JSON": b"{garbage",
}


@pytest.mark.parametrize("stored", WRONG_RECORDS.values(), ids=WRONG_RECORDS.keys())
def test_unknown_and_wrong_tokens_get_identical_answers(store: LocalStorage, stored: bytes) -> None:
    # Given a token with no report, and one whose id has a report it does not open
    unknown = new_token()
    store.put_new(layout.verifier(mailbox_token.report_id(WRONG)), stored)
    before = snapshot(store)
    body = envelope_json(followup(mailbox_token.report_id(WRONG)))
    # When both read the mailbox and post to it
    answers = [read(unknown), read(WRONG), post(unknown, body), post(WRONG, body)]
    # Then every answer is the same 404, byte for byte, and nothing is written
    assert_error(answers[0], 404, "unknown_code")
    assert "code" in answers[0].body["message"]
    assert len({(a.status, a.raw, tuple(sorted(a.headers.items()))) for a in answers}) == 1
    assert snapshot(store) == before


class ReadOnly(LocalStorage):
    """The store refuses every write."""

    def put_new(self, key: str, data: bytes, *, desks: Collection[str] = frozenset()) -> None:
        raise StorageError("disk full")


class Down(ReadOnly):
    """The store answers nothing at all."""

    def get(self, key: str) -> bytes:
        raise StorageError("unreachable")


def test_a_storage_failure_is_not_an_unknown_code(store: LocalStorage) -> None:
    # Given a case, then its store goes down
    case = open_case()
    api.configure(storage=Down(store.root), keyring_path=api._wiring.keyring_path)
    # Then the reporter hears to try again, not that the code is wrong
    assert_error(read(case.token), 503, "storage_unavailable")
    assert_error(post(case.token, envelope_json(followup(case.id))), 503, "storage_unavailable")


def test_a_failed_write_is_a_retryable_503(store: LocalStorage) -> None:
    case = open_case()
    before = snapshot(store)
    api.configure(storage=ReadOnly(store.root), keyring_path=api._wiring.keyring_path)
    answer = post(case.token, envelope_json(followup(case.id)))
    assert_error(answer, 503, "storage_unavailable")
    assert answer.headers["Retry-After"]
    assert snapshot(store) == before


# --- tokens and mailboxes ------------------------------------------------------------------


def test_a_token_cannot_be_reused_for_a_second_report(store: LocalStorage) -> None:
    # Given a case
    case = open_case()
    before = snapshot(store)
    # When a second report comes with the same token
    second = sealed(b"second", [INSPECTOR.public_key], case.id)
    answer = call(post_event(envelope_json(second), authorization=bearer(case.token)))
    # Then it is refused, the first report is unchanged and its mailbox still opens
    assert_error(answer, 409, "id_taken")
    assert snapshot(store) == before
    assert read(case.token).body["received"] == case.received


def test_a_token_never_reaches_another_mailbox(store: LocalStorage) -> None:
    # Given two cases, A and B, where B has a reply
    a, b = open_case(), open_case()
    reply(store, b.id, b"for B only", NOW)
    before = snapshot(store)
    # When A's token posts a follow-up addressed to B
    answer = post(a.token, envelope_json(followup(b.id)))
    # Then it is refused and nothing is written anywhere
    assert_error(answer, 400, "id_mismatch")
    assert snapshot(store) == before
    # And A's token only ever reads A's mailbox
    assert read(a.token).body | {"uploads_left": None} == {
        "id": a.id,
        "received": a.received,
        "desks": [DESK],
        "messages": [],
        "uploads_left": None,
    }
    assert len(read(b.token).body["messages"]) == 1


ROUTES = ["GET", "POST"]


@pytest.mark.parametrize("method", ROUTES)
@pytest.mark.parametrize(
    "authorization", BAD_AUTHORIZATIONS.values(), ids=BAD_AUTHORIZATIONS.keys()
)
def test_bad_tokens_are_refused(
    store: LocalStorage, method: str, authorization: str | None
) -> None:
    case = open_case()
    before = snapshot(store)
    if method == "GET":
        event = get_event(MAILBOX, authorization)
    else:
        body = envelope_json(followup(case.id))
        event = post_event(body, authorization=authorization, path=MAILBOX)
    answer = call(event)
    assert_error(answer, 401, "bad_token")
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert snapshot(store) == before


def test_wrong_method_names_both_methods(store: LocalStorage) -> None:
    event = get_event(MAILBOX, None)
    event["requestContext"]["http"]["method"] = "DELETE"
    answer = call(event)
    assert_error(answer, 405, "method_not_allowed")
    assert answer.headers["Allow"] == "GET, POST"


# --- what a follow-up must be --------------------------------------------------------------

RECIPIENTS = {
    "the desk, the recovery key and the reporter": ((INSPECTOR, REPORTER), 201),
    "the desk and the recovery key, without the reporter": ((INSPECTOR,), 422),
    "the reporter and the recovery key only": ((REPORTER,), 422),
    "a stranger instead of the desk": ((STRANGER, REPORTER), 422),
    "two extra keys": ((INSPECTOR, REPORTER, STRANGER), 422),
}


@pytest.mark.parametrize(("identities", "expected"), RECIPIENTS.values(), ids=RECIPIENTS.keys())
def test_followup_recipients(
    store: LocalStorage, identities: tuple[crypto.Identity, ...], expected: int
) -> None:
    case = open_case()
    answer = post(case.token, envelope_json(followup(case.id, identities)))
    assert answer.status == expected, answer
    if expected == 422:
        assert_error(answer, 422, "stale_keys")
        assert read(case.token).body["messages"] == []


def test_followup_without_the_recovery_key_is_refused(store: LocalStorage) -> None:
    case = open_case()
    sent = sealed(CANARY, [INSPECTOR.public_key, REPORTER.public_key], case.id, "followup", False)
    before = snapshot(store)
    assert_error(post(case.token, envelope_json(sent)), 422, "stale_keys")
    assert snapshot(store) == before


def test_followup_to_a_rotated_desks_old_generation(store: LocalStorage, tmp_path: Path) -> None:
    # Given a case, then its desk rotated to a new generation (a member left)
    case = open_case()
    write_keyring(tmp_path / "keyring.json", [STRANGER.public_key], inactive=[INSPECTOR.public_key])
    before = snapshot(store)
    # Then a follow-up sealed to the old generation is out of date: reload the page
    answer = post(case.token, envelope_json(followup(case.id)))
    assert_error(answer, 422, "stale_keys")
    assert "Reload the page" in answer.body["message"]
    assert snapshot(store) == before
    # And one sealed to the new generation is taken
    assert post(case.token, envelope_json(followup(case.id, (STRANGER, REPORTER)))).status == 201


@pytest.mark.parametrize("kind", ["report", "reply"])
def test_only_followups(store: LocalStorage, kind: str) -> None:
    case = open_case()
    before = snapshot(store)
    other = sealed(CANARY, [INSPECTOR.public_key, REPORTER.public_key], case.id, kind)
    assert_error(post(case.token, envelope_json(other)), 400, "wrong_kind")
    assert snapshot(store) == before


def test_a_followup_is_not_a_report(store: LocalStorage) -> None:
    token = new_token()
    sent = followup(mailbox_token.report_id(token))
    answer = call(post_event(envelope_json(sent), authorization=bearer(token)))
    assert_error(answer, 400, "wrong_kind")
    assert list(store.list()) == []


BAD_FOLLOWUPS = bad_envelopes(followup("0123456789ABCDEF").to_json())


@pytest.mark.parametrize("body", BAD_FOLLOWUPS.values(), ids=BAD_FOLLOWUPS.keys())
def test_bad_followup_envelope(store: LocalStorage, body: str) -> None:
    case = open_case()
    before = snapshot(store)
    assert_error(post(case.token, body), 400, "bad_envelope")
    assert snapshot(store) == before


def test_followup_transport_checks(store: LocalStorage) -> None:
    case = open_case()
    before = snapshot(store)
    good = envelope_json(followup(case.id))
    assert_error(post(case.token, good, "text/plain"), 415, "unsupported_media_type")
    oversized = '{"v":1,"pad":"' + "A" * envelope.MAX_ENVELOPE_BYTES + '"}'
    assert_error(post(case.token, oversized), 413, "too_large")
    long_text = b"x" * mailbox.MAX_FOLLOWUP_BUCKET  # pads to the next bucket: one too big
    too_long = sealed(long_text, [INSPECTOR.public_key, REPORTER.public_key], case.id, "followup")
    assert_error(post(case.token, envelope_json(too_long)), 413, "too_large")
    assert snapshot(store) == before
    longest = b"x" * (mailbox.MAX_FOLLOWUP_BUCKET - 1)
    fits = sealed(longest, [INSPECTOR.public_key, REPORTER.public_key], case.id, "followup")
    assert post(case.token, envelope_json(fits)).status == 201


def test_the_reporter_may_post_fifty_messages_and_no_more(store: LocalStorage) -> None:
    # Given a case holding 49 follow-ups and some replies, which do not count
    case = open_case()
    for _ in range(mailbox.MAX_REPORTER_MESSAGES - 1):
        mailbox.post(store, case.id, "reporter", followup(case.id))
    for hours in (1, 2):
        reply(store, case.id, b"reply", NOW + timedelta(hours=hours))
    # When the reporter posts twice more
    fiftieth = post(case.token, envelope_json(followup(case.id)))
    before = snapshot(store)
    fifty_first = post(case.token, envelope_json(followup(case.id)))
    # Then the 50th is stored and the 51st refused, writing nothing
    assert fiftieth.status == 201
    assert_error(fifty_first, 403, "mailbox_full")
    assert snapshot(store) == before
    senders = [layout.sender(k) for k in mailbox.keys(store, case.id)]
    assert senders.count("reporter") == mailbox.MAX_REPORTER_MESSAGES


def test_the_same_followup_sent_again_is_stored_once(store: LocalStorage) -> None:
    # Given a follow-up stored, whose answer the reporter never saw
    case = open_case()
    body = envelope_json(followup(case.id))
    first = post(case.token, body)
    # When the very same envelope is sent again
    again = post(case.token, body)
    # Then the same message is answered, and the mailbox holds it once
    assert first.status == again.status == 201
    assert again.body == first.body
    assert [layout.sender(k) for k in mailbox.keys(store, case.id)] == ["reporter"]
    # while another follow-up with the same text is a message of its own
    assert post(case.token, envelope_json(followup(case.id))).status == 201
    assert len(mailbox.keys(store, case.id)) == 2


# --- what is logged ------------------------------------------------------------------------


def test_logs_hold_no_token_verifier_or_body(
    store: LocalStorage, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a whole exchange, good and bad, captured from every logger
    caplog.set_level(logging.DEBUG)
    with api_logs() as logs:
        case = open_case()
        sent = followup(case.id)
        reply(store, case.id, b"reply", NOW)
        statuses = [
            post(case.token, envelope_json(sent)).status,
            read(case.token).status,
            read(new_token()).status,
            post(case.token, envelope_json(sent), "text/plain").status,
            post(case.token, '{"v":1,"note":"' + CANARY.decode() + '"}').status,
            call(get_event(MAILBOX, "Bearer " + case.token.hex())).status,
        ]
    assert statuses == [201, 200, 404, 415, 400, 401]
    # Then nothing written holds the token, its verifier or anything from a body
    written = logs.getvalue() + caplog.text
    secrets = [
        bearer(case.token)[7:],
        case.token.hex(),
        mailbox_token.verifier(case.token),
        case.id,
        CANARY.decode(),
        sent.to_json()["ciphertext"][:40],
        sent.to_json()["nonce"],
        sent.to_json()["recipients"][1]["sealed"],
    ]
    for secret in secrets:
        assert secret not in written, secret
    lines = [json.loads(line) for line in logs.getvalue().splitlines()]
    assert [(line["route"], line["status"]) for line in lines[1:]] == [
        (MAILBOX, status) for status in statuses
    ]
