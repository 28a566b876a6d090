"""`wbs inbox` and a case's thread: sync messages, reply, set statuses, show, list deadlines."""

from __future__ import annotations

import base64
import datetime
import stat
from pathlib import Path

import click
import pytest
from nacl.public import PrivateKey

from functions import mailbox
from functions.envelope import canonical_json
from functions.storage import LocalStorage, layout
from tests.support.inbox import (
    CANARY,
    FIRST,
    PASSPHRASE,
    SECOND,
    THIRD,
    case_kids,
    desk_keys,
    desk_reader,
    payload,
    post_followup,
    put,
    wbs,
)
from tests.support.membership import Institution
from tests.support.reporter import case_key, case_key_text
from tests.support.reporter import sign as signed_by_reporter
from wbs import keyfile, messages, notes, paths, receipt
from wbs.crypto import Identity, NoMatchingKey, Recipient, open_envelope, seal

CODE = "7K3M-Q2X9-ABCD-EFGH-JKMN"
UTC = datetime.UTC


@pytest.fixture(scope="module")
def reporter() -> Identity:
    """The reporter's key pair, derived from a receipt code as the browser does."""
    return Identity(PrivateKey(receipt.derive(CODE).secret_key))


@pytest.fixture
def colleague() -> Identity:
    """Another inspector with an active key, whose key file is elsewhere."""
    return keyfile.generate()


@pytest.fixture
def retired() -> Identity:
    return keyfile.generate()


@pytest.fixture
def keyring(inspector: Identity, colleague: Identity, retired: Identity) -> Path:
    """The institution's keyring (WBS_KEYRING): desk inspektorat, whose members are the
    inspector and a colleague; a former member left it (the desk was rotated: generation 2
    went to those who stay), and the recovery key. Grants are in the test storage."""
    here = Institution.here()
    here.add_member(colleague, "Inspektur II")
    here.add_member(retired, "Inspektur lama")
    here.rotate(leaving=[retired.kid])
    here.person(retired, "Inspektur lama", active=False)
    return here.path


@pytest.fixture
def case(
    store: LocalStorage,
    keyring: Path,
    inspector: Identity,
    colleague: Identity,
    reporter: Identity,
) -> list[bytes]:
    """One synced report that carries the reporter's key, sealed as the page seals it: to
    the desk's active key and the recovery key, which this returns."""
    active = desk_keys()
    key = base64.b64encode(reporter.public_key).decode()
    signing = case_key_text(FIRST)
    put(store, FIRST, active, payload(reporter_public_key=key, reporter_signing_key=signing))
    assert wbs("inbox", "sync").exit_code == 0
    return active


def stored_replies(store: LocalStorage, report_id: str = FIRST) -> list[mailbox.Message]:
    keys = mailbox.keys(store, report_id)
    return [mailbox.parse(k, store.get(k)) for k in keys if layout.sender(k) == "inspectorate"]


def read(message: mailbox.Message, identity: Identity) -> messages.Message:
    """A stored message as the reporter (with its own key) or an inspector (with the keys
    its grants give it) reads it."""
    keys = desk_reader(identity).keys if Institution.here().members_of(identity) else identity
    return messages.decode(open_envelope(message.envelope, keys), message.envelope.kind)


def cached(tmp_path: Path, key: str) -> Path:
    return paths.cache_dir(f"local:{tmp_path / 'store'}").joinpath(*key.split("/"))


# -- reply ------------------------------------------------------------------------------------


def test_reply_from_a_file_reaches_the_reporter_and_every_active_key(
    store: LocalStorage,
    case: list[bytes],
    inspector: Identity,
    colleague: Identity,
    retired: Identity,
    reporter: Identity,
    tmp_path: Path,
) -> None:
    # Given a reply written in a file
    text = f"Terima kasih. Mohon kirim foto kuitansi. {CANARY}\nBaris kedua."
    source = tmp_path / "balasan.txt"
    source.write_text(text + "\n\n", encoding="utf-8")

    # When the inspector sends it
    result = wbs("inbox", "reply", "7k3m-q2x9", "--file", str(source))

    # Then one reply is stored, and the reporter and both active inspectors can read it
    assert result.exit_code == 0, result.output
    (stored,) = stored_replies(store)
    assert stored.envelope.kind == "reply" and stored.envelope.id == FIRST
    for identity in (reporter, inspector, colleague):
        message = read(stored, identity)
        assert (message.type, message.text, message.by) == ("message", text, inspector.kid)
    # Sealed to the reporter, the desk's active generation and the recovery key: no person
    kids = [r.kid for r in stored.envelope.recipients]
    assert kids == [reporter.kid, *case_kids()]
    assert not {inspector.kid, colleague.kid, retired.kid} & set(kids)
    # The member who left holds generation 1 only: the reply is not for it
    with pytest.raises(NoMatchingKey):
        open_envelope(stored.envelope, desk_reader(retired).keys)
    # And the cache holds the same ciphertext, readable by the owner only
    copy = cached(tmp_path, stored.key)
    assert copy.read_bytes() == store.get(stored.key)
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert CANARY.encode() not in copy.read_bytes()
    # And the inspector sees what was sent
    assert "sent a message to the reporter of 7K3M-Q2X9-ABCD-EFGH" in result.stdout
    assert "readable by:  the reporter, desk inspektorat (2), the recovery key" in result.stdout
    assert text in result.stdout


def test_reply_from_standard_input(
    store: LocalStorage, case: list[bytes], reporter: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WBS_PASSPHRASE", PASSPHRASE)
    result = wbs("inbox", "reply", FIRST, "--file", "-", passphrase=None, more="Dari stdin ✓\n")
    assert result.exit_code == 0, result.output
    (stored,) = stored_replies(store)
    assert read(stored, reporter).text == "Dari stdin ✓"


def test_reply_written_in_the_editor_drops_comment_lines(
    store: LocalStorage, case: list[bytes], reporter: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []

    def editor(text: str, **_: object) -> str:
        opened.append(text)
        return "Mohon datang ke kantor.\n" + text + "# another comment\n"

    monkeypatch.setattr(click, "edit", editor)
    result = wbs("inbox", "reply", FIRST)
    assert result.exit_code == 0, result.output
    assert "7K3M-Q2X9-ABCD-EFGH" in opened[0]
    (stored,) = stored_replies(store)
    assert read(stored, reporter).text == "Mohon datang ke kantor."


@pytest.mark.parametrize("typed", [None, "\n\n# only a comment\n", "   \n"])
def test_an_empty_reply_sends_nothing(
    store: LocalStorage,
    case: list[bytes],
    monkeypatch: pytest.MonkeyPatch,
    typed: str | None,
) -> None:
    monkeypatch.setattr(click, "edit", lambda *_, **__: typed)
    result = wbs("inbox", "reply", FIRST)
    assert result.exit_code == 1
    assert "wbs: error: the message is empty: nothing was sent" in result.stderr
    assert "hint: " in result.stderr
    assert mailbox.keys(store, FIRST) == []


def test_an_empty_file_is_refused_before_the_passphrase(
    store: LocalStorage, case: list[bytes], tmp_path: Path
) -> None:
    (tmp_path / "empty.txt").write_text(" \n", encoding="utf-8")
    result = wbs("inbox", "reply", FIRST, "--file", str(tmp_path / "empty.txt"))
    assert result.exit_code == 1 and "the message is empty" in result.stderr
    assert "Passphrase" not in result.stderr
    assert mailbox.keys(store, FIRST) == []


def test_a_report_without_reporter_key_cannot_be_answered(
    store: LocalStorage,
    inspector: Identity,
    keyring: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a report from before the reporter's page: no reporter_public_key
    put(store, SECOND, inspector)
    wbs("inbox", "sync")

    def editor(*_: object, **__: object) -> str:
        raise AssertionError("the editor must not open for a report that cannot be answered")

    monkeypatch.setattr(click, "edit", editor)

    # When the inspector tries to reply, or to set a status
    replied = wbs("inbox", "reply", SECOND)
    moved = wbs("inbox", "status", SECOND, "sedang-diverifikasi")

    # Then both say why, and nothing is written
    for result in (replied, moved):
        assert result.exit_code == 1
        assert (
            "wbs: error: report 7K3M-ZZZZ-0000-0000 cannot be answered: it carries no reporter key"
        ) in result.stderr
        assert "hint: nothing was sent" in result.stderr
    assert list(store.list("mailboxes/")) == []


def test_a_malformed_reporter_key_is_refused(
    store: LocalStorage, inspector: Identity, keyring: Path, tmp_path: Path
) -> None:
    put(store, SECOND, inspector, payload(reporter_public_key=base64.b64encode(bytes(32)).decode()))
    wbs("inbox", "sync")
    (tmp_path / "r.txt").write_text("halo", encoding="utf-8")
    result = wbs("inbox", "reply", SECOND, "--file", str(tmp_path / "r.txt"))
    assert result.exit_code == 1
    assert "its reporter key is unusable" in result.stderr
    assert list(store.list("mailboxes/")) == []


def test_reply_refused_when_the_writer_no_longer_holds_the_desk_s_current_key(
    store: LocalStorage, case: list[bytes], inspector: Identity, tmp_path: Path
) -> None:
    # Given the inspector left the desk (rotated to generation 3 without it), after a sync
    Institution.here().rotate(leaving=[inspector.kid])
    assert wbs("inbox", "sync").exit_code == 0
    (tmp_path / "r.txt").write_text("halo", encoding="utf-8")
    # Then it still reads the case it held, but writes nothing it could not read back
    assert wbs("inbox", "show", FIRST).exit_code == 0
    for result in (
        wbs("inbox", "reply", FIRST, "--file", str(tmp_path / "r.txt")),
        wbs("inbox", "status", FIRST, "selesai"),
        wbs("inbox", "note", FIRST, "--file", str(tmp_path / "r.txt")),
    ):
        assert result.exit_code == 1
        assert (
            "wbs: error: you hold the current key of none of the desks of report"
            " 7K3M-Q2X9-ABCD-EFGH (inspektorat (3))"
        ) in result.stderr
        assert "hint: ask a member of one of them to add you" in result.stderr
    assert mailbox.keys(store, FIRST) == [] and notes.keys(store, FIRST) == []


# -- status -----------------------------------------------------------------------------------


def test_status_changes_in_order_with_reasons(
    store: LocalStorage, case: list[bytes], reporter: Identity, inspector: Identity
) -> None:
    # When the inspector moves the case along, by id and by label
    first = wbs("inbox", "status", FIRST, "sedang-diverifikasi")
    second = wbs(
        "inbox", "status", FIRST, "perlu informasi TAMBAHAN", "--note", "Kapan kejadiannya?"
    )
    refused = wbs("inbox", "status", FIRST, "ditolak")
    rejected = wbs("inbox", "status", FIRST, "Ditolak", "--reason", "  Duplikat ")

    # Then each change is stored for the reporter, in order
    for result in (first, second, rejected):
        assert result.exit_code == 0, result.output
    assert "Menunggu Verifikasi → Sedang Diverifikasi" in first.stdout
    assert "Sedang Diverifikasi → Perlu Informasi Tambahan" in second.stdout
    assert "reason:       duplikat" in rejected.stdout
    seen = [read(m, reporter) for m in stored_replies(store)]
    assert [(m.type, m.status, m.reason, m.text) for m in seen] == [
        ("status", "sedang-diverifikasi", "", ""),
        ("status", "perlu-informasi-tambahan", "", "Kapan kejadiannya?"),
        ("status", "ditolak", "duplikat", ""),
    ]
    assert {m.by for m in seen} == {inspector.kid}
    # And a rejection without a reason was refused, naming the standard reasons
    assert refused.exit_code == 1
    assert "wbs: error: ditolak needs a reason" in refused.stderr
    assert "di luar kewenangan" in refused.stderr and "Passphrase" not in refused.stderr

    # And show tells the history and the thread in order
    shown = wbs("inbox", "show", FIRST)
    assert shown.exit_code == 0, shown.output
    out = shown.stdout
    assert "Status: Ditolak (ditolak)" in out
    history = out[out.index("Riwayat status") : out.index("Percakapan")]
    order = ["Menunggu Verifikasi", "Sedang Diverifikasi", "Perlu Informasi Tambahan", "Ditolak"]
    assert [history.index(s) for s in order] == sorted(history.index(s) for s in order)
    assert "Ditolak — alasan / reason: duplikat" in history
    assert "status: Perlu Informasi Tambahan → Ditolak" in out
    assert "Kapan kejadiannya?" in out
    assert "Inspektorat (Inspektur)" in out  # the keyring's label, not the key id


def test_setting_the_current_status_again_is_refused(
    store: LocalStorage, case: list[bytes]
) -> None:
    initial = wbs("inbox", "status", FIRST, "Menunggu Verifikasi")
    wbs("inbox", "status", FIRST, "dalam-investigasi")
    again = wbs("inbox", "status", FIRST, "dalam investigasi")
    for result in (initial, again):
        assert result.exit_code == 1
        assert "hint: see its history: wbs inbox show" in result.stderr
    assert "is already Menunggu Verifikasi" in initial.stderr
    assert "is already Dalam Investigasi" in again.stderr
    assert len(stored_replies(store)) == 1


def test_the_current_status_counts_messages_not_yet_synced(
    store: LocalStorage, case: list[bytes], tmp_path: Path
) -> None:
    # Given a colleague set the status from another machine (stored, not in this cache)
    wbs("inbox", "status", FIRST, "selesai")
    for path in (paths.cache_dir(f"local:{tmp_path / 'store'}") / "mailboxes").rglob("*.json"):
        path.unlink()
    # Then the status command fetches it first and refuses to set it again
    result = wbs("inbox", "status", FIRST, "selesai")
    assert result.exit_code == 1 and "is already Selesai" in result.stderr


def test_an_unknown_status_is_a_usage_error(case: list[bytes]) -> None:
    result = wbs("inbox", "status", FIRST, "beres")
    assert result.exit_code == 2
    assert "'beres' is not a status; one of: menunggu-verifikasi," in result.stderr
    assert "hint: wbs inbox status --help" in result.stderr


# -- show and sync ----------------------------------------------------------------------------


def test_show_orders_by_storage_time_flags_a_stray_time_and_drops_a_replayed_copy(
    store: LocalStorage, case: list[bytes], reporter: Identity
) -> None:
    # Given three follow-ups stored in one order, one of which says it was written earlier
    to = [*case, reporter.public_key]
    day = datetime.datetime(2024, 3, 2, 9, 0, tzinfo=UTC)
    hour = datetime.timedelta(hours=1)
    post_followup(store, FIRST, "pesan pertama", day, to)
    post_followup(store, FIRST, "pesan kedua", day + hour, to)
    third = post_followup(
        store, FIRST, "pesan ketiga", day - 3 * hour, to, stored_at=day + 2 * hour
    )
    # And a storage reader stores the same sealed bytes again under a new name (the API
    # itself would find the same envelope and store nothing)
    replay = {
        "sent": "2024-03-02T15:00:00Z",
        "from": "reporter",
        "envelope": third.envelope.to_json(),
    }
    store.put_new(
        layout.mailbox(FIRST) + "20240302T150000000000Z-reporter-0badc0de.json",
        canonical_json(replay),
    )
    sync = wbs("inbox", "sync")
    assert "4 new messages (4 in the cache)" in sync.stdout

    # When the inspector reads the case
    result = wbs("inbox", "show", FIRST)

    # Then the messages come in the order they were stored, each sealed copy once
    assert result.exit_code == 0, result.output
    out = result.stdout
    positions = [out.index(t) for t in ("pesan pertama", "pesan kedua", "pesan ketiga")]
    assert positions == sorted(positions)
    assert out.count("pesan ketiga") == 1
    assert "Percakapan / Thread (3)" in out
    assert "1 salinan berulang diabaikan / repeated copies dropped" in out
    # And only the message whose written time strays from its stored time is flagged
    assert out.count("written far from when it was stored") == 1
    flagged = out.index("written far from when it was stored")
    assert out.index("pesan kedua") < flagged < out.index("pesan ketiga")
    # And a case nobody answered yet is still waiting and overdue
    assert "Status: Menunggu Verifikasi (menunggu-verifikasi)" in out
    assert "OVERDUE ack" in out


def test_a_followup_that_reuses_a_replys_id_hides_nothing(
    store: LocalStorage, case: list[bytes], reporter: Identity, inspector: Identity
) -> None:
    # Given the inspectorate moved the case on
    changed = wbs("inbox", "status", FIRST, "dalam-proses", "--note", "kami proses")
    assert changed.exit_code == 0, changed.output
    (status,) = stored_replies(store)
    message = read(status, inspector)
    # And the reporter sends a follow-up that reuses the status message's id, dated 2000
    fake = message._replace(
        type="message",
        status="",
        reason="",
        by="",
        text="ingin menyembunyikan status",
        sent=datetime.datetime(2000, 1, 1, tzinfo=UTC),
    )
    to = [*case, reporter.public_key]
    envelope = seal("followup", FIRST, messages.encode(fake), [Recipient(k) for k in to])
    signature = signed_by_reporter(envelope, case_key(FIRST))  # the reporter's own: verified
    mailbox.post(store, FIRST, "reporter", envelope, signature=signature)
    assert wbs("inbox", "sync").exit_code == 0

    # When the inspector reads the case
    result = wbs("inbox", "show", FIRST, "--audit")

    # Then the status stands, and both messages are shown, in the order they were stored
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Status: Dalam Proses (dalam-proses)" in out
    assert "Percakapan / Thread (2)" in out
    assert out.index("kami proses") < out.index("ingin menyembunyikan status")
    assert "written far from when it was stored" in out
    # And the status change is still on the audit trail
    trail = out[out.index("Jejak audit / Audit trail") :]
    assert "status dalam-proses" in trail and "follow-up" in trail


def test_a_reply_that_reuses_a_followups_id_hides_nothing(
    store: LocalStorage, case: list[bytes], reporter: Identity, inspector: Identity
) -> None:
    # Given a reporter's follow-up
    to = [*case, reporter.public_key]
    day = datetime.datetime(2024, 3, 2, 9, 0, tzinfo=UTC)
    followup = post_followup(store, FIRST, "bukti tambahan penting", day, to)
    written = read(followup, inspector)
    # And an inspector stores a reply that reuses its id, dated earlier
    reply = messages.new("message", by=inspector.kid, now=day, text="balasan biasa")
    reply = reply._replace(id=written.id, sent=day - datetime.timedelta(days=1))
    envelope = seal("reply", FIRST, messages.encode(reply), [Recipient(k) for k in to])
    mailbox.post(store, FIRST, "inspectorate", envelope, day + datetime.timedelta(hours=1))
    assert wbs("inbox", "sync").exit_code == 0

    # When a colleague reads the case, the reporter's follow-up is still there
    out = wbs("inbox", "show", FIRST).stdout
    assert "bukti tambahan penting" in out and "balasan biasa" in out
    assert "Percakapan / Thread (2)" in out


def test_sync_copies_messages_and_is_idempotent(
    store: LocalStorage, case: list[bytes], reporter: Identity, tmp_path: Path, home: Path
) -> None:
    to = [*case, reporter.public_key]
    day = datetime.datetime(2024, 3, 2, 9, 0, tzinfo=UTC)
    posted = [post_followup(store, FIRST, f"{CANARY} {n}", day, to) for n in range(2)]

    first = wbs("inbox", "sync", passphrase=None)
    second = wbs("inbox", "sync", passphrase=None)
    post_followup(store, FIRST, "lagi", day, to)
    third = wbs("inbox", "sync", passphrase=None)

    assert first.exit_code == 0, first.output
    assert "0 new reports (1 in the cache), 2 new messages (2 in the cache)" in first.stdout
    assert "0 new reports (1 in the cache), 0 new messages (2 in the cache)" in second.stdout
    assert "1 new message (3 in the cache)" in third.stdout
    for message in posted:
        copy = cached(tmp_path, message.key)
        assert copy.read_bytes() == store.get(message.key)
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    for folder in [p for p in home.rglob("*") if p.is_dir()]:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for path in home.rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes()


def test_sync_ignores_objects_that_are_not_messages(
    store: LocalStorage, case: list[bytes], tmp_path: Path
) -> None:
    store.put_new(f"mailboxes/{FIRST}/notes.json", b"{}")
    store.put_new("mailboxes/not-an-id/20240302T090000000000Z-reporter-0123abcd.json", b"{}")
    result = wbs("inbox", "sync")
    assert "0 new messages (0 in the cache)" in result.stdout


def test_show_names_unreadable_messages_and_still_shows_the_others(
    store: LocalStorage, case: list[bytes], reporter: Identity, inspector: Identity
) -> None:
    to = [*case, reporter.public_key]
    day = datetime.datetime(2024, 3, 2, 9, 0, tzinfo=UTC)
    post_followup(store, FIRST, "terbaca", day, to)
    # A follow-up sealed to someone else, and one that claims to change the status
    post_followup(store, FIRST, "SEALED-ELSEWHERE", day, [reporter.public_key])
    post_followup(store, FIRST, "tutup", day, to, message_type="status")
    wbs("inbox", "sync")

    result = wbs("inbox", "show", FIRST)

    assert result.exit_code == 1
    assert "terbaca" in result.stdout and "SEALED-ELSEWHERE" not in result.stdout
    assert "Status: Menunggu Verifikasi" in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("wbs: error:")]
    assert any("not addressed to any key held here" in e for e in errors)
    assert any("only the inspectorate can change a case's status" in e for e in errors)
    assert errors[-1] == "wbs: error: 2 messages of report 7K3M-Q2X9-ABCD-EFGH could not be opened"


# -- list: statuses and deadlines -------------------------------------------------------------


@pytest.fixture
def cases(store: LocalStorage, keyring: Path, reporter: Identity) -> None:
    """Three cases received on Friday 2026-11-27 (UTC), all answerable."""
    key = base64.b64encode(reporter.public_key).decode()
    active = desk_keys()
    for report_id in (FIRST, SECOND, THIRD):
        put(store, report_id, active, payload(reporter_public_key=key), "2026-11-27T05:00:00Z")
    wbs("inbox", "sync")


def rows(output: str) -> dict[str, str]:
    """Table lines by the registration number they start with."""
    found = {}
    for line in output.splitlines():
        for number in ("7K3M-Q2X9-ABCD-EFGH", "7K3M-ZZZZ-0000-0000", "8ABC-DEFG-HJKM-NPQR"):
            if line.strip().startswith(number):
                found[number] = line
    return found


def test_list_shows_status_and_deadlines(keyring: Path, cases: None) -> None:
    # Given one case acknowledged, one given feedback, one untouched
    wbs("inbox", "status", SECOND, "sedang-diverifikasi")
    wbs("inbox", "status", THIRD, "selesai")

    # When the inspector lists them on three days
    early = rows(wbs("inbox", "list", "--today", "2026-11-30").stdout)
    soon = rows(wbs("inbox", "list", "--today", "2026-12-02").stdout)
    late = rows(wbs("inbox", "list", "--today", "2026-12-07").stdout)

    # Then the acknowledgement is due 5 working days after receipt (Friday 4 December), then
    # feedback 30 working days after it (the built-in rules: no holidays, weekends skipped)
    first, second, third = "7K3M-Q2X9-ABCD-EFGH", "7K3M-ZZZZ-0000-0000", "8ABC-DEFG-HJKM-NPQR"
    assert "Menunggu Verifikasi" in early[first] and "ack due in 4 days" in early[first]
    assert "⚠" not in early[first]
    assert "⚠ ack due in 2 days" in soon[first]
    assert "⚠ OVERDUE ack 3 days" in late[first]
    assert "Sedang Diverifikasi" in late[second] and "feedback due 2027-01-08" in late[second]
    assert "Selesai" in late[third] and "due" not in late[third].split("Selesai")[1]


def test_list_speaks_one_language(keyring: Path, cases: None) -> None:
    # (issue 17, item 6: Indonesian headings over English deadlines)
    out = wbs("inbox", "list", "--today", "2026-11-30").stdout
    head = out.split("7K3M-Q2X9-ABCD-EFGH")[0]
    for english in ("Inbox", "Number", "Received", "Status", "Deadline", "Report"):
        assert english in head
    assert "dates: " in out.splitlines()[-1]
    for indonesian in ("Kotak masuk", "registrasi", "Diterima", "Tenggat", "Laporan", "Tanggal"):
        assert indonesian not in out
    assert "ack due in 4 days" in rows(out)["7K3M-Q2X9-ABCD-EFGH"]


def test_list_filters_by_status_and_due(keyring: Path, cases: None) -> None:
    wbs("inbox", "status", SECOND, "perlu-informasi-tambahan")
    wbs("inbox", "status", THIRD, "ditolak", "--reason", "kedaluwarsa")

    waiting = rows(wbs("inbox", "list", "--status", "Perlu Informasi Tambahan").stdout)
    either = rows(
        wbs("inbox", "list", "--status", "ditolak", "--status", "menunggu-verifikasi").stdout
    )
    due = rows(wbs("inbox", "list", "--due", "--today", "2026-12-03").stdout)
    nothing = wbs("inbox", "list", "--due", "--today", "2026-11-28")

    assert list(waiting) == ["7K3M-ZZZZ-0000-0000"]
    assert sorted(either) == ["7K3M-Q2X9-ABCD-EFGH", "8ABC-DEFG-HJKM-NPQR"]
    assert list(due) == ["7K3M-Q2X9-ABCD-EFGH"]  # ack due 2026-12-04; the others acknowledged
    assert nothing.exit_code == 0 and rows(nothing.stdout) == {}
    assert "none of the 3 cases matches the filters" in nothing.stderr


def test_list_counts_working_days_and_holidays_from_the_config(
    keyring: Path, cases: None, tmp_path: Path
) -> None:
    # Given 3 working days to acknowledge, and Monday 30 November a holiday
    config = tmp_path / "config.toml"
    config.write_text(
        "[deadlines]\n"
        'acknowledge = {count = 3, unit = "working_days"}\n'
        'holidays = ["2026-11-30"]\n'
        "due_soon_days = 0\n",
        encoding="utf-8",
    )
    # Then a report of Friday is due on Thursday (Saturday, Sunday, the holiday do not count)
    listed = rows(wbs("inbox", "list", "--config", str(config), "--today", "2026-12-02").stdout)
    assert "ack due in 1 day" in listed["7K3M-Q2X9-ABCD-EFGH"]
    assert "⚠" not in listed["7K3M-Q2X9-ABCD-EFGH"]
    today = rows(wbs("inbox", "list", "--config", str(config), "--today", "2026-12-03").stdout)
    assert "⚠ ack due today" in today["7K3M-Q2X9-ABCD-EFGH"]


def test_a_bad_config_is_named_before_the_passphrase(
    cases: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[deadlines]\nfeedback = {count = 3, unit = "weeks"}\n', encoding="utf-8")
    monkeypatch.setenv("WBS_CONFIG", str(config))
    result = wbs("inbox", "list")
    assert result.exit_code == 1
    assert f"wbs: error: {config}: deadlines.feedback.unit must be one of" in result.stderr
    assert "hint: see the [deadlines] example in docs/inspector.md" in result.stderr
    assert "Passphrase" not in result.stderr


def test_list_names_an_unreadable_message(
    store: LocalStorage, keyring: Path, cases: None, reporter: Identity
) -> None:
    day = datetime.datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    post_followup(store, FIRST, "rahasia", day, [reporter.public_key])
    wbs("inbox", "sync")
    result = wbs("inbox", "list", "--today", "2026-11-30")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-2] == "wbs: error: 1 message could not be opened"
    assert len(rows(result.stdout)) == 3
