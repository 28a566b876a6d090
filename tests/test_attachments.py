"""Evidence files: the streamed format (wbs/attachments.py), the manifest (wbs/manifest.py)
and where exports may go (wbs/export.py). The fixed vectors are in test_attachment_vectors."""

from __future__ import annotations

import datetime
import errno
import hashlib
import io
import json
import os
import subprocess
from pathlib import Path

import nacl.bindings
import pytest

from functions import attachment_size
from functions import envelope as fmt
from functions.attachment_size import stored_size
from wbs import attachments, export, manifest, paths
from wbs.attachments import CHUNK, Attachment, AttachmentError
from wbs.reports import PayloadError, Stored, parse_payload

REPORT, FILE, OTHER = "7K3M9QXA2B4C6D8E", "5QZ2W8R1XK4T7M3N", "9HJ6C0VB2DPE8GA4"
SMALL = attachments.MIN_CHUNK


def sealed(plain: bytes, chunk: int = CHUNK, file_id: str = FILE) -> tuple[bytes, Attachment]:
    key = nacl.bindings.crypto_secretstream_xchacha20poly1305_keygen()
    sink = io.BytesIO()
    digest = attachments.encrypt(io.BytesIO(plain), sink, REPORT, file_id, key, chunk)
    return sink.getvalue(), Attachment(file_id, "f", "", digest.size, chunk, key, digest.sha256)


def opened(obj: bytes, entry: Attachment, report_id: str = REPORT) -> bytes:
    sink = io.BytesIO()
    attachments.decrypt(io.BytesIO(obj), sink, report_id, entry)
    return sink.getvalue()


def reason(obj: bytes, entry: Attachment, report_id: str = REPORT) -> str:
    with pytest.raises(AttachmentError) as failed:
        opened(obj, entry, report_id)
    return failed.value.reason


# -- format -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5])
def test_round_trip_and_stored_size(size: int) -> None:
    plain = os.urandom(size)
    obj, entry = sealed(plain)
    # The stored size reveals only the size rounded up to whole chunks
    assert len(obj) == stored_size(size) == 24 + (size // CHUNK + 1) * (CHUNK + 17)
    assert (entry.size, entry.sha256) == (size, hashlib.sha256(plain).hexdigest())
    assert opened(obj, entry) == plain


def test_the_shared_size_arithmetic_uses_libsodiums_sizes() -> None:
    # functions/ holds no libsodium: its constants must be the ones PyNaCl encrypts with.
    assert (
        nacl.bindings.crypto_secretstream_xchacha20poly1305_HEADERBYTES
        == attachment_size.HEADER_BYTES
    )
    assert nacl.bindings.crypto_secretstream_xchacha20poly1305_ABYTES == attachment_size.ABYTES


@pytest.mark.parametrize("size", range(0, 4 * SMALL, 97))
def test_round_trip_with_small_chunks(size: int) -> None:
    plain = os.urandom(size)
    obj, entry = sealed(plain, SMALL)
    assert len(obj) == stored_size(size, SMALL)
    assert opened(obj, entry) == plain


class Trickle(io.RawIOBase):
    """A stream that returns at most 100 bytes a read, as a socket may."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, size: int = -1, /) -> bytes:
        piece, self.data = self.data[: min(size, 100)], self.data[min(size, 100) :]
        return piece


def test_short_reads_are_joined() -> None:
    plain = os.urandom(3 * SMALL + 5)
    obj, entry = sealed(plain, SMALL)
    sink = io.BytesIO()
    attachments.decrypt(Trickle(obj), sink, REPORT, entry)
    assert sink.getvalue() == plain


def test_every_rejection_has_its_reason() -> None:
    obj, entry = sealed(os.urandom(2 * SMALL + 300), SMALL)
    step = SMALL + 17
    head, c1, c2, c3 = obj[:24], obj[24 : 24 + step], obj[24 + step : 24 + 2 * step], obj[-step:]
    wrong_key = entry._replace(key=nacl.bindings.crypto_secretstream_xchacha20poly1305_keygen())
    assert reason(obj[:23], entry) == "header"
    assert reason(head, entry) == "truncated"
    assert reason(obj[:-step], entry) == "truncated"
    assert reason(obj[:-1], entry) == "length"
    assert reason(obj + b"\x00", entry) == "length"
    assert reason(obj, wrong_key) == "authentication"
    assert reason(head + c2 + c1 + c3, entry) == "authentication"
    assert reason(obj, entry, report_id=OTHER) == "authentication"
    assert reason(obj, entry._replace(id=OTHER)) == "authentication"
    flipped = bytearray(obj)
    flipped[-1] ^= 1
    assert reason(bytes(flipped), entry) == "authentication"
    assert reason(obj, entry._replace(size=entry.size - 1)) == "size"
    assert reason(obj, entry._replace(size=entry.size + SMALL)) == "tag"
    assert reason(obj, entry._replace(size=entry.size - SMALL)) == "tag"
    assert reason(obj, entry._replace(sha256="0" * 64)) == "sha256"


def test_the_error_names_the_file() -> None:
    obj, entry = sealed(b"bukti", SMALL)
    with pytest.raises(AttachmentError, match=r"^attachment foto\.jpg: ") as failed:
        attachments.decrypt(io.BytesIO(obj[:-1]), io.BytesIO(), REPORT, entry, "foto.jpg")
    assert isinstance(failed.value, ValueError)


# -- decrypting into a file ------------------------------------------------------------------


def test_decrypt_to_file_names_the_file_only_when_complete(tmp_path: Path) -> None:
    plain = os.urandom(CHUNK + 10)
    obj, entry = sealed(plain)
    target = tmp_path / "bukti.bin"
    attachments.decrypt_to_file(io.BytesIO(obj), target, REPORT, entry)
    assert target.read_bytes() == plain
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert os.listdir(tmp_path) == ["bukti.bin"]


@pytest.mark.parametrize("cut", ["tampered", "truncated", "wrong sha256"])
def test_a_failure_leaves_no_file(tmp_path: Path, cut: str) -> None:
    # Given an object of three chunks, damaged in its last chunk (the first two decrypt)
    obj, entry = sealed(os.urandom(2 * CHUNK + 5))
    if cut == "tampered":
        obj = obj[:-5] + bytes(b ^ 1 for b in obj[-5:])
    elif cut == "truncated":
        obj = obj[: -(CHUNK + 17)]
    else:
        entry = entry._replace(sha256=hashlib.sha256(b"x").hexdigest())
    # When it is decrypted into a file
    with pytest.raises(AttachmentError):
        attachments.decrypt_to_file(io.BytesIO(obj), tmp_path / "out", REPORT, entry)
    # Then nothing is left: no file under its name, no temporary file
    assert os.listdir(tmp_path) == []


def test_decrypt_to_file_never_replaces_a_file(tmp_path: Path) -> None:
    obj, entry = sealed(b"new", SMALL)
    target = tmp_path / "bukti.txt"
    target.write_bytes(b"already here")
    with pytest.raises(FileExistsError):
        attachments.decrypt_to_file(io.BytesIO(obj), target, REPORT, entry)
    assert target.read_bytes() == b"already here"
    assert os.listdir(tmp_path) == ["bukti.txt"]


def test_without_hard_links_the_file_is_renamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a filesystem without hard links (FAT on a USB stick)
    def no_links(src: str, dst: object) -> None:
        raise PermissionError(errno.EPERM, "operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    obj, entry = sealed(b"bukti", SMALL)
    attachments.decrypt_to_file(io.BytesIO(obj), tmp_path / "a.txt", REPORT, entry)
    assert (tmp_path / "a.txt").read_bytes() == b"bukti"
    assert os.listdir(tmp_path) == ["a.txt"]


# -- manifest ----------------------------------------------------------------------------


def good_entry(**change: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "id": FILE,
        "name": "foto.jpg",
        "type": "image/jpeg",
        "size": 12,
        "chunk": CHUNK,
        "key": fmt.b64encode(b"k" * 32),
        "sha256": "ab" * 32,
    }
    entry.update(change)
    return entry


def test_manifest_reads_every_member() -> None:
    (entry,) = manifest.parse([good_entry()])
    assert entry == Attachment(FILE, "foto.jpg", "image/jpeg", 12, CHUNK, b"k" * 32, "ab" * 32)


@pytest.mark.parametrize(
    "bad",
    [
        {"id": "5qz2w8r1xk4t7m3n"},
        {"name": 3},
        {"name": "x" * 1025},
        {"type": None},
        {"size": -1},
        {"size": 1.5},
        {"size": True},
        {"size": 2**53},
        {"chunk": 3000},
        {"chunk": 512},
        {"chunk": 2 * CHUNK},
        {"key": fmt.b64encode(b"k" * 31)},
        {"key": "a2V5"[:-1]},
        {"sha256": "AB" * 32},
        {"sha256": "ab" * 31},
        {"extra": 1},
    ],
)
def test_manifest_refuses_a_bad_member(bad: dict[str, object]) -> None:
    with pytest.raises(manifest.ManifestError):
        manifest.parse([good_entry(**bad)])


def test_manifest_refuses_a_missing_member_duplicates_and_non_lists() -> None:
    entry = good_entry()
    del entry["sha256"]
    for value in ([entry], [good_entry(), good_entry()], {"id": FILE}, "x", [1]):
        with pytest.raises(manifest.ManifestError):
            manifest.parse(value)


@pytest.mark.parametrize(
    ("member", "expected"), [({}, ()), ({"attachments": []}, ())], ids=["absent", "empty"]
)
def test_reports_without_attachments(member: dict[str, object], expected: tuple[()]) -> None:
    document = {"schema": "wbs-report/1", **member}
    report = parse_payload(_stored(), json.dumps(document).encode())
    assert report.attachments == expected


def test_a_bad_manifest_makes_the_report_unreadable() -> None:
    for value in (None, [good_entry(size="12")]):
        document = {"schema": "wbs-report/1", "attachments": value}
        with pytest.raises(PayloadError):
            parse_payload(_stored(), json.dumps(document).encode())


def _stored() -> Stored:
    when = datetime.datetime(2024, 3, 1, tzinfo=datetime.UTC)
    return Stored(REPORT, when, None)  # type: ignore[arg-type]


# -- export folder and names -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("foto.jpg", "foto.jpg"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\laporan.pdf", "laporan.pdf"),
        ("..", "5QZ2W8R1XK4T7M3N"),
        ("", "5QZ2W8R1XK4T7M3N"),
        (".bashrc", "bashrc"),
        ("\x1b[31mmerah.txt", "_[31mmerah.txt"),
        ("gpj.\u202eexe", "gpj._exe"),
        ('a<b>:"c"|?*.doc', "a_b___c____.doc"),
        ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
        ("é" * 150, "é" * 100),
    ],
)
def test_safe_name(name: str, expected: str) -> None:
    assert export.safe_name(name, FILE) == expected


def test_free_path_adds_a_suffix(tmp_path: Path) -> None:
    assert export.free_path(tmp_path, "a.pdf") == tmp_path / "a.pdf"
    (tmp_path / "a.pdf").write_bytes(b"")
    (tmp_path / "a (2).pdf").write_bytes(b"")
    assert export.free_path(tmp_path, "a.pdf") == tmp_path / "a (3).pdf"


def test_export_folder_is_private_and_never_in_a_repository(tmp_path: Path) -> None:
    folder = export.prepare_folder(tmp_path / "kasus" / "1")
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    with pytest.raises(export.UnsafeExport, match="inside the project"):
        export.prepare_folder(paths.PROJECT_ROOT / "exported")
    assert not (paths.PROJECT_ROOT / "exported").exists()
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    with pytest.raises(export.UnsafeExport, match="git work tree"):
        export.prepare_folder(repo / "out")


def test_a_manifest_without_sha256_still_checks_everything_else() -> None:
    # Given a manifest sealed before its file was read: no SHA-256
    plain = os.urandom(3 * 1024 + 5)
    obj, entry = sealed(plain, chunk=1024)
    blind = entry._replace(sha256="")
    # When it is decrypted, the digest comes from the plaintext itself
    sink = io.BytesIO()
    digest = attachments.decrypt(io.BytesIO(obj), sink, REPORT, blind)
    assert sink.getvalue() == plain and digest == hashlib.sha256(plain).hexdigest()
    # And tampering is still caught by the chunks' authentication
    flipped = bytearray(obj)
    flipped[60] ^= 1
    assert reason(bytes(flipped), blind) == "authentication"
    assert manifest.parse([good_entry(sha256="")])[0].sha256 == ""
