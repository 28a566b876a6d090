"""Grants, the format (docs/spec/desks-v2.md sections 3 and 6): a membership grant (one
generation of a desk's secret key sealed to one member) and a case grant (one case's content
keys sealed to another desk), each signed by whoever granted it and stored create-only.

Pure data: nothing here holds a key or opens a seal. The inspector's tool seals, opens and
checks with PyNaCl (wbs/desks/grants.py); the functions read grants to decide, from public
data alone, who counts as a desk's member (functions/membership.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from functions import envelope as fmt
from functions.errors import EnvelopeError, WbsError
from functions.keyring import DESK_ID_RE
from functions.signature import Signature
from functions.signature import parse as parse_signature
from functions.storage import layout

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


def parse(key: str, data: bytes) -> Grant:
    """A stored grant, checked against the name it is stored under; GrantError otherwise."""
    try:
        doc = fmt.loads_strict(data)
    except EnvelopeError as exc:
        raise GrantError(f"{key}: {exc}") from None
    # {} has the members of no format: it is no grant (not the empty set of an unknown one)
    named = doc.get("format") if isinstance(doc, dict) else None
    fields = FIELDS.get(named) if isinstance(named, str) else None
    if fields is None or set(doc) != fields:
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
    common = (desk, generation, doc["desk_kid"], doc["granted"], sealed, signature)
    if doc["format"] == DESK_GRANT:
        if layout.parse_desk_grant(key) != (desk, generation, doc["member"]):
            raise GrantError(f"{key}: the grant inside is for another desk, generation or member")
        return Grant(DESK_GRANT, *common, member=doc["member"])
    if layout.share_desk(key) != desk or layout.case_of(key) != doc["id"]:
        raise GrantError(f"{key}: the grant inside is for another case or desk")
    return Grant(CASE_GRANT, *common, case=doc["id"])


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
