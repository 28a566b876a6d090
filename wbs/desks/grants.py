"""Membership grants and case grants (docs/spec/desks-v2.md sections 2 and 5): a secret sealed
to one key with ``crypto_box_seal`` and signed by whoever granted it.

A membership grant holds one generation of a desk's X25519 secret key, sealed to one member
(a person, or the recovery key); a case grant holds one case's content keys, sealed to another
desk. Both are stored create-only and checked before use: a grant whose signature, desk key or
content does not match the keyring is never used.
"""

from __future__ import annotations

import datetime

import nacl.exceptions
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.signing import VerifyKey

from functions import membership
from functions.grants import (
    CASE_GRANT,
    CASE_KEYS,
    DESK_GRANT,
    TIME,
    Grant,
    GrantError,
    case_keys,
    parse,
    read_case_keys,
    signed_bytes,
)
from functions.keyring import DeskEntry, Keyring
from functions.signature import Signature
from functions.storage import layout
from wbs.crypto import Identity

# The format is functions.grants'; the tool's code finds it here beside sealing and opening.
__all__ = [
    "CASE_GRANT",
    "CASE_KEYS",
    "DESK_GRANT",
    "TIME",
    "Grant",
    "GrantError",
    "case_grant",
    "case_keys",
    "check",
    "desk_grant",
    "open_case_grant",
    "open_desk_grant",
    "parse",
    "read_case_keys",
    "signed_bytes",
    "verify",
]


def _signed(unsigned: Grant, granter: Identity) -> Grant:
    if granter.signing_key is None:
        raise GrantError(
            f"your key {granter.kid} cannot sign a grant",
            hint="give it its signing key first: wbs keys upgrade",
        )
    sig = granter.signing_key.sign(signed_bytes(unsigned.body())).signature
    return Grant(**{**unsigned.__dict__, "signature": Signature(granter.kid, sig)})


def _now(now: datetime.datetime | None) -> datetime.datetime:
    return now or datetime.datetime.now(datetime.UTC)


def desk_grant(
    entry: DeskEntry,
    desk_secret: PrivateKey,
    member: str,
    member_public: bytes,
    granter: Identity,
    now: datetime.datetime | None = None,
) -> tuple[str, bytes]:
    """One generation of a desk's secret key sealed to ``member``, signed by ``granter``: the
    storage key and the bytes to store create-only."""
    if bytes(desk_secret.public_key) != entry.public_key_bytes:
        raise GrantError(f"the key given for desk {entry.desk} ({entry.generation}) is not its key")
    sealed = SealedBox(PublicKey(member_public)).encrypt(bytes(desk_secret))
    unsigned = Grant(
        DESK_GRANT,
        entry.desk,
        entry.generation,
        entry.kid,
        _now(now).strftime(TIME),
        sealed,
        Signature(granter.kid, b""),
        member=member,
    )
    grant = _signed(unsigned, granter)
    return layout.desk_grant(entry.desk, entry.generation, member), grant.to_bytes()


def case_grant(
    report_id: str,
    entry: DeskEntry,
    payload: bytes,
    granter: Identity,
    now: datetime.datetime | None = None,
) -> tuple[str, bytes]:
    """A case's content keys (``payload``, docs/spec/desks-v2.md section 5) sealed to the
    active generation of another desk, signed by ``granter``: the storage key and bytes."""
    moment = _now(now)
    sealed = SealedBox(PublicKey(entry.public_key_bytes)).encrypt(payload)
    unsigned = Grant(
        CASE_GRANT,
        entry.desk,
        entry.generation,
        entry.kid,
        moment.strftime(TIME),
        sealed,
        Signature(granter.kid, b""),
        case=report_id,
    )
    grant = _signed(unsigned, granter)
    return layout.share(report_id, moment, entry.desk), grant.to_bytes()


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Ed25519 with PyNaCl: functions.membership's ``verify``."""
    try:
        VerifyKey(public_key).verify(message, signature)
    except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
        return False
    return True


def check(grant: Grant, ring: Keyring) -> str:
    """ "" when ``grant`` is signed by a key of the keyring (a person or the recovery key)
    and names a desk generation of it; else why it is not used (functions.membership)."""
    return membership.problem(grant, ring, verify)


def open_desk_grant(grant: Grant, member: Identity, ring: Keyring) -> PrivateKey:
    """The desk secret key a verified membership grant holds for ``member``: GrantError if the
    grant is not for it, not verified, does not open, or holds another key than the
    keyring's."""
    if grant.format != DESK_GRANT or grant.member != member.kid:
        raise GrantError(f"the grant is not one for key {member.kid}")
    problem = check(grant, ring)
    if problem:
        raise GrantError(f"grant of desk {grant.desk} ({grant.generation}) not used: {problem}")
    try:
        secret = PrivateKey(member.unsealer().decrypt(grant.sealed))
    except (nacl.exceptions.CryptoError, ValueError, TypeError):
        raise GrantError(f"grant of desk {grant.desk} ({grant.generation}) does not open") from None
    entry = ring.generation(grant.desk, grant.generation)
    if entry is None or bytes(secret.public_key) != entry.public_key_bytes:
        raise GrantError(f"grant of desk {grant.desk} ({grant.generation}) holds another key")
    return secret


def open_case_grant(grant: Grant, desk_secret: PrivateKey, ring: Keyring) -> bytes:
    """The payload of a verified case grant, opened with its desk's secret key."""
    problem = check(grant, ring)
    if problem:
        raise GrantError(f"case grant to desk {grant.desk} not used: {problem}")
    try:
        return SealedBox(desk_secret).decrypt(grant.sealed)
    except (nacl.exceptions.CryptoError, ValueError, TypeError):
        raise GrantError(f"case grant to desk {grant.desk} does not open") from None
