"""The receipt code, derived the way the reporter's browser does (docs/spec/mailbox-v1.md §1-2).

Used by the tests, the vectors and the benchmark to check the browser's derivation; the
inspector's tool never sees a receipt code in normal use.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import nacl.bindings as sodium
import nacl.hash
import nacl.pwhash.argon2id as argon2id
import nacl.utils

from functions import mailbox_token
from functions.errors import WbsError

SYMBOLS = 20  # 100 bits
OPSLIMIT = 3
MEMLIMIT = 64 * 1024 * 1024
SALT = nacl.hash.blake2b(b"wbs/v1/receipt-salt", digest_size=16, encoder=nacl.encoding.RawEncoder)
SEPARATORS = re.compile(r"[\s\-._]+")
CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
CODE_RE = re.compile(r"[0-9A-HJKMNP-TV-Z]{20}")


class ReceiptError(WbsError, ValueError):
    """A receipt code is not 20 symbols of Crockford's base32, even after normalising."""


class Derived(NamedTuple):
    secret_key: bytes  # X25519: opens the inspectorate's replies
    public_key: bytes
    token: bytes  # opens the mailbox (Authorization: Bearer)
    signing_key: bytes  # Ed25519, libsodium's 64-byte form: signs follow-ups
    signing_public_key: bytes  # registered with the mailbox when the report is stored

    @property
    def report_id(self) -> str:
        return mailbox_token.report_id(self.token)

    @property
    def verifier(self) -> str:
        return mailbox_token.verifier(self.token)


def new_code() -> str:
    raw = nacl.utils.random((SYMBOLS * 5 + 7) // 8)  # 13 bytes; the low 100 bits are used
    return group(mailbox_token.crockford(raw))


def group(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalize(typed: str) -> str:
    """Forgive case, spaces, dashes, dots and the usual look-alikes (O/0, I/L/1, U/V)."""
    code = SEPARATORS.sub("", typed).upper().translate(CONFUSABLE)
    if not CODE_RE.fullmatch(code):
        raise ReceiptError("a receipt code has 20 letters and digits")
    return code


def _label(label: bytes, key: bytes) -> bytes:
    return nacl.hash.blake2b(label, digest_size=32, key=key, encoder=nacl.encoding.RawEncoder)


def derive(code: str) -> Derived:
    """The reporter's keys and token: one Argon2id seed, then a keyed BLAKE2b per purpose
    (docs/spec/mailbox-v1.md §2, docs/spec/signature-v2.md §5)."""
    seed = argon2id.kdf(32, normalize(code).encode("ascii"), SALT, OPSLIMIT, MEMLIMIT)
    secret = _label(b"wbs/v1/reporter-x25519", seed)
    token = _label(b"wbs/v1/mailbox-token", seed)
    signing_public, signing = sodium.crypto_sign_seed_keypair(
        _label(b"wbs/v2/reporter-ed25519", seed)
    )
    return Derived(secret, sodium.crypto_scalarmult_base(secret), token, signing, signing_public)
