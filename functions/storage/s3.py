"""S3 (or any S3-compatible store) as storage, through boto3.

Create-only writes use S3's conditional write (``If-None-Match: *``): the store itself
refuses to replace an existing object, so no race between two writers can overwrite one.

A read S3 answers 403 AccessDenied is asked again as a listing of that one key. S3 answers
403 rather than 404 for a missing key unless the caller may list it; the functions' role
may list exactly the prefixes it reads (infra/template.yaml, ListCasePrefixes), but AWS does
not say how its prefix condition weighs on that implicit check, so a mistyped receipt code
must not rest on it. Not listed: NotFound, as on every other store. Listed, or the listing
refused too: Denied, a real permission error (docs/aws.md).

With an Object Lock setting (``functions/storage/lock.py``), every write but a spent proof's
marker carries the object's retention, mode and end, with the object, and the SHA-256 of
its body, which S3 asks of a write with a lock.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Collection, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from functions.errors import AlreadyExists, Denied, NotFound, StorageError
from functions.storage import addressing
from functions.storage import lock as object_lock
from functions.storage.base import ObjectInfo, Readable, check_key, check_prefix, is_key
from functions.storage.tags import tagging

if TYPE_CHECKING:
    from botocore.response import StreamingBody
    from mypy_boto3_s3 import S3Client

# PreconditionFailed: the key exists. ConditionalRequestConflict: another conditional write
# to the same key is in flight. Either way this write did not happen.
TAKEN = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
MISSING = frozenset({"NoSuchKey"})
# The functions' role may not read every key it writes (reports/, for one).
DENIED = frozenset({"AccessDenied"})
CLIENT_CONFIG = Config(
    connect_timeout=5, read_timeout=20, retries={"mode": "standard", "max_attempts": 3}
)


class S3Storage:
    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        chosen: addressing.Addressing = "auto",
        client: S3Client | None = None,
        lock: object_lock.ObjectLock | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = check_key(prefix) + "/" if prefix else ""
        self.lock = lock
        self.clock = clock or (lambda: datetime.now(UTC))
        self._client = client or addressing.client(endpoint_url, chosen, CLIENT_CONFIG)

    def __repr__(self) -> str:
        return f"S3Storage('s3://{self.bucket}/{self.prefix}')"

    def put_new(self, key: str, data: bytes, *, desks: Collection[str] = frozenset()) -> None:
        name = self.prefix + check_key(key)
        extra: dict[str, Any] = {}
        tags = tagging(desks)
        if tags is not None:
            extra["Tagging"] = tags
        if self.lock is not None and object_lock.applies(key):
            extra["ObjectLockMode"] = self.lock.mode
            extra["ObjectLockRetainUntilDate"] = self.lock.until(self.clock())
            # S3 takes a write with a lock only with a checksum of its body. botocore sends a
            # CRC32 by default, but as a trailer; given here, it is a header S3 cannot miss.
            extra["ChecksumAlgorithm"] = "SHA256"
            extra["ChecksumSHA256"] = base64.b64encode(hashlib.sha256(data).digest()).decode()
        try:
            self._client.put_object(
                Bucket=self.bucket, Key=name, Body=data, IfNoneMatch="*", **extra
            )
        except ClientError as exc:
            if _code(exc) not in TAKEN:
                raise _failure("write", key, exc) from None
            if _retried(exc) and self._holds(key, name, data):
                return  # an earlier attempt of this very write landed; its answer was lost
            raise AlreadyExists(f"{key} already exists") from None
        except BotoCoreError as exc:
            raise _failure("write", key, exc) from None

    def _holds(self, key: str, name: str, data: bytes) -> bool:
        """Whether ``name`` holds exactly ``data``: asked when botocore sent a write again
        (a timeout, a 5xx) and the repeat found the key taken, perhaps by the first attempt.

        False when the object differs, or may not be read (the deployed functions cannot
        read reports/): the key is taken, as before. A failure to read it back is a
        StorageError, so that the caller says "try again" rather than "taken"."""
        try:
            body = self._client.get_object(Bucket=self.bucket, Key=name)["Body"]
        except ClientError as exc:
            if _code(exc) in DENIED:
                return False
            raise _failure("check", key, exc) from None
        except BotoCoreError as exc:
            raise _failure("check", key, exc) from None
        stored = _Body(key, body)
        try:
            return stored.read_all() == data
        finally:
            stored.close()

    def get(self, key: str) -> bytes:
        body = self._open(key)
        try:
            return body.read_all()
        finally:
            body.close()

    def stream(self, key: str) -> Readable:
        return self._open(key)

    def _open(self, key: str) -> _Body:
        name = self.prefix + check_key(key)
        try:
            body = self._client.get_object(Bucket=self.bucket, Key=name)["Body"]
        except ClientError as exc:
            if _code(exc) in MISSING or (_code(exc) in DENIED and not self._listed(name)):
                raise NotFound(f"no object {key}") from None
            if _code(exc) in DENIED:
                raise Denied(f"cannot read {key} in S3: AccessDenied") from None
            raise _failure("read", key, exc) from None
        except BotoCoreError as exc:
            raise _failure("read", key, exc) from None
        return _Body(key, body)

    def _listed(self, name: str) -> bool:
        """Whether a listing shows the object ``name``, asked after a 403 on reading it: the
        key is the listing's first if it exists. True when the listing is refused too (or
        fails): the read was refused, not missing."""
        try:
            page = self._client.list_objects_v2(Bucket=self.bucket, Prefix=name, MaxKeys=1)
        except (ClientError, BotoCoreError):
            return True
        return any(obj["Key"] == name for obj in page.get("Contents", []))

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        return self._list(self.prefix + check_prefix(prefix))

    def _list(self, full_prefix: str) -> Iterator[ObjectInfo]:
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=full_prefix
        )
        try:
            # S3 lists keys in UTF-8 byte order, which for valid (ASCII) keys is sorted order.
            for page in pages:
                for obj in page.get("Contents", []):
                    key = obj["Key"].removeprefix(self.prefix)
                    if is_key(key):
                        yield ObjectInfo(key, obj["Size"], obj["LastModified"].astimezone(UTC))
        except (ClientError, BotoCoreError) as exc:
            raise _failure("list", full_prefix or "/", exc) from None


class _Body:
    """An object's body being downloaded; a network failure midway is a StorageError."""

    def __init__(self, key: str, body: StreamingBody) -> None:
        self._key = key
        self._body = body

    def read(self, size: int, /) -> bytes:
        return self._read(size)

    def read_all(self) -> bytes:
        return self._read(None)

    def _read(self, size: int | None) -> bytes:
        try:
            return self._body.read(size)
        except (BotoCoreError, OSError) as exc:
            raise StorageError(f"cannot read {self._key} in S3: {type(exc).__name__}") from None

    def close(self) -> None:
        self._body.close()


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _retried(exc: ClientError) -> bool:
    """Whether botocore sent the request more than once before this answer."""
    return int(exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)) > 0


def _failure(action: str, key: str, exc: Exception) -> StorageError:
    reason = _code(exc) if isinstance(exc, ClientError) else type(exc).__name__
    return StorageError(f"cannot {action} {key} in S3: {reason}")
