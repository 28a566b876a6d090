"""The built site, checked, and its upload to the stack's site bucket.

What is uploaded is exactly what the build (``wbs.build``) wrote: every file of
``build-manifest.json`` with the SHA-256 it lists, and the manifest itself (last, so that the
bucket's manifest describes a finished upload). Hidden files (the build's marker) are not
published, as the local host does not serve them.

Headers are the local host's (``functions/host.py``), so both hosts answer alike: HTML is
``no-store``; everything else ``no-cache``. No file gets a long ``max-age``: asset names are
not content-hashed (``assets/js/app.mjs``) and the pages pin them by Subresource Integrity,
so a stale cached script next to a new page would fail its integrity check and leave a
reporter with a dead form. ``no-cache`` revalidates with the ETag: an unchanged file costs a
304 and no body.

A second upload sends only what changed: a file is skipped when the bucket holds its key at
the same size and the bucket's ``build-manifest.json`` lists the same SHA-256 for it. Objects
the new site does not have are deleted after the upload: an old page (addressed to a retired
key, say) must not stay reachable. The bucket is versioned, so a deleted object stays
recoverable until its lifecycle rule expires the old version.
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from functions.errors import WbsError
from functions.host import CONTENT_TYPES
from functions.keyring import Keyring
from wbs.build.desks import embedded_keys, sealed_to
from wbs.build.output import MANIFEST, MARKER

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

DELETE_BATCH = 1000  # S3's most keys per DeleteObjects


class SiteError(WbsError, ValueError):
    """The folder is not a complete site as the build writes it."""


@dataclass(frozen=True)
class SiteFile:
    key: str
    path: Path
    size: int
    sha256: str

    @property
    def content_type(self) -> str:
        suffix = Path(self.key).suffix
        guessed, _ = mimetypes.guess_type(self.key, strict=True)
        return CONTENT_TYPES.get(suffix) or guessed or "application/octet-stream"

    @property
    def cache_control(self) -> str:
        return "no-store" if self.key.endswith(".html") else "no-cache"


@dataclass(frozen=True)
class Site:
    folder: Path
    files: tuple[SiteFile, ...]  # the manifest last

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(frozen=True)
class Upload:
    uploaded: tuple[str, ...]
    unchanged: int
    removed: tuple[str, ...]
    bytes: int


def read_site(folder: Path, keyring: Keyring) -> Site:
    """The site in ``folder``, every file checked against its manifest, and its pages checked
    to seal to exactly the desks' active keys and the recovery key (the function refuses
    anything else)."""
    hint = "build it: wbs build (or drop --site and let wbs deploy build it)"
    if not (folder / MARKER).is_file() or not (folder / MANIFEST).is_file():
        raise SiteError(f"{folder} is not a site built by build.py", hint=hint)
    manifest_path = folder / MANIFEST
    try:
        listed = json.loads(manifest_path.read_bytes())["files"]
        if not isinstance(listed, dict):
            raise TypeError(listed)
    except (ValueError, KeyError, TypeError):
        raise SiteError(f"{manifest_path} is not a build manifest", hint=hint) from None
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    on_disk.discard(MANIFEST)
    if on_disk != set(listed):
        extra = sorted(on_disk ^ set(listed))[0]
        raise SiteError(f"{folder}: {extra} is not as build-manifest.json lists it", hint=hint)
    files: list[SiteFile] = []
    for key in sorted(listed):
        path = folder / key
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != listed[key]:
            raise SiteError(f"{path} changed after the build", hint=hint)
        if not _hidden(key):
            files.append(SiteFile(key, path, len(data), listed[key]))
    _check_keys(folder, files, keyring)
    manifest = manifest_path.read_bytes()
    files.append(SiteFile(MANIFEST, manifest_path, len(manifest), _sha256(manifest)))
    return Site(folder, tuple(files))


def upload(
    s3: S3Client,
    bucket: str,
    owner: str,
    site: Site,
    progress: Callable[[int], None] = lambda done: None,
) -> Upload:
    """Send what changed, then remove what the new site no longer has."""
    stored = dict(_listing(s3, bucket, owner))
    before = _stored_manifest(s3, bucket, owner) if MANIFEST in stored else b""
    sums = _sums(before)
    sums[MANIFEST] = _sha256(before)
    changed = [f for f in site.files if stored.get(f.key) != f.size or sums.get(f.key) != f.sha256]
    for f in changed:
        data = f.path.read_bytes()
        if _sha256(data) != f.sha256:
            raise SiteError(f"{f.path} changed during the upload", hint="run wbs deploy again")
        s3.put_object(
            Bucket=bucket,
            Key=f.key,
            Body=data,
            ContentType=f.content_type,
            CacheControl=f.cache_control,
            ChecksumSHA256=base64.b64encode(bytes.fromhex(f.sha256)).decode("ascii"),
            ExpectedBucketOwner=owner,
        )
        progress(f.size)
    keep = {f.key for f in site.files}
    stale = sorted(key for key in stored if key not in keep)
    for batch in _batches(stale, DELETE_BATCH):
        answer = s3.delete_objects(
            Bucket=bucket,
            Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
            ExpectedBucketOwner=owner,
        )
        if answer.get("Errors"):
            first = answer["Errors"][0]
            raise WbsError(
                f"could not remove {first.get('Key')} from the site bucket: {first.get('Message')}"
            )
    return Upload(
        tuple(f.key for f in changed),
        len(site.files) - len(changed),
        tuple(stale),
        sum(f.size for f in changed),
    )


def plan_rows(site: Site) -> Iterator[tuple[str, int, str, str]]:
    """``(key, size, content type, cache control)`` of every file, for the dry run."""
    for f in site.files:
        yield f.key, f.size, f.content_type, f.cache_control


def _check_keys(folder: Path, files: Sequence[SiteFile], keyring: Keyring) -> None:
    """Every page that embeds keys (#wbs-keys) embeds exactly those of the keyring's desks
    and its recovery key, and some do."""
    wanted = sealed_to(keyring)
    embedding = 0
    for f in files:
        if f.key.endswith(".html"):
            keys = embedded_keys(f.path.read_text(encoding="utf-8"))
            embedding += keys is not None
            if keys is not None and keys != wanted:
                raise SiteError(
                    f"{folder / f.key} encrypts to other keys than the keyring's active ones",
                    hint="rebuild the site with the same --keyring (or drop --site)",
                )
    if not embedding:
        raise SiteError(f"no page in {folder} embeds a key", hint="rebuild it: wbs build")


def _listing(s3: S3Client, bucket: str, owner: str) -> Iterator[tuple[str, int]]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, ExpectedBucketOwner=owner)
    for page in pages:
        for item in page.get("Contents", []):
            yield item["Key"], item["Size"]


def _stored_manifest(s3: S3Client, bucket: str, owner: str) -> bytes:
    try:
        body = s3.get_object(Bucket=bucket, Key=MANIFEST, ExpectedBucketOwner=owner)["Body"]
    except s3.exceptions.NoSuchKey:
        return b""
    return body.read()


def _sums(manifest: bytes) -> dict[str, str]:
    """The sums a manifest lists; ``{}`` if it is unreadable (then every file is sent)."""
    try:
        listed = json.loads(manifest)["files"]
    except (ValueError, KeyError, TypeError):
        return {}
    return {str(k): str(v) for k, v in listed.items()} if isinstance(listed, dict) else {}


def _batches(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _hidden(key: str) -> bool:
    return any(part.startswith(".") for part in key.split("/"))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
