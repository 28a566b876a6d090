"""The reporter's signed follow-ups (docs/spec/signature-v2.md §5), called as Lambda calls the
function: a report registers the reporter's key, and a follow-up not signed by that very key
is refused before anything is written, its proof of work included. (Inspectors check again:
tests/inbox/test_inbox_signatures_cli.py.)
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from nacl.signing import SigningKey

from functions import app as api
from functions import ed25519, mailbox_token, reporter_key
from functions import envelope as fmt
from functions.proofs import Proofs
from functions.signature import REPORTER, signed_bytes
from functions.storage import LocalStorage, layout
from tests.support import api as helpers
from tests.support import reporter
from tests.support.pow import with_proof

MAILBOX = "/api/mailbox"
INSPECTOR = helpers.identity(1)
READER = helpers.identity(3)  # the reporter's X25519 key: a follow-up is sealed to it too
STRANGER = SigningKey.generate()  # someone who holds a token, or storage, but not the code


class World:
    def __init__(self, root: Path, storage: LocalStorage) -> None:
        self.root, self.storage = root, storage

    def files(self) -> dict[str, bytes]:
        """Every file under the storage folder, hidden ones included."""
        return {
            p.relative_to(self.root).as_posix(): p.read_bytes()
            for p in sorted(self.root.rglob("*"))
            if p.is_file()
        }


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """The handlers with the proof-of-work gate on (8 bits), so a spent proof would show."""
    root = tmp_path / "storage"
    storage = LocalStorage(root)
    proofs = Proofs(storage, lambda: b"s" * 32, 8)
    keyring = helpers.write_keyring(tmp_path / "keyring.json", [INSPECTOR.public_key])
    api.configure(storage=storage, keyring_path=keyring, proofs=proofs)
    yield World(root, storage)
    api.configure()


def call(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = api.lambda_handler(event, LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def open_case(token: bytes) -> str:
    """A report as the page sends it, registering the token's reporter key."""
    case = mailbox_token.report_id(token)
    report = helpers.sealed(b"laporan", [INSPECTOR.public_key], case)
    status, answer = call(
        with_proof(
            helpers.post_event(helpers.envelope_json(report), authorization=helpers.bearer(token)),
            "report",
        )
    )
    assert status == 201, answer
    return case


def followup_event(token: bytes, signature: str | None) -> tuple[dict[str, Any], fmt.Envelope]:
    case = mailbox_token.report_id(token)
    sent = helpers.sealed(
        b"tindak lanjut", [INSPECTOR.public_key, READER.public_key], case, "followup"
    )
    event = helpers.post_event(
        helpers.envelope_json(sent), authorization=helpers.bearer(token), path=MAILBOX, sign=False
    )
    if signature is not None:
        event["headers"][reporter_key.SIGNATURE_HEADER] = signature
    return with_proof(event, "followup"), sent


def messages(world: World, case: str) -> list[str]:
    return [i.key for i in world.storage.list(layout.mailbox(case)) if layout.is_message(i.key)]


# --- the function ------------------------------------------------------------------------


def test_a_signed_followup_is_stored_with_its_signature(world: World) -> None:
    # Given a case whose report registered the reporter's key
    token = helpers.new_token()
    case = open_case(token)
    # When the reporter sends a follow-up signed with that key
    event, sent = followup_event(token, None)
    event["headers"][reporter_key.SIGNATURE_HEADER] = reporter.signature_header(token, sent)
    status, answer = call(event)
    # Then it is stored with its signature, and the mailbox serves it as stored
    assert status == 201, answer
    (key,) = messages(world, case)
    stored = json.loads(world.storage.get(key))
    assert stored["signature"] == {
        "by": "reporter",
        "sig": event["headers"][reporter_key.SIGNATURE_HEADER],
    }
    status, mailbox = call(helpers.get_event(MAILBOX, helpers.bearer(token)))
    assert status == 200, mailbox
    assert mailbox["messages"][0]["signature"] == stored["signature"]


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(None, id="unsigned"),
        pytest.param("", id="empty"),
        pytest.param("not base64!", id="not base64"),
        pytest.param(base64.b64encode(bytes(63)).decode(), id="63 bytes"),
        pytest.param("stranger", id="signed by another key"),
        pytest.param("other envelope", id="a signature of another follow-up"),
    ],
)
def test_a_followup_not_signed_by_the_registered_key_is_refused_and_writes_nothing(
    world: World, signature: str | None
) -> None:
    # Given a case whose report registered the reporter's key
    token = helpers.new_token()
    case = open_case(token)
    before = world.files()
    # When a follow-up comes with no signature, a malformed one, or one by another key
    event, sent = followup_event(token, None)
    if signature == "stranger":
        signature = reporter.signature_header(token, sent, STRANGER)
    elif signature == "other envelope":
        other = helpers.sealed(b"lain", [INSPECTOR.public_key, READER.public_key], case, "followup")
        signature = reporter.signature_header(token, other)
    if signature is not None:
        event["headers"][reporter_key.SIGNATURE_HEADER] = signature
    status, answer = call(event)
    # Then it is refused with a reason, and nothing is written: no message, no reservation,
    # no spent proof
    assert (status, answer["error"]) == (400, "bad_signature"), answer
    assert world.files() == before
    assert messages(world, case) == []


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(None, id="missing"),
        pytest.param(base64.b64encode(bytes(31)).decode(), id="31 bytes"),
        pytest.param(base64.b64encode(bytes(33)).decode(), id="33 bytes"),
        pytest.param("AAAA" * 11, id="not canonical base64 of 32 bytes"),
    ],
)
def test_a_report_without_a_well_formed_signing_key_is_refused(
    world: World, key: str | None
) -> None:
    token = helpers.new_token()
    report = helpers.sealed(b"laporan", [INSPECTOR.public_key], mailbox_token.report_id(token))
    event = helpers.post_event(
        helpers.envelope_json(report), authorization=helpers.bearer(token), sign=False
    )
    if key is not None:
        event["headers"][reporter_key.KEY_HEADER] = key
    before = world.files()
    status, answer = call(with_proof(event, "report"))
    assert (status, answer["error"]) == (400, "bad_signing_key"), answer
    assert world.files() == before


def test_the_verifier_records_the_key_and_a_retry_must_carry_the_same(world: World) -> None:
    # Given a report sent with the token's key
    token = helpers.new_token()
    case = mailbox_token.report_id(token)
    report = helpers.envelope_json(helpers.sealed(b"laporan", [INSPECTOR.public_key], case))
    first = helpers.post_event(report, authorization=helpers.bearer(token))
    assert call(with_proof(first, "report"))[0] == 201
    record = json.loads(world.storage.get(layout.verifier(case)))
    assert set(record) == {"received", "verifier", "report", "signing_key", "desks"}
    assert record["signing_key"] == reporter.key_header(token)
    assert record["desks"] == [helpers.DESK]
    # When the same report is sent again with the same key, it is a retry: 201
    assert (
        call(with_proof(helpers.post_event(report, authorization=helpers.bearer(token)), "report"))[
            0
        ]
        == 201
    )
    # But with another key, the code is taken: nobody can swap the key of a stored case
    other = helpers.post_event(report, authorization=helpers.bearer(token), sign=False)
    other["headers"][reporter_key.KEY_HEADER] = base64.b64encode(
        bytes(STRANGER.verify_key)
    ).decode()
    assert call(with_proof(other, "report"))[1]["error"] == "id_taken"
    assert json.loads(world.storage.get(layout.verifier(case))) == record


def test_pynacl_signatures_verify_with_the_functions_ecdsa() -> None:
    # The page signs with libsodium, the inspector's tool with PyNaCl (the same library);
    # the function checks with python-ecdsa: they must agree, both ways of failing included
    key = SigningKey.generate()
    public = base64.b64encode(bytes(key.verify_key)).decode()
    sent = helpers.sealed(b"x", [INSPECTOR.public_key], "0123456789ABCDEF", "followup")
    good = fmt.b64encode(key.sign(signed_bytes(sent, REPORTER)).signature)
    assert reporter_key.check_followup(sent, good, public).sig == base64.b64decode(good)
    wrong = fmt.b64encode(STRANGER.sign(signed_bytes(sent, REPORTER)).signature)
    inspector_bytes = fmt.b64encode(key.sign(signed_bytes(sent, "0" * 16)).signature)
    flipped = bytearray(base64.b64decode(good))
    flipped[10] ^= 1
    for bad in (wrong, inspector_bytes, fmt.b64encode(bytes(flipped))):
        with pytest.raises(Exception, match="not signed with the key"):
            reporter_key.check_followup(sent, bad, public)
    with pytest.raises(Exception, match="not signed with the key"):
        reporter_key.check_followup(sent, good, None)  # a verifier that registers no key


def test_a_remembered_verification_answers_for_that_key_signature_and_message_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The function remembers results (a verification takes milliseconds in pure Python):
    # a good signature remembered must never make another message, key or signature pass
    key = SigningKey.generate()
    public, message = bytes(key.verify_key), b"wbs/v2/case-grant\x00{}"
    sig = key.sign(message).signature
    assert ed25519.verifies(public, sig, message)
    assert ed25519.verifies(public, sig, message)  # remembered
    assert not ed25519.verifies(public, sig, message + b" ")
    assert not ed25519.verifies(bytes(STRANGER.verify_key), sig, message)
    assert not ed25519.verifies(public, bytes([sig[0] ^ 1]) + sig[1:], message)
    assert not ed25519.verifies(public[:31], sig, message)
    # and the memory stays bounded
    monkeypatch.setattr(ed25519, "REMEMBERED", 8)
    for n in range(ed25519.REMEMBERED + 10):
        ed25519.verifies(public, sig, n.to_bytes(4, "big"))
    assert len(ed25519._results) <= ed25519.REMEMBERED
