"""Membership grants and case grants (docs/spec/desks-v2.md sections 2 and 5): a secret sealed
to one key and signed by whoever granted it.

A membership grant holds one generation of a desk's secret key, sealed to one member (a
person, or the recovery key); a case grant holds one case's content keys, sealed to another
desk. The generation's type says how: an X25519 desk's secret key with ``crypto_box_seal`` to
the member's X25519 key (its case grants likewise to the desk key); a hybrid desk's 32-byte
X-Wing seed with X-Wing to the member's X-Wing key, never to an X25519 key, which would undo
the protection (its case grants likewise to the hybrid desk key; docs/spec/xwing-v1.md section
8). Both are stored create-only and checked before use: a grant whose signature, desk key or
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
from wbs import xwing, xwing_stanza
from wbs.crypto import DecryptionError, Identity

# A desk generation's secret key: X25519, or the seed of a hybrid (X-Wing) desk key.
DeskSecret = PrivateKey | xwing.DecapsulationKey

# The format is functions.grants'; the tool's code finds it here beside sealing and opening.
__all__ = [
    "CASE_GRANT",
    "CASE_KEYS",
    "DESK_GRANT",
    "TIME",
    "DeskSecret",
    "Grant",
    "GrantError",
    "case_grant",
    "case_keys",
    "check",
    "desk_grant",
    "open_case_grant",
    "open_desk_grant",
    "parse",
    "public_of",
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


def public_of(secret: DeskSecret) -> bytes:
    """The public key of a desk secret, as the keyring lists it."""
    if isinstance(secret, xwing.DecapsulationKey):
        return secret.public_key
    return bytes(secret.public_key)


def _seal_secret(secret: DeskSecret, member_public: bytes) -> bytes:
    if isinstance(secret, xwing.DecapsulationKey):
        if len(member_public) != xwing.PUBLIC_KEY_BYTES:
            raise GrantError("a hybrid desk is granted to X-Wing keys only, never to X25519")
        return xwing_stanza.seal(secret.seed, member_public, xwing_stanza.DESK_GRANT)
    return SealedBox(PublicKey(member_public)).encrypt(bytes(secret))


def _now(now: datetime.datetime | None) -> datetime.datetime:
    return now or datetime.datetime.now(datetime.UTC)


def desk_grant(
    entry: DeskEntry,
    desk_secret: DeskSecret,
    member: str,
    member_public: bytes,
    granter: Identity,
    now: datetime.datetime | None = None,
) -> tuple[str, bytes]:
    """One generation of a desk's secret key sealed to ``member`` (``member_public``: its
    X25519 key, or its X-Wing key for a hybrid desk), signed by ``granter``: the storage key
    and the bytes to store create-only."""
    if public_of(desk_secret) != entry.public_key_bytes:
        raise GrantError(f"the key given for desk {entry.desk} ({entry.generation}) is not its key")
    sealed = _seal_secret(desk_secret, member_public)
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
    if entry.hybrid:
        sealed = xwing_stanza.seal(payload, entry.public_key_bytes, xwing_stanza.CASE_GRANT)
    else:
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


def open_desk_grant(grant: Grant, member: Identity, ring: Keyring) -> DeskSecret:
    """The desk secret key a verified membership grant holds for ``member``: GrantError if the
    grant is not for it, not verified, does not open, or holds another key than the
    keyring's. A hybrid generation's grant opens with the member's X-Wing key only."""
    if grant.format != DESK_GRANT or grant.member != member.kid:
        raise GrantError(f"the grant is not one for key {member.kid}")
    problem = check(grant, ring)
    if problem:
        raise GrantError(f"grant of desk {grant.desk} ({grant.generation}) not used: {problem}")
    entry = ring.generation(grant.desk, grant.generation)
    what = f"grant of desk {grant.desk} ({grant.generation})"
    if entry is not None and entry.hybrid and member.xwing is None:
        raise GrantError(f"{what} is hybrid: your key has no X-Wing key to open it")
    secret: DeskSecret
    try:
        if entry is not None and entry.hybrid and member.xwing is not None:
            seed = xwing_stanza.open_sealed(grant.sealed, member.xwing, xwing_stanza.DESK_GRANT)
            secret = xwing.DecapsulationKey(seed)
        else:
            secret = PrivateKey(member.unsealer().decrypt(grant.sealed))
    except (nacl.exceptions.CryptoError, DecryptionError, ValueError, TypeError):
        raise GrantError(f"{what} does not open") from None
    if entry is None or public_of(secret) != entry.public_key_bytes:
        raise GrantError(f"{what} holds another key")
    return secret


def open_case_grant(grant: Grant, desk_secret: DeskSecret, ring: Keyring) -> bytes:
    """The payload of a verified case grant, opened with its desk's secret key."""
    problem = check(grant, ring)
    if problem:
        raise GrantError(f"case grant to desk {grant.desk} not used: {problem}")
    try:
        if isinstance(desk_secret, xwing.DecapsulationKey):
            return xwing_stanza.open_sealed(grant.sealed, desk_secret, xwing_stanza.CASE_GRANT)
        return SealedBox(desk_secret).decrypt(grant.sealed)
    except (nacl.exceptions.CryptoError, DecryptionError, ValueError, TypeError):
        raise GrantError(f"case grant to desk {grant.desk} does not open") from None
