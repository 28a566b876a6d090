"""The `X-Wing` recipient stanza (docs/spec/xwing-v1.md): an envelope's content key sealed to
a hybrid desk key, additive to envelope-v1's `X25519` stanza.

``sealed = ct || crypto_aead_xchacha20poly1305_ietf_encrypt(content_key, AD, 0^24, ss)`` where
``(ss, ct)`` is a fresh X-Wing encapsulation to the desk key and ``AD`` binds a label, the
stanza type and the kid. Nothing home-made: X-Wing is wbs.xwing, the AEAD libsodium's.
"""

from __future__ import annotations

import functools

import nacl.bindings as sodium
import nacl.exceptions

from functions.envelope import Recipient
from functions.errors import EnvelopeError
from wbs import xwing
from wbs.crypto import DecryptionError, NoMatchingKey
from wbs.crypto import key_id as _blake2b_key_id

TYPE = "X-Wing"
CONTENT_KEY_BYTES = 32
TAG_BYTES = 16
SEALED_BYTES = xwing.CIPHERTEXT_BYTES + CONTENT_KEY_BYTES + TAG_BYTES  # 1168
# Every shared secret is fresh (one encapsulation per stanza), so its key encrypts once:
# a constant nonce is safe, as HPKE's single-shot mode uses sequence number 0.
NONCE = bytes(24)


@functools.lru_cache(maxsize=1024)  # a reader asks for its own keys' kids at every stanza
def key_id(public_key: bytes) -> str:
    """The kid of a hybrid desk key: BLAKE2b-256 of the 1216-byte X-Wing public key, first 8
    bytes in hex, exactly as an X25519 key's kid is computed over its 32 bytes."""
    if len(public_key) != xwing.PUBLIC_KEY_BYTES:
        raise xwing.XWingError(f"an X-Wing public key is {xwing.PUBLIC_KEY_BYTES} bytes")
    return _blake2b_key_id(public_key)


def associated_data(kid: str) -> bytes:
    """``"wbs/v1/stanza" || 0x00 || type || 0x00 || kid``."""
    return b"wbs/v1/stanza\x00" + TYPE.encode("ascii") + b"\x00" + kid.encode("ascii")


def seal_content_key(content_key: bytes, public_key: bytes) -> Recipient:
    """The stanza that seals ``content_key`` to the hybrid desk key ``public_key``."""
    if len(content_key) != CONTENT_KEY_BYTES:
        raise EnvelopeError(f"a content key is {CONTENT_KEY_BYTES} bytes")
    kid = key_id(public_key)
    shared, ciphertext = xwing.encapsulate(public_key)
    sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        content_key, associated_data(kid), NONCE, shared
    )
    return Recipient(TYPE, kid, ciphertext + sealed)


def open_content_key(stanza: Recipient, key: xwing.DecapsulationKey) -> bytes:
    """The content key of an `X-Wing` stanza addressed to ``key``. EnvelopeError (malformed)
    for a stanza of the wrong size, NoMatchingKey for another type or kid, DecryptionError
    when it does not authenticate (either half tampered, another key, moved)."""
    if stanza.type == TYPE and len(stanza.body) != SEALED_BYTES:
        raise EnvelopeError(f"an {TYPE} stanza's sealed key must be {SEALED_BYTES} bytes")
    kid = key_id(key.public_key)
    if stanza.type != TYPE or stanza.kid != kid:
        raise NoMatchingKey(f"this stanza is not addressed to the {TYPE} key {kid}")
    ciphertext, sealed = (
        stanza.body[: xwing.CIPHERTEXT_BYTES],
        stanza.body[xwing.CIPHERTEXT_BYTES :],
    )
    try:
        shared = key.decapsulate(ciphertext)
        return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            sealed, associated_data(kid), NONCE, shared
        )
    except (xwing.XWingError, nacl.exceptions.CryptoError):
        raise DecryptionError("authentication failed: tampered, corrupt or moved") from None
