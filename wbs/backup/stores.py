"""The stored objects as a backup sees them: listed, read with their tags, and written back
create-only from a stream, their tags with them.

Only keys of the layout (``functions.storage.layout.PREFIXES``) are objects of the system: a
local folder's hidden areas (temporary files, the host's open uploads) are never listed, and
anything else found beside the layout is counted, never copied. A folder keeps no tags; on S3
an object's tags (``wbs-desks``, which the per-desk IAM policies read) are read with
``GetObjectTagging`` and given back when the object is created, never after.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, BinaryIO, Protocol
from urllib.parse import urlencode

from botocore.exceptions import BotoCoreError, ClientError

from functions.config import Settings
from functions.errors import AlreadyExists, Denied, NotFound, StorageError
from functions.storage import LocalStorage, ObjectInfo, Readable, S3Storage, addressing, check_key
from functions.storage.layout import PREFIXES
from functions.storage.local import link_new
from functions.storage.s3 import CLIENT_CONFIG, DENIED, MISSING, TAKEN

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

PART = 16 * 1024 * 1024  # larger objects go to S3 in a multipart upload of parts this size


class Store(Protocol):
    keeps_tags: bool
    skipped: int  # objects outside the layout seen by the last listing

    def objects(self) -> Iterator[ObjectInfo]:
        """Every object under the layout, sorted by key."""
        ...

    def open(self, key: str) -> Readable: ...

    def tags(self, key: str) -> dict[str, str]: ...

    def create(self, key: str, size: int, pieces: Iterable[bytes], tags: dict[str, str]) -> None:
        """Store ``size`` bytes given as ``pieces`` under ``key``, whole or not at all: if
        ``pieces`` raises, nothing is stored. AlreadyExists if the key is taken."""
        ...


def open_store(settings: Settings) -> Store:
    storage = settings.open_storage()
    if isinstance(storage, LocalStorage):
        return LocalStore(storage)
    if isinstance(storage, S3Storage):
        # Named as the service's own clients name the bucket (WBS_S3_ADDRESSING)
        client = addressing.client(settings.s3_endpoint, settings.s3_addressing, CLIENT_CONFIG)
        return S3Store(storage, client)
    raise StorageError(f"cannot back up {storage!r}")  # pragma: no cover - two kinds exist


class _Listing:
    skipped = 0

    def _layout(self, found: Iterable[ObjectInfo]) -> Iterator[ObjectInfo]:
        self.skipped = 0
        for info in found:
            if info.key.startswith(PREFIXES):
                yield info
            else:
                self.skipped += 1


class LocalStore(_Listing):
    keeps_tags = False

    def __init__(self, storage: LocalStorage) -> None:
        self.storage = storage

    def objects(self) -> Iterator[ObjectInfo]:
        return self._layout(self.storage.list())

    def open(self, key: str) -> Readable:
        return self.storage.stream(key)

    def tags(self, key: str) -> dict[str, str]:
        return {}

    def create(self, key: str, size: int, pieces: Iterable[bytes], tags: dict[str, str]) -> None:
        path = self.storage.root.joinpath(*check_key(key).split("/"))

        def write(file: BinaryIO) -> None:
            for piece in pieces:
                file.write(piece)

        try:
            link_new(path, write)
        except FileExistsError:
            raise AlreadyExists(f"{key} already exists") from None
        except OSError as exc:
            raise StorageError(
                f"cannot write {key} under {self.storage.root}: {exc.strerror}"
            ) from None


class S3Store(_Listing):
    keeps_tags = True

    def __init__(self, storage: S3Storage, client: S3Client) -> None:
        self.storage = storage
        self.bucket = storage.bucket
        self._client = client

    def objects(self) -> Iterator[ObjectInfo]:
        return self._layout(self.storage.list())

    def open(self, key: str) -> Readable:
        return self.storage.stream(key)

    def tags(self, key: str) -> dict[str, str]:
        try:
            found = self._client.get_object_tagging(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if _code(exc) in MISSING:
                raise NotFound(f"no object {key}") from None
            if _code(exc) in DENIED:
                raise Denied(f"cannot read the tags of {key} in S3: AccessDenied") from None
            raise _failure("read the tags of", key, exc) from None
        except BotoCoreError as exc:
            raise _failure("read the tags of", key, exc) from None
        return {tag["Key"]: tag["Value"] for tag in found["TagSet"]}

    def create(self, key: str, size: int, pieces: Iterable[bytes], tags: dict[str, str]) -> None:
        name, tagging = self._name(key), urlencode(tags)
        try:
            if size > PART:
                self._multipart(name, pieces, tagging)
            elif tagging:
                body = b"".join(pieces)
                self._client.put_object(
                    Bucket=self.bucket, Key=name, Body=body, IfNoneMatch="*", Tagging=tagging
                )
            else:
                body = b"".join(pieces)
                self._client.put_object(Bucket=self.bucket, Key=name, Body=body, IfNoneMatch="*")
        except ClientError as exc:
            if _code(exc) in TAKEN:
                raise AlreadyExists(f"{key} already exists") from None
            raise _failure("write", key, exc) from None
        except BotoCoreError as exc:
            raise _failure("write", key, exc) from None

    def _multipart(self, name: str, pieces: Iterable[bytes], tagging: str) -> None:
        """Parts as the pieces come; completed (``If-None-Match: *``) only once every piece
        is in and checked, else aborted: a failed object is never created."""
        if tagging:
            started = self._client.create_multipart_upload(
                Bucket=self.bucket, Key=name, Tagging=tagging
            )
        else:
            started = self._client.create_multipart_upload(Bucket=self.bucket, Key=name)
        upload = started["UploadId"]
        parts: list[CompletedPartTypeDef] = []

        def send(body: bytes) -> None:
            number = len(parts) + 1
            answer = self._client.upload_part(
                Bucket=self.bucket, Key=name, UploadId=upload, PartNumber=number, Body=body
            )
            parts.append({"PartNumber": number, "ETag": answer["ETag"]})

        try:
            buffer = bytearray()
            for piece in pieces:
                buffer += piece
                if len(buffer) >= PART:
                    send(bytes(buffer[:PART]))
                    del buffer[:PART]
            if buffer or not parts:
                send(bytes(buffer))
            self._client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=name,
                UploadId=upload,
                MultipartUpload={"Parts": parts},
                IfNoneMatch="*",
            )
        except BaseException:
            # If this fails too, the bucket's lifecycle rule aborts it after a day.
            with contextlib.suppress(ClientError, BotoCoreError):
                self._client.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload)
            raise

    def _name(self, key: str) -> str:
        return self.storage.prefix + check_key(key)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _failure(action: str, key: str, exc: Exception) -> StorageError:
    reason = _code(exc) if isinstance(exc, ClientError) else type(exc).__name__
    return StorageError(f"cannot {action} {key} in S3: {reason}")
