"""Open and seal envelopes of format v1 with PyNaCl (docs/spec/envelope-v1.md).

Content key: 32 random bytes; payload: XChaCha20-Poly1305 (IETF) over the plaintext padded
with sodium_pad to a power-of-two bucket, with the envelope's context as associated data;
content key: one stanza per recipient, of the recipient's type: crypto_box_seal to an X25519
key (``Recipient``), or the `X-Wing` stanza to a hybrid desk key (``wbs.xwing_stanza``,
docs/spec/xwing-v1.md). Nothing here is home-made: every primitive is libsodium's, or
pyca/cryptography's and hashlib's through wbs.xwing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import nacl.bindings as sodium
import nacl.exceptions
import nacl.hash
import nacl.utils
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.signing import SigningKey

from functions import envelope as fmt
from functions.errors import EnvelopeError, WbsError
from wbs.xwing import DecapsulationKey

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class DecryptionError(WbsError, ValueError):
    """An envelope could not be opened: tampered, moved to another context, or corrupt."""


class NoMatchingKey(DecryptionError):
    """No recipient stanza of the envelope is addressed to this key."""


def fingerprint(public_key: bytes) -> str:
    """BLAKE2b-256 of the raw X25519 public key, as 64 lower-case hex digits."""
    return nacl.hash.blake2b(public_key, digest_size=32).decode("ascii")


def key_id(public_key: bytes) -> str:
    """The first 8 bytes of the fingerprint: public, short, stable."""
    return fingerprint(public_key)[:16]


def new_report_id() -> str:
    """80 random bits in Crockford's base32: the report's id and registration number."""
    raw = int.from_bytes(nacl.utils.random(10), "big")
    return "".join(CROCKFORD[(raw >> (5 * i)) & 31] for i in reversed(range(16)))


class Sealable(Protocol):
    """A recipient of an envelope: what its stanza seals a content key with."""

    @property
    def kid(self) -> str: ...

    def stanza(self, content_key: bytes) -> fmt.Recipient: ...


@dataclass(frozen=True)
class Recipient:
    """An X25519 recipient: its stanza is ``crypto_box_seal`` of the content key."""

    public_key: bytes

    @property
    def kid(self) -> str:
        return key_id(self.public_key)

    def stanza(self, content_key: bytes) -> fmt.Recipient:
        sealed = SealedBox(PublicKey(self.public_key)).encrypt(content_key)
        return fmt.Recipient(fmt.X25519, self.kid, sealed)


# Opens a stanza of a held hybrid key: the content key, or DecryptionError.
StanzaOpener = Callable[[fmt.Recipient], bytes]


@dataclass(frozen=True)
class Identity:
    """An unlocked identity, held in memory only: an X25519 key pair to receive, an Ed25519
    key pair to sign (None for a key file of format 1, until `wbs keys upgrade`), and an
    X-Wing key that hybrid desks' grants are sealed to (None before format 3)."""

    private_key: PrivateKey
    signing_key: SigningKey | None = None
    xwing: DecapsulationKey | None = None

    # Cached: open_envelope looks the kid up once per report.
    @cached_property
    def public_key(self) -> bytes:
        return bytes(self.private_key.public_key)

    @cached_property
    def kid(self) -> str:
        return key_id(self.public_key)

    @cached_property
    def verify_key(self) -> bytes | None:
        """The raw Ed25519 public key, or None when this identity cannot sign."""
        return None if self.signing_key is None else bytes(self.signing_key.verify_key)

    def unsealer(self) -> SealedBox[PrivateKey]:
        return SealedBox(self.private_key)


class Keys:
    """Every key a reader opens envelopes with: unsealers by key id (the reader's own key,
    and each X25519 desk generation its grants give it), openers of `X-Wing` stanzas by key
    id (each hybrid desk generation), and content keys by case and envelope nonce (from case
    grants, docs/spec/desks-v2.md section 6). Built once per session: each desk key is
    unwrapped once, however many reports it opens."""

    def __init__(
        self,
        unsealers: Mapping[str, SealedBox[PrivateKey]],
        content_keys: Mapping[tuple[str, bytes], Iterable[bytes]] | None = None,
        hybrid: Mapping[str, StanzaOpener] | None = None,
    ) -> None:
        self.unsealers = dict(unsealers)
        self.hybrid = dict(hybrid or {})
        # (case id, nonce) -> every key a case grant gives for that envelope: a grant's keys
        # open only envelopes of its own case, and two grants never hide each other's key.
        self.content_keys = {at: tuple(keys) for at, keys in (content_keys or {}).items()}

    @classmethod
    def of(cls, *private_keys: PrivateKey) -> Keys:
        return cls({key_id(bytes(k.public_key)): SealedBox(k) for k in private_keys})

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(self.unsealers) | frozenset(self.hybrid)

    def content_keys_of(self, envelope: fmt.Envelope) -> tuple[bytes, ...]:
        """The envelope's candidate content keys: from the first stanza addressed to a held
        key (of the stanza's type), else those case grants give; NoMatchingKey if neither;
        CryptoError (X25519) or DecryptionError (X-Wing) if the stanza is forged."""
        for stanza in envelope.recipients:
            if stanza.type == fmt.XWING and stanza.kid in self.hybrid:
                return (self.hybrid[stanza.kid](stanza),)
            unsealer = self.unsealers.get(stanza.kid) if stanza.type == fmt.X25519 else None
            if unsealer is not None:
                return (unsealer.decrypt(stanza.body),)
        keys = self.content_keys.get((envelope.id, envelope.nonce), ())
        if not keys:
            held = ", ".join(sorted(self.kids))
            raise NoMatchingKey(f"not addressed to any key held here ({held})")
        return keys

    def content_key(self, envelope: fmt.Envelope) -> bytes:
        """The envelope's content key: the first candidate that decrypts it."""
        for key in self.content_keys_of(envelope):
            if _decrypt(envelope, key) is not None:
                return key
        raise DecryptionError("authentication failed: tampered, corrupt or moved")


def _decrypt(envelope: fmt.Envelope, key: bytes) -> bytes | None:
    """The padded plaintext, or None if ``key`` does not authenticate the ciphertext."""
    try:
        return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            envelope.ciphertext, envelope.associated_data, envelope.nonce, key
        )
    except nacl.exceptions.CryptoError:
        return None


def pad(plaintext: bytes) -> bytes:
    bucket = fmt.MIN_BUCKET
    while bucket <= len(plaintext):
        bucket *= 2
    if bucket > fmt.MAX_BUCKET:
        raise EnvelopeError(f"plaintext is larger than {fmt.MAX_BUCKET - 1} bytes")
    return sodium.sodium_pad(plaintext, bucket)


def seal(
    kind: str, report_id: str, plaintext: bytes, recipients: Iterable[Sealable]
) -> fmt.Envelope:
    """Encrypt plaintext to every recipient, each with a stanza of its type. Used by tests,
    vectors, replies, notes and records."""
    key = nacl.utils.random(32)
    nonce = nacl.utils.random(fmt.NONCE_BYTES)
    stanzas = tuple(r.stanza(key) for r in recipients)
    ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        pad(plaintext), fmt.associated_data(kind, report_id), nonce, key
    )
    envelope = fmt.Envelope(fmt.VERSION, kind, report_id, stanzas, nonce, ciphertext)
    return fmt.parse(envelope.to_json(), fmt.KINDS | fmt.NOTE_KINDS)


def open_envelope(
    envelope: fmt.Envelope, keys: Identity | Keys, unsealer: SealedBox[PrivateKey] | None = None
) -> bytes:
    """Decrypt and unpad with one identity, or with every key a reader holds; raise
    NoMatchingKey or DecryptionError. Pass ``unsealer`` to reuse an identity's."""
    if isinstance(keys, Identity):
        keys = Keys({keys.kid: unsealer or keys.unsealer()})
    try:
        candidates = keys.content_keys_of(envelope)
    except NoMatchingKey:
        raise
    except (nacl.exceptions.CryptoError, DecryptionError):
        candidates = ()
    for key in candidates:
        padded = _decrypt(envelope, key)
        if padded is not None:
            break
    else:
        raise DecryptionError("authentication failed: tampered, corrupt or moved")
    try:
        return sodium.sodium_unpad(padded, len(padded))
    except (nacl.exceptions.CryptoError, ValueError):
        raise DecryptionError("bad padding") from None
