"""What inspectors write is signed (docs/spec/signature-v2.md): a party that can write to
storage and holds only the public keyring cannot forge a reply, a status change, a note or an
access record that counts; a signed item moved to another case counts for nothing; a key that
cannot sign writes nothing."""

from __future__ import annotations

import datetime
import hashlib
import json

import pytest
from nacl.signing import SigningKey

from functions import envelope as fmt
from functions import mailbox
from functions.signature import Signature, signed_bytes
from functions.storage import LocalStorage, layout
from tests.inbox.test_inbox_thread_cli import (  # noqa: F401 (fixtures)
    case,
    colleague,
    keyring,
    reporter,
    retired,
    stored_replies,
)
from tests.support.inbox import (
    FIRST,
    PASSPHRASE,
    SECOND,
    payload,
    post_followup,
    put,
    wbs,
    write_format_1_key,
)
from wbs import messages, notes, paths
from wbs.crypto import Identity, Recipient, seal

NOW = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)
NOT_VERIFIED = "NOT VERIFIED, counts for nothing"
STRANGER = "0123456789abcdef"


def forged_reply(
    store: LocalStorage, keys: list[bytes], reporter_key: bytes, by: str, **fields: str
) -> None:
    """A reply in ``by``'s name, sealed with nothing but public keys, stored straight into
    storage; ``signature`` may be a stolen one, as JSON."""
    stolen = fields.pop("signature", "")
    message = messages.new(fields.pop("type", "message"), by=by, now=NOW, **fields)  # type: ignore[arg-type]
    to = [Recipient(k) for k in (*keys, reporter_key)]
    envelope = seal("reply", FIRST, messages.encode(message), to)
    signature = None
    if stolen:
        document = json.loads(stolen)
        signature = Signature(document["by"], fmt.b64decode(document["sig"], "sig"))
    if by == STRANGER:  # a key of the forger's own, which no keyring lists
        signature = Signature(by, SigningKey(bytes(32)).sign(signed_bytes(envelope, by)).signature)
    mailbox.post(store, FIRST, "inspectorate", envelope, NOW, signature)


def test_a_forged_status_change_and_reply_count_for_nothing(
    store: LocalStorage,
    case: list[bytes],  # noqa: F811
    reporter: Identity,  # noqa: F811
    inspector: Identity,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a forger who closes the case and writes a reply in a real inspector's name,
    # with another item's real signature attached to the reply
    monkeypatch.setenv("WBS_PASSPHRASE", PASSPHRASE)
    sent = wbs("inbox", "reply", FIRST, "--file", "-", passphrase=None, more="pesan asli\n")
    assert sent.exit_code == 0, sent.output
    (real,) = stored_replies(store)
    assert real.signature is not None
    forged_reply(store, case, reporter.public_key, inspector.kid, type="status", status="selesai")
    stolen = json.dumps(real.signature.to_json())
    forged_reply(
        store, case, reporter.public_key, inspector.kid, text="laporan ditarik", signature=stolen
    )
    # And one in the name of a key that is in no keyring
    forged_reply(store, case, reporter.public_key, STRANGER, text="kunci asing")
    assert wbs("inbox", "sync").exit_code == 0

    # When an inspector reads the case
    result = wbs("inbox", "show", FIRST, "--audit")

    # Then each forgery is shown, flagged, and changes nothing: the status, the deadline's
    # acknowledgement and the audit trail are the real reply's alone
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Status: Menunggu Verifikasi (menunggu-verifikasi)" in out
    assert out.count(NOT_VERIFIED) == 3
    assert "it is not signed" in out
    assert "its signature does not match what is stored" in out
    assert f"key {STRANGER} is not a signing key of the keyring" in out
    trail = out[out.index("Jejak audit / Audit trail") :]
    assert trail.count(" reply") == 1 and "status" not in trail
    # And the list agrees
    listed = wbs("inbox", "list").stdout
    assert "Menunggu Verifikasi" in listed and "Selesai" not in listed


def forged_record(
    store: LocalStorage, keys: list[bytes], document: dict[str, str], author: str, sign_with: bytes
) -> None:
    """A note or access record sealed to the keyring's public keys in ``author``'s name and
    stored straight into storage; signed with ``sign_with``'s key if given (not the
    author's, which the forger does not have), else unsigned."""
    plaintext = json.dumps({**document, "written": "2026-03-02T08:00:00Z"}).encode()
    envelope = seal(fmt.NOTE, FIRST, plaintext, [Recipient(k) for k in keys])
    body: dict[str, object] = {"sent": "2026-03-02T08:00:00Z", "author": author}
    body["envelope"] = envelope.to_json()
    if sign_with:
        sig = SigningKey(sign_with).sign(signed_bytes(envelope, author)).signature
        body["signature"] = Signature(author, sig).to_json()
    digest = hashlib.sha256(fmt.canonical_json(envelope.to_json())).hexdigest()[:8]
    store.put_new(layout.note(FIRST, NOW, author, digest), fmt.canonical_json(body))


def test_a_forged_note_and_access_record_count_for_nothing(
    store: LocalStorage,
    case: list[bytes],  # noqa: F811
    colleague: Identity,  # noqa: F811
) -> None:
    # Given a forger who seals a note in a colleague's name, signed with a key of their own,
    # and an unsigned access record in the same name
    note = {"schema": notes.SCHEMA, "text": "catatan palsu"}
    forged_record(store, case, note, colleague.kid, bytes(range(32)))
    access = {"schema": notes.ACCESS_SCHEMA, "action": "case-file", "file": ""}
    forged_record(store, case, access, colleague.kid, b"")
    assert wbs("inbox", "sync").exit_code == 0

    # When an inspector reads the case
    result = wbs("inbox", "show", FIRST, "--audit")

    # Then the note is shown flagged, and neither is on the audit trail
    out = result.stdout
    assert "catatan palsu" in out and NOT_VERIFIED in out
    assert "its signature does not match what is stored" in out
    trail = out[out.index("Jejak audit / Audit trail") :]
    assert " note" not in trail and "case-file" not in trail


def test_a_signed_reply_moved_to_another_case_counts_for_nothing(
    store: LocalStorage,
    case: list[bytes],  # noqa: F811
    reporter: Identity,  # noqa: F811
    inspector: Identity,
) -> None:
    # Given a real status change on one case, and a second case
    assert wbs("inbox", "status", FIRST, "dalam-proses").exit_code == 0
    (real,) = stored_replies(store)
    put(store, SECOND, case, payload())
    # When a storage writer copies its signature onto a message for the second case
    message = messages.new("status", by=inspector.kid, now=NOW, status="selesai")
    envelope = seal("reply", SECOND, messages.encode(message), [Recipient(k) for k in case])
    mailbox.post(store, SECOND, "inspectorate", envelope, NOW, real.signature)
    assert wbs("inbox", "sync").exit_code == 0
    # Then the second case's status does not change
    out = wbs("inbox", "show", SECOND).stdout
    assert "Status: Menunggu Verifikasi (menunggu-verifikasi)" in out
    assert "its signature does not match what is stored" in out


def test_a_key_that_cannot_sign_writes_nothing(
    store: LocalStorage,
    case: list[bytes],  # noqa: F811
    inspector: Identity,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the inspector's key file as it was before keys could sign
    monkeypatch.setenv("WBS_PASSPHRASE", PASSPHRASE)
    (path,) = paths.keys_dir().glob("*.key")
    path.unlink()
    write_format_1_key(path, inspector.private_key, PASSPHRASE, "Lama")
    # When it sends a reply, then a note
    for command in ("reply", "note"):
        result = wbs("inbox", command, FIRST, "--file", "-", passphrase=None, more="teks\n")
        # Then nothing is written, and the error names the way out
        assert result.exit_code == 1
        assert "cannot sign" in result.stderr and "wbs keys upgrade" in result.stderr
    assert mailbox.keys(store, FIRST) == []
    assert notes.keys(store, FIRST) == []


def test_a_forged_followup_is_shown_not_verified(
    store: LocalStorage,
    case: list[bytes],  # noqa: F811
    inspector: Identity,
) -> None:
    # Given a case whose report registered its reporter's signing key, and, written straight
    # into storage, a follow-up the reporter signed, one signed by another key ("I withdraw
    # this report") and one unsigned
    post_followup(store, FIRST, "ASLI dari pelapor", NOW, case)
    forged_at = NOW + datetime.timedelta(hours=1)
    forger = SigningKey(bytes(range(32)))
    post_followup(store, FIRST, "PALSU saya tarik laporan", forged_at, case, signed_by=forger)
    unsigned_at = NOW + datetime.timedelta(hours=2)
    post_followup(store, FIRST, "TANPA tanda tangan", unsigned_at, case, signed=False)
    assert wbs("inbox", "sync").exit_code == 0
    # When the inspector reads the case
    result = wbs("inbox", "show", FIRST)
    # Then only the reporter's own follow-up is verified; the others are flagged, with why
    assert result.exit_code == 0, result.output
    out = result.stdout
    # (each post's warning comes before its text)
    genuine, forged, unsigned = (out.index(t) for t in ("ASLI", "PALSU", "TANPA"))
    assert out.count(NOT_VERIFIED) == 2 and NOT_VERIFIED not in out[:genuine]
    assert "its signature does not match what is stored" in out[genuine:forged]
    assert "it is not signed" in out[forged:unsigned]
