"""The backup file, format v1 (docs/spec/backup-v1.md): written and read as a stream.

A 62-byte clear header (magic, Argon2id parameters and salt, secretstream header), then
``crypto_secretstream_xchacha20poly1305`` chunks of exactly CHUNK plaintext bytes (TAG_MESSAGE)
and a last one of at most CHUNK (TAG_FINAL). The first chunk's associated data is the header.
The plaintext they carry is a sequence of records: a ``backup`` record, one ``object`` record
per stored object (its JSON, its bytes, their SHA-256) in increasing key order, an ``end``
record. Whoever holds the file without the passphrase sees its length only: no key, no size.
"""

from __future__ import annotations

import hashlib
import json
import struct
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import nacl.bindings as sodium
import nacl.exceptions
import nacl.pwhash.argon2id as argon2id
import nacl.utils

from functions.storage.base import is_key
from functions.storage.layout import PREFIXES
from wbs.backup import BackupError

MAGIC = b"wbs-backup/1\n"
KDF_ARGON2ID13 = 1
HEADER = struct.Struct(">13sBII16s24s")  # magic, kdf, opslimit, memlimit, salt, stream header
CHUNK = 64 * 1024
ABYTES: int = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
MESSAGE: int = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
FINAL: int = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
KEY_BYTES: int = sodium.crypto_secretstream_xchacha20poly1305_KEYBYTES
OPSLIMIT = argon2id.OPSLIMIT_MODERATE  # about a second and 256 MiB, as the private keys
MEMLIMIT = argon2id.MEMLIMIT_MODERATE
MAX_OPSLIMIT = 32  # a reader refuses more, before it runs Argon2id
MAX_MEMLIMIT = 2 * 1024**3
MAX_RECORD = 1024 * 1024
DIGEST_BYTES = 32
PIECE = 1024 * 1024  # an object's bytes are handed on in pieces of at most this
FORMAT = 1
MAX_TAGS = 10  # S3's limits on an object's tags
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256

DAMAGED_HINT = (
    "the file was changed or only partly copied: compare its size and SHA-256 with the"
    " original's, or use another copy; nothing was written"
)


def derive(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    return argon2id.kdf(KEY_BYTES, secret, salt, opslimit=opslimit, memlimit=memlimit)


class Source(Protocol):
    def read(self, size: int, /) -> bytes: ...


class Sink(Protocol):
    def write(self, data: bytes, /) -> object: ...


@dataclass(frozen=True)
class Info:
    """The ``backup`` record: when, and of which storage."""

    created: str
    source: str


@dataclass
class Entry:
    """One ``object`` record. ``sha256`` (hex) is known once its bytes have been read."""

    key: str
    size: int
    tags: dict[str, str]
    sha256: str = ""
    left: int = 0
    hasher: Any = field(default_factory=hashlib.sha256, repr=False)


class Writer:
    """Writes a backup to ``out`` (a binary file); ``close`` writes the last chunk."""

    def __init__(self, out: Sink, passphrase: str) -> None:
        salt = nacl.utils.random(argon2id.SALTBYTES)
        key = derive(passphrase, salt, OPSLIMIT, MEMLIMIT)
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        stream = sodium.crypto_secretstream_xchacha20poly1305_init_push(self._state, key)
        header = HEADER.pack(MAGIC, KDF_ARGON2ID13, OPSLIMIT, MEMLIMIT, salt, stream)
        self._ad: bytes | None = header
        self._out = out
        self._buffer = bytearray()
        out.write(header)

    def record(self, fields: dict[str, object]) -> None:
        body = json.dumps(fields, separators=(",", ":"), sort_keys=True).encode("utf-8")
        self.write(len(body).to_bytes(4, "big") + body)

    def write(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) <= CHUNK:
            return  # the last bytes always stay for the FINAL chunk
        view, start = memoryview(self._buffer), 0
        while len(self._buffer) - start > CHUNK:
            self._push(bytes(view[start : start + CHUNK]), MESSAGE)
            start += CHUNK
        rest = bytes(view[start:])
        view.release()
        self._buffer = bytearray(rest)

    def close(self) -> None:
        self._push(bytes(self._buffer), FINAL)
        self._buffer = bytearray()

    def _push(self, plain: bytes, tag: int) -> None:
        self._out.write(
            sodium.crypto_secretstream_xchacha20poly1305_push(self._state, plain, self._ad, tag)
        )
        self._ad = None


class Reader:
    """Reads and checks a backup from ``source``; ``name`` names it in errors. Every byte
    handed on has been authenticated; a record or an object that does not check out is a
    BackupError before anything of it is handed on (an object's digest: before its end)."""

    def __init__(self, source: Source, passphrase: str, name: str) -> None:
        self.name = name
        self._source = source
        raw = source.read(HEADER.size)
        if len(raw) < HEADER.size or not raw.startswith(MAGIC):
            raise BackupError(
                f"{name} is not a wbs backup (format 1)",
                hint="give a file written by wbs backup create",
            )
        _, kdf, opslimit, memlimit, salt, stream = HEADER.unpack(raw)
        if kdf != KDF_ARGON2ID13 or not (
            argon2id.OPSLIMIT_MIN <= opslimit <= MAX_OPSLIMIT
            and argon2id.MEMLIMIT_MIN <= memlimit <= MAX_MEMLIMIT
        ):
            raise BackupError(f"{name} is damaged: its header names no usable key derivation",
                              hint=DAMAGED_HINT)  # fmt: skip
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        key = derive(passphrase, salt, opslimit, memlimit)
        sodium.crypto_secretstream_xchacha20poly1305_init_pull(self._state, stream, key)
        self._ad: bytes | None = raw
        self._buffer = b""
        self._pos = 0
        self._ended = False
        self.chunks = 0
        self.info = self._info()

    # -- records ------------------------------------------------------------------------

    def objects(self) -> Iterator[Entry]:
        """Each object record in turn. An entry's bytes are read with ``data``; those not
        read are read (and checked) before the next entry. Ends after the ``end`` record's
        counts and the file's end are checked."""
        previous, count, total = "", 0, 0
        while True:
            record = self._record()
            if record.get("type") == "end":
                self._check_end(record, count, total)
                return
            entry = self._entry(record)
            if entry.key <= previous:
                raise self._damaged(f"object {entry.key} is out of order or repeated")
            previous = entry.key
            yield entry
            for _ in self.data(entry):
                pass
            count += 1
            total += entry.size

    def data(self, entry: Entry) -> Iterator[bytes]:
        """``entry``'s bytes in pieces; its SHA-256 is checked before the iteration ends."""
        while entry.left:
            piece = self._take(min(entry.left, PIECE))
            entry.hasher.update(piece)
            entry.left -= len(piece)
            yield piece
        if entry.sha256:
            return
        if self._exact(DIGEST_BYTES) != entry.hasher.digest():
            raise self._damaged(f"object {entry.key} does not match its SHA-256")
        entry.sha256 = entry.hasher.hexdigest()

    def _info(self) -> Info:
        record = self._record()
        created, source = record.get("created"), record.get("source")
        if record.get("type") != "backup" or record.get("format") != FORMAT:
            raise self._damaged("it does not start with a backup record of format 1")
        if not isinstance(created, str) or not isinstance(source, str):
            raise self._damaged("its backup record lacks its time or its source")
        return Info(created, source)

    def _entry(self, record: dict[str, Any]) -> Entry:
        key, size, tags = record.get("key"), record.get("size"), record.get("tags")
        if record.get("type") != "object" or not isinstance(key, str):
            raise self._damaged("a record is neither an object nor the end")
        if not is_key(key) or not key.startswith(PREFIXES):
            raise self._damaged(f"an object's key is not a stored object's: {key[:80]!r}")
        if type(size) is not int or size < 0:
            raise self._damaged(f"object {key} has no valid size")
        if not isinstance(tags, dict) or not _valid_tags(tags):
            raise self._damaged(f"object {key} has tags S3 cannot keep")
        return Entry(key, size, tags, left=size)

    def _check_end(self, record: dict[str, Any], count: int, total: int) -> None:
        if record.get("objects") != count or record.get("bytes") != total:
            raise self._damaged("its end record does not count the objects it holds")
        if self._pos < len(self._buffer) or not self._ended:
            raise self._damaged("something follows its end record")

    def _record(self) -> dict[str, Any]:
        length = int.from_bytes(self._exact(4), "big")
        if not 0 < length <= MAX_RECORD:
            raise self._damaged(f"a record claims {length} bytes")
        try:
            record = json.loads(self._exact(length).decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise self._damaged("a record is not JSON") from None
        if not isinstance(record, dict):
            raise self._damaged("a record is not a JSON object")
        return record

    # -- chunks -------------------------------------------------------------------------

    def _exact(self, size: int) -> bytes:
        parts, left = [], size
        while left:
            piece = self._take(left)
            parts.append(piece)
            left -= len(piece)
        return b"".join(parts)

    def _take(self, most: int) -> bytes:
        """From 1 to ``most`` plaintext bytes: the rest of the current chunk, or the next's."""
        if self._pos == len(self._buffer):
            self._buffer, self._pos = self._next_chunk(), 0
        piece = self._buffer[self._pos : self._pos + most]
        self._pos += len(piece)
        return piece

    def _next_chunk(self) -> bytes:
        while True:
            if self._ended:
                raise self._damaged("its records run past its last chunk")
            data = self._source.read(CHUNK + ABYTES)
            if not data:
                raise BackupError(
                    f"{self.name} is cut short: it ends before its last chunk", hint=DAMAGED_HINT
                )
            try:
                plain, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(
                    self._state, data, self._ad
                )
            except (nacl.exceptions.CryptoError, ValueError):
                raise self._unreadable() from None
            self._ad = None
            self.chunks += 1
            if tag == FINAL:
                if self._source.read(1):
                    raise self._damaged("bytes follow its last chunk")
                self._ended = True
            elif tag != MESSAGE or len(data) != CHUNK + ABYTES:
                raise self._damaged(f"chunk {self.chunks} is not a whole chunk")
            if plain:
                return plain

    def _unreadable(self) -> BackupError:
        if self.chunks == 0:
            return BackupError(
                f"cannot open {self.name}: wrong passphrase, or the file is damaged",
                hint="type the passphrase given to wbs backup create (or set"
                " WBS_BACKUP_PASSPHRASE)",
            )
        return BackupError(
            f"{self.name} is damaged or cut short: chunk {self.chunks + 1} fails authentication",
            hint=DAMAGED_HINT,
        )

    def _damaged(self, what: str) -> BackupError:
        return BackupError(f"{self.name} is damaged: {what}", hint=DAMAGED_HINT)


def _valid_tags(tags: dict[Any, Any]) -> bool:
    return (
        len(tags) <= MAX_TAGS
        and all(
            isinstance(k, str) and isinstance(v, str) and 0 < len(k) <= MAX_TAG_KEY
            and len(v) <= MAX_TAG_VALUE
            for k, v in tags.items()
        )
    )  # fmt: skip
