"""The `X-Wing` recipient stanza (docs/spec/xwing-v1.md): an envelope's content key sealed to
a hybrid desk key, additive to envelope-v1's `X25519` stanza; and the same construction for
hybrid grants (a desk seed sealed to a member's X-Wing key, a case's keys to a hybrid desk).

``sealed = ct || crypto_aead_xchacha20poly1305_ietf_encrypt(secret, AD, 0^24, ss)`` where
``(ss, ct)`` is a fresh X-Wing encapsulation to the recipient's key and ``AD`` binds a label
(what the secret is for), the type and the recipient key's kid. Nothing home-made: X-Wing is
wbs.xwing, the AEAD libsodium's.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import nacl.bindings as sodium
import nacl.exceptions

from functions.envelope import XWING, Recipient
from functions.errors import EnvelopeError
from wbs import xwing
from wbs.crypto import DecryptionError, NoMatchingKey, Sealable
from wbs.crypto import Recipient as X25519Recipient
from wbs.crypto import key_id as _blake2b_key_id

TYPE = XWING
CONTENT_KEY_BYTES = 32
TAG_BYTES = 16
SEALED_BYTES = xwing.CIPHERTEXT_BYTES + CONTENT_KEY_BYTES + TAG_BYTES  # 1168
# Every shared secret is fresh (one encapsulation per stanza), so its key encrypts once:
# a constant nonce is safe, as HPKE's single-shot mode uses sequence number 0.
NONCE = bytes(24)
# What a sealed secret is for (xwing-v1 section 8.3): no sealed blob serves two purposes.
STANZA = b"wbs/v1/stanza"
DESK_GRANT = b"wbs/v2/desk-grant"
CASE_GRANT = b"wbs/v2/case-grant"


@functools.lru_cache(maxsize=1024)  # a reader asks for its own keys' kids at every stanza
def key_id(public_key: bytes) -> str:
    """The kid of a hybrid desk key: BLAKE2b-256 of the 1216-byte X-Wing public key, first 8
    bytes in hex, exactly as an X25519 key's kid is computed over its 32 bytes."""
    if len(public_key) != xwing.PUBLIC_KEY_BYTES:
        raise xwing.XWingError(f"an X-Wing public key is {xwing.PUBLIC_KEY_BYTES} bytes")
    return _blake2b_key_id(public_key)


def associated_data(kid: str, label: bytes = STANZA) -> bytes:
    """``label || 0x00 || type || 0x00 || kid``."""
    return label + b"\x00" + TYPE.encode("ascii") + b"\x00" + kid.encode("ascii")


def seal(secret: bytes, public_key: bytes, label: bytes) -> bytes:
    """``ct || box``: ``secret`` sealed to the X-Wing key ``public_key`` for ``label``."""
    kid = key_id(public_key)
    shared, ciphertext = xwing.encapsulate(public_key)
    box = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        secret, associated_data(kid, label), NONCE, shared
    )
    return ciphertext + box


def open_sealed(sealed: bytes, key: xwing.DecapsulationKey, label: bytes) -> bytes:
    """The secret ``seal`` sealed to ``key`` for ``label``; DecryptionError otherwise (either
    half tampered, another key or label, too short)."""
    if len(sealed) < xwing.CIPHERTEXT_BYTES + TAG_BYTES:
        raise DecryptionError(f"an {TYPE} sealed secret is too short")
    ciphertext, box = sealed[: xwing.CIPHERTEXT_BYTES], sealed[xwing.CIPHERTEXT_BYTES :]
    try:
        shared = key.decapsulate(ciphertext)
        return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            box, associated_data(key_id(key.public_key), label), NONCE, shared
        )
    except (xwing.XWingError, nacl.exceptions.CryptoError):
        raise DecryptionError("authentication failed: tampered, corrupt or moved") from None


def seal_content_key(content_key: bytes, public_key: bytes) -> Recipient:
    """The stanza that seals ``content_key`` to the hybrid desk key ``public_key``."""
    if len(content_key) != CONTENT_KEY_BYTES:
        raise EnvelopeError(f"a content key is {CONTENT_KEY_BYTES} bytes")
    return Recipient(TYPE, key_id(public_key), seal(content_key, public_key, STANZA))


@dataclass(frozen=True)
class HybridRecipient:
    """A hybrid desk (or the recovery key's X-Wing key) as a recipient of wbs.crypto.seal."""

    public_key: bytes

    @property
    def kid(self) -> str:
        return key_id(self.public_key)

    def stanza(self, content_key: bytes) -> Recipient:
        return seal_content_key(content_key, self.public_key)


def recipient(kind: str, public_key: bytes) -> Sealable:
    """A recipient of wbs.crypto.seal by its keyring type: X25519 or X-Wing."""
    return HybridRecipient(public_key) if kind == TYPE else X25519Recipient(public_key)


def opener(key: xwing.DecapsulationKey) -> functools.partial[bytes]:
    """wbs.crypto.Keys' opener of the stanzas addressed to ``key``."""
    return functools.partial(open_content_key, key=key)


def open_content_key(stanza: Recipient, key: xwing.DecapsulationKey) -> bytes:
    """The content key of an `X-Wing` stanza addressed to ``key``. EnvelopeError (malformed)
    for a stanza of the wrong size, NoMatchingKey for another type or kid, DecryptionError
    when it does not authenticate (either half tampered, another key, moved)."""
    if stanza.type == TYPE and len(stanza.body) != SEALED_BYTES:
        raise EnvelopeError(f"an {TYPE} stanza's sealed key must be {SEALED_BYTES} bytes")
    kid = key_id(key.public_key)
    if stanza.type != TYPE or stanza.kid != kid:
        raise NoMatchingKey(f"this stanza is not addressed to the {TYPE} key {kid}")
    return open_sealed(stanza.body, key, STANZA)
