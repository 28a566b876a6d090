"""The recovery key (docs/spec/desks-v2.md section 3): derived from a 32-byte master secret
that exists only in memory, split into SLIP-39 word shares (``shamir-mnemonic``) for officials
who keep them apart, and put together again from any ``threshold`` of them.

The three keys come from the master secret through libsodium's ``crypto_kdf`` construction
(BLAKE2b keyed with the master, the subkey id as salt, "wbsrecov" as personalisation), which
hashlib's blake2b computes exactly: X25519 (subkey 1), Ed25519 (2) and the X-Wing seed (3,
docs/spec/xwing-v1.md). Deriving the X-Wing seed is safe because the master is never
published: a quantum adversary who solves the X25519 public key for subkey 1 learns that
subkey, not the master, and BLAKE2b's other outputs stay unrelated. Nothing else is derived
or stored.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

import shamir_mnemonic
from nacl.public import PrivateKey
from nacl.signing import SigningKey
from shamir_mnemonic.share import Share

from functions.errors import WbsError
from wbs import xwing
from wbs.crypto import Identity

MASTER_BYTES = 32
CONTEXT = b"wbsrecov"  # crypto_kdf's 8-byte context
X25519_SUBKEY = 1
ED25519_SUBKEY = 2
XWING_SUBKEY = 3
THRESHOLD = 3
SHARES = 5
LABEL = "Kunci pemulihan (recovery key)"


class ShareError(WbsError, ValueError):
    """A share is mistyped, from another set, or too few shares were given."""


def kdf(master: bytes, subkey_id: int) -> bytes:
    """``crypto_kdf_derive_from_key(32, subkey_id, "wbsrecov", master)``."""
    salt = subkey_id.to_bytes(8, "little") + bytes(8)
    person = CONTEXT + bytes(8)
    return hashlib.blake2b(b"", digest_size=32, key=master, salt=salt, person=person).digest()


def new_master() -> bytes:
    return secrets.token_bytes(MASTER_BYTES)


def identity(master: bytes) -> Identity:
    """The recovery key's three keys, derived from its master secret."""
    if len(master) != MASTER_BYTES:
        raise ShareError(f"the recovery secret must be {MASTER_BYTES} bytes")
    return Identity(
        PrivateKey(kdf(master, X25519_SUBKEY)),
        SigningKey(kdf(master, ED25519_SUBKEY)),
        xwing.DecapsulationKey(kdf(master, XWING_SUBKEY)),
    )


def split(master: bytes, threshold: int = THRESHOLD, shares: int = SHARES) -> list[str]:
    """The master secret as ``shares`` SLIP-39 mnemonics (one group, no passphrase), any
    ``threshold`` of which give it back."""
    if not 1 <= threshold <= shares <= 16:
        raise ShareError(
            "a recovery key needs 1 <= threshold <= shares <= 16", hint="the default is 3 of 5"
        )
    groups = shamir_mnemonic.generate_mnemonics(1, [(threshold, shares)], master)
    return list(groups[0])


def read_share(words: str) -> Share:
    """One typed share, checked: its words and its checksum (which catches any one mistyped
    word); ShareError naming the problem otherwise."""
    text = " ".join(words.lower().split())
    try:
        return Share.from_mnemonic(text)
    except shamir_mnemonic.MnemonicError as exc:
        raise ShareError(
            f"this share is not valid: {exc}",
            hint="check every word against the printed sheet and type the share again",
        ) from None


def combine(shares: Iterable[str]) -> bytes:
    """The master secret from ``threshold`` or more shares of one set."""
    typed = [" ".join(s.lower().split()) for s in shares]
    for text in typed:
        read_share(text)
    try:
        master: bytes = shamir_mnemonic.combine_mnemonics(typed)
    except shamir_mnemonic.MnemonicError as exc:
        raise ShareError(
            f"the shares do not give the recovery key: {exc}",
            hint="type shares of this inspectorate's set, as many as its threshold",
        ) from None
    return master
