"""How long a stored evidence file is (docs/spec/attachment-v1.md section 3): a 24-byte
header, then chunks of ``C + 17`` bytes, ``C`` a power of two from 1 KiB to 1 MiB; the
plaintext's tail is padded to a whole chunk, so a file of ``size`` bytes has
``size // C + 1`` chunks.

The arithmetic the upload limits (functions/uploads) and the inspector's reader
(wbs/attachments.py) share. The sizes are libsodium's ``crypto_secretstream`` constants,
checked against PyNaCl's by the tests; nothing here decrypts.
"""

from __future__ import annotations

HEADER_BYTES = 24
ABYTES = 17
CHUNK_SIZES = tuple(1 << k for k in range(10, 21))
CHUNK = CHUNK_SIZES[-1]  # what the page writes: 1 MiB


def chunk_count(size: int, chunk: int = CHUNK) -> int:
    """Chunks of a file of ``size`` bytes: the full ones, then the padded tail (maybe empty)."""
    return size // chunk + 1


def stored_size(size: int, chunk: int = CHUNK) -> int:
    """The object's length for a plaintext of ``size`` bytes in chunks of ``chunk``."""
    return HEADER_BYTES + chunk_count(size, chunk) * (chunk + ABYTES)


def is_attachment_size(size: int) -> bool:
    """Whether an object of ``size`` bytes can be an attachment (a header and whole chunks)."""
    body = size - HEADER_BYTES
    return any(body >= c + ABYTES and body % (c + ABYTES) == 0 for c in CHUNK_SIZES)


def largest_plaintext(object_bytes: int) -> int:
    """The most plaintext whose object fits ``object_bytes``, whatever chunks its writer
    chose (the smallest of the largest fits over every chunk size), at least 0."""
    fits = ((object_bytes - HEADER_BYTES) // (c + ABYTES) * c - 1 for c in CHUNK_SIZES)
    return max(0, min(fits))
