"""X-Wing, the hybrid post-quantum KEM of draft-connolly-cfrg-xwing-kem (ML-KEM-768 and X25519
combined through SHA3-256), from pyca/cryptography's primitives and hashlib.

Nothing here is home-made: ML-KEM-768 and X25519 are pyca/cryptography's (OpenSSL), SHAKE256
and SHA3-256 are hashlib's; this module only wires them as the draft's sections 5.2 to 5.5 say.
The private key is the draft's 32-byte seed; `DecapsulationKey` is its expansion, kept for as
long as the caller holds it (the draft's "keeping expanded decapsulation key around").

pyca/cryptography offers no derandomized ML-KEM encapsulation (FIPS 203's
``Encaps_internal(ek, m)``), so there is no ``EncapsulateDerand`` here: the draft's vectors
check key generation and decapsulation in Python, and all three in the browser
(site/static/js/xwing.mjs).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

from functions.errors import WbsError

SEED_BYTES = 32
PUBLIC_KEY_BYTES = 1216  # ML-KEM-768 encapsulation key (1184) then X25519 public key (32)
CIPHERTEXT_BYTES = 1120  # ML-KEM-768 ciphertext (1088) then the X25519 ephemeral share (32)
MLKEM_PUBLIC_KEY_BYTES = 1184
MLKEM_CIPHERTEXT_BYTES = 1088
LABEL = b"\\.//^\\"  # the draft's XWingLabel, 5c2e2f2f5e5c


class XWingError(WbsError, ValueError):
    """An X-Wing key or ciphertext of the wrong size, or a key the ML-KEM check refuses."""


def _combine(ss_m: bytes, ss_x: bytes, ct_x: bytes, pk_x: bytes) -> bytes:
    return hashlib.sha3_256(ss_m + ss_x + ct_x + pk_x + LABEL).digest()


def _x25519_public(public_key: bytes) -> x25519.X25519PublicKey:
    return x25519.X25519PublicKey.from_public_bytes(public_key)


@dataclass(frozen=True)
class DecapsulationKey:
    """An X-Wing private key: its seed, expanded once into both halves."""

    seed: bytes = field(repr=False)
    _mlkem: mlkem.MLKEM768PrivateKey = field(init=False, repr=False, compare=False)
    _x25519: x25519.X25519PrivateKey = field(init=False, repr=False, compare=False)
    public_key: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.seed) != SEED_BYTES:
            raise XWingError(f"an X-Wing private key is {SEED_BYTES} bytes, not {len(self.seed)}")
        expanded = hashlib.shake_256(self.seed).digest(96)
        sk_m = mlkem.MLKEM768PrivateKey.from_seed_bytes(expanded[0:64])  # d || z
        sk_x = x25519.X25519PrivateKey.from_private_bytes(expanded[64:96])
        public = sk_m.public_key().public_bytes_raw() + sk_x.public_key().public_bytes_raw()
        object.__setattr__(self, "_mlkem", sk_m)
        object.__setattr__(self, "_x25519", sk_x)
        object.__setattr__(self, "public_key", public)

    @classmethod
    def generate(cls) -> DecapsulationKey:
        return cls(secrets.token_bytes(SEED_BYTES))

    def decapsulate(self, ciphertext: bytes) -> bytes:
        """The 32-byte shared secret. A tampered ML-KEM ciphertext gives another secret
        (ML-KEM's implicit rejection), never an error: the caller's AEAD tells."""
        if len(ciphertext) != CIPHERTEXT_BYTES:
            raise XWingError(f"an X-Wing ciphertext is {CIPHERTEXT_BYTES} bytes")
        ct_m, ct_x = ciphertext[:MLKEM_CIPHERTEXT_BYTES], ciphertext[MLKEM_CIPHERTEXT_BYTES:]
        ss_m = self._mlkem.decapsulate(ct_m)
        try:
            ss_x = self._x25519.exchange(_x25519_public(ct_x))
        except ValueError:  # a low-order share: pyca refuses the all-zero result
            raise XWingError("the X25519 share of the ciphertext is a low-order point") from None
        return _combine(ss_m, ss_x, ct_x, self.public_key[MLKEM_PUBLIC_KEY_BYTES:])


def encapsulate(public_key: bytes) -> tuple[bytes, bytes]:
    """(shared secret, ciphertext) for an X-Wing public key; fresh randomness every call."""
    if len(public_key) != PUBLIC_KEY_BYTES:
        raise XWingError(f"an X-Wing public key is {PUBLIC_KEY_BYTES} bytes, not {len(public_key)}")
    pk_m, pk_x = public_key[:MLKEM_PUBLIC_KEY_BYTES], public_key[MLKEM_PUBLIC_KEY_BYTES:]
    try:
        ek_m = mlkem.MLKEM768PublicKey.from_public_bytes(pk_m)  # FIPS 203 §7.2 check
    except (ValueError, InvalidKey):
        raise XWingError("the ML-KEM half of the public key fails FIPS 203's check") from None
    ek_x = x25519.X25519PrivateKey.generate()
    ct_x = ek_x.public_key().public_bytes_raw()
    try:
        ss_x = ek_x.exchange(_x25519_public(pk_x))
    except ValueError:
        raise XWingError("the X25519 half of the public key is a low-order point") from None
    ss_m, ct_m = ek_m.encapsulate()
    return _combine(ss_m, ss_x, ct_x, pk_x), ct_m + ct_x
