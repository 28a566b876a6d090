"""Membership grants and case grants (docs/spec/desks-v2.md sections 2 and 5): a secret sealed
to one key with ``crypto_box_seal`` and signed by whoever granted it.

A membership grant holds one generation of a desk's X25519 secret key, sealed to one member
(a person, or the recovery key); a case grant holds one case's content keys, sealed to another
desk. Both are stored create-only and checked before use: a grant whose signature, desk key or
content does not match the keyring is never used.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import nacl.exceptions
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.signing import VerifyKey

from functions import envelope as fmt
from functions.errors import EnvelopeError, WbsError
from functions.keyring import DESK_ID_RE, DeskEntry, Keyring
from functions.signature import Signature
from functions.signature import parse as parse_signature
from functions.storage import layout
from wbs.crypto import Identity

DESK_GRANT = "wbs-desk-grant/2"
CASE_GRANT = "wbs-case-grant/2"
CONTEXTS = {DESK_GRANT: b"wbs/v2/desk-grant", CASE_GRANT: b"wbs/v2/case-grant"}
FIELDS = {
    DESK_GRANT: frozenset(
        {"format", "desk", "generation", "desk_kid", "member", "granted", "sealed", "signature"}
    ),
    CASE_GRANT: frozenset(
        {"format", "id", "desk", "generation", "desk_kid", "granted", "sealed", "signature"}
    ),
}
TIME = "%Y-%m-%dT%H:%M:%SZ"
MAX_SEALED = 4 * 1024 * 1024  # a case grant of many thousands of content keys still fits


class GrantError(WbsError, ValueError):
    """A grant is malformed, not signed by a key of the keyring, or does not open."""


@dataclass(frozen=True)
class Grant:
    """A stored grant, parsed. ``member`` is a membership grant's member; ``case`` a case
    grant's report id (the other is "")."""

    format: str
    desk: str
    generation: int
    desk_kid: str
    granted: str
    sealed: bytes
    signature: Signature
    member: str = ""
    case: str = ""

    def body(self) -> dict[str, Any]:
        """The document without its signature: what is signed."""
        body: dict[str, Any] = {
            "format": self.format,
            "desk": self.desk,
            "generation": self.generation,
            "desk_kid": self.desk_kid,
            "granted": self.granted,
            "sealed": fmt.b64encode(self.sealed),
        }
        if self.format == DESK_GRANT:
            body["member"] = self.member
        else:
            body["id"] = self.case
        return body

    def to_bytes(self) -> bytes:
        return fmt.canonical_json(self.body() | {"signature": self.signature.to_json()})

    @property
    def by(self) -> str:
        return self.signature.by


def signed_bytes(body: dict[str, Any]) -> bytes:
    """``context || 0x00 || canonical JSON of the document without "signature"``."""
    return CONTEXTS[body["format"]] + b"\x00" + fmt.canonical_json(body)


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


def parse(key: str, data: bytes) -> Grant:
    """A stored grant, checked against the name it is stored under; GrantError otherwise."""
    try:
        doc = fmt.loads_strict(data)
    except EnvelopeError as exc:
        raise GrantError(f"{key}: {exc}") from None
    shape = FIELDS.get(str(doc.get("format"))) if isinstance(doc, dict) else None
    if shape is None or set(doc) != shape:  # `{}` too: it has no format at all
        raise GrantError(f"{key} is not a {DESK_GRANT} or {CASE_GRANT} document")
    try:
        signature = parse_signature(doc["signature"])
        sealed = fmt.b64decode(doc["sealed"], "sealed")
    except ValueError as exc:
        raise GrantError(f"{key}: {exc}") from None
    desk, generation = doc["desk"], doc["generation"]
    if not isinstance(desk, str) or not DESK_ID_RE.fullmatch(desk):
        raise GrantError(f"{key}: desk is not a desk id")
    if type(generation) is not int or generation < 1:
        raise GrantError(f"{key}: generation must be a whole number from 1")
    if not isinstance(doc["desk_kid"], str) or not fmt.KID_RE.fullmatch(doc["desk_kid"]):
        raise GrantError(f"{key}: desk_kid is not a key id")
    if not isinstance(doc["granted"], str) or len(sealed) > MAX_SEALED:
        raise GrantError(f"{key}: granted must be a time, and sealed at most 4 MiB")
    if doc["format"] == DESK_GRANT:
        member = doc["member"]
        if layout.parse_desk_grant(key) != (desk, generation, member):
            raise GrantError(f"{key}: the grant inside is for another desk, generation or member")
        return Grant(
            DESK_GRANT,
            desk,
            generation,
            doc["desk_kid"],
            doc["granted"],
            sealed,
            signature,
            member=member,
        )
    if layout.share_desk(key) != desk or layout.case_of(key) != doc["id"]:
        raise GrantError(f"{key}: the grant inside is for another case or desk")
    return Grant(
        CASE_GRANT,
        desk,
        generation,
        doc["desk_kid"],
        doc["granted"],
        sealed,
        signature,
        case=doc["id"],
    )


def check(grant: Grant, ring: Keyring) -> str:
    """ "" when ``grant`` is signed by a key of the keyring (a person or the recovery key)
    and names a desk generation of it; else why it is not used."""
    entry = next(
        (d for d in ring.generations(grant.desk) if d.generation == grant.generation), None
    )
    if entry is None or entry.kid != grant.desk_kid:
        return f"desk {grant.desk} has no generation {grant.generation} with key {grant.desk_kid}"
    signer = ring.signing_keys().get(grant.by)
    if signer is None:
        return f"it is signed by {grant.by}, which is no signing key of the keyring"
    try:
        VerifyKey(signer).verify(signed_bytes(grant.body()), grant.signature.sig)
    except nacl.exceptions.BadSignatureError:
        return "its signature does not match it"
    return ""


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
    entry = next(d for d in ring.generations(grant.desk) if d.generation == grant.generation)
    if bytes(secret.public_key) != entry.public_key_bytes:
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


CASE_KEYS = "wbs-case-keys/2"


def case_keys(reason: str, keys: dict[bytes, bytes]) -> bytes:
    """A case grant's payload: why it was shared, and each envelope's content key by nonce."""
    pairs = [{"nonce": fmt.b64encode(n), "key": fmt.b64encode(k)} for n, k in sorted(keys.items())]
    return fmt.canonical_json({"schema": CASE_KEYS, "reason": reason, "keys": pairs})


def read_case_keys(payload: bytes) -> tuple[str, dict[bytes, bytes]]:
    """A case grant's payload as (reason, content keys by nonce); GrantError if malformed."""
    try:
        doc = fmt.loads_strict(payload)
        if not isinstance(doc, dict) or set(doc) != {"schema", "reason", "keys"}:
            raise GrantError("not a case-keys document")
        if doc["schema"] != CASE_KEYS or not isinstance(doc["reason"], str):
            raise GrantError("not a case-keys document")
        if not isinstance(doc["keys"], list):
            raise GrantError("keys must be a list")
        out: dict[bytes, bytes] = {}
        for pair in doc["keys"]:
            if not isinstance(pair, dict) or set(pair) != {"nonce", "key"}:
                raise GrantError("each key must have exactly nonce and key")
            nonce, key = fmt.b64decode(pair["nonce"], "nonce"), fmt.b64decode(pair["key"], "key")
            if len(nonce) != fmt.NONCE_BYTES or len(key) != 32:
                raise GrantError("a nonce is 24 bytes and a key 32")
            out[nonce] = key
    except (EnvelopeError, ValueError) as exc:
        raise GrantError(f"a case grant's content is malformed: {exc}") from None
    return doc["reason"], out
