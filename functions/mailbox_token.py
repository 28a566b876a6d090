"""The mailbox token, as the server sees it (docs/spec/mailbox-v1.md).

The reporter's browser derives a 32-byte token from the receipt code and sends it as
``Authorization: Bearer <base64>``. The server never stores it: it keeps only the report id
and the verifier, two BLAKE2b hashes of the token (hashlib's BLAKE2b is libsodium's
crypto_generichash). Nothing here decrypts.
"""

from __future__ import annotations

import hashlib
import hmac

from functions.envelope import b64decode
from functions.errors import WbsError

TOKEN_BYTES = 32
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_LABEL = b"wbs/v1/report-id"
VERIFIER_LABEL = b"wbs/v1/mailbox-verifier"


class TokenError(WbsError, ValueError):
    """The Authorization header does not carry a well-formed mailbox token."""


def crockford(raw: bytes) -> str:
    """Big-endian bits, five at a time, in Crockford's base32 (10 bytes -> 16 characters)."""
    number = int.from_bytes(raw, "big")
    count = len(raw) * 8 // 5
    return "".join(CROCKFORD[(number >> (5 * i)) & 31] for i in reversed(range(count)))


def report_id(token: bytes) -> str:
    """The report id (and registration number) that belongs to a token."""
    return crockford(hashlib.blake2b(ID_LABEL + token, digest_size=10).digest())


def verifier(token: bytes) -> str:
    """What the server stores to recognise the token later, as 64 hex digits."""
    return hashlib.blake2b(VERIFIER_LABEL + token, digest_size=32).hexdigest()


def matches(token: bytes, stored_verifier: str) -> bool:
    """Constant time; compared as bytes, since compare_digest refuses non-ASCII text (a
    stored verifier that is not hex, lone surrogates included, simply does not match)."""
    stored = stored_verifier.encode("utf-8", "surrogatepass")
    return hmac.compare_digest(verifier(token).encode(), stored)


def from_header(value: str | None) -> bytes:
    """Parse ``Bearer <base64 of 32 bytes>``; raise TokenError otherwise."""
    scheme, _, encoded = (value or "").partition(" ")
    if scheme.lower() != "bearer" or not encoded:
        raise TokenError("send the mailbox token as 'Authorization: Bearer <token>'")
    try:
        token = b64decode(encoded.strip(), "token")
    except ValueError:
        raise TokenError("the mailbox token is not valid base64") from None
    if len(token) != TOKEN_BYTES:
        raise TokenError(f"the mailbox token must be {TOKEN_BYTES} bytes")
    return token
