"""Evidence files sent with a follow-up (mailbox-v1 section 4): `wbs.messages` reads the
manifest strictly and refuses one in a reply; `wbs inbox files`, `export` and `show` cover
the report's files and every follow-up's, and say which message each came with."""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path

import pytest

from functions import envelope as fmt
from functions import mailbox
from functions.storage import LocalStorage
from tests.inbox.test_inbox_files_cli import PHOTO, SCAN
from tests.support.inbox import FIRST, payload, put, upload, wbs
from wbs import manifest, messages
from wbs.crypto import Identity, Recipient, seal

NOTE = "4JW0B8F2N6R9T1V3"
SENT = datetime.datetime(2024, 3, 5, 8, 0, tzinfo=datetime.UTC)


def document(kind_extra: dict[str, object]) -> dict[str, object]:
    base: dict[str, object] = {
        "schema": messages.SCHEMA,
        "id": "0123456789ABCDEF",
        "sent": "2024-03-05T08:00:00Z",
        "type": "message",
        "text": "tambahan",
        "status": "",
        "reason": "",
        "by": "",
    }
    return base | kind_extra


def entry(file_id: str = PHOTO, **changes: object) -> dict[str, object]:
    item: dict[str, object] = {
        "id": file_id,
        "name": "nota.pdf",
        "type": "application/pdf",
        "size": 12,
        "chunk": 1048576,
        "key": fmt.b64encode(b"k" * 32),
        "sha256": "",
    }
    return item | changes


def test_a_followup_carries_a_manifest() -> None:
    plaintext = json.dumps(document({"attachments": [entry()]})).encode()
    message = messages.decode(plaintext, "followup")
    assert [(a.id, a.name, a.size, a.key) for a in message.attachments] == [
        (PHOTO, "nota.pdf", 12, b"k" * 32)
    ]
    # and encode writes it back as the same manifest
    assert json.loads(messages.encode(message))["attachments"] == [entry()]


def test_a_followup_without_files_has_none() -> None:
    assert messages.decode(json.dumps(document({})).encode(), "followup").attachments == ()
    empty = json.dumps(document({"attachments": []})).encode()
    assert messages.decode(empty, "followup").attachments == ()


def test_a_reply_must_not_carry_attachments() -> None:
    reply = document({"by": "ABCDEFGHJKMNPQRS", "attachments": [entry()]})
    with pytest.raises(messages.MessageError, match="only a follow-up can carry attachments"):
        messages.decode(json.dumps(reply).encode(), "reply")


@pytest.mark.parametrize(
    "attachments",
    [
        {"id": PHOTO},
        [entry(size=-1)],
        [entry(key=fmt.b64encode(b"k" * 31))],
        [entry(extra=1)],
        [entry(), entry()],
        [entry(name=7)],
    ],
)
def test_a_bad_manifest_makes_the_followup_unreadable(attachments: object) -> None:
    plaintext = json.dumps(document({"attachments": attachments})).encode()
    with pytest.raises(messages.MessageError):
        messages.decode(plaintext, "followup")


def post_with_files(
    store: LocalStorage, inspector: Identity, entries: list[dict[str, object]], text: str
) -> None:
    message = messages.new("message", by="", now=SENT, text=text)
    message = message._replace(attachments=manifest.parse(entries))
    envelope = seal("followup", FIRST, messages.encode(message), [Recipient(inspector.public_key)])
    mailbox.post(store, FIRST, "reporter", envelope, SENT)


def case(store: LocalStorage, inspector: Identity) -> dict[str, bytes]:
    """A report with one file, then a follow-up with another."""
    files = {"foto.jpg": os.urandom(3000), "nota tambahan.pdf": os.urandom(2000)}
    photo = upload(store, FIRST, PHOTO, "foto.jpg", files["foto.jpg"])
    put(store, FIRST, inspector, payload(attachments=[photo]))
    scan = upload(store, FIRST, SCAN, "nota tambahan.pdf", files["nota tambahan.pdf"])
    post_with_files(store, inspector, [scan], "ini bukti tambahannya")
    assert wbs("inbox", "sync", passphrase=None).exit_code == 0
    return files


def test_files_lists_the_report_and_the_followup(store: LocalStorage, inspector: Identity) -> None:
    case(store, inspector)
    result = wbs("inbox", "files", FIRST)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "laporan / report" in out and "tindak lanjut / follow-up [1]" in out
    report_part, followup_part = out.split("tindak lanjut / follow-up [1]")
    assert "foto.jpg" in report_part and "nota" not in report_part
    assert "nota tambahan.pdf" in followup_part and "✓" in followup_part


def test_export_writes_every_file_and_names_its_message(
    store: LocalStorage, inspector: Identity, tmp_path: Path
) -> None:
    files = case(store, inspector)
    out = tmp_path / "kasus"
    result = wbs("inbox", "export", FIRST, "--to", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(out)) == sorted(files)
    for name, plain in files.items():
        assert (out / name).read_bytes() == plain
    lines = result.stdout.splitlines()
    assert any("foto.jpg" in line and "(laporan / report)" in line for line in lines)
    assert any("nota tambahan.pdf" in line and "follow-up [1]" in line for line in lines)


def test_export_of_followup_files_alone(
    store: LocalStorage, inspector: Identity, tmp_path: Path
) -> None:
    put(store, FIRST, inspector)
    scan = upload(store, FIRST, SCAN, "nota.pdf", b"bukti tambahan")
    post_with_files(store, inspector, [scan], "")
    assert wbs("inbox", "sync", passphrase=None).exit_code == 0
    result = wbs("inbox", "export", FIRST, "--to", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "nota.pdf").read_bytes() == b"bukti tambahan"


def test_show_lists_a_followups_files_in_the_thread(
    store: LocalStorage, inspector: Identity
) -> None:
    case(store, inspector)
    result = wbs("inbox", "show", FIRST)
    assert result.exit_code == 0, result.output
    thread = result.stdout.split("Percakapan / Thread")[1]
    assert "ini bukti tambahannya" in thread
    assert "Lampiran / Attachments:" in thread
    assert "1. nota tambahan.pdf (application/octet-stream, 2.0 KiB)" in thread


def test_a_reply_with_attachments_is_shown_as_unreadable(
    store: LocalStorage, inspector: Identity
) -> None:
    put(store, FIRST, inspector)
    reply = document({"by": inspector.kid, "attachments": [entry()]})
    envelope = seal("reply", FIRST, json.dumps(reply).encode(), [Recipient(inspector.public_key)])
    mailbox.post(store, FIRST, "inspectorate", envelope, SENT)
    assert wbs("inbox", "sync", passphrase=None).exit_code == 0
    listed = wbs("inbox", "files", FIRST)
    assert listed.exit_code == 0, listed.output
    assert "has no attachments" in listed.stdout
    assert "1 message(s) of this case could not be read" in listed.stderr
