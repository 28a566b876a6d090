"""The local host's multipart uploads: the upload protocol against a storage folder.

Parts live in a private area of the storage folder, ``.uploads/<upload id>/``, which the
storage's listings never show (they skip names that start with a dot). Each part URL carries
a grant: an HMAC-SHA256, under a secret only this host knows, of the object's key, the
upload id, the part number, its exact length and the grant's expiry. The host checks it
before it reads a byte of the body, then streams exactly that many bytes to disk. Completion
joins the parts in order into the object, create-only (a temporary file hard-linked to its
name, as ``LocalStorage`` writes); ``sweep`` removes uploads whose end has passed.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import BinaryIO, NamedTuple
from urllib.parse import parse_qsl, urlencode

from functions import host_secret
from functions.envelope import ID_RE
from functions.errors import AlreadyExists, StorageError
from functions.storage import Readable, check_key, layout
from functions.storage.local import link_new, make_private_dirs
from functions.storage.tags import tagging
from functions.uploads.grants import (
    MAX_PARTS,
    UPLOAD_SECONDS,
    Part,
    UploadError,
    plan,
    unknown_upload,
)

AREA = ".uploads"  # a hidden name: never a storage key, never listed
STATE = "grant.json"
TEMP_PREFIX = ".tmp-"
DIR_MODE = 0o700
READ_BYTES = 1024 * 1024
SECRET_FILE = "upload-secret"  # noqa: S105 (a file name, not a secret)
GRANT_LABEL = b"wbs/v1/upload-part"
UPLOAD_RE = re.compile(r"[0-9a-f]{32}")
PATH_RE = re.compile(rf"/({layout.ATTACHMENTS}{ID_RE.pattern}/{ID_RE.pattern})")
NUMBER_RE = re.compile(r"[1-9][0-9]{0,15}")
HEX_RE = re.compile(r"[0-9a-f]{64}")
QUERY = ("upload", "part", "size", "expires", "grant")


class State(NamedTuple):
    """What the host keeps about an open upload, in ``.uploads/<upload id>/grant.json``."""

    key: str
    size: int
    part_size: int
    expires: int  # Unix time of the upload's end


class Grant(NamedTuple):
    key: str
    upload: str
    part: int
    size: int
    expires: int


def load_secret(configured: str | None, home: Path | None) -> bytes:
    """The host's grant key: ``WBS_UPLOAD_SECRET``; else ``$WBS_HOME/upload-secret``, made on
    first use (mode 0600); else, with no home at all, a fresh one for this process only."""
    return host_secret.load(configured, home, SECRET_FILE, "WBS_UPLOAD_SECRET")


class LocalUploads:
    """Multipart uploads into the storage folder ``root`` (a ``LocalStorage``'s root)."""

    def __init__(
        self, root: Path, secret: bytes, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.root = root
        self.area = root / AREA
        self._secret = secret
        self.clock = clock or (lambda: datetime.now(UTC))

    def __repr__(self) -> str:
        return f"LocalUploads({str(self.root)!r})"  # never the secret

    # --- the Backend protocol (functions.uploads.grants) --------------------------------

    def start(
        self,
        key: str,
        size: int,
        part_bytes: int,
        expires: datetime,
        desks: Collection[str] = frozenset(),
    ) -> str:
        tagging(desks)  # checked as on S3, then not kept: a folder has no tags
        upload = secrets.token_hex(16)
        folder = self.area / upload
        state = State(check_key(key), size, part_bytes, int(expires.timestamp()))
        try:
            make_private_dirs(folder)
            _write_new(folder / STATE, json.dumps(state._asdict()).encode())
        except OSError as exc:
            raise StorageError(f"cannot open an upload under {self.root}: {exc.strerror}") from None
        return upload

    def urls(
        self, key: str, upload: str, parts: Sequence[Part], now: datetime, expires: datetime
    ) -> list[str]:
        stamp = int(expires.timestamp())
        return [
            f"/{key}?"
            + urlencode(
                {
                    "upload": upload,
                    "part": p.number,
                    "size": p.size,
                    "expires": stamp,
                    "grant": self._sign(Grant(key, upload, p.number, p.size, stamp)),
                }
            )
            for p in parts
        ]

    def complete(self, key: str, upload: str, parts: Sequence[Part], etags: Sequence[str]) -> None:
        folder = self.area / upload
        state = self._state(upload)
        if state is None or state.key != key:
            raise unknown_upload()
        sources = [
            folder / _part_name(p.number, _hex(etag, p.number))
            for p, etag in zip(parts, etags, strict=True)
        ]
        for part, source in zip(parts, sources, strict=True):
            try:
                size = source.stat().st_size
            except FileNotFoundError:
                size = -1
            if size != part.size:
                raise UploadError(
                    HTTPStatus.BAD_REQUEST,
                    "bad_parts",
                    f"Part {part.number} with that ETag is not stored; upload it again.",
                )
        target = self.root.joinpath(*check_key(key).split("/"))
        try:
            link_new(target, lambda out: _concatenate(sources, out))
        except FileExistsError:
            raise AlreadyExists(f"{key} already exists") from None
        except OSError as exc:
            raise StorageError(f"cannot complete {key} under {self.root}: {exc.strerror}") from None
        shutil.rmtree(folder, ignore_errors=True)

    def retain(self, key: str) -> None:
        """Nothing to do: a folder keeps no retention (Object Lock is S3's)."""

    def sweep(self, now: datetime) -> int:
        try:
            folders = [f for f in self.area.iterdir() if UPLOAD_RE.fullmatch(f.name)]
        except FileNotFoundError:
            return 0
        removed = 0
        for folder in folders:
            if folder.is_symlink() or not folder.is_dir():
                continue
            state = self._state(folder.name)
            try:  # a folder without its state is being opened, or was left half-made
                end = state.expires if state else folder.stat().st_mtime + UPLOAD_SECONDS
            except FileNotFoundError:
                continue
            if end <= now.timestamp():
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed

    # --- the host's PUT ------------------------------------------------------------------

    def receive(self, path: str, query: str, length: str | None, body: Readable) -> str:
        """Store one part sent to a grant's URL; return its ETag (the quoted SHA-256 hex).

        The grant is checked before the body is touched; the body must declare, and then
        hold, exactly the granted length. Raise UploadError otherwise."""
        grant = self._verify(path, query)
        if grant.expires <= self.clock().timestamp():
            raise UploadError(
                HTTPStatus.FORBIDDEN, "grant_expired", "This grant has expired; ask to renew it."
            )
        state = self._state(grant.upload)
        if (
            state is None
            or state.key != grant.key
            or Part(grant.part, grant.size) not in plan(state.size, state.part_size)
        ):
            raise unknown_upload()
        if not length or not length.isdecimal():
            raise UploadError(
                HTTPStatus.LENGTH_REQUIRED,
                "length_required",
                "Send the part with its Content-Length.",
            )
        if int(length) != grant.size:
            raise UploadError(
                HTTPStatus.BAD_REQUEST,
                "wrong_length",
                f"This part must be exactly {grant.size} bytes.",
            )
        return self._write_part(grant, body)

    def _write_part(self, grant: Grant, body: Readable) -> str:
        folder = self.area / grant.upload
        digest = hashlib.sha256()
        try:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX)
        except FileNotFoundError:  # completed or swept meanwhile
            raise unknown_upload() from None
        except OSError as exc:
            raise StorageError(f"cannot store a part under {self.root}: {exc.strerror}") from None
        try:
            with os.fdopen(fd, "wb") as f:
                remaining = grant.size
                while remaining:
                    chunk = body.read(min(READ_BYTES, remaining))
                    if not chunk:
                        raise UploadError(
                            HTTPStatus.BAD_REQUEST,
                            "short_body",
                            f"The part ended before its {grant.size} bytes; send it again.",
                        )
                    f.write(chunk)
                    digest.update(chunk)
                    remaining -= len(chunk)
                f.flush()
                os.fsync(f.fileno())
            name = _part_name(grant.part, digest.hexdigest())
            os.replace(tmp, folder / name)
            for older in folder.glob(f"{grant.part:05d}-*"):  # a part sent again replaces it
                if older.name != name:
                    older.unlink(missing_ok=True)
        except FileNotFoundError:
            raise unknown_upload() from None
        except OSError as exc:
            raise StorageError(f"cannot store a part under {self.root}: {exc.strerror}") from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        return f'"{digest.hexdigest()}"'

    def _verify(self, path: str, query: str) -> Grant:
        """The grant a URL carries, if it is well-formed and this host signed it."""
        match = PATH_RE.fullmatch(path)
        try:
            pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            pairs = []
        fields = dict(pairs)
        if (
            match is None
            or len(pairs) != len(QUERY)
            or fields.keys() != set(QUERY)
            or not UPLOAD_RE.fullmatch(fields["upload"])
            or not all(NUMBER_RE.fullmatch(fields[n]) for n in ("part", "size", "expires"))
            or not HEX_RE.fullmatch(fields["grant"])
        ):
            raise _bad_grant()
        grant = Grant(
            match.group(1),
            fields["upload"],
            int(fields["part"]),
            int(fields["size"]),
            int(fields["expires"]),
        )
        if grant.part > MAX_PARTS or not hmac.compare_digest(
            self._sign(grant).encode(), fields["grant"].encode()
        ):
            raise _bad_grant()
        return grant

    def _sign(self, grant: Grant) -> str:
        message = b"\0".join([GRANT_LABEL, *(str(v).encode() for v in grant)])
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def _state(self, upload: str) -> State | None:
        if not UPLOAD_RE.fullmatch(upload):
            return None
        try:
            data = json.loads((self.area / upload / STATE).read_bytes())
            state = State(**data)
        except (OSError, ValueError, TypeError):
            return None
        if not all(isinstance(v, t) for v, t in zip(state, (str, int, int, int), strict=True)):
            return None
        return state


def _part_name(number: int, sha256_hex: str) -> str:
    return f"{number:05d}-{sha256_hex}"


def _hex(etag: str, number: int) -> str:
    """The SHA-256 an ETag of this host names (quoted, as sent, or bare)."""
    value = etag[1:-1] if len(etag) > 1 and etag[0] == etag[-1] == '"' else etag
    if not HEX_RE.fullmatch(value):
        raise UploadError(
            HTTPStatus.BAD_REQUEST,
            "bad_parts",
            f"Part {number}'s ETag is not one this host gave; upload the part again.",
        )
    return value


def _bad_grant() -> UploadError:
    return UploadError(
        HTTPStatus.FORBIDDEN,
        "bad_grant",
        "This address carries no valid upload grant.",
    )


def _concatenate(sources: Sequence[Path], out: BinaryIO) -> None:
    for source in sources:
        with source.open("rb") as part_file:
            shutil.copyfileobj(part_file, out, READ_BYTES)


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
