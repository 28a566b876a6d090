"""Signatures on stored items, version 2 (docs/spec/signature-v2.md): the bytes that are
signed, and the ``signature`` member of a stored message or note.

An inspector signs every reply, status change, note and access record with the Ed25519 key
of their identity (docs/spec/keys-v2.md); readers verify against the keyring. What is signed
binds the format version, the envelope's kind and case id, the signer and the sealed bytes
themselves, so a signature cannot be moved to another item, another case or another signer.
Nothing here holds a key or checks a signature: this is the format, shared by the functions
(which pass signatures through) and the inspector's tool (which makes and checks them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from functions import envelope as fmt
from functions.errors import EnvelopeError

CONTEXT = b"wbs/v2/signature"
SIGNATURE_BYTES = 64
FIELDS = frozenset({"by", "sig"})
# The signer of a reporter's follow-up: the key derived from the receipt code.
REPORTER = "reporter"


@dataclass(frozen=True)
class Signature:
    by: str  # the signer: an inspector's key id, or REPORTER
    sig: bytes  # 64 bytes of Ed25519

    def to_json(self) -> dict[str, str]:
        return {"by": self.by, "sig": fmt.b64encode(self.sig)}


def signed_bytes(envelope: fmt.Envelope, by: str) -> bytes:
    """``"wbs/v2/signature" 0x00 kind 0x00 id 0x00 by 0x00 canonical JSON of the envelope``."""
    head = b"\x00".join(
        [CONTEXT, envelope.kind.encode("ascii"), envelope.id.encode("ascii"), by.encode("ascii")]
    )
    return head + b"\x00" + fmt.canonical_json(envelope.to_json())


def parse(value: Any) -> Signature:
    """A stored ``signature`` member: ``{"by", "sig"}``; EnvelopeError if it is malformed."""
    if not isinstance(value, dict) or value.keys() != FIELDS:
        raise EnvelopeError("a signature must have exactly by and sig")
    by = value["by"]
    if not isinstance(by, str) or not (by == REPORTER or fmt.KID_RE.fullmatch(by)):
        raise EnvelopeError("a signature's signer must be a key id or reporter")
    try:
        sig = fmt.b64decode(value["sig"], "sig")
    except ValueError as exc:
        raise EnvelopeError(str(exc)) from None
    if len(sig) != SIGNATURE_BYTES:
        raise EnvelopeError(f"a signature must be {SIGNATURE_BYTES} bytes")
    return Signature(by, sig)
