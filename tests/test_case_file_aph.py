"""The case file for law enforcement (APH, KPK; issue 17 item 5): chosen explicitly in the
workbench or with `wbs inbox case-file --for-aph`, it holds the allegation, the reported
persons, where, when, how, the loss, the evidence files' hashes and the statuses, never the
reporter's identity, the thread, the internal notes or the audit trail; which file was made
goes into the audit trail. The full case file stays as it was (tests/test_case_file.py)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import html
import os
import re
import stat
from pathlib import Path

import pytest

from functions.storage import LocalStorage
from tests.support import reporter as reporters
from tests.support.inbox import (
    FIRST,
    PASSPHRASE,
    desk_keys,
    desk_reader,
    post_followup,
    put,
    upload,
    wbs,
)
from tests.support.membership import Institution
from tests.support.workbench import Client, key_file, workbench
from tests.test_case_file import FIELDS, MARKUP, canary_report, check_case_file
from tests.test_workbench_files import png
from wbs import keyfile, notes, thread
from wbs.cases import case_file as casefile
from wbs.crypto import Identity
from wbs.workbench.app import environment

APH_NAME = "kasus-7K3M-Q2X9-ABCD-EFGH-APH.html"
# What the file for APH must never hold: every field of the reporter's identity, the form's
# language, and everything written in the thread or the notes.
IDENTITY = ("reporter_name", "reporter_contact", "reporter_relation", "lang")
WRITTEN = (
    "CANARY-FOLLOWUP-c20",  # the reporter's follow-up
    "CANARY-REPLY-c21",  # a reply to the reporter
    "CANARY-REASON-c22",  # a reason typed freely
    "CANARY-SNOTE-c23",  # a status change's note to the reporter
    "CANARY-NOTE-c24",  # an internal note
)
# What it must hold: the allegation, the reported persons, where, when, how, the loss, the
# category, the evidence file names.
KEPT = tuple(name for name in FIELDS if name not in IDENTITY)


@pytest.fixture
def reporter() -> Identity:
    return keyfile.generate()


@pytest.fixture
def store(tmp_path: Path, inspector: Identity, reporter: Identity) -> LocalStorage:
    """tests/test_case_file.py's canary report, with the reporter's signing key too."""
    store = LocalStorage(tmp_path / "store")
    stored = upload(store, FIRST, "5QZ2W8R1XK4T7M3N", "foto.png", png(), "image/png")
    content = canary_report(reporter, {**stored, "sha256": ""})
    content["reporter_signing_key"] = reporters.case_key_text(FIRST)
    put(store, FIRST, inspector, content)
    sent = datetime.datetime(2024, 3, 2, 8, 0, tzinfo=datetime.UTC)
    post_followup(store, FIRST, "CANARY-FOLLOWUP-c20 <b>bold</b>", sent, desk_keys())
    return store


@pytest.fixture
def client(home: Path, store: LocalStorage) -> Client:
    """An unlocked workbench whose case has a reply, a status change and a note."""
    client = Client(workbench(key_file(home), store, Institution.here().path))
    client.enter()
    client.post("/unlock", {"passphrase": PASSPHRASE})
    client.sync()
    here = f"/case/{FIRST}"
    client.post(here + "/reply", {"text": "CANARY-REPLY-c21"})
    client.post(
        here + "/status",
        {"status": "ditolak", "reason": "CANARY-REASON-c22", "note": "CANARY-SNOTE-c23"},
    )
    client.post(here + "/note", {"text": "CANARY-NOTE-c24"})
    return client


def access(store: LocalStorage, reader: Identity) -> list[str]:
    """The action of every access record of the case in storage, in order."""
    keys = desk_reader(reader)
    found = [notes.read_one(k, store.get(k), keys) for k in notes.keys(store, FIRST)]
    return [r.action for r in found if isinstance(r, notes.Access)]


def check_for_aph(data: bytes, reporter: Identity, kid: str) -> str:
    """No identity field, no word of the thread or the notes, no key of the reporter's, no
    audit trail, searched over the file's bytes; the allegation and the files' hashes, and
    a header that says what was withheld."""
    for name in IDENTITY:
        assert FIELDS[name].encode() not in data, name
    for canary in WRITTEN:
        assert canary.encode() not in data, canary
    public = base64.b64encode(reporter.public_key)
    signing = reporters.case_key_text(FIRST).encode()
    assert public not in data and signing not in data
    assert re.search(rb"[A-Za-z0-9+/]{43}=", data) is None  # no 32-byte key in base64 at all
    text = data.decode("utf-8")
    # Nor whether the reporter gave a name, nor the declarations ticked
    for word in ("Anonim", "Anonymous", "Beridentitas", "Identified", "☑", "☐"):
        assert word not in text, word
    for name in KEPT:
        assert html.escape(FIELDS[name]) in text, name
    assert "7K3M-Q2X9-ABCD-EFGH" in text and "2024-03-01" in text
    assert hashlib.sha256(png()).hexdigest() in text
    # Nothing internal: no notes, no audit trail, no thread; the exporter is named
    for section in ("notes", "audit", "thread"):
        assert f'<section id="{section}"' not in text
    assert re.search(f'id="exporter">Inspektur \\((key|kunci) {kid}\\)<', text)
    # Inert, as the full file is
    lowered = text.lower()
    assert "<script" not in lowered and MARKUP not in text
    assert "http:" not in lowered and "https:" not in lowered
    return text


def test_the_workbench_offers_both_files_each_with_what_it_holds(client: Client) -> None:
    page = client.get(f"/case/{FIRST}").body
    export = page.split('<section id="export">')[1].split("</section>")[0]
    assert f'href="/case/{FIRST}/case-file"' in export
    assert f'href="/case/{FIRST}/case-file-aph"' in export
    assert 'value="case-file"' in export and 'value="case-file-aph"' in export
    assert "Berisi semuanya: identitas pelapor" in export  # the full one
    assert "Untuk diteruskan kepada aparat penegak hukum" in export  # the one for APH
    assert "dicatat dalam jejak audit" in export


def test_the_download_for_aph_withholds_the_reporter_and_says_so(
    client: Client, store: LocalStorage, inspector: Identity, reporter: Identity
) -> None:
    answer = client.get(f"/case/{FIRST}/case-file-aph")

    assert answer.status == 200
    assert answer.headers["content-disposition"] == f'attachment; filename="{APH_NAME}"'
    assert answer.headers["cache-control"] == "no-store"
    text = check_for_aph(answer.data, reporter, inspector.kid)
    withheld = text.split('<section id="withheld">')[1].split("</section>")[0]
    assert "VERSI TERSAMARKAN: identitas pelapor dirahasiakan" in withheld
    assert "UU 31/2014" in withheld
    # What was withheld, counted: one follow-up; a reply and a status note; one note
    assert "1 pesan dari pelapor dan 2 dari Inspektorat" in withheld
    assert "catatan internal Inspektorat (1)" in withheld
    assert "jejak audit" in withheld
    report = text.split('<section id="report">')[1].split("</section>")[0]
    assert 'id="reporter">identitas pelapor dirahasiakan<' in report
    # The statuses stay, and the reason typed freely is withheld
    history = text.split('<section id="history">')[1].split("</section>")[0]
    assert "Ditolak — alasan dirahasiakan" in history and "Inspektur" not in history
    assert '<dd id="case-status">Ditolak</dd>' in text
    assert access(store, inspector)[-1] == "case-file-aph"


def test_a_standard_reason_is_kept(client: Client, inspector: Identity) -> None:
    form = {"status": "diteruskan", "reason": "sudah ditangani APH"}
    client.post(f"/case/{FIRST}/status", form)
    text = client.get(f"/case/{FIRST}/case-file-aph").body
    history = text.split('<section id="history">')[1].split("</section>")[0]
    assert "Ditolak — alasan dirahasiakan" in history
    assert "Diteruskan — alasan: sudah ditangani APH" in history


def test_saving_the_file_for_aph_writes_its_own_file_and_the_trail_says_which(
    client: Client, store: LocalStorage, inspector: Identity, reporter: Identity, tmp_path: Path
) -> None:
    folder = tmp_path / "aph"
    form = {"folder": str(folder), "what": "case-file-aph"}
    saved = client.follow(client.post(f"/case/{FIRST}/save", form))

    (written,) = folder.iterdir()
    assert written.name == APH_NAME and str(written) in saved.body
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    check_for_aph(written.read_bytes(), reporter, inspector.kid)
    # The full file beside it is the full one, and its trail names both, by variant
    client.post(f"/case/{FIRST}/save", {"folder": str(folder), "what": "case-file"})
    full = (folder / "kasus-7K3M-Q2X9-ABCD-EFGH.html").read_text(encoding="utf-8")
    check_case_file(full, inspector.kid)
    audit = full.split('<section id="audit">')[1]
    assert "mengekspor berkas kasus untuk APH, tanpa identitas pelapor" in audit
    exports = [a for a in access(store, inspector) if a != "opened"]
    assert exports == ["case-file-aph", "case-file"]
    page = client.get(f"/case/{FIRST}").body
    trail = page.split('<section id="audit">')[1].split("</section>")[0]
    assert "mengekspor berkas kasus untuk APH, tanpa identitas pelapor" in trail
    assert "mengekspor berkas kasus<" in trail.replace("\n", "")


def test_the_file_for_aph_needs_the_session(client: Client, tmp_path: Path) -> None:
    stranger = Client(client.app)
    refused = stranger.get(f"/case/{FIRST}/case-file-aph")
    assert refused.status == 403 and "CANARY" not in refused.body
    folder = tmp_path / "dipaksa"
    form = {"folder": str(folder), "what": "case-file-aph"}
    assert client.post(f"/case/{FIRST}/save", form, csrf=False).status == 403
    assert not folder.exists()


def test_the_cli_writes_the_file_for_aph_and_the_audit_shows_it(
    client: Client, store: LocalStorage, inspector: Identity, reporter: Identity, tmp_path: Path
) -> None:
    assert wbs("inbox", "sync", passphrase=None).exit_code == 0
    target = tmp_path / "aph.html"

    result = wbs("inbox", "case-file", FIRST, "--for-aph", "--to", str(target), "--lang", "en")

    assert result.exit_code == 0, result.output
    assert "wrote the case file for law enforcement (APH) of 7K3M-Q2X9-ABCD-EFGH" in result.output
    assert os.stat(target).st_mode & 0o777 == 0o600
    text = check_for_aph(target.read_bytes(), reporter, inspector.kid)
    assert '<html lang="en">' in text and "REDACTED VERSION" in text
    assert "identitas pelapor dirahasiakan" in text  # said in Indonesian in either language
    assert "1 from the reporter and 2 from the inspectorate" in text
    assert access(store, inspector)[-1] == "case-file-aph"

    shown = wbs("inbox", "show", FIRST, "--audit")
    assert shown.exit_code == 0, shown.output
    trail = shown.output.split("Jejak audit / Audit trail")[1].splitlines()
    assert [line.split("  ")[1:] for line in trail if "case-file" in line][-1] == [
        "Inspektur",
        "case-file-aph",
    ]


def test_messages_the_key_cannot_open_are_said_since_their_files_are_missing(
    client: Client,
) -> None:
    # Given the case as the workbench opened it, with one message this key cannot open
    app = client.app
    reader = app.session.reader
    assert reader is not None
    case = app._load(reader, FIRST)
    lost = (thread.Unreadable(f"mailboxes/{FIRST}/x.json", "no key of yours opens it"),)
    case = case._replace(thread=case.thread._replace(unreadable=lost))
    # When the file for APH is rendered
    now = datetime.datetime.now(datetime.UTC)
    internal = notes.Notes((), ())
    text = casefile.render_for_aph(
        environment("en"), "en", case, internal, reader.identity.kid, now, {}, str
    )
    # Then it says that files may be missing, and still names no one
    assert "1 messages could not be opened with your key: files sent with them" in text
    assert FIELDS["reporter_name"] not in text and "CANARY-NOTE-c24" not in text
