"""The workbench's audit trail and its "save into a folder": who did what, and when, by key
id, on the case page and in the case file; plaintext written only into the folder the
inspector typed, never over a file, never inside a repository."""

from __future__ import annotations

import base64
import html
import re
import stat
from pathlib import Path

import pytest

from functions.storage import LocalStorage
from tests.support.inbox import (
    FIRST,
    PASSPHRASE,
    desk_keys,
    desk_reader,
    payload,
    put,
    refuse_notes,
    upload,
)
from tests.support.membership import Institution
from tests.support.workbench import Client, key_file, workbench
from tests.test_workbench_files import HOSTILE, PAGE, PHOTO, png
from wbs import keyfile, notes, paths
from wbs.crypto import Identity


@pytest.fixture
def colleague() -> Identity:
    return keyfile.generate()


@pytest.fixture
def keyring(inspector: Identity, colleague: Identity) -> Path:
    """Desk inspektorat, with both inspectors as members, and the recovery key."""
    here = Institution.here()
    here.person(inspector, "Anna")
    here.add_member(colleague, "Budi")
    return here.path


@pytest.fixture
def store(tmp_path: Path, keyring: Path) -> LocalStorage:
    """A report with a photo and an HTML page, sealed to the desk of both inspectors."""
    store = LocalStorage(tmp_path / "store")
    manifest = [
        upload(store, FIRST, PHOTO, "foto bukti.png", png(), "image/png"),
        upload(store, FIRST, PAGE, "../halaman.html", HOSTILE, "text/html"),
    ]
    reporter = base64.b64encode(keyfile.generate().public_key).decode()
    content = payload(attachments=manifest, reporter_public_key=reporter)
    put(store, FIRST, desk_keys(), content)
    return store


@pytest.fixture
def client(home: Path, store: LocalStorage, keyring: Path) -> Client:
    client = Client(workbench(key_file(home), store, keyring))
    client.enter()
    client.post("/unlock", {"passphrase": PASSPHRASE})
    client.sync()
    return client


def access(store: LocalStorage, reader: Identity) -> list[tuple[str, str, str]]:
    """(author, action, file) of every access record of the case in storage, in order, as a
    member of the desk reads them."""
    keys = desk_reader(reader)
    found = [notes.read_one(k, store.get(k), keys) for k in notes.keys(store, FIRST)]
    return [(r.author, r.action, r.file) for r in found if isinstance(r, notes.Access)]


def trail(page: str) -> list[str]:
    """The audit trail's rows as text: "who | what"."""
    section = page.split('<section id="audit">')[1].split("</section>")[0]
    rows = section.split('<tr class="event')[1:]
    cells = [re.findall(r"<td>(.*?)</td>", row, re.S) for row in rows]
    text = [html.unescape(re.sub(r"<[^>]+>", "", f"{c[1]} | {c[2]}")) for c in cells]
    return [" ".join(t.split()) for t in text]


def test_the_case_page_shows_who_did_what_and_every_inspector_can_read_it(
    client: Client, store: LocalStorage, inspector: Identity, colleague: Identity
) -> None:
    kid = inspector.kid
    # Opening the case is recorded once per unlock, not at every reload
    client.get(f"/case/{FIRST}")
    client.get(f"/case/{FIRST}")
    assert access(store, colleague) == [(kid, "opened", "")]
    # Replies, status changes, notes and downloads join it
    client.post(f"/case/{FIRST}/reply", {"text": "Terima kasih atas laporannya."})
    client.post(f"/case/{FIRST}/status", {"status": "perlu-informasi-tambahan", "reason": ""})
    client.post(f"/case/{FIRST}/note", {"text": "Saksi belum dihubungi."})
    assert client.get(f"/case/{FIRST}/file/{PHOTO}?download=1").status == 200
    page = client.get(f"/case/{FIRST}").body
    assert trail(page) == [
        "Pelapor | mengirim laporan",
        "Anna | membuka kasus",
        "Anna | membalas pelapor",
        "Anna | mengubah status menjadi Perlu Informasi Tambahan",
        "Anna | menulis catatan internal",
        "Anna | menyimpan berkas bukti foto bukti.png",
    ]
    assert access(store, colleague) == [(kid, "opened", ""), (kid, "file", PHOTO)]
    # After a lock, opening it again is a new access
    client.post("/lock", {})
    client.post("/unlock", {"passphrase": PASSPHRASE})
    client.get(f"/case/{FIRST}")
    assert [a[1] for a in access(store, colleague)] == ["opened", "file", "opened"]


def test_without_a_keyring_no_desk_key_is_opened_and_the_page_says_so_without_looping(
    home: Path, store: LocalStorage
) -> None:
    client = Client(workbench(key_file(home), store, Path("/nonexistent/keyring.json")))
    client.enter()
    client.post("/unlock", {"passphrase": PASSPHRASE})
    client.sync()
    page = client.get(f"/case/{FIRST}")
    assert page.status == 422 and "location" not in page.headers
    assert "Pungli di loket" not in page.body
    assert "without a keyring no desk key is opened" in page.body
    assert "--keyring" not in page.body  # the workbench names no command-line flag
    assert notes.keys(store, FIRST) == []


def test_the_case_file_and_the_evidence_are_saved_only_into_the_folder_typed(
    client: Client, store: LocalStorage, colleague: Identity, tmp_path: Path
) -> None:
    folder = tmp_path / "private" / "kasus"
    saved = client.follow(
        client.post(f"/case/{FIRST}/save", {"folder": str(folder), "what": "case-file"})
    )
    (case_file,) = folder.iterdir()
    assert case_file.name == "kasus-7K3M-Q2X9-ABCD-EFGH.html" and str(case_file) in saved.body
    assert stat.S_IMODE(case_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    text = case_file.read_text(encoding="utf-8")
    assert "Pungli di loket" in text and '<section id="audit">' in text
    # The page remembers the folder for this case
    assert f'value="{folder}"' in saved.body

    # Saving again never replaces the first file
    first = case_file.read_bytes()
    client.post(f"/case/{FIRST}/save", {"folder": str(folder), "what": "case-file"})
    assert sorted(p.name for p in folder.iterdir()) == [
        "kasus-7K3M-Q2X9-ABCD-EFGH (2).html",
        "kasus-7K3M-Q2X9-ABCD-EFGH.html",
    ]
    assert case_file.read_bytes() == first

    # Every evidence file, decrypted and checked, under a safe name
    evidence = tmp_path / "bukti"
    client.post(f"/case/{FIRST}/save", {"folder": str(evidence), "what": "files"})
    assert (evidence / "foto bukti.png").read_bytes() == png()
    assert (evidence / "halaman.html").read_bytes() == HOSTILE
    # Or one
    one = tmp_path / "satu"
    client.post(f"/case/{FIRST}/save", {"folder": str(one), "what": PHOTO})
    assert [p.name for p in one.iterdir()] == ["foto bukti.png"]
    assert [a[1:] for a in access(store, colleague)] == [
        ("case-file", ""),
        ("opened", ""),
        ("case-file", ""),
        ("files", ""),
        ("file", PHOTO),
    ]


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("", "Ketik jalur lengkap folder tujuan penyimpanan."),
        ("kasus/relatif", "Ketik jalur lengkap folder tujuan penyimpanan."),
        (str(paths.PROJECT_ROOT / "bocor"), "teks terbuka tidak pernah ditulis ke folder ini"),
    ],
)
def test_a_folder_that_is_not_safe_or_not_whole_is_refused_and_nothing_is_written(
    client: Client, store: LocalStorage, colleague: Identity, typed: str, words: str
) -> None:
    client.get(f"/case/{FIRST}")
    before = access(store, colleague)
    answer = client.follow(client.post(f"/case/{FIRST}/save", {"folder": typed, "what": "files"}))
    assert words in html.unescape(answer.body)
    assert not (paths.PROJECT_ROOT / "bocor").exists()
    assert access(store, colleague) == before  # nothing was written out: nothing recorded


def test_a_file_that_is_not_in_the_case_is_refused(client: Client, tmp_path: Path) -> None:
    folder = tmp_path / "kosong"
    answer = client.follow(
        client.post(f"/case/{FIRST}/save", {"folder": str(folder), "what": "0" * 16})
    )
    assert "Kasus ini tidak memiliki berkas tersebut untuk disimpan." in answer.body
    assert list(folder.iterdir()) == []


def test_an_access_record_waits_while_storage_refuses_and_sync_now_sends_it(
    client: Client,
    store: LocalStorage,
    colleague: Identity,
    inspector: Identity,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = LocalStorage.put_new
    refuse_notes(monkeypatch)
    page = client.get(f"/case/{FIRST}").body
    # The case opens; the trail shows the access from the cache, and the page says it waits
    assert "Pungli di loket" in page
    assert "Akses ini dicatat di komputer ini; sinkronisasi berikutnya menyimpannya." in page
    assert "out of reach" not in page  # the workbench's words, not storage's
    assert "Anna | membuka kasus" in trail(page)  # the keyring's label, not the key id
    assert access(store, colleague) == []
    # A sync while storage still refuses says so, and keeps the record waiting
    assert "belum ada di penyimpanan (1)" in client.sync().body
    assert access(store, colleague) == []
    # Sync now, with storage back, sends it, once
    monkeypatch.setattr(LocalStorage, "put_new", real)
    client.sync()
    client.sync()
    assert access(store, colleague) == [(inspector.kid, "opened", "")]


def test_a_file_storage_lost_is_named_and_the_others_are_saved(
    client: Client, store: LocalStorage, tmp_path: Path
) -> None:
    (store.root / "attachments" / FIRST / PAGE).unlink()
    folder = tmp_path / "bukti"
    page = client.follow(
        client.post(f"/case/{FIRST}/save", {"folder": str(folder), "what": "files"})
    )
    assert [p.name for p in folder.iterdir()] == ["foto bukti.png"]  # nothing half-written
    words = "../halaman.html tidak disimpan. Catatan yang diperlukan tidak ada di penyimpanan."
    assert words in html.unescape(page.body) and "no object" not in page.body
    assert str(folder / "foto bukti.png") in page.body


def test_saving_needs_the_form_token_and_this_origin(client: Client, tmp_path: Path) -> None:
    folder = tmp_path / "dipaksa"
    form = {"folder": str(folder), "what": "files"}
    here = f"/case/{FIRST}/save"
    assert client.post(here, form, csrf=False).status == 403
    assert client.post(here, form, headers={"Origin": "http://evil.example"}).status == 403
    assert not folder.exists()
