"""A report's list of evidence files, ``attachments`` (docs/spec/attachment-v1.md section 4).

It lives only inside the report's ciphertext: names, types, sizes and keys never appear
outside it. Every entry is checked strictly; one bad entry makes the report unreadable,
so that nothing is shown or exported as something it is not.
"""

from __future__ import annotations

import re
from typing import Any

from functions import envelope as fmt
from functions.attachment_size import CHUNK
from functions.errors import EnvelopeError, WbsError
from wbs.attachments import KEY_BYTES, MIN_CHUNK, Attachment

FIELDS = frozenset({"id", "name", "type", "size", "chunk", "key", "sha256"})
MAX_NAME_BYTES = 1024
MAX_TYPE_BYTES = 255
MAX_SIZE = 2**53 - 1  # the largest integer every JSON reader holds exactly
SHA256_RE = re.compile(r"[0-9a-f]{64}")


class ManifestError(WbsError, ValueError):
    """The ``attachments`` member of a decrypted report is not a valid manifest."""


def parse(value: object) -> tuple[Attachment, ...]:
    """The manifest's entries, in order (a report without the member has none)."""
    if not isinstance(value, list):
        raise ManifestError("attachments must be a list")
    entries = tuple(_entry(item, n) for n, item in enumerate(value, 1))
    ids = [entry.id for entry in entries]
    if len(set(ids)) != len(ids):
        raise ManifestError("two attachments have the same id")
    return entries


def _entry(item: object, n: int) -> Attachment:
    where = f"attachment {n}"
    if not isinstance(item, dict) or item.keys() != FIELDS:
        raise ManifestError(f"{where} must have exactly the members {', '.join(sorted(FIELDS))}")
    if not isinstance(item["id"], str) or not fmt.ID_RE.fullmatch(item["id"]):
        raise ManifestError(f"{where}: id is not 16 Crockford base32 symbols")
    return Attachment(
        id=item["id"],
        name=_text(item, "name", MAX_NAME_BYTES, where),
        type=_text(item, "type", MAX_TYPE_BYTES, where),
        size=_size(item["size"], where),
        chunk=_chunk(item["chunk"], where),
        key=_key(item["key"], where),
        sha256=_sha256(item["sha256"], where),
    )


def _text(item: dict[str, Any], member: str, limit: int, where: str) -> str:
    value = item[member]
    if not isinstance(value, str) or len(value.encode("utf-8", "surrogatepass")) > limit:
        raise ManifestError(f"{where}: {member} must be text of at most {limit} bytes")
    return value


def _integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _size(value: object, where: str) -> int:
    size = _integer(value)
    if size is None or not 0 <= size <= MAX_SIZE:
        raise ManifestError(f"{where}: size must be an integer from 0 to {MAX_SIZE}")
    return size


def _chunk(value: object, where: str) -> int:
    chunk = _integer(value)
    if chunk is None or not MIN_CHUNK <= chunk <= CHUNK or chunk & (chunk - 1):
        raise ManifestError(f"{where}: chunk must be a power of two from {MIN_CHUNK} to {CHUNK}")
    return chunk


def _key(value: object, where: str) -> bytes:
    try:
        key = fmt.b64decode(value, "key")
    except EnvelopeError as exc:
        raise ManifestError(f"{where}: {exc}") from None
    if len(key) != KEY_BYTES:
        raise ManifestError(f"{where}: key must be {KEY_BYTES} bytes")
    return key


def _sha256(value: object, where: str) -> str:
    if not isinstance(value, str) or (value and not SHA256_RE.fullmatch(value)):
        raise ManifestError(f"{where}: sha256 must be empty or 64 lower-case hex digits")
    return value


def entry_document(entry: Attachment) -> dict[str, object]:
    """One entry as the manifest writes it (the inverse of the checks above)."""
    return {
        "id": entry.id,
        "name": entry.name,
        "type": entry.type,
        "size": entry.size,
        "chunk": entry.chunk,
        "key": fmt.b64encode(entry.key),
        "sha256": entry.sha256,
    }
