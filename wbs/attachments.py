"""Evidence files, format v1 (docs/spec/attachment-v1.md): streamed encryption and decryption.

One file is one object: the 24-byte ``crypto_secretstream_xchacha20poly1305`` header, then
chunks of ``chunk + 17`` bytes. Every plaintext chunk is ``chunk`` bytes (1 MiB): the file's
tail is padded with sodium_pad to a whole chunk and carries TAG_FINAL, the others
TAG_MESSAGE. Every chunk's associated data binds the report id and the file id. The manifest
entry (inside the report's ciphertext) gives the key, the chunk size, the size and the
SHA-256. Memory stays bounded: the reader holds a few chunks, never the file.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple, Protocol

import nacl.bindings as sodium
import nacl.exceptions

from functions.attachment_size import (
    ABYTES,
    CHUNK,
    CHUNK_SIZES,
    HEADER_BYTES,
    chunk_count,
)
from functions.errors import WbsError
from functions.storage import Readable

MIN_CHUNK = CHUNK_SIZES[0]
KEY_BYTES: int = sodium.crypto_secretstream_xchacha20poly1305_KEYBYTES
MESSAGE: int = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
FINAL: int = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
CONTEXT = b"wbs/v1/attachment"
TEMP_PREFIX = ".wbs-partial-"


class AttachmentError(WbsError, ValueError):
    """An evidence file could not be read: its message names the file; ``reason`` is the
    spec's name for the check that failed (header, truncated, length, authentication, tag,
    padding, size, sha256)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


class _Fail(Protocol):
    def __call__(self, reason: str, problem: str, /) -> AttachmentError: ...


class Attachment(NamedTuple):
    """One entry of a report's manifest (checked by wbs/manifest.py)."""

    id: str
    name: str
    type: str
    size: int
    chunk: int
    key: bytes
    sha256: str  # hex of the plaintext's SHA-256, or "" when the writer could not know it


class Digest(NamedTuple):
    size: int
    sha256: str


def associated_data(report_id: str, file_id: str) -> bytes:
    """``"wbs/v1/attachment" || 0x00 || report id || 0x00 || file id``."""
    return CONTEXT + b"\x00" + report_id.encode("ascii") + b"\x00" + file_id.encode("ascii")


def encrypt(
    source: Readable,
    sink: Writable,
    report_id: str,
    file_id: str,
    key: bytes,
    chunk: int = CHUNK,
) -> Digest:
    """Write the object of ``source``'s bytes to ``sink``; return the manifest's size and hash.

    The browser is the writer in production; this one serves tests, vectors and benchmarks.
    """
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    sink.write(sodium.crypto_secretstream_xchacha20poly1305_init_push(state, key))
    ad = associated_data(report_id, file_id)
    digest, size = hashlib.sha256(), 0
    while True:
        data = read_full(source, chunk)
        digest.update(data)
        size += len(data)
        if len(data) < chunk:
            padded = sodium.sodium_pad(data, chunk)
            sink.write(sodium.crypto_secretstream_xchacha20poly1305_push(state, padded, ad, FINAL))
            return Digest(size, digest.hexdigest())
        sink.write(sodium.crypto_secretstream_xchacha20poly1305_push(state, data, ad, MESSAGE))


def decrypt(
    source: Readable, sink: Writable, report_id: str, entry: Attachment, label: str = ""
) -> str:
    """Decrypt the object in ``source`` into ``sink``, checking everything the spec lists;
    return the plaintext's SHA-256 (hex), which must equal the manifest's when it has one.

    Raises AttachmentError naming ``label`` (default: the file id). ``sink`` may have received
    part of the plaintext when it does: only ``decrypt_to_file`` makes a result complete.
    Writing and hashing run in a second thread, one chunk behind decryption.
    """
    name = label or entry.id

    def fail(reason: str, problem: str) -> AttachmentError:
        return AttachmentError(f"attachment {name}: {problem}", reason)

    header = read_full(source, HEADER_BYTES)
    if len(header) != HEADER_BYTES:
        raise fail("header", f"the object is shorter than its {HEADER_BYTES}-byte header")
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, header, entry.key)
    ad = associated_data(report_id, entry.id)
    digest = hashlib.sha256()
    count = chunk_count(entry.size, entry.chunk)

    def consume(data: bytes) -> None:
        digest.update(data)
        sink.write(data)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="wbs-attachment") as worker:
        pending: Future[None] | None = None
        for index in range(1, count + 1):
            sealed = read_full(source, entry.chunk + ABYTES)
            if not sealed:
                raise fail("truncated", f"truncated: it ends before chunk {index} of {count}")
            if len(sealed) != entry.chunk + ABYTES:
                raise fail("length", f"chunk {index} of {count} is cut short")
            try:
                data, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, sealed, ad)
            except nacl.exceptions.CryptoError:
                raise fail(
                    "authentication",
                    f"chunk {index} of {count} does not authenticate:"
                    " tampered, reordered, moved from another file, or the wrong key",
                ) from None
            if index < count and tag != MESSAGE:
                raise fail("tag", f"chunk {index} of {count} ends the stream too early")
            if index == count:
                data = _last_chunk(data, tag, entry, fail)
            if pending is not None:
                pending.result()
            pending = worker.submit(consume, data)
        if source.read(1):
            raise fail("length", f"data follows the final chunk {count}")
        if pending is not None:
            pending.result()
    if entry.sha256 and digest.hexdigest() != entry.sha256:
        raise fail("sha256", "its content does not match the manifest's SHA-256")
    return digest.hexdigest()


def _last_chunk(data: bytes, tag: int, entry: Attachment, fail: _Fail) -> bytes:
    if tag != FINAL:
        raise fail("tag", "the last chunk has no final tag: the stream was cut")
    try:
        tail = sodium.sodium_unpad(data, entry.chunk)
    except (nacl.exceptions.CryptoError, ValueError):
        raise fail("padding", "the last chunk's padding is invalid") from None
    if len(tail) != entry.size % entry.chunk:
        actual = entry.size - entry.size % entry.chunk + len(tail)
        raise fail("size", f"it holds {actual} bytes, the manifest says {entry.size}")
    return tail


def decrypt_to_file(
    source: Readable, target: Path, report_id: str, entry: Attachment, label: str = ""
) -> str:
    """Decrypt into a temporary file beside ``target`` (mode 0600), then give it its name.

    The name appears only after the final tag, the size and the SHA-256 have checked out,
    and never replaces an existing file (FileExistsError); on any failure the temporary file
    is removed, so no partial plaintext is left looking complete.
    """
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            digest = decrypt(source, _WriteBehind(f), report_id, entry, label)
            f.flush()
            os.fsync(f.fileno())
        _publish(tmp, target)
        return digest
    finally:
        Path(tmp).unlink(missing_ok=True)


class _WriteBehind:
    """Writes to a file and, every few MiB, starts the kernel writing those pages to disk
    (``POSIX_FADV_DONTNEED``), so that the final fsync does not wait for the whole file."""

    STEP = 8 << 20

    def __init__(self, file: io.BufferedWriter) -> None:
        self.file = file
        self.flushed = self.written = 0

    def write(self, data: bytes, /) -> None:
        self.file.write(data)
        self.written += len(data)
        if self.written - self.flushed >= self.STEP and hasattr(os, "posix_fadvise"):
            self.file.flush()
            fd = self.file.fileno()
            os.posix_fadvise(fd, self.flushed, self.written - self.flushed, os.POSIX_FADV_DONTNEED)
            self.flushed = self.written


def _publish(tmp: str, target: Path) -> None:
    """Give the finished file its name, never replacing one: a hard link fails if the name
    is taken. Filesystems without hard links (FAT on a USB stick) get a checked rename."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        if target.exists():
            raise FileExistsError(errno.EEXIST, "file exists", str(target)) from None
        os.rename(tmp, target)


def read_full(source: Readable, size: int) -> bytes:
    """Up to ``size`` bytes: fewer only at the end of the stream (pipes and sockets may
    return short reads)."""
    data = source.read(size)
    if len(data) in (0, size):
        return data
    parts = [data]
    got = len(data)
    while got < size:
        more = source.read(size - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)
