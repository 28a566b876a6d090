"""The workbench's pages, in-process: unlock, the inbox (unread, filters, search, deadlines,
sync now), a case, answering it, and the idle lock. The answers are the very messages that
`wbs inbox reply` and `wbs inbox status` write (wbs/cases/answering.py), checked in storage."""

from __future__ import annotations

import base64
import datetime
import html
import re
import threading
import time
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from functions import mailbox
from functions.storage import LocalStorage, layout
from tests.support.inbox import (
    CANARY,
    FIRST,
    PASSPHRASE,
    SECOND,
    THIRD,
    case_kids,
    desk_reader,
    payload,
    post_followup,
    put,
)
from tests.support.membership import Institution
from tests.support.workbench import Client, Clock, key_file, workbench
from wbs import crypto, keyfile, messages, notes
from wbs.cache import Cache
from wbs.cases.opened import OPENED_FILE
from wbs.crypto import Identity, open_envelope
from wbs.workbench import LANGUAGES
from wbs.workbench import app as workbench_app
from wbs.workbench.session import watch

UTC = datetime.UTC


def days_ago(n: int) -> str:
    when = datetime.datetime.now(UTC).replace(hour=12, minute=0, second=0) - datetime.timedelta(n)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def reporter() -> Identity:
    return keyfile.generate()


@pytest.fixture
def store(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "store")


@pytest.fixture
def keyring(inspector: Identity) -> Path:
    """The test institution's keyring: desk inspektorat, whose member ``inspector`` is, and
    the recovery key (tests/support/membership.py)."""
    return Institution.here().path


@pytest.fixture
def cases(store: LocalStorage, inspector: Identity, reporter: Identity) -> None:
    """Three reports in storage: overdue, due soon, and fresh; one with markup in it."""
    key = base64.b64encode(reporter.public_key).decode()
    put(store, FIRST, inspector, payload(reporter_public_key=key), received=days_ago(20))
    bribe = payload(
        category={"id": "suap", "label": "Suap"},
        title="<script>alert(1)</script> suap proyek jalan",
        what="Kontraktor memberi amplop kepada panitia lelang",
        reporter_public_key=key,
    )
    put(store, SECOND, inspector, bribe, received=days_ago(5))  # due in 0 to 2 days
    put(store, THIRD, inspector, payload(reporter_public_key=key), received=days_ago(0))


@pytest.fixture
def client(home: Path, store: LocalStorage, keyring: Path, cases: None) -> Client:
    return Client(workbench(key_file(home), store, keyring, clock=Clock(), idle=60))


def rows(page: str) -> list[str]:
    return [part.split("</tr>")[0] for part in page.split('<tr class="case')[1:]]


def oldest_first(page: str) -> list[str]:
    """The inbox's rows (newest first by default) from the oldest case."""
    return rows(page)[::-1]


def unlocked(client: Client) -> str:
    client.enter()
    answer = client.post("/unlock", {"passphrase": PASSPHRASE})
    assert answer.status == 303, answer
    client.sync()
    return client.get("/").body


def test_a_wrong_passphrase_is_told_in_the_page_s_words_and_the_key_stays_locked(
    client: Client,
) -> None:
    client.enter()
    answer = client.post("/unlock", {"passphrase": "bukan ini"})
    assert answer.status == 200
    assert "Frasa sandi salah: kunci tetap terkunci." in answer.body
    assert "huruf besar dan kecil dibedakan" in answer.body
    assert "wrong passphrase" not in answer.body and "wbs keys new" not in answer.body
    assert client.app.session.reader is None
    assert 'id="passphrase"' in client.get("/").body


def test_sync_now_fetches_the_new_reports_and_the_inbox_lists_them_unread_with_deadlines(
    client: Client, home: Path
) -> None:
    client.enter()
    client.post("/unlock", {"passphrase": PASSPHRASE})
    assert Cache.for_storage(client.app.config.storage_url).ids() == []

    synced = client.sync()

    assert 'id="sync-result"' in synced.body
    assert "3 laporan baru" in synced.body
    found = rows(synced.body)
    assert [FIRST in r for r in found] == [False, False, True]  # newest first
    assert all(" unread" in r for r in found)
    third, second, first = found
    assert "7K3M-Q2X9-ABCD-EFGH" in first and "Menunggu Verifikasi" in first
    assert "due overdue" in first and "Lewat tenggat" in first
    assert "due soon" in second and "Pungutan Liar" in first and "Suap" in second
    assert "⚠" not in third
    # The stranger's markup is text, never markup
    assert "<script>alert" not in synced.body and "&lt;script&gt;alert(1)" in synced.body


def test_filters_and_search_over_the_decrypted_text(client: Client) -> None:
    unlocked(client)

    def shown(query: str) -> list[bool]:
        found = rows(client.get("/?" + query).body)
        return [any(i in r for r in found) for i in (FIRST, SECOND, THIRD)]

    assert shown("category=suap") == [False, True, False]
    assert shown("deadline=overdue") == [True, False, False]
    assert shown("deadline=soon") == [False, True, False]
    assert shown("deadline=due") == [True, True, False]
    assert shown("status=menunggu-verifikasi") == [True, True, True]
    assert shown("status=selesai") == [False, False, False]
    assert shown("q=AMPLOP+lelang") == [False, True, False]
    assert shown(f"q={CANARY.lower()}") == [True, False, True]
    assert shown("q=amplop&category=pungutan-liar") == [False, False, False]


def test_a_case_shows_the_whole_report_and_is_then_read(client: Client, home: Path) -> None:
    unlocked(client)

    page = client.get(f"/case/{FIRST}")

    assert page.status == 200
    text = html.unescape(page.body)
    for shown in (
        f"Pungli di loket {CANARY}",
        "Petugas meminta uang pelicin.\nBaris kedua — ümlaut ✓",
        "Budi Santoso",
        "Kepala Seksi",
        "Subbag Umum",
        "Siti Aminah",
        "Kantor KPU Jakarta Pusat",
        "2024-02-14 — sekitar pukul 10 pagi",
        "Melalui perantara",
        "Rp 1.500.000",
        "Anonim",
        "Masyarakat",
        "Laporan benar dan dibuat dengan iktikad baik",
        "Menunggu Verifikasi",
    ):
        assert shown in text, shown
    assert " unread" not in oldest_first(client.get("/").body)[0]
    assert " unread" in oldest_first(client.get("/").body)[1]
    # What is remembered is the report's id: no plaintext reaches the disk
    opened = Cache.for_storage(client.app.config.storage_url).root / OPENED_FILE
    assert opened.read_text() == FIRST + " 0\n"  # the id, and no reporter message seen
    assert opened.stat().st_mode & 0o777 == 0o600
    assert client.get("/case/ZZZZZZZZZZZZZZZZ").status == 404


def test_a_reporter_s_new_message_makes_an_opened_case_unread_again(
    client: Client, store: LocalStorage, inspector: Identity
) -> None:
    # Given a case opened here, and answered by the inspector
    unlocked(client)
    here = f"/case/{FIRST}"
    client.get(here)
    client.post(here + "/reply", {"text": "Kapan kejadiannya?"})
    client.post(here + "/status", {"status": "perlu-informasi-tambahan", "note": "Detail"})
    client.sync()
    first, second, _ = oldest_first(client.get("/").body)
    assert " unread" not in first  # the inspectors' own messages do not make it unread
    assert " unread" in second and "pesan baru" not in second and ">baru<" in second

    # When the reporter writes again, and the message is synced
    now = datetime.datetime.now(UTC)
    post_followup(store, FIRST, "Hari Senin pagi", now, [inspector.public_key])
    first = oldest_first(client.sync().body)[0]

    # Then the case is unread again, and says why
    assert " unread" in first and ">pesan baru<" in first
    client.get(here)
    assert " unread" not in oldest_first(client.get("/").body)[0]
    later = now + datetime.timedelta(minutes=1)
    post_followup(store, FIRST, "Satu lagi", later, [inspector.public_key])
    assert ">pesan baru<" in oldest_first(client.sync().body)[0]
    client.get(here)
    assert " unread" not in oldest_first(client.get("/").body)[0]
    # Only ids and counts reach the disk: a line each time the count grew
    opened = Cache.for_storage(client.app.config.storage_url).root / OPENED_FILE
    assert opened.read_text() == f"{FIRST} 0\n{FIRST} 1\n{FIRST} 2\n"
    assert opened.stat().st_mode & 0o777 == 0o600


def test_opened_cases_of_the_first_format_are_read_and_bad_lines_are_skipped(
    client: Client, store: LocalStorage, inspector: Identity
) -> None:
    # Given a file written by the first version (ids alone) with damaged lines in it
    unlocked(client)
    opened = Cache.for_storage(client.app.config.storage_url).root / OPENED_FILE
    damaged = f"{FIRST}\n{SECOND} x\nnonsense\n\xff\xfe\n{THIRD} 1 2\n{THIRD.lower()}\n"
    opened.write_bytes(damaged.encode("latin-1"))
    opened.chmod(0o600)

    found = oldest_first(client.get("/").body)

    assert [" unread" in row for row in found] == [False, True, True]
    # An id alone means no reporter message was seen: the first one makes it unread
    post_followup(store, FIRST, "Tambahan", datetime.datetime.now(UTC), [inspector.public_key])
    assert ">pesan baru<" in oldest_first(client.sync().body)[0]
    client.get(f"/case/{FIRST}")
    assert " unread" not in oldest_first(client.get("/").body)[0]
    assert opened.read_bytes() == damaged.encode("latin-1") + f"{FIRST} 1\n".encode()


def test_a_reply_and_a_status_change_are_sent_as_the_cli_sends_them(
    client: Client, store: LocalStorage, reporter: Identity, inspector: Identity
) -> None:
    unlocked(client)
    here = f"/case/{FIRST}"

    replied = client.follow(client.post(here + "/reply", {"text": "  Kapan kejadiannya?  "}))
    changed = client.follow(
        client.post(
            here + "/status",
            {"status": "perlu-informasi-tambahan", "reason": "", "note": "Mohon detail"},
        )
    )

    assert "Pesan telah dikirim" in replied.body and "Kapan kejadiannya?" in replied.body
    assert "Status telah diubah" in changed.body
    assert "Perlu Informasi Tambahan" in changed.body.split('id="case-status">')[1][:60]
    keys = [k for k in mailbox.keys(store, FIRST) if layout.sender(k) == "inspectorate"]
    sent = []
    for key in keys:
        stored = mailbox.parse(key, store.get(key))
        sent.append(messages.decode(open_envelope(stored.envelope, reporter), "reply"))
    sent.sort(key=lambda m: m.sent)
    assert [(m.type, m.text, m.status, m.by) for m in sent] == [
        ("message", "Kapan kejadiannya?", "", inspector.kid),
        ("status", "Mohon detail", "perlu-informasi-tambahan", inspector.kid),
    ]


def test_an_internal_note_is_sealed_to_the_case_s_desk_only_and_shown_apart(
    client: Client, store: LocalStorage, reporter: Identity, inspector: Identity
) -> None:
    unlocked(client)
    here = f"/case/{FIRST}"
    text = f"Saksi belum dihubungi {CANARY} <b>x</b>"
    # Without the form token: refused, nothing written
    refused = client.post(here + "/note", {"text": text}, csrf=False)
    assert refused.status == 403 and "form token" in refused.body
    foreign = client.post(here + "/note", {"text": text}, headers={"Origin": "http://evil.example"})
    assert foreign.status == 403 and notes.keys(store) == []

    saved = client.follow(client.post(here + "/note", {"text": text}))

    assert "Catatan internal telah disimpan" in saved.body
    section = saved.body.split('<section id="notes">')[1].split("</section>")[0]
    assert html.escape(text) in section and "Inspektur</span></header>" in section
    assert "<b>x</b>" not in saved.body  # escaped
    thread = saved.body.split('<section id="thread">')[1].split("</section>")[0]
    assert CANARY not in thread
    # Stored under notes/, sealed to the case's desk and the recovery key only: nothing for
    # the reporter, nothing for a person
    assert mailbox.keys(store, FIRST) == []
    # (beside the access record of opening the case, sealed alike)
    stored = notes.keys(store, FIRST)
    records = [notes.read_one(k, store.get(k), desk_reader(inspector)) for k in stored]
    assert sorted(type(r).__name__ for r in records) == ["Access", "Note"]
    for key in stored:
        _, envelope, _ = notes.parse(key, store.get(key))
        assert [r.kid for r in envelope.recipients] == case_kids()
        with pytest.raises(crypto.NoMatchingKey):
            crypto.open_envelope(envelope, reporter)
    empty = client.follow(client.post(here + "/note", {"text": " \n "}))
    assert "Pesan kosong: tidak ada yang dikirim." in empty.body and notes.keys(store) == stored


def test_mistakes_in_an_answer_are_told_and_nothing_is_sent(
    client: Client, store: LocalStorage
) -> None:
    unlocked(client)
    here = f"/case/{FIRST}"

    rejected = client.follow(client.post(here + "/status", {"status": "ditolak", "reason": " "}))
    same = client.follow(client.post(here + "/status", {"status": "menunggu-verifikasi"}))
    empty = client.follow(client.post(here + "/reply", {"text": "  \n "}))

    # Then each is said in the page's words, with no command or flag of the CLI
    assert "Penolakan memerlukan alasan, yang akan dibaca pelapor." in rejected.body
    assert "Kasus ini sudah berstatus Menunggu Verifikasi" in html.unescape(same.body)
    assert "Pesan kosong: tidak ada yang dikirim." in empty.body
    for page in (rejected, same, empty):
        assert "--" not in html.unescape(page.body) and "wbs inbox" not in page.body
    assert mailbox.keys(store, FIRST) == []


def test_mistakes_are_told_in_english_in_the_english_pages(
    home: Path, store: LocalStorage, keyring: Path, cases: None
) -> None:
    client = Client(workbench(key_file(home), store, keyring, clock=Clock(), lang="en"))
    unlocked(client)
    here = f"/case/{FIRST}"
    rejected = client.follow(client.post(here + "/status", {"status": "ditolak", "reason": ""}))
    assert "A rejection needs a reason, which the reporter will read." in rejected.body
    assert "--reason" not in rejected.body


def test_the_key_is_locked_after_the_idle_time_and_by_the_lock_button(client: Client) -> None:
    unlocked(client)
    client.get(f"/case/{FIRST}")
    assert client.app.session.reports
    clock = client.app.session.clock
    assert isinstance(clock, Clock)

    clock.now += 59
    assert 'id="cases"' in client.get("/").body  # each request restarts the idle time
    clock.now += 61
    page = client.get(f"/case/{FIRST}")

    assert 'id="passphrase"' in page.body and CANARY not in page.body
    assert client.app.session.reader is None and client.app.session.reports == {}
    # A form sent after the lock changes nothing: it leads to the unlock page
    answer = client.post(f"/case/{FIRST}/reply", {"text": "terlambat"})
    assert answer.status == 303 and 'id="passphrase"' in client.follow(answer).body

    client.post("/unlock", {"passphrase": PASSPHRASE})
    assert client.app.session.reader is not None
    client.post("/lock", {})
    assert client.app.session.reader is None


def test_the_pages_speak_english_too(home: Path, store: LocalStorage, keyring: Path) -> None:
    english = Client(workbench(key_file(home), store, keyring, lang="en"))
    page = english.enter().body
    assert '<html lang="en">' in page and "Unlock your key" in page


def test_every_message_is_translated_in_both_catalogues() -> None:
    options = {"trimmed": "true", "silent": "false"}
    msgids = {
        message
        for _, _, message, _, _ in extract_from_dir(
            str(workbench_app.HERE),
            method_map=[("templates/**.html", "jinja2"), ("*.py", "python")],
            options_map={"templates/**.html": options, "*.py": {}},
            keywords={"_": None, "gettext": None},
        )
    }
    assert len(msgids) > 50
    for lang in LANGUAGES:
        po = workbench_app.HERE / "locale" / lang / "LC_MESSAGES" / "workbench.po"
        with po.open("rb") as f:
            catalog = read_po(f, locale=lang)
        assert not [m.id for m in catalog if m.id and m.fuzzy], lang
        for msgid in msgids:
            message = catalog.get(msgid)
            assert message is not None and message.string, (lang, msgid)


def test_the_key_is_dropped_on_time_even_when_no_request_comes(client: Client) -> None:
    unlocked(client)
    session = client.app.session
    clock = session.clock
    assert isinstance(clock, Clock)
    session.expire()
    assert session.reader is not None
    clock.now += 61
    stop = threading.Event()
    watcher = watch(session, stop, every=0.01)
    try:
        deadline = time.monotonic() + 5
        while session.reader is not None and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        watcher.join(timeout=5)
    assert session.reader is None and session.reports == {}
    assert not watcher.is_alive()
    assert 'data-idle="0"' in client.get("/").body


def test_unlocked_pages_reload_themselves_when_the_idle_time_has_passed(client: Client) -> None:
    # The page's timer (static/workbench.js) reloads it: the passphrase page replaces the text.
    assert 'data-idle="60"' in unlocked(client)


def test_a_head_request_gets_the_headers_of_a_page_without_its_body(client: Client) -> None:
    unlocked(client)
    for target in ("/", f"/case/{FIRST}", "/static/workbench.css"):
        whole, head = client.get(target), client.request("HEAD", target)
        assert head.status == whole.status == 200 and head.data == b""
        assert head.headers["content-length"] == str(len(whole.data)) != "0"


def test_a_case_sealed_to_other_keys_says_who_can_open_it_and_never_loops(
    client: Client, store: LocalStorage, keyring: Path, inspector: Identity
) -> None:
    # Given a case sealed only to another desk, whose member is a colleague
    colleague = keyfile.generate()
    Institution.here().add_member(colleague, "Irban Wilayah II", desks=["jabar"])
    other = "9ABCDEFGHJKMNPQR"
    put(store, other, colleague)
    unlocked(client)
    # When the inspector opens it
    answer = client.get(f"/case/{other}")
    # Then the page says why, which desk would open it and who holds it, once, and sends
    # nobody back to it
    assert answer.status == 422 and "location" not in answer.headers
    openers = answer.body.split('<section id="openers">')[1].split("</section>")[0]
    words = re.sub(r"<[^>]+>", "", openers)
    assert "tim jabar (1): dipegang oleh Irban Wilayah II, Kunci pemulihan" in words
    assert "kunci pemulihan (Kunci pemulihan)" in words
    assert colleague.kid not in words  # people by the keyring's label, the key id a title
    assert answer.body.count('class="error"') == 1
    # And the inbox still works, the case listed as one that could not be opened
    assert client.get("/").status == 200


def test_people_are_shown_by_the_keyring_s_label_with_their_key_id_beside(
    client: Client, inspector: Identity
) -> None:
    # Given a case whose status an inspector changed
    unlocked(client)
    here = f"/case/{FIRST}"
    client.post(here + "/status", {"status": "sedang-diverifikasi", "reason": "", "note": ""})
    # When the case is shown
    page = client.get(here).body
    # Then the inspector is the keyring's label, the key id only in its title
    shown = f'<span class="person" title="kunci {inspector.kid}">Inspektur</span>'
    assert shown in page.split('id="case-people">')[1].split("</dd>")[0]
    assert f"[{shown}]" in page
    assert f">kunci {inspector.kid}" not in page and f">{inspector.kid}" not in page


def test_what_was_typed_into_a_refused_form_is_shown_again_once(
    home: Path, store: LocalStorage, keyring: Path, inspector: Identity
) -> None:
    # Given a case that cannot be answered (its report carries no reporter key)
    put(store, FIRST, inspector, payload(), received=days_ago(1))
    client = Client(workbench(key_file(home), store, keyring, clock=Clock(), idle=60))
    unlocked(client)
    here = f"/case/{FIRST}"
    typed = "Mohon kirim foto kuitansinya <b>segera</b>"
    # When a reply and then a rejection without a reason are refused
    reply = client.follow(client.post(here + "/reply", {"text": typed}))
    status = client.follow(
        client.post(here + "/status", {"status": "ditolak", "reason": " ", "note": "Catatan"})
    )
    # Then each form comes back with what was typed in it (escaped), and nothing was sent
    assert "Tidak ada yang dikirim" in reply.body
    shown = reply.body.split('id="reply-text"')[1].split("</textarea>")[0]
    assert shown.endswith(f">{html.escape(typed)}")
    assert '<option value="ditolak" selected>' in status.body
    assert ">Catatan</textarea>" in status.body
    assert mailbox.keys(store, FIRST) == []
    # And only once: a reload shows the forms empty again
    again = client.get(here).body
    assert html.escape(typed) not in again and ">Catatan</textarea>" not in again
    # And the lock drops what was typed and never shown again
    client.post(here + "/reply", {"text": typed})
    assert client.app.session.typed
    client.app.session.lock()
    assert client.app.session.typed == {}


def test_the_inbox_is_newest_first_and_sorts_by_deadline_and_status(client: Client) -> None:
    # Given three cases received 20, 5 and 0 days ago; the oldest one under verification
    page = unlocked(client)
    client.post(f"/case/{THIRD}/status", {"status": "sedang-diverifikasi", "reason": ""})
    # Then the inbox lists the newest first, with links to sort otherwise
    order = [next(i for i in (FIRST, SECOND, THIRD) if i in r) for r in rows(page)]
    assert order == [THIRD, SECOND, FIRST]
    assert '<a href="/?sort=deadline" id="sort-deadline"' in page
    assert '<a href="/?sort=status" id="sort-status"' in page
    assert 'aria-sort="descending"><span class="sorted" id="sort-received">' in page

    def ids(target: str) -> list[str]:
        found = rows(client.get(target).body)
        return [next(i for i in (FIRST, SECOND, THIRD) if i in r) for r in found]

    # When sorted by deadline: the overdue one first, the one due soonest next
    assert ids("/?sort=deadline") == [FIRST, SECOND, THIRD]
    # When sorted by status, in the workflow's order (newest first within one status)
    assert ids("/?sort=status") == [SECOND, FIRST, THIRD]
    # A filter keeps the order chosen, and the order keeps the filter
    filtered = client.get("/?sort=deadline&q=amplop").body
    assert 'name="sort" value="deadline"' in filtered
    assert '<a href="/?q=amplop&amp;sort=status"' in filtered


def test_the_sync_result_is_said_once(client: Client) -> None:
    client.enter()
    client.post("/unlock", {"passphrase": PASSPHRASE})
    assert 'id="sync-result"' in client.sync().body
    assert 'id="sync-result"' not in client.get("/").body


def test_a_case_shows_no_internal_slug_and_a_rejected_case_is_closed(
    home: Path, store: LocalStorage, keyring: Path, inspector: Identity, reporter: Identity
) -> None:
    # Given an anonymous report that names no relation, in a category with a slug
    key = base64.b64encode(reporter.public_key).decode()
    anonymous = {"anonymous": True, "name": "", "contact": "", "relation": ""}
    category = {"id": "pengadaan-barang-jasa", "label": "Pengadaan Barang dan Jasa"}
    report = payload(reporter=anonymous, category=category, reporter_public_key=key)
    put(store, FIRST, inspector, report, received=days_ago(1))
    client = Client(workbench(key_file(home), store, keyring, clock=Clock(), idle=60))
    unlocked(client)
    here = f"/case/{FIRST}"
    # When it is read: no slug, the form's language by name, no empty relation
    page = html.unescape(client.get(here).body)
    assert "Pengadaan Barang dan Jasa" in page and "pengadaan-barang-jasa" not in page
    assert "Bahasa formulir</dt><dd>Bahasa Indonesia</dd>" in page
    assert "Hubungan" not in page
    # The acknowledgement deadline is not the reporter's receipt ("tanda terima")
    assert "konfirmasi penerimaan" in page.split('id="case-status"')[1].split("</dl>")[0]
    # When it is rejected, the case is closed: no "feedback given"
    rejected = {"status": "ditolak", "reason": "duplikat", "note": ""}
    closed = client.follow(client.post(here + "/status", rejected)).body
    assert "kasus ditutup: tidak ada tenggat" in closed
    assert "tindak lanjut sudah diberikan" not in closed
    assert "kasus ditutup: tidak ada tenggat" in client.get("/").body


def test_plaintext_has_one_name_in_indonesian() -> None:
    po = workbench_app.HERE / "locale" / "id" / "LC_MESSAGES" / "workbench.po"
    text = po.read_text(encoding="utf-8")
    assert "teks terbuka" in text and "teks biasa" not in text
