"""The workbench's own defects that inspectors saw on screen (issue 17, item 6), each shown
fixed here."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import nacl.pwhash.argon2id as argon2id
import pytest
from click.testing import CliRunner

from functions.errors import Denied, NotFound, StorageError, WbsError
from functions.keyring import load, load_active
from functions.storage import LocalStorage
from tests import test_workbench_pages as pages
from tests.support.inbox import FIRST, PASSPHRASE, SECOND
from tests.support.workbench import Client, Clock
from wbs import demo, keyfile, paths
from wbs.attachments import AttachmentError
from wbs.cli import cli
from wbs.crypto import DecryptionError
from wbs.export import UnsafeExport
from wbs.signing import CannotSign
from wbs.workbench import LANGUAGES, wording
from wbs.workbench.app import Config, translations
from wbs.workbench.session import Locked

# The pages' fixtures: a workbench on three cases, in-process, its clock in the test's hands
cases, client, keyring, reporter, store = (
    pages.cases,
    pages.client,
    pages.keyring,
    pages.reporter,
    pages.store,
)
unlocked = pages.unlocked


class Started(Exception):
    """Raised in place of serving: the test wanted only what the workbench was given."""


def started_with(monkeypatch: pytest.MonkeyPatch, *args: str) -> Config:
    """The Config `wbs workbench ARGS` builds its server with (the server is never run)."""
    seen: list[Config] = []

    def make_server(config: Config, **_: Any) -> Any:
        seen.append(config)
        raise Started

    # (named by its path: only the command line imports the commands, tests/test_layout.py)
    monkeypatch.setattr("wbs.commands.workbench.make_server", make_server)
    result = CliRunner().invoke(cli, ["workbench", "--no-browser", *args])
    assert isinstance(result.exception, Started), result.output
    return seen[0]


def test_with_the_demo_key_the_workbench_seals_with_the_demo_s_keyring(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the demo of `wbs serve --demo`, and no keyring named
    demo.ensure_key()
    monkeypatch.delenv("WBS_KEYRING")
    # When the workbench starts with the demo key
    config = started_with(monkeypatch, "--key", str(paths.demo_key()))
    # Then it answers with the demo's keyring, which has a desk, not keys/keyring.json
    assert config.keyring == paths.demo_keyring()
    assert load_active(config.keyring).desks


def test_a_keyring_named_is_kept_even_with_the_demo_key(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo.ensure_key()
    named = tmp_path / "named.json"
    config = started_with(monkeypatch, "--key", str(paths.demo_key()), "--keyring", str(named))
    assert config.keyring == named
    monkeypatch.setenv("WBS_KEYRING", str(named))
    assert started_with(monkeypatch, "--key", str(paths.demo_key())).keyring == named


def test_a_new_key_s_next_step_is_the_admin_s_not_a_rebuild(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an inspector creating a key (a fast Argon2id, the passphrase from the environment)
    monkeypatch.setattr(keyfile, "OPSLIMIT", argon2id.OPSLIMIT_INTERACTIVE)
    monkeypatch.setattr(keyfile, "MEMLIMIT", argon2id.MEMLIMIT_INTERACTIVE)
    monkeypatch.setenv("WBS_PASSPHRASE", "correct horse battery staple")
    ring = tmp_path / "ring.json"
    # When they run `wbs keys new`
    result = CliRunner().invoke(
        cli, ["keys", "new", "--label", "Irban Wilayah II", "--keyring", str(ring)]
    )
    assert result.exit_code == 0, result.output
    # Then they are told to hand the public entry to the admin, who redeploys: no rebuild
    (entry,) = load(ring).keys
    lines = result.stdout.splitlines()
    assert any(
        line.startswith("next: give the admin your entry") and entry.kid in line for line in lines
    )
    assert "rebuild" not in result.output and "wbs build" not in result.output
    assert any(line.startswith("then: ") and "wbs desks init" in line for line in lines)
    # And reminded, once, that the label is public: a role, not a person
    assert result.stderr.count("a role, never a person's name") == 1


def test_the_label_help_asks_for_a_role() -> None:
    shown = CliRunner().invoke(cli, ["keys", "new", "--help"]).output
    assert "role, not their name" in " ".join(shown.split())


# -- a reply being typed, and the idle lock ---------------------------------------------------

REPLY = "Draf balasan: kapan tepatnya setoran itu diminta? 7731"
NOTE = "Draf catatan: saksi kedua belum dihubungi 4410"
STATUS_NOTE = "Draf untuk pelapor: laporan Anda sedang kami periksa 5120"


def on_disk(root: Path, text: str) -> list[Path]:
    """Every file under ``root`` that holds ``text``."""
    found = text.encode("utf-8")
    return [p for p in root.rglob("*") if p.is_file() and found in p.read_bytes()]


def textarea(page: str, field: str) -> str:
    return html.unescape(page.split(f'id="{field}"')[1].split(">", 1)[1].split("</textarea>")[0])


def test_drafts_outlive_the_idle_lock_sealed_in_memory_and_nowhere_on_disk(
    client: Client, tmp_path: Path
) -> None:
    # Given an inspector typing a reply and a note on one case, and a reply on another
    unlocked(client)
    typed = (
        (FIRST, "reply", REPLY),
        (FIRST, "note", NOTE),
        (FIRST, "status", STATUS_NOTE),
        (SECOND, "reply", "x"),
    )
    for case, form, text in typed:
        answer = client.post(f"/case/{case}/draft", {"form": form, "text": text})
        assert answer.status == 200 and json.loads(answer.body)["left"] == 60
    # When the idle lock comes
    session = client.app.session
    clock = session.clock
    assert isinstance(clock, Clock)
    clock.now += 61
    assert 'id="passphrase"' in client.get(f"/case/{FIRST}").body
    assert session.reader is None
    # Then the drafts are held sealed: no plaintext in memory's drafts, nor in any file
    held = b"".join(session.drafts.sealed.values())
    assert len(session.drafts.sealed) == 4
    for text in (REPLY, NOTE, STATUS_NOTE):
        assert text.encode() not in held and on_disk(tmp_path, text) == []
    # And unlocking on the case page goes back to it, each draft in its own form
    back = client.post(
        "/unlock",
        {"passphrase": PASSPHRASE},
        headers={"Referer": f"{client.origin}/case/{FIRST}"},
    )
    assert back.headers["location"] == f"/case/{FIRST}"
    page = client.follow(back).body
    assert textarea(page, "reply-text") == REPLY and textarea(page, "note-text") == NOTE
    assert textarea(page, "status-note") == STATUS_NOTE
    other = client.get(f"/case/{SECOND}").body
    assert textarea(other, "reply-text") == "x" and textarea(other, "note-text") == ""
    # And a reply sent forgets its draft, not the note's
    client.follow(client.post(f"/case/{FIRST}/reply", {"text": REPLY}))
    page = client.get(f"/case/{FIRST}").body
    assert textarea(page, "reply-text") == "" and textarea(page, "note-text") == NOTE
    # and a status changed forgets the note that went with it
    changed = {"status": "sedang-diverifikasi", "note": STATUS_NOTE}
    client.follow(client.post(f"/case/{FIRST}/status", changed))
    assert textarea(client.get(f"/case/{FIRST}").body, "status-note") == ""


def test_a_draft_keeps_the_key_unlocked_only_when_its_text_changed(client: Client) -> None:
    unlocked(client)
    clock = client.app.session.clock
    assert isinstance(clock, Clock)
    sent = {"form": "reply", "text": REPLY}
    assert json.loads(client.post(f"/case/{FIRST}/draft", sent).body)["left"] == 60
    clock.now += 50
    # The same text again is no activity: 10 seconds are left, as before
    assert json.loads(client.post(f"/case/{FIRST}/draft", sent).body)["left"] == 10
    clock.now += 11
    assert client.post(f"/case/{FIRST}/draft", sent).status == 303  # locked: to the unlock
    assert client.app.session.reader is None


def test_a_draft_save_on_its_way_when_the_reply_is_sent_does_not_bring_it_back(
    client: Client,
) -> None:
    unlocked(client)
    clock = client.app.session.clock
    assert isinstance(clock, Clock)
    draft = {"form": "reply", "text": REPLY}
    assert client.post(f"/case/{FIRST}/draft", draft).status == 200
    # When the reply is sent, and the page's last save of it arrives just after
    client.follow(client.post(f"/case/{FIRST}/reply", {"text": REPLY}))
    clock.now += 1
    assert client.post(f"/case/{FIRST}/draft", draft).status == 200
    # Then the reply box is empty: the text that was sent does not come back
    assert textarea(client.get(f"/case/{FIRST}").body, "reply-text") == ""
    # And a new reply typed a moment later is kept as a draft again
    clock.now += 5
    later = {"form": "reply", "text": "Balasan berikutnya"}
    assert client.post(f"/case/{FIRST}/draft", later).status == 200
    assert textarea(client.get(f"/case/{FIRST}").body, "reply-text") == "Balasan berikutnya"


def test_stay_unlocked_is_activity_and_a_foreign_form_is_refused(client: Client) -> None:
    unlocked(client)
    clock = client.app.session.clock
    assert isinstance(clock, Clock)
    clock.now += 50
    assert json.loads(client.post("/stay", {}).body)["left"] == 60
    refused = client.post(f"/case/{FIRST}/draft", {"form": "assign", "text": "x"})
    assert refused.status == 400 and client.app.session.drafts.sealed == {}
    assert client.post("/stay", {}, csrf=False).status == 403


# -- errors from below, in the page's words -------------------------------------------------

BELOW: list[WbsError | OSError] = [
    Locked("the key is locked", hint="unlock it in the page"),
    NotFound("no object attachments/X", hint="wbs inbox sync"),
    Denied("AccessDenied", hint="--key PATH"),
    StorageError("storage unreachable: timed out", hint="wbs inbox sync"),
    CannotSign("your key cannot sign", hint="wbs keys upgrade --key PATH"),
    UnsafeExport("refusing to export inside a git work tree", hint="--out DIR"),
    AttachmentError("attachment a.png: size differs", "size"),
    DecryptionError("the envelope does not authenticate"),
    PermissionError(13, "Permission denied", "/srv/kasus"),
    OSError(28, "No space left on device", "/media/usb/kasus"),
    OSError(5, "Input/output error", "/media/usb/kasus"),
]


@pytest.mark.parametrize("exc", BELOW, ids=lambda exc: type(exc).__name__)
def test_an_error_from_below_gets_the_page_s_own_words(exc: WbsError | OSError) -> None:
    words = {lang: wording.said(exc, translations(lang).gettext) for lang in LANGUAGES}
    english = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
    for text, hint in words.values():
        assert text and english not in text
        assert "wbs " not in text + hint and "--" not in text + hint
    assert words["id"] != words["en"]  # translated, not English in the Indonesian page


def test_a_sync_that_stops_and_grants_that_fail_are_said_in_the_page_s_words(
    client: Client, store: LocalStorage
) -> None:
    # Given a grant in storage that is not one (a member's key cannot open it)
    unlocked(client)
    store.put_new("desks/inspektorat/1/0123456789abcdef.json", b"{}")
    # When Sync now brings it
    page = html.unescape(client.sync().body)
    # Then the page says, in Indonesian, that a membership is left out, not the parser's words
    assert "Beberapa keanggotaan tim atau kasus yang dibagikan (1) tidak lolos" in page
    assert "0123456789abcdef" not in page


def test_a_reply_storage_refuses_is_said_in_the_page_s_words_and_kept(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    unlocked(client)

    def refuse(*_: object, **__: object) -> None:
        raise StorageError("storage unreachable: connection reset", hint="wbs inbox sync")

    monkeypatch.setattr(LocalStorage, "put_new", refuse)
    page = client.follow(client.post(f"/case/{FIRST}/reply", {"text": REPLY})).body
    assert "Penyimpanan tidak dapat dihubungi, atau menolak permintaan." in page
    assert "connection reset" not in page and "wbs inbox" not in page
    assert textarea(page, "reply-text") == REPLY
