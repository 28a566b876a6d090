"""`wbs inbox files` and `wbs inbox export`: a case's evidence files, listed from the
decrypted manifest and exported from storage, each checked before it gets its name."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from functions.storage import LocalStorage
from tests.support.inbox import (
    FIRST,
    SECOND,
    payload,
    put,
    upload,
    wbs,
)
from wbs import attachments, paths
from wbs.crypto import Identity

PHOTO, SCAN, VIDEO = "5QZ2W8R1XK4T7M3N", "9HJ6C0VB2DPE8GA4", "0123456789ABCDEF"


def case_with_files(store: LocalStorage, inspector: Identity) -> dict[str, bytes]:
    """A report with three files: a photo, a scan of two chunks, and a video (one chunk)."""
    files = {
        "foto.jpg": os.urandom(1000),
        "scan.pdf": os.urandom(attachments.CHUNK + 7),
        "video.mp4": os.urandom(5000),
    }
    manifest = [
        upload(store, FIRST, file_id, name, files[name])
        for file_id, name in ((PHOTO, "foto.jpg"), (SCAN, "scan.pdf"), (VIDEO, "video.mp4"))
    ]
    put(store, FIRST, inspector, payload(attachments=manifest))
    assert wbs("inbox", "sync", passphrase=None).exit_code == 0
    return files


def tamper(store: LocalStorage, report_id: str, file_id: str, at: int = 100) -> None:
    path = store.root / "attachments" / report_id / file_id
    data = bytearray(path.read_bytes())
    data[at] ^= 1
    path.write_bytes(bytes(data))


def test_files_lists_the_manifest_and_what_storage_holds(
    store: LocalStorage, inspector: Identity
) -> None:
    # Given a case with three files, one of them missing from storage, one cut short
    files = case_with_files(store, inspector)
    (store.root / "attachments" / FIRST / VIDEO).unlink()
    scan = store.root / "attachments" / FIRST / SCAN
    scan.write_bytes(scan.read_bytes()[:-10])

    # When the inspector lists them
    result = wbs("inbox", "files", FIRST[:6])

    # Then every file is listed with its size and digest, and what storage holds
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.strip()[:1].isdigit()]
    lines = {line.split()[1]: line for line in rows}
    assert hashlib.sha256(files["foto.jpg"]).hexdigest() in lines["foto.jpg"]
    assert "1000 bytes" in lines["foto.jpg"] and "✓" in lines["foto.jpg"]
    assert "1.0 MiB" in lines["scan.pdf"] and "⚠" in lines["scan.pdf"]
    assert "missing" in lines["video.mp4"]


def test_file_names_are_shown_escaped(store: LocalStorage, inspector: Identity) -> None:
    entry = upload(store, FIRST, PHOTO, "\x1b[2Jfoto[bold]x[/bold]\u202e.jpg", b"bukti")
    put(store, FIRST, inspector, payload(attachments=[entry]))
    wbs("inbox", "sync", passphrase=None)
    result = wbs("inbox", "files", FIRST)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "\\x1b[2Jfoto[bold]x[/bold]\\u202e.jpg" in result.stdout


def test_export_writes_every_file_byte_identical(
    store: LocalStorage, inspector: Identity, tmp_path: Path
) -> None:
    files = case_with_files(store, inspector)
    out = tmp_path / "kasus"
    result = wbs("inbox", "export", FIRST, "--to", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(out)) == sorted(files)
    for name, plain in files.items():
        assert (out / name).read_bytes() == plain
        assert oct((out / name).stat().st_mode & 0o777) == "0o600"
    assert oct(out.stat().st_mode & 0o777) == "0o700"


def test_a_tampered_file_is_named_and_the_others_are_exported(
    store: LocalStorage, inspector: Identity, tmp_path: Path
) -> None:
    # Given a case whose scan was altered in storage, in its second chunk
    files = case_with_files(store, inspector)
    tamper(store, FIRST, SCAN, at=attachments.CHUNK + 100)
    out = tmp_path / "kasus"

    # When the inspector exports the case
    result = wbs("inbox", "export", FIRST, "--to", str(out))

    # Then the scan is named, with why, and the command fails at the end
    assert result.exit_code == 1
    assert "wbs: error: attachment scan.pdf: chunk 2 of 2 does not authenticate" in result.stderr
    assert "1 of 3 attachments" in result.stderr and "hint: " in result.stderr
    # And the other files are exported, and nothing of the scan is left
    assert sorted(os.listdir(out)) == ["foto.jpg", "video.mp4"]
    assert (out / "foto.jpg").read_bytes() == files["foto.jpg"]


def test_a_missing_object_is_named(
    store: LocalStorage, inspector: Identity, tmp_path: Path
) -> None:
    case_with_files(store, inspector)
    (store.root / "attachments" / FIRST / PHOTO).unlink()
    result = wbs("inbox", "export", FIRST, "--to", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert (
        f"wbs: error: attachment foto.jpg: no object attachments/{FIRST}/{PHOTO}" in result.stderr
    )
    assert sorted(os.listdir(tmp_path / "out")) == ["scan.pdf", "video.mp4"]


def test_export_never_overwrites(store: LocalStorage, inspector: Identity, tmp_path: Path) -> None:
    files = case_with_files(store, inspector)
    out = tmp_path / "kasus"
    out.mkdir()
    (out / "foto.jpg").write_bytes(b"the inspector's own file")
    result = wbs("inbox", "export", FIRST, "--to", str(out))
    assert result.exit_code == 0, result.output
    assert (out / "foto.jpg").read_bytes() == b"the inspector's own file"
    assert (out / "foto (2).jpg").read_bytes() == files["foto.jpg"]


def test_a_hostile_name_stays_in_the_folder(
    store: LocalStorage, inspector: Identity, tmp_path: Path
) -> None:
    entry = upload(store, FIRST, PHOTO, "../../../escaped.txt", b"bukti")
    put(store, FIRST, inspector, payload(attachments=[entry]))
    wbs("inbox", "sync", passphrase=None)
    out = tmp_path / "deep" / "kasus"
    result = wbs("inbox", "export", FIRST, "--to", str(out))
    assert result.exit_code == 0, result.output
    assert os.listdir(out) == ["escaped.txt"]
    assert not (tmp_path / "escaped.txt").exists()


def test_export_refuses_the_repository(store: LocalStorage, inspector: Identity) -> None:
    case_with_files(store, inspector)
    inside = paths.PROJECT_ROOT / "site" / "bukti"
    result = wbs("inbox", "export", FIRST, "--to", str(inside), passphrase=None)
    assert result.exit_code == 1
    assert "refusing to export decrypted evidence inside the project" in result.stderr
    assert not inside.exists()


def test_show_lists_the_attachments(store: LocalStorage, inspector: Identity) -> None:
    files = case_with_files(store, inspector)
    result = wbs("inbox", "show", FIRST)
    assert result.exit_code == 0, result.output
    assert "Lampiran / Attachments" in result.stdout
    assert "1. foto.jpg (application/octet-stream, 1000 bytes)" in result.stdout
    assert hashlib.sha256(files["scan.pdf"]).hexdigest() in result.stdout
    assert "wbs inbox export" in result.stdout


def test_reports_without_attachments_keep_working(
    store: LocalStorage, inspector: Identity, tmp_path: Path
) -> None:
    put(store, SECOND, inspector)
    wbs("inbox", "sync", passphrase=None)
    shown = wbs("inbox", "show", SECOND)
    assert shown.exit_code == 0, shown.output
    assert "Lampiran / Attachments\n  -" in shown.stdout
    listed = wbs("inbox", "files", SECOND)
    assert listed.exit_code == 0 and "has no attachments" in listed.stdout
    exported = wbs("inbox", "export", SECOND, "--to", str(tmp_path / "out"))
    assert exported.exit_code == 0 and "has no attachments" in exported.stdout
