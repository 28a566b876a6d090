"""S3 multipart uploads with a presigned URL per part: the upload protocol against a bucket.

Each part URL is a SigV4 presigned ``UploadPart`` whose signed headers include
``content-length`` (botocore signs ``ContentLength`` when it is given), so S3 refuses any
other length, another key, another part number and a request after the grant's expiry.
Completion sends ``If-None-Match: *``, so S3 itself refuses to replace an object.

URLs are handed out as a path and a query, without the bucket's host: the page sends them to
its own origin, whose ``/attachments/*`` the deployment routes to the bucket (docs/api.md,
"Routing /attachments/*"). The signature covers the bucket's host and the full key, which the
route restores (origin: the bucket's endpoint; origin path: the storage prefix).

Object Lock (``functions/storage/lock.py``): the upload is opened without retention, so that
its presigned parts need no checksum header; once completed, ``retain`` gives the object its
retention with ``PutObjectRetention``. Until then (the time of one request) the object is
unlocked. When that request fails, the completion is answered as a storage failure (503) and
the page sends it again: the object is found stored, and is given its retention before the
page hears ``409 file_exists`` (``Uploads.complete``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from functions.errors import AlreadyExists, StorageError
from functions.storage import addressing, check_key
from functions.storage.lock import ObjectLock
from functions.storage.tags import tagging
from functions.uploads.grants import Part, UploadError, unknown_upload

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Presigned URLs must be SigV4 (the default can be SigV2, which signs no length). The
# addressing style is functions.storage.addressing's: on AWS, virtual-hosted, so that parts
# are signed for <bucket>.s3.<region>.amazonaws.com, the host CloudFront's /attachments/*
# origin sends (the default presigns for the legacy global host, which S3 does not route to
# buckets in Regions opened after March 2019, such as Jakarta: boto3 #2728, #3015); for an
# S3-compatible endpoint, path-style, the route of infra/selfhost/nginx-s3.conf.
CLIENT_CONFIG = Config(
    signature_version="s3v4",
    connect_timeout=5,
    read_timeout=20,
    retries={"mode": "standard", "max_attempts": 3},
)
# PreconditionFailed: the object exists. ConditionalRequestConflict: another completion of
# the same key is in flight. Either way this completion did not happen.
TAKEN = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})


def upload_client(
    endpoint_url: str | None = None, chosen: addressing.Addressing = "auto"
) -> S3Client:
    """A client for presigning and multipart calls (region and credentials as boto3 finds
    them: on Lambda, the function's region and role), addressing the bucket as ``chosen``."""
    return addressing.client(endpoint_url, chosen, CLIENT_CONFIG)


class S3Uploads:
    """Multipart uploads into ``bucket`` under the storage prefix ``prefix`` (``""`` or
    ``a/b/``, as ``S3Storage.prefix``)."""

    def __init__(
        self,
        bucket: str,
        prefix: str,
        client: S3Client,
        lock: ObjectLock | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.lock = lock
        self.clock = clock or (lambda: datetime.now(UTC))
        self._client = client

    def __repr__(self) -> str:
        return f"S3Uploads('s3://{self.bucket}/{self.prefix}')"

    def start(
        self,
        key: str,
        size: int,
        part_bytes: int,
        expires: datetime,
        desks: Collection[str] = frozenset(),
    ) -> str:
        # The bucket's lifecycle rule aborts the upload a day after it starts (its end).
        # The tag is given here (x-amz-tagging): the completed object has it, and neither
        # the presigned parts nor the completion carry or need one.
        name, tags = self._name(key), tagging(desks)
        try:
            if tags is None:
                answer = self._client.create_multipart_upload(Bucket=self.bucket, Key=name)
            else:
                answer = self._client.create_multipart_upload(
                    Bucket=self.bucket, Key=name, Tagging=tags
                )
        except (ClientError, BotoCoreError) as exc:
            raise _failure("open an upload for", key, exc) from None
        return answer["UploadId"]

    def urls(
        self, key: str, upload: str, parts: Sequence[Part], now: datetime, expires: datetime
    ) -> list[str]:
        name = self._name(key)
        seconds = max(1, int((expires - now).total_seconds()))
        urls = []
        for part in parts:
            url = self._client.generate_presigned_url(
                "upload_part",
                Params={
                    "Bucket": self.bucket,
                    "Key": name,
                    "UploadId": upload,
                    "PartNumber": part.number,
                    "ContentLength": part.size,
                },
                ExpiresIn=seconds,
            )
            urls.append(same_origin(url, name, key))
        return urls

    def complete(self, key: str, upload: str, parts: Sequence[Part], etags: Sequence[str]) -> None:
        name = self._name(key)
        stored = self._parts(key, name, upload)
        for part, etag in zip(parts, etags, strict=True):
            if stored.get(part.number) != (part.size, _unquoted(etag)):
                raise UploadError(
                    HTTPStatus.BAD_REQUEST,
                    "bad_parts",
                    f"Part {part.number} with that ETag and its size is not stored; upload it "
                    "again.",
                )
        try:
            self._client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=name,
                UploadId=upload,
                MultipartUpload={
                    "Parts": [
                        {"PartNumber": p.number, "ETag": e}
                        for p, e in zip(parts, etags, strict=True)
                    ]
                },
                IfNoneMatch="*",
            )
        except ClientError as exc:
            if _code(exc) in TAKEN:
                raise AlreadyExists(f"{key} already exists") from None
            if _code(exc) == "NoSuchUpload":
                raise unknown_upload() from None
            raise _failure("complete", key, exc) from None
        except BotoCoreError as exc:
            raise _failure("complete", key, exc) from None

    def retain(self, key: str) -> None:
        """Give the completed object its retention, when the bucket locks objects. Sent again
        for an object that has one, it lengthens it by the time in between (a retention can
        always be lengthened, in either mode), so a repeated completion can always end."""
        if self.lock is None:
            return
        until = self.lock.until(self.clock())
        try:
            self._client.put_object_retention(
                Bucket=self.bucket,
                Key=self._name(key),
                Retention={"Mode": self.lock.mode, "RetainUntilDate": until},
            )
        except (ClientError, BotoCoreError) as exc:
            raise _failure("lock", key, exc) from None

    def sweep(self, now: datetime) -> int:
        """Nothing to do here: the bucket's lifecycle rule aborts incomplete uploads."""
        return 0

    def _parts(self, key: str, name: str, upload: str) -> dict[int, tuple[int, str]]:
        """The stored parts: number -> (size, unquoted ETag)."""
        found: dict[int, tuple[int, str]] = {}
        pages = self._client.get_paginator("list_parts").paginate(
            Bucket=self.bucket, Key=name, UploadId=upload
        )
        try:
            for page in pages:
                for part in page.get("Parts", []):
                    found[part["PartNumber"]] = (part["Size"], _unquoted(part["ETag"]))
        except ClientError as exc:
            if _code(exc) == "NoSuchUpload":
                raise unknown_upload() from None
            raise _failure("list the parts of", key, exc) from None
        except BotoCoreError as exc:
            raise _failure("list the parts of", key, exc) from None
        return found

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)


def same_origin(url: str, name: str, key: str) -> str:
    """The presigned ``url`` of the object ``name`` as ``/<key>?<query>``: its path on the
    page's origin, where ``/attachments/*`` is routed to the bucket and the storage prefix."""
    parts = urlsplit(url)
    if not parts.path.endswith("/" + name) or not parts.query:
        raise StorageError("a presigned URL does not have the expected form")
    return f"/{key}?{parts.query}"


def _unquoted(etag: str) -> str:
    return etag[1:-1] if len(etag) > 1 and etag[0] == etag[-1] == '"' else etag


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _failure(action: str, key: str, exc: Exception) -> StorageError:
    reason = _code(exc) if isinstance(exc, ClientError) else type(exc).__name__
    return StorageError(f"cannot {action} {key} in S3: {reason}")
