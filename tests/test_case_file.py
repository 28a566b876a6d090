"""The case file (issue 7): one self-contained HTML file with every field of the report, the
status history, the thread, the internal notes, the files' hashes and the export time; from
the workbench as a download, and from `wbs inbox case-file` into a new file."""

from __future__ import annotations

import base64
import datetime
import hashlib
import html
import os
import re
from pathlib import Path

import pytest

from functions import envelope as fmt
from functions.storage import LocalStorage
from tests.support.inbox import (
    FIRST,
    PASSPHRASE,
    desk_keys,
    payload,
    post_followup,
    put,
    upload,
    wbs,
)
from tests.support.membership import Institution
from tests.support.workbench import Client, key_file, workbench
from tests.test_workbench_files import png
from wbs import attachments, keyfile, paths
from wbs.crypto import Identity

SHA = "ab" * 32
MARKUP = "<img src=x onerror=alert(1)>"
# Every field of the report carries a canary of its own.
FIELDS = {
    "category_id": "cat-id-c01",
    "category_label": "CANARY-CATLABEL-c02",
    "title": "CANARY-TITLE-c03",
    "what": f"CANARY-WHAT-c04 {MARKUP}",
    "who_name": "CANARY-WHONAME-c05",
    "who_position": "CANARY-WHOPOS-c06",
    "who_unit": "CANARY-WHOUNIT-c07",
    "where": "CANARY-WHERE-c08",
    "when_date": "CANARY-WHENDATE-c09",
    "when_note": "CANARY-WHENNOTE-c10",
    "how": "CANARY-HOW-c11",
    "loss": "CANARY-LOSS-c12",
    "reporter_name": "CANARY-RNAME-c13",
    "reporter_contact": "CANARY-RCONTACT-c14",
    "reporter_relation": "CANARY-RELATION-c15",
    "lang": "CANARY-LANG-c16",
    "file_name": "CANARY-FILE-c17.pdf",
    "file_type": "application/x-canary-c18",
}


def canary_report(reporter: Identity, stored: dict[str, object]) -> dict[str, object]:
    """The report: every field a canary; one stored file, and one that storage lost."""
    missing = {
        "id": "9HJ6C0VB2DPE8GA4",
        "name": FIELDS["file_name"],
        "type": FIELDS["file_type"],
        "size": 1234,
        "chunk": attachments.CHUNK,
        "key": fmt.b64encode(bytes(32)),
        "sha256": SHA,
    }
    return payload(
        lang=FIELDS["lang"],
        category={"id": FIELDS["category_id"], "label": FIELDS["category_label"]},
        title=FIELDS["title"],
        what=FIELDS["what"],
        who=[
            {
                "name": FIELDS["who_name"],
                "position": FIELDS["who_position"],
                "unit": FIELDS["who_unit"],
            }
        ],
        where=FIELDS["where"],
        when={"date": FIELDS["when_date"], "note": FIELDS["when_note"]},
        how=FIELDS["how"],
        loss=FIELDS["loss"],
        reporter={
            "anonymous": False,
            "name": FIELDS["reporter_name"],
            "contact": FIELDS["reporter_contact"],
            "relation": FIELDS["reporter_relation"],
        },
        declarations={
            "truthful": True,
            "not_involved": False,
            "aware_of_sanctions": True,
            "confidential": False,
        },
        attachments=[stored, missing],
        reporter_public_key=base64.b64encode(reporter.public_key).decode(),
    )


@pytest.fixture
def store(tmp_path: Path, inspector: Identity) -> LocalStorage:
    store = LocalStorage(tmp_path / "store")
    reporter = keyfile.generate()
    # As the browser sends it: the manifest is sealed before the file is read, so no hash
    stored = upload(store, FIRST, "5QZ2W8R1XK4T7M3N", "foto.png", png(), "image/png")
    photo = {**stored, "sha256": ""}
    put(store, FIRST, inspector, canary_report(reporter, photo))
    sent = datetime.datetime(2024, 3, 2, 8, 0, tzinfo=datetime.UTC)
    post_followup(store, FIRST, "CANARY-FOLLOWUP-c20 <b>bold</b>", sent, desk_keys())
    return store


@pytest.fixture
def client(home: Path, tmp_path: Path, store: LocalStorage, inspector: Identity) -> Client:
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


def check_case_file(text: str, kid: str) -> None:
    """Every field, the thread in order, history, notes, hashes, export time; nothing that
    runs or refers outside the file."""
    for name, value in FIELDS.items():
        assert html.escape(value) in text, name
    assert "7K3M-Q2X9-ABCD-EFGH" in text  # the registration number
    assert "2024-03-01" in text  # received
    # Each file's hash is computed from storage when the file is written; a lost one is named
    assert hashlib.sha256(png()).hexdigest() in text
    assert SHA not in text and "1234" in text
    lost = f"attachments/{FIRST}/9HJ6C0VB2DPE8GA4"
    assert re.search(f'(not verified|tidak terverifikasi): <span lang="en">no object {lost}<', text)
    thread = text.split('<section id="thread">')[1].split("</section>")[0]
    order = [thread.index(c) for c in ("FOLLOWUP-c20", "REPLY-c21", "SNOTE-c23")]
    assert order == sorted(order)
    history = text.split('<section id="history">')[1].split("</section>")[0]
    assert "Ditolak" in history and "CANARY-REASON-c22" in history and "[Inspektur]" in history
    internal = text.split('<section id="notes">')[1].split("</section>")[0]
    assert "CANARY-NOTE-c24" in internal and "INTERNAL" in internal and "NOTE-c24" not in thread
    exported = re.search(r'id="exported">(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC<', text)
    assert exported is not None
    moment = datetime.datetime.fromisoformat(exported.group(1)).replace(tzinfo=datetime.UTC)
    assert abs(datetime.datetime.now(datetime.UTC) - moment) < datetime.timedelta(minutes=5)
    assert re.search(f'id="exporter">Inspektur \\((key|kunci) {kid}\\)<', text)
    # Self-contained and inert: markup from the report is text, nothing runs or is fetched.
    lowered = text.lower()
    assert "<script" not in lowered and "<b>bold" not in text and MARKUP not in text
    tags = re.findall(r"<[a-z!][^>]*>", lowered)  # escaped report text is not a tag
    assert tags and not [t for t in tags if re.search(r"\s(src|href|action|srcset|data)\s*=", t)]
    assert "http:" not in lowered and "https:" not in lowered and "data:" not in lowered
    assert "url(" not in lowered and "@import" not in lowered and "<link" not in lowered
    assert "<iframe" not in lowered and "<object" not in lowered and "<embed" not in lowered


def test_the_workbench_answers_the_case_file_as_a_download(
    client: Client, inspector: Identity
) -> None:
    page = client.get(f"/case/{FIRST}").body
    assert f'href="/case/{FIRST}/case-file"' in page

    answer = client.get(f"/case/{FIRST}/case-file")

    assert answer.status == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    disposition = 'attachment; filename="kasus-7K3M-Q2X9-ABCD-EFGH.html"'
    assert answer.headers["content-disposition"] == disposition
    assert answer.headers["cache-control"] == "no-store"
    check_case_file(answer.body, inspector.kid)
    assert '<html lang="id">' in answer.body and "Berkas kasus" in answer.body


def test_the_case_file_needs_the_session_and_the_unlocked_key(client: Client) -> None:
    stranger = Client(client.app)
    refused = stranger.get(f"/case/{FIRST}/case-file")
    assert refused.status == 403 and "CANARY" not in refused.body
    other_site = client.get(f"/case/{FIRST}/case-file", headers={"Sec-Fetch-Site": "cross-site"})
    assert other_site.status == 403 and "CANARY" not in other_site.body
    client.post("/lock", {})
    locked = client.get(f"/case/{FIRST}/case-file")
    assert "content-disposition" not in locked.headers and "CANARY" not in locked.body


def test_the_cli_writes_a_new_private_file_and_never_overwrites(
    client: Client, inspector: Identity, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert wbs("inbox", "sync", passphrase=None).exit_code == 0
    target = tmp_path / "out" / "kasus.html"
    target.parent.mkdir()

    result = wbs("inbox", "case-file", "7k3m-q2x9", "--to", str(target), "--lang", "en")

    assert result.exit_code == 0, result.output
    assert os.stat(target).st_mode & 0o777 == 0o600
    text = target.read_text(encoding="utf-8")
    check_case_file(text, inspector.kid)
    assert '<html lang="en">' in text and "Case file" in text
    assert "☑ The report is true" in text and "☐ The reporter is not part" in text

    again = wbs("inbox", "case-file", FIRST, "--to", str(target))
    assert again.exit_code == 1
    assert "exists: refusing to overwrite it" in again.stderr and "hint: " in again.stderr
    assert target.read_text(encoding="utf-8") == text


def test_the_cli_refuses_a_path_inside_the_repository(store: LocalStorage) -> None:
    inside = paths.PROJECT_ROOT / "kasus-test-should-not-exist.html"
    result = wbs("inbox", "case-file", FIRST, "--to", str(inside), passphrase=None)
    assert result.exit_code == 1
    assert "refusing to write a decrypted case file inside the project" in result.stderr
    assert not inside.exists()
