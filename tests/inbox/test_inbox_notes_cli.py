"""`wbs inbox note`: internal notes, sealed to the case's desk and the recovery key only,
synced and shown apart."""

from __future__ import annotations

import datetime
import json
import stat
from pathlib import Path

import click
import pytest

from functions.envelope import canonical_json
from functions.storage import LocalStorage
from tests.inbox.test_inbox_thread_cli import (  # noqa: F401 (fixtures)
    cached,
    case,
    colleague,
    keyring,
    reporter,
    retired,
)
from tests.support.inbox import CANARY, FIRST, PASSPHRASE, case_kids, desk_reader, wbs
from tests.support.membership import Institution
from wbs import crypto, notes
from wbs.crypto import Identity

NOTE = f"Saksi kedua belum dihubungi. {CANARY}"


def stored_notes(store: LocalStorage) -> list[str]:
    return notes.keys(store, FIRST)


def test_a_note_is_sealed_to_the_case_s_desk_and_never_to_the_reporter(
    store: LocalStorage,
    case: list[bytes],  # noqa: F811
    inspector: Identity,
    colleague: Identity,  # noqa: F811
    retired: Identity,  # noqa: F811
    reporter: Identity,  # noqa: F811
    tmp_path: Path,
) -> None:
    source = tmp_path / "catatan.txt"
    source.write_text(NOTE + "\n", encoding="utf-8")

    result = wbs("inbox", "note", "7k3m-q2x9", "--file", str(source))

    assert result.exit_code == 0, result.output
    (key,) = stored_notes(store)
    assert key.startswith(f"notes/{FIRST}/") and f"-{inspector.kid}-" in key
    assert list(store.list(f"mailboxes/{FIRST}/")) == []  # nothing for the reporter
    _, envelope, _ = notes.parse(key, store.get(key))
    assert [r.kid for r in envelope.recipients] == case_kids()
    for outsider in (reporter, retired):
        with pytest.raises(crypto.NoMatchingKey):
            crypto.open_envelope(envelope, desk_reader(outsider).keys)
    assert notes.read_one(key, store.get(key), desk_reader(colleague)).text == NOTE
    # The cache holds the same ciphertext, owner-only
    copy = cached(tmp_path, key)
    assert copy.read_bytes() == store.get(key)
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert "wrote an internal note on 7K3M-Q2X9-ABCD-EFGH" in result.stdout
    assert "desk inspektorat (2), the recovery key (not the reporter)" in result.stdout


def test_a_note_written_in_the_editor_and_an_empty_one(
    store: LocalStorage,
    case: list[bytes],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[str] = []

    def editor(text: str, **_: object) -> str:
        opened.append(text)
        return "Tunggu hasil audit.\n" + text

    monkeypatch.setattr(click, "edit", editor)
    assert wbs("inbox", "note", FIRST).exit_code == 0
    assert "Internal note on report 7K3M-Q2X9-ABCD-EFGH" in opened[0]
    assert len(stored_notes(store)) == 1
    monkeypatch.setattr(click, "edit", lambda *_, **__: "# nothing\n")
    empty = wbs("inbox", "note", FIRST)
    assert empty.exit_code == 1 and "the message is empty" in empty.stderr
    assert len(stored_notes(store)) == 1


def test_sync_fetches_notes_and_show_prints_them_apart(
    store: LocalStorage,
    case: list[bytes],  # noqa: F811
    colleague: Identity,  # noqa: F811
    keyring: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A colleague's note, written elsewhere, then synced here
    written = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    key = notes.write(store, FIRST, NOTE, colleague, Institution.here().audience(FIRST), written)
    monkeypatch.setenv("WBS_PASSPHRASE", PASSPHRASE)
    synced = wbs("inbox", "sync", passphrase=None)
    counted = "1 new internal record (1 in the cache: notes and the audit trail)"
    assert counted in synced.stdout, synced.output
    assert cached(tmp_path, key).read_bytes() == store.get(key)

    shown = wbs("inbox", "show", FIRST, passphrase=None)

    assert shown.exit_code == 0, shown.output
    out = shown.stdout
    section = out.index("Catatan internal / Internal notes")
    assert out.index(NOTE) > section and "Inspektur II" in out[section:]
    # A tampered note is named, and the others are still shown
    forged = json.loads(store.get(key))
    forged["author"] = "0" * 16
    cached(tmp_path, key).write_bytes(canonical_json(forged))
    broken = wbs("inbox", "show", FIRST, passphrase=None)
    assert broken.exit_code == 1 and NOTE not in broken.stdout
    assert "1 internal note of report 7K3M-Q2X9-ABCD-EFGH could not be opened" in broken.stderr
