"""The audit trail from the command line: `wbs inbox show`, `case-file` and `export` record
that an inspector opened a case or wrote plaintext out of it, sealed to the case's desk and
the recovery key; the other members read it with `wbs inbox show --audit` after a sync."""

from __future__ import annotations

from pathlib import Path

import pytest

from functions.storage import LocalStorage
from tests.inbox.test_inbox_thread_cli import (  # noqa: F401 (fixtures)
    case,
    colleague,
    keyring,
    reporter,
    retired,
)
from tests.support.inbox import FIRST, case_kids, desk_reader, refuse_notes, wbs
from wbs import audit, crypto, notes
from wbs.cache import Cache
from wbs.crypto import Identity


def access(store: LocalStorage, reader: Identity) -> list[tuple[str, str]]:
    """(author, action) of every access record of the case in storage, as a member reads."""
    keys = desk_reader(reader)
    found = [notes.read_one(k, store.get(k), keys) for k in notes.keys(store, FIRST)]
    return [(r.author, r.action) for r in found if isinstance(r, notes.Access)]


def test_opening_and_exporting_a_case_are_recorded_for_every_inspector(
    store: LocalStorage,
    case: list[bytes],  # noqa: F811
    inspector: Identity,
    colleague: Identity,  # noqa: F811
    reporter: Identity,  # noqa: F811
    tmp_path: Path,
) -> None:
    assert wbs("inbox", "show", FIRST).exit_code == 0
    written = wbs("inbox", "case-file", FIRST, "--to", str(tmp_path / "kasus.html"))
    assert written.exit_code == 0, written.output

    # Both records are in storage, sealed to the desk's active key and the recovery key,
    # never to the reporter nor to a person
    assert access(store, colleague) == [(inspector.kid, "opened"), (inspector.kid, "case-file")]
    for key in notes.keys(store, FIRST):
        _, envelope, _ = notes.parse(key, store.get(key))
        assert [r.kid for r in envelope.recipients] == case_kids()
        with pytest.raises(crypto.NoMatchingKey):
            crypto.open_envelope(envelope, reporter)
    # What was done is inside the ciphertext, not in the stored object
    assert all(b"opened" not in store.get(k) for k in notes.keys(store, FIRST))

    # And the trail lists them, with the key id, after the report's arrival
    shown = wbs("inbox", "show", FIRST, "--audit")
    assert shown.exit_code == 0, shown.output
    trail = shown.output.split("Jejak audit / Audit trail")[1].splitlines()[1:]
    assert "pelapor / reporter  received" in trail[0]
    assert [line.split("  ")[1:] for line in trail[1:3]] == [
        ["Inspektur", "opened"],  # the keyring's label, not the key id
        ["Inspektur", "case-file"],
    ]


def test_an_access_that_cannot_be_stored_waits_and_the_next_sync_sends_it(
    store: LocalStorage,
    case: list[bytes],  # noqa: F811
    inspector: Identity,
    colleague: Identity,  # noqa: F811
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        refuse_notes(patch)
        shown = wbs("inbox", "show", FIRST)
    # The case was shown all the same, and the inspector is told the record waits
    assert shown.exit_code == 0, shown.output
    assert "not stored yet (storage is out of reach): the next sync sends it" in shown.output
    assert access(store, colleague) == []

    synced = wbs("inbox", "sync")
    assert synced.exit_code == 0, synced.output
    assert "sent 1 audit-trail record that waited in the cache" in synced.output
    assert access(store, colleague) == [(inspector.kid, "opened")]
    # Sent once: a second sync has nothing left to send
    assert wbs("inbox", "sync").exit_code == 0
    assert access(store, colleague) == [(inspector.kid, "opened")]


def test_without_the_keyring_no_desk_key_is_opened_and_nothing_is_recorded(
    store: LocalStorage,
    case: list[bytes],  # noqa: F811
    tmp_path: Path,
) -> None:
    # Grants are checked against the keyring before use: without one, none is opened
    shown = wbs("inbox", "show", FIRST, "--keyring", str(tmp_path / "none.json"))
    assert shown.exit_code == 1
    assert "no keyring to check signatures against" in shown.stderr
    assert "without a keyring no desk key is opened" in shown.stderr
    assert "hint: name the institution's keyring: --keyring PATH" in shown.stderr
    assert notes.keys(store, FIRST) == []


def test_an_access_record_that_waits_keeps_the_tag_it_is_to_be_stored_with(
    tmp_path: Path,
) -> None:
    # Given an access record kept in the cache while storage was out of reach
    cache = Cache(tmp_path / "cache")
    key = "notes/0123456789ABCDEF/20260101T000000000000Z-0123456789abcdef-0123abcd.json"
    cache.keep_pending(key, b"{}", ("kab-bandung", "inspektorat"))
    older = key.replace("0123abcd", "0123abce")
    cache.keep_pending(older, b"{}")  # as a tool without tags left one
    # Then the case's desks wait with it, to tag it when the next sync stores it
    assert cache.pending_keys() == [key, older]
    assert cache.pending_desks(key) == ("inspektorat", "kab-bandung")
    assert cache.pending_desks(older) == ()  # stored untagged: only InspectorPolicy reads it
    # And once stored, it waits no more
    store = LocalStorage(tmp_path / "storage")
    assert audit.send_pending(store, cache) == ([key, older], [])
    assert cache.pending_keys() == []
