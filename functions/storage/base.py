"""The storage interface: create-only writes, reads and listings of keyed byte objects.

Two implementations stand behind it, a local folder (``local.py``) and S3 or any
S3-compatible store (``s3.py``). Keys are checked here, once, so that no key can climb out
of its folder or name a different object on another backend.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from functions.errors import InvalidKey

MAX_KEY_CHARS = 512
SEGMENT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: datetime  # timezone-aware, UTC


class Readable(Protocol):
    """A binary stream being read: what ``Storage.stream`` returns (close it when done)."""

    def read(self, size: int, /) -> bytes: ...

    def close(self) -> None: ...


class Storage(Protocol):
    """Keyed byte objects. Nothing stored can be overwritten or deleted through this interface."""

    def put_new(self, key: str, data: bytes, *, desks: Collection[str] = frozenset()) -> None:
        """Store ``data`` under ``key``; raise AlreadyExists if it is taken (nothing changes).

        ``desks``: the desks whose members may fetch the object, given as its ``wbs-desks``
        tag where the store keeps tags (S3; ``functions/storage/tags.py``), with the object,
        never after. Empty: no tag. A set no tag can name is a TagError on every store."""
        ...

    def get(self, key: str) -> bytes:
        """Return the object's bytes; raise NotFound if there is none."""
        ...

    def stream(self, key: str) -> Readable:
        """Open the object for reading in pieces (large files); raise NotFound if there is none."""
        ...

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Objects whose key starts with ``prefix``, sorted by key."""
        ...


def check_key(key: str) -> str:
    """Return ``key`` if it is ``segment/segment/...`` of safe characters; raise InvalidKey."""
    if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_CHARS:
        raise InvalidKey(f"storage key must be 1 to {MAX_KEY_CHARS} characters")
    for segment in key.split("/"):
        if not SEGMENT_RE.fullmatch(segment) or ".." in segment:
            raise InvalidKey(f"storage key {key!r} is not name/name/... of A-Z a-z 0-9 . _ -")
    return key


def is_key(key: str) -> bool:
    try:
        check_key(key)
    except InvalidKey:
        return False
    return True


def check_prefix(prefix: str) -> str:
    """A listing prefix: empty, or a key, or a key followed by ``/``."""
    if prefix:
        check_key(prefix.removesuffix("/"))
    return prefix
