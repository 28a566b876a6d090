"""Internal notes (docs/spec/mailbox-v1.md section 7): sealed to the case's desks and the
recovery key only (docs/spec/desks-v2.md), stored under notes/, outside everything the public
API lists, serves or accepts."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from functions import envelope as fmt
from functions import mailbox, mailbox_token
from functions.errors import EnvelopeError
from functions.storage import LocalStorage, layout
from tests.support.api import (
    bearer,
    envelope_json,
    identity,
    new_token,
    post_event,
    sealed,
)
from tests.support.membership import DESK, Institution
from tests.test_mailbox_api import (
    REPORTER,
    assert_error,
    call,
    open_case,
    post,
    read,
    reply,
    snapshot,
)
from wbs import crypto, notes
from wbs.cache import Cache
from wbs.cases import readers

SECRET = "CANARY-note-only-inspectors-9c1e"
INSPECTOR = identity(5)
COLLEAGUE = identity(4)
STRANGER = identity(6)
NOW = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
T = b"2026-03-01T02:30:00Z"


@pytest.fixture
def here(store: LocalStorage, tmp_path: Path) -> Institution:
    """The API's keyring (desk inspektorat, whose key the API's reports are sealed to, and
    the recovery key), the two inspectors members of the desk through grants in storage."""
    here = Institution(tmp_path / "keyring.json", store)
    here.adopt(here.ring.desk(DESK), identity(1).private_key)
    here.add_member(INSPECTOR, "Inspektur")
    here.add_member(COLLEAGUE, "Rekan")
    return here


def test_a_note_is_sealed_to_the_case_s_desk_only_and_stored_under_notes(
    store: LocalStorage, here: Institution
) -> None:
    case = open_case()
    key = notes.write(store, case.id, SECRET, INSPECTOR, here.audience(case.id), NOW)
    # Stored under notes/<ID>/, named by its time, its author and its digest
    assert re.fullmatch(
        rf"notes/{case.id}/20260301T023000000000Z-{INSPECTOR.kid}-[0-9a-f]{{8}}\.json", key
    )
    assert notes.keys(store) == [key]
    document = json.loads(store.get(key))
    assert document.keys() == {"sent", "author", "envelope", "signature"}
    assert (document["sent"], document["author"]) == ("2026-03-01T02:30:00Z", INSPECTOR.kid)
    assert SECRET not in store.get(key).decode()
    author, envelope, _ = notes.parse(key, store.get(key))
    assert author == INSPECTOR.kid
    # Sealed to the desk's active key and the recovery key, and to nothing else: no person
    assert envelope.kind == "note"
    ring = here.ring
    assert ring.recovery is not None
    assert [r.kid for r in envelope.recipients] == [ring.desk(DESK).kid, ring.recovery.kid]
    with pytest.raises(crypto.NoMatchingKey):
        crypto.open_envelope(envelope, REPORTER)
    with pytest.raises(crypto.NoMatchingKey):
        crypto.open_envelope(envelope, INSPECTOR)  # a person's own key opens nothing
    # Both members of the desk read it, through their grants
    for inspector in (INSPECTOR, COLLEAGUE):
        note = notes.read_one(key, store.get(key), here.reader(inspector))
        assert (note.text, note.author, note.written) == (SECRET, INSPECTOR.kid, NOW)


def test_a_writer_who_holds_no_key_of_the_case_s_desks_writes_nothing(
    store: LocalStorage, here: Institution, tmp_path: Path
) -> None:
    case = open_case()
    cache = Cache(tmp_path / "cache")
    cache.fetch(store, case.id)
    here.person(STRANGER, "Bukan anggota")  # in the keyring, in no desk
    before = snapshot(store)
    with pytest.raises(readers.CannotWrite, match="hold the current key of none of the desks"):
        readers.audience_of(cache, here.ring, case.id, here.reader(STRANGER))
    assert snapshot(store) == before
    # A member's writing is sealed to the desk of the report's stanza, and the recovery key
    found = readers.audience_of(cache, here.ring, case.id, here.reader(COLLEAGUE))
    assert found == here.audience(case.id)


def test_the_mailbox_api_never_lists_or_serves_a_note(
    store: LocalStorage, here: Institution
) -> None:
    case = open_case()
    answered = reply(store, case.id, b"Laporan sedang diperiksa", NOW)
    notes.write(store, case.id, SECRET, INSPECTOR, here.audience(case.id), NOW)
    answer = read(case.token)
    assert answer.status == 200
    assert [m["envelope"] for m in answer.body["messages"]] == [answered.envelope.to_json()]
    assert '"note"' not in answer.raw and "notes/" not in answer.raw


def test_a_note_moved_into_a_mailbox_is_refused(store: LocalStorage, here: Institution) -> None:
    case = open_case()
    key = notes.write(store, case.id, SECRET, INSPECTOR, here.audience(case.id), NOW)
    document = json.loads(store.get(key))
    moved = {"sent": document["sent"], "from": "inspectorate", "envelope": document["envelope"]}
    name = f"{layout.mailbox(case.id)}20260301T023000000000Z-inspectorate-0123abcd.json"
    with pytest.raises(EnvelopeError):
        mailbox.parse(name, fmt.canonical_json(moved))
    # And a note's envelope parses only where notes are read
    with pytest.raises(EnvelopeError, match="kind"):
        fmt.parse(document["envelope"])


def test_a_note_envelope_is_refused_by_both_endpoints(store: LocalStorage) -> None:
    # To the mailbox, as a follow-up would be sent
    case = open_case()
    before = snapshot(store)
    note = sealed(SECRET.encode(), [INSPECTOR.public_key], case.id, "note")
    assert_error(post(case.token, envelope_json(note)), 400, "bad_envelope")
    assert snapshot(store) == before
    # And as a new report
    token = new_token()
    note = sealed(SECRET.encode(), [INSPECTOR.public_key], mailbox_token.report_id(token), "note")
    answer = call(post_event(envelope_json(note), authorization=bearer(token)))
    assert_error(answer, 400, "bad_envelope")
    assert snapshot(store) == before


def test_the_reporters_page_does_not_accept_a_note() -> None:
    source = Path("site/static/js/envelope.mjs").read_text(encoding="utf-8")
    (kinds,) = re.findall(r"export const KINDS = new Set\(\[(.*?)\]\)", source)
    assert "'note'" not in kinds and "'reply'" in kinds


def test_notes_are_cached_apart_and_read_in_order(
    store: LocalStorage, here: Institution, tmp_path: Path
) -> None:
    case = open_case()
    keys = here.audience(case.id)
    first = notes.write(store, case.id, "kedua", INSPECTOR, keys, NOW.replace(hour=5))
    second = notes.write(store, case.id, "pertama", COLLEAGUE, keys, NOW)
    store.put_new(f"notes/{case.id}/stray.json", b"{}")  # not a note's name: ignored
    cache = Cache(tmp_path / "cache")
    assert cache.missing_notes(store) == sorted([first, second])
    for key in cache.missing_notes(store):
        cache.fetch_note(store, key)
    assert cache.missing_notes(store) == [] and cache.message_keys() == []
    found = notes.read(cache, here.reader(COLLEAGUE), case.id)
    assert [(n.text, n.author) for n in found.notes] == [
        ("pertama", COLLEAGUE.kid),
        ("kedua", INSPECTOR.kid),
    ]
    assert found.unreadable == ()
    # A note whose wrapper names another author is not read
    forged = json.loads(store.get(first))
    forged["author"] = COLLEAGUE.kid
    (cache.root / first).write_bytes(fmt.canonical_json(forged))
    found = notes.read(cache, here.reader(COLLEAGUE), case.id)
    assert [n.text for n in found.notes] == ["pertama"]
    assert [u.key for u in found.unreadable] == [first]


@pytest.mark.parametrize(
    "plaintext",
    [
        b"not json",
        b'{"schema": "wbs-note/1", "text": "x"}',
        b'{"schema": "wbs-note/2", "text": "x", "written": "2026-03-01T02:30:00Z"}',
        b'{"schema": "wbs-note/1", "text": 1, "written": "2026-03-01T02:30:00Z"}',
        b'{"schema": "wbs-note/1", "text": "x", "written": "2026-13-01T02:30:00Z"}',
        b'{"schema": "wbs-note/1", "text": "x", "written": "2026-03-01", "by": ""}',
        # Access records (mailbox-v1 section 7.1)
        b'{"schema": "wbs-access/1", "action": "deleted", "file": "", "written": "' + T + b'"}',
        b'{"schema": "wbs-access/1", "action": "opened", "file": "5QZ2W8R1XK4T7M3N", '
        b'"written": "' + T + b'"}',
        b'{"schema": "wbs-access/1", "action": "file", "file": "", "written": "' + T + b'"}',
        b'{"schema": "wbs-access/1", "action": "file", "file": "../x", "written": "' + T + b'"}',
        b'{"schema": "wbs-access/1", "action": "opened", "written": "' + T + b'"}',
        b'{"schema": "wbs-access/1", "action": "opened", "file": "", "written": "' + T + b'", '
        b'"text": "x"}',
        b'{"schema": "wbs-access/1", "action": "opened", "file": "", '
        b'"written": "2026-02-30T00:00:00Z"}',
        b'{"schema": "wbs-access/1", "action": "opened", "file": "", "written": 1}',
    ],
)
def test_a_note_that_is_not_a_wbs_note_document_is_unreadable(plaintext: bytes) -> None:
    with pytest.raises(notes.NoteError):
        notes.decode("notes/x", INSPECTOR.kid, plaintext)


@pytest.mark.parametrize(
    ("action", "file"),
    [("opened", ""), ("case-file", ""), ("files", ""), ("file", "5QZ2W8R1XK4T7M3N")],
)
def test_an_access_record_is_sealed_like_a_note_and_read_back(
    store: LocalStorage, here: Institution, action: str, file: str
) -> None:
    case = open_case()
    key, body = notes.access(case.id, action, file, INSPECTOR, here.audience(case.id), NOW)
    store.put_new(key, body)
    assert notes.keys(store) == [key] and action.encode() not in body
    record = notes.read_one(key, store.get(key), here.reader(COLLEAGUE))
    assert record == notes.Access(key, INSPECTOR.kid, NOW, action, file)


@pytest.mark.parametrize(
    ("action", "file"), [("opened", "5QZ2W8R1XK4T7M3N"), ("file", ""), ("read", ""), ("file", "x")]
)
def test_a_malformed_access_record_is_not_written(
    here: Institution, action: str, file: str
) -> None:
    with pytest.raises(notes.NoteError, match="not an access record"):
        notes.access(
            "7K3MQ2X9ABCDEFGH", action, file, INSPECTOR, here.audience("7K3MQ2X9ABCDEFGH"), NOW
        )
