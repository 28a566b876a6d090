"""Upload grants: what a case may upload, the reservations its limits count, and the three
steps of the upload protocol (docs/spec/upload-v1.md) on top of a storage backend.

A grant lets the reporter's browser write one evidence object, ``attachments/<case>/<file>``,
in parts of an exact size, straight to storage (``local.py``, ``s3.py``): the bytes never pass
through a function. Each grant request first holds a numbered reservation,
``uploads/<case>/slots/<n>.json`` (``functions/reservations.py``), which the limits on files
and bytes per case count, so that they hold when requests run at once; then each granted
file leaves a record, ``uploads/<case>/<file>.json``, written create-only, which renewal and
completion check. Nothing here decrypts: sizes are all the server learns about a file.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any, NamedTuple, Protocol

from functions import reservations
from functions.attachment_size import (
    CHUNK_SIZES,
    is_attachment_size,
    largest_plaintext,
    stored_size,
)
from functions.envelope import ID_RE, canonical_json, loads_strict
from functions.errors import AlreadyExists, EnvelopeError, NotFound, WbsError
from functions.storage import Storage, layout

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB
MAX_FILE_BYTES = 5 * GIB  # of plaintext
# 5 GiB of plaintext in the smallest chunks has the most overhead (about 1.7 %): any writer's
# 5 GiB file fits.
MAX_OBJECT_BYTES = stored_size(MAX_FILE_BYTES, CHUNK_SIZES[0])
PART_BYTES = 8 * MIB
MIN_PART_BYTES = 5 * MIB  # S3's minimum for every part but the last
MAX_PART_BYTES = 5 * GIB  # S3's maximum
MAX_PARTS = 10_000  # S3's most parts of one upload
MAX_FILES = 20
MAX_CASE_BYTES = 20 * GIB
GRANT_SECONDS = 3600
UPLOAD_SECONDS = 24 * 3600  # as the bucket's lifecycle rule: incomplete uploads end after a day
# One answer lists at most this many part URLs. A presigned URL with a Lambda role's session
# token is about 1.8 KB, so the answer stays near 2 MB, well within Lambda's 6 MB. The limits
# must let the largest file fit one answer.
MAX_PARTS_PER_ANSWER = 1200
MAX_ETAG_CHARS = 128
MAX_UPLOAD_ID_CHARS = 1024
PRINTABLE_RE = re.compile(r"[\x21-\x7e]+")
RECORD_FIELDS = frozenset({"created", "expires", "part_size", "size", "upload"})
STAMP = "%Y-%m-%dT%H:%M:%SZ"

ENV = {
    "part_bytes": "WBS_UPLOAD_PART_BYTES",
    "max_object_bytes": "WBS_UPLOAD_MAX_OBJECT_BYTES",
    "max_files": "WBS_UPLOAD_MAX_FILES",
    "max_case_bytes": "WBS_UPLOAD_MAX_CASE_BYTES",
    "grant_seconds": "WBS_UPLOAD_GRANT_SECONDS",
    "upload_seconds": "WBS_UPLOAD_LIFETIME_SECONDS",
}


@dataclass(frozen=True)
class Limits:
    """What one deployment allows; every value can be set in the environment (``ENV``)."""

    part_bytes: int = PART_BYTES
    max_object_bytes: int = MAX_OBJECT_BYTES
    max_files: int = MAX_FILES
    max_case_bytes: int = MAX_CASE_BYTES
    grant_seconds: int = GRANT_SECONDS
    upload_seconds: int = UPLOAD_SECONDS

    def __post_init__(self) -> None:
        if not MIN_PART_BYTES <= self.part_bytes <= MAX_PART_BYTES:
            raise ValueError(f"the part size must be {MIN_PART_BYTES} to {MAX_PART_BYTES} bytes")
        if not 0 < self.max_object_bytes <= self.part_bytes * min(MAX_PARTS, MAX_PARTS_PER_ANSWER):
            raise ValueError(f"an object must fit {MAX_PARTS_PER_ANSWER} parts of the part size")
        if self.max_object_bytes < stored_size(0, CHUNK_SIZES[-1]):
            raise ValueError("an object must hold at least an empty file in 1 MiB chunks")
        if self.max_files < 1 or self.max_case_bytes < 1:
            raise ValueError("the files and bytes per case must be at least 1")
        # SigV4 presigned URLs live at most 7 days.
        if not 60 <= self.grant_seconds <= min(self.upload_seconds, 7 * 24 * 3600):
            raise ValueError("a grant lasts 60 seconds to 7 days, and no longer than an upload")

    @property
    def max_file_bytes(self) -> int:
        """The most plaintext a file may have: what fits ``max_object_bytes`` whatever chunks
        its writer chose. Small chunks cost a large file the most overhead; the page's 1 MiB
        chunks cost a small file the most padding (below about 60 MiB, they decide)."""
        return largest_plaintext(self.max_object_bytes)

    def to_env(self) -> dict[str, str]:
        """The variables (``ENV``) that give a function these limits."""
        return {variable: str(getattr(self, name)) for name, variable in ENV.items()}

    @classmethod
    def from_env(cls, env: Mapping[str, str], base: Limits | None = None) -> Limits:
        """``base`` (the defaults when None) with the values ``env`` sets. Raise ValueError
        for a value that is not a whole number or out of range."""
        values: dict[str, int] = {}
        for name, variable in ENV.items():
            text = env.get(variable) or ""
            if text:
                if not text.isdecimal() or not text.isascii():
                    raise ValueError(f"{variable} must be a whole number")
                values[name] = int(text)
        return dataclasses.replace(base or cls(), **values)


class UploadError(WbsError):
    """A refusal the API answers as it is: an HTTP status, a stable code and one sentence."""

    def __init__(self, status: HTTPStatus, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class Part(NamedTuple):
    number: int  # from 1
    size: int


class Record(NamedTuple):
    """A grant record, ``uploads/<case>/<file>.json``."""

    created: str
    expires: datetime  # the upload's end: no grant, renewal or completion after it
    part_size: int
    size: int
    upload: str

    def to_json(self) -> bytes:
        data = {**self._asdict(), "expires": self.expires.strftime(STAMP)}
        return canonical_json(data)


class Backend(Protocol):
    """Multipart uploads on one kind of storage. ``key`` is the storage key of the object."""

    def start(
        self,
        key: str,
        size: int,
        part_bytes: int,
        expires: datetime,
        desks: Collection[str] = frozenset(),
    ) -> str:
        """Open an upload that ends at ``expires``, whose object will be tagged for
        ``desks`` (``Storage.put_new``); return its id."""
        ...

    def urls(
        self, key: str, upload: str, parts: Sequence[Part], now: datetime, expires: datetime
    ) -> list[str]:
        """One same-origin URL (path and query) per part, each valid until ``expires``."""
        ...

    def complete(self, key: str, upload: str, parts: Sequence[Part], etags: Sequence[str]) -> None:
        """Join the parts into the object, create-only: raise AlreadyExists if it exists, and
        UploadError if a part is missing, of another size or not the one ``etags`` names."""
        ...

    def retain(self, key: str) -> None:
        """Give the completed object ``key`` the store's retention, if it keeps one (S3
        Object Lock); a StorageError if it cannot. Called after every completion, and again
        when a completion is repeated for an object already stored."""
        ...

    def sweep(self, now: datetime) -> int:
        """Remove uploads whose end has passed; return how many."""
        ...


def plan(size: int, part_bytes: int) -> list[Part]:
    """The parts of an object: all of ``part_bytes`` but the last."""
    count = math.ceil(size / part_bytes)
    return [Part(n, min(part_bytes, size - (n - 1) * part_bytes)) for n in range(1, count + 1)]


class Uploads:
    """The upload protocol for one storage: grant, renew, complete."""

    def __init__(
        self,
        storage: Storage,
        backend: Backend,
        limits: Limits | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.storage = storage
        self.backend = backend
        self.limits = limits or Limits()
        self.clock = clock or (lambda: datetime.now(UTC))

    def grant(self, case: str, body: Any, desks: Collection[str] = frozenset()) -> dict[str, Any]:
        """``{"files": [{"id", "size"}]}``: check everything, reserve the files against the
        case's limits, then open one upload a file. What it stores (reservation, grant
        records, the files) is tagged for ``desks``, the case's."""
        files = self._files(body)
        now = self.clock()
        self.backend.sweep(now)
        records = self._records(case)  # listed before the reservations: see _granted
        # A file already recorded is this very request sent again (its answer was lost):
        # answered with its open upload as a renewal would be, if the upload is still open
        # for that size and no object stored yet; otherwise its id is taken.
        again = {i: self._open_again(case, i, s, records[i], now) for i, s in files if i in records}
        for file_id, record in again.items():
            if record is None:
                raise _file_id_taken(file_id)
        if len(again) < len(files):
            request = canonical_json({"files": [{"id": i, "size": s} for i, s in files]})
            reservations.reserve(
                self.storage,
                functools.partial(layout.upload_slot, case),
                layout.upload_slots(case),
                request,
                same=lambda held: held == request,  # this very request, sent before
                admit=lambda held: self._admit(files, _granted(held.data, records)),
                most=self.limits.max_files,
                desks=desks,
            )
        end = now + timedelta(seconds=self.limits.upload_seconds)
        opened = [(i, again.get(i) or self._open(case, i, s, now, end, desks)) for i, s in files]
        expires = min(
            min(record.expires for _, record in opened),
            now + timedelta(seconds=self.limits.grant_seconds),
        )
        granted = [
            self._file(file_id, layout.attachment(case, file_id), record, expires)
            for file_id, record in opened
        ]
        return self._answer(granted, expires)

    def _admit(self, files: list[tuple[str, int]], granted: Granted) -> None:
        """Refuse a grant request that the case's limits do not leave room for."""
        taken = sorted(granted.ids & {file_id for file_id, _ in files})
        if taken:
            raise _file_id_taken(taken[0])
        if granted.files + len(files) > self.limits.max_files:
            raise UploadError(
                HTTPStatus.FORBIDDEN,
                "too_many_files",
                f"A case takes at most {self.limits.max_files} files.",
            )
        if granted.bytes + sum(size for _, size in files) > self.limits.max_case_bytes:
            raise UploadError(
                HTTPStatus.FORBIDDEN,
                "too_many_bytes",
                f"A case takes at most {self.limits.max_case_bytes} bytes of files.",
            )
        parts = sum(len(plan(size, self.limits.part_bytes)) for _, size in files)
        if parts > MAX_PARTS_PER_ANSWER:
            raise UploadError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                "too_many_parts",
                f"Ask for at most {MAX_PARTS_PER_ANSWER} parts at a time: one file a request.",
            )

    def _open(
        self,
        case: str,
        file_id: str,
        size: int,
        now: datetime,
        end: datetime,
        desks: Collection[str],
    ) -> Record:
        """Open the upload of a reserved file and write its grant record, create-only; or,
        when the same request sent at the same time wrote the record first, that record."""
        key = layout.attachment(case, file_id)
        upload = self.backend.start(key, size, self.limits.part_bytes, end, desks)
        record = Record(now.strftime(STAMP), end, self.limits.part_bytes, size, upload)
        try:
            record_key = layout.upload_record(case, file_id)
            self.storage.put_new(record_key, record.to_json(), desks=desks)
        except AlreadyExists:  # the upload just opened ends unused
            stored = self._record(case, file_id)
            stored = None if stored is None else self._open_again(case, file_id, size, stored, now)
            if stored is None:
                raise _file_id_taken(file_id) from None
            return stored
        return record

    def _open_again(
        self, case: str, file_id: str, size: int, record: Record, now: datetime
    ) -> Record | None:
        """``record`` if its upload can be granted again to a request for ``size`` bytes:
        open, of that size, and no object stored yet; else None. Only the case's own token
        can ask, and nothing new is opened or counted."""
        if record.size != size or not record.upload or now >= record.expires:
            return None
        key = layout.attachment(case, file_id)
        return None if any(info.key == key for info in self.storage.list(key)) else record

    def room(self, case: str) -> dict[str, int]:
        """What the case may still take: ``{"files", "bytes"}`` (encrypted bytes), so that a
        follow-up's form can refuse what a grant would refuse before anything is sealed."""
        records = self._records(case)
        prefix = layout.upload_slots(case)
        held = [self.storage.get(info.key) for info in self.storage.list(prefix)]
        granted = _granted(held, records)
        return {
            "files": max(0, self.limits.max_files - granted.files),
            "bytes": max(0, self.limits.max_case_bytes - granted.bytes),
        }

    def renew(self, case: str, body: Any) -> dict[str, Any]:
        """``{"id", "upload"}``: fresh URLs for every part of an open upload."""
        file_id, upload = self._upload_ref(body, {"id", "upload"})
        record = self._open_record(case, file_id, upload)
        now = self.clock()
        expires = min(record.expires, now + timedelta(seconds=self.limits.grant_seconds))
        return self._answer(
            [self._file(file_id, layout.attachment(case, file_id), record, expires)], expires
        )

    def complete(self, case: str, body: Any) -> dict[str, Any]:
        """``{"id", "upload", "parts": [{"number", "etag"}]}``: join the parts, create-only."""
        file_id, upload = self._upload_ref(body, {"id", "upload", "parts"})
        record = self._open_record(case, file_id, upload)
        parts = plan(record.size, record.part_size)
        etags = _etags(body["parts"], len(parts))
        key = layout.attachment(case, file_id)
        # S3 answers a repeated completion of the same upload with success (a replay), so
        # an object already there is refused here, before the store is asked. It may be this
        # very completion's, whose retention failed: it gets it now, or the page hears 503
        # and tries again, never "stored" for an object left unlocked.
        if any(info.key == key for info in self.storage.list(key)):
            self.backend.retain(key)
            raise _file_exists()
        try:
            self.backend.complete(key, upload, parts, etags)
        except AlreadyExists:
            self.backend.retain(key)
            raise _file_exists() from None
        self.backend.retain(key)
        return {"id": file_id, "size": record.size}

    def _files(self, body: Any) -> list[tuple[str, int]]:
        match body:
            case {"files": list(files)} if body.keys() == {"files"} and files:
                pass
            case _:
                raise _bad_request('send {"files": [{"id", "size"}, ...]} with at least one file')
        result: list[tuple[str, int]] = []
        for item in files:
            match item:
                case {"id": str(file_id), "size": int(size)} if item.keys() == {
                    "id",
                    "size",
                } and not isinstance(size, bool):
                    pass
                case _:
                    raise _bad_request('each file must be {"id": "<file id>", "size": <bytes>}')
            if not ID_RE.fullmatch(file_id):
                raise _bad_request("a file id is 16 upper-case Crockford base32 symbols")
            if size <= 0:
                raise _bad_request("a file's size is a positive number of bytes")
            if size > self.limits.max_object_bytes:
                raise UploadError(
                    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                    "too_large",
                    f"A file takes at most {self.limits.max_object_bytes} bytes once encrypted.",
                )
            if not is_attachment_size(size):
                raise _bad_request(f"{size} bytes is not the size of an encrypted evidence file")
            result.append((file_id, size))
        if len({file_id for file_id, _ in result}) != len(result):
            raise _bad_request("the same file id is asked for twice")
        return result

    def _records(self, case: str) -> dict[str, Record]:
        """The case's grant records by file id (a record that cannot be read counts in full)."""
        found: dict[str, Record] = {}
        for info in self.storage.list(layout.upload_records(case)):
            file_id = layout.upload_file_id(info.key)
            if file_id is None:  # a reservation (uploads/<case>/slots/), counted apart
                continue
            record = self._record(case, file_id)
            if record is None:  # not ours to judge: count it as the largest file
                record = Record("", datetime.min.replace(tzinfo=UTC), 1, MAX_OBJECT_BYTES, "")
            found[file_id] = record
        return found

    def _record(self, case: str, file_id: str) -> Record | None:
        try:
            data = loads_strict(self.storage.get(layout.upload_record(case, file_id)))
        except (NotFound, EnvelopeError):
            return None
        match data:
            case {
                "created": str(created),
                "expires": str(expires),
                "part_size": int(part_size),
                "size": int(size),
                "upload": str(upload),
            } if (
                data.keys() == RECORD_FIELDS
                and not isinstance(part_size, bool)
                and not isinstance(size, bool)
                and part_size > 0
                and 0 < size <= part_size * MAX_PARTS  # a plan of at most MAX_PARTS parts
            ):
                try:
                    end = datetime.strptime(expires, STAMP).replace(tzinfo=UTC)
                except ValueError:
                    return None
                return Record(created, end, part_size, size, upload)
        return None

    def _open_record(self, case: str, file_id: str, upload: str) -> Record:
        """The record of an upload this case was granted and that has not ended."""
        record = self._record(case, file_id)
        if record is None or record.upload != upload:
            raise unknown_upload()
        if self.clock() >= record.expires:
            raise UploadError(
                HTTPStatus.GONE,
                "upload_expired",
                "This upload has ended; ask for a grant under a new file id.",
            )
        return record

    def _upload_ref(self, body: Any, members: set[str]) -> tuple[str, str]:
        match body:
            case {"id": str(file_id), "upload": str(upload)} if body.keys() == members:
                pass
            case _:
                names = ", ".join(f'"{m}"' for m in sorted(members))
                raise _bad_request(f"send exactly {names}")
        if not ID_RE.fullmatch(file_id):
            raise _bad_request("a file id is 16 upper-case Crockford base32 symbols")
        if len(upload) > MAX_UPLOAD_ID_CHARS or not PRINTABLE_RE.fullmatch(upload):
            raise _bad_request("the upload id is malformed")
        return file_id, upload

    def _file(self, file_id: str, key: str, record: Record, expires: datetime) -> dict[str, Any]:
        parts = plan(record.size, record.part_size)
        urls = self.backend.urls(key, record.upload, parts, self.clock(), expires)
        return {
            "id": file_id,
            "upload": record.upload,
            "parts": [
                {"number": p.number, "size": p.size, "url": url}
                for p, url in zip(parts, urls, strict=True)
            ],
        }

    def _answer(self, files: list[dict[str, Any]], expires: datetime) -> dict[str, Any]:
        return {
            "expires": expires.strftime(STAMP),
            "part_size": self.limits.part_bytes,
            "files": files,
        }


def _etags(value: Any, count: int) -> list[str]:
    """The ETags of parts 1 to ``count``, given in order."""
    if not isinstance(value, list) or len(value) != count:
        raise _bad_request(f"list all {count} parts of the file, in order")
    etags = []
    for number, item in enumerate(value, start=1):
        match item:
            case {"number": int(n), "etag": str(etag)} if (
                item.keys() == {"number", "etag"} and not isinstance(n, bool) and n == number
            ):
                pass
            case _:
                raise _bad_request(f'part {number} must be {{"number": {number}, "etag": "..."}}')
        if len(etag) > MAX_ETAG_CHARS or not PRINTABLE_RE.fullmatch(etag):
            raise _bad_request(f"the ETag of part {number} is malformed")
        etags.append(etag)
    return etags


class Granted(NamedTuple):
    """What a case was granted: the file ids, how many files, their bytes."""

    ids: frozenset[str]
    files: int
    bytes: int


def _granted(held: Sequence[bytes], records: Mapping[str, Record]) -> Granted:
    """What the reservations ``held`` and the grant records ``records`` grant together.

    Every grant since reservations exist holds one, written before its records; a record
    whose file no reservation lists is older than reservations, and counts on top. The
    records are listed before the reservations are, so no newer record can be taken for an
    older one. A reservation that cannot be read counts as one file of the largest size."""
    ids: set[str] = set()
    files = total = 0
    for data in held:
        listed = _reserved_files(data)
        if listed is None:
            files, total = files + 1, total + MAX_OBJECT_BYTES
            continue
        ids.update(file_id for file_id, _ in listed)
        files, total = files + len(listed), total + sum(size for _, size in listed)
    older = {file_id: r.size for file_id, r in records.items() if file_id not in ids}
    return Granted(frozenset(ids | older.keys()), files + len(older), total + sum(older.values()))


def _reserved_files(data: bytes) -> list[tuple[str, int]] | None:
    """The files a grant's reservation lists, or None if it is not one."""
    try:
        document = loads_strict(data)
    except EnvelopeError:
        return None
    match document:
        case {"files": list(files)} if document.keys() == {"files"} and files:
            pass
        case _:
            return None
    found = []
    for item in files:
        match item:
            case {"id": str(file_id), "size": int(size)} if item.keys() == {"id", "size"}:
                found.append((file_id, size))
            case _:
                return None
    return found


def _file_id_taken(file_id: str) -> UploadError:
    return UploadError(
        HTTPStatus.CONFLICT,
        "file_id_taken",
        f"The file id {file_id} was already granted in this case; draw a new one.",
    )


def _bad_request(problem: str) -> UploadError:
    return UploadError(
        HTTPStatus.BAD_REQUEST, "bad_request", f"The request is malformed: {problem}."
    )


def unknown_upload() -> UploadError:
    return UploadError(
        HTTPStatus.NOT_FOUND,
        "unknown_upload",
        "This upload is not open (finished, ended or never granted); ask for a new grant.",
    )


def _file_exists() -> UploadError:
    return UploadError(
        HTTPStatus.CONFLICT,
        "file_exists",
        "This file is already stored; it cannot be replaced.",
    )
