"""Envelope format v1: structure only (docs/spec/envelope-v1.md).

This module parses and checks the *shape* of an envelope: version, kind, id, recipient
stanzas, sizes and encodings. It holds no key and imports nothing that decrypts, so the
public functions can use it to refuse garbage before anything is stored. The inspector's
tool (``wbs.crypto``) builds on it to open envelopes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from functions.errors import EnvelopeError, UnsupportedVersion

VERSION = 1
KINDS = frozenset({"report", "followup", "reply"})
# An inspectors' internal note (mailbox-v1 section 7): never in KINDS, so that the public API
# and the reporter's page refuse one; only the inspector's tool reads it, with NOTE_KINDS.
NOTE = "note"
NOTE_KINDS = frozenset({NOTE})
MAX_RECIPIENTS = 16
MIN_BUCKET = 1024
MAX_BUCKET = 512 * 1024
TAG_BYTES = 16
NONCE_BYTES = 24
SEALED_BYTES = 32 + 16 + 32  # crypto_box_seal of a 32-byte content key
# 16 characters of Crockford's base32 alphabet (no I, L, O, U): 80 random bits.
ID_RE = re.compile(r"[0-9A-HJKMNP-TV-Z]{16}")
KID_RE = re.compile(r"[0-9a-f]{16}")
TYPE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
MEMBER_RE = re.compile(r"[A-Za-z0-9_]{1,32}")  # an unknown member's name short enough to name
X25519 = "X25519"
XWING = "X-Wing"  # docs/spec/xwing-v1.md
XWING_SEALED_BYTES = 1120 + 32 + 16  # X-Wing ciphertext, sealed content key, tag
FIELDS = frozenset({"v", "kind", "id", "recipients", "nonce", "ciphertext"})
MAX_ENVELOPE_BYTES = 1024 * 1024


class Recipient(NamedTuple):
    """One recipient stanza. ``body`` is the sealed content key for type X25519."""

    type: str
    kid: str
    body: bytes


class Envelope(NamedTuple):
    """A parsed envelope (immutable; a tuple because inspectors parse thousands at a time)."""

    version: int
    kind: str
    id: str
    recipients: tuple[Recipient, ...]
    nonce: bytes
    ciphertext: bytes

    @property
    def associated_data(self) -> bytes:
        return associated_data(self.kind, self.id)

    def to_json(self) -> dict[str, Any]:
        return {
            "v": self.version,
            "kind": self.kind,
            "id": self.id,
            "recipients": [
                {"type": r.type, "kid": r.kid, "sealed": b64encode(r.body)} for r in self.recipients
            ],
            "nonce": b64encode(self.nonce),
            "ciphertext": b64encode(self.ciphertext),
        }


def associated_data(kind: str, report_id: str) -> bytes:
    """The context every ciphertext is bound to: version, kind and report id."""
    return b"wbs/v1\x00" + kind.encode("ascii") + b"\x00" + report_id.encode("ascii")


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(value: object, field: str) -> bytes:
    """Strict, canonical base64 (RFC 4648 section 4, with padding, no whitespace)."""
    if not isinstance(value, str):
        raise EnvelopeError(f"{field} must be a base64 string")
    try:
        raw = binascii.a2b_base64(value, strict_mode=True)
    except (binascii.Error, ValueError):
        raise EnvelopeError(f"{field} is not valid base64") from None
    # Only a padded last quantum can hide non-zero unused bits: re-encode just that one.
    tail = 3 - len(value) + len(value.rstrip("="))
    if tail < 3 and binascii.b2a_base64(raw[-tail:], newline=False) != value[-4:].encode():
        raise EnvelopeError(f"{field} is not canonical base64")
    return raw


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise EnvelopeError("duplicate member in a JSON object")
    return out


def _reject_constant(name: str) -> Any:
    raise EnvelopeError(f"{name} is not JSON")


# One decoder for every call: json.loads with hooks would build a new one each time.
_DECODER = json.JSONDecoder(object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant)


def loads_strict(data: bytes | str) -> Any:
    """Parse UTF-8 JSON, refusing duplicate members, NaN/Infinity and deep nesting."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return _DECODER.decode(text)
    except EnvelopeError:
        raise
    except RecursionError:
        raise EnvelopeError("JSON is nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise EnvelopeError("not valid UTF-8 JSON") from None


def canonical_json(value: Any) -> bytes:
    """How stored records are written: sorted keys, no spaces, ASCII."""
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode("ascii")


def is_bucket(size: int) -> bool:
    """Padded plaintext sizes are powers of two from MIN_BUCKET to MAX_BUCKET."""
    return MIN_BUCKET <= size <= MAX_BUCKET and size & (size - 1) == 0


def parse(data: bytes | str | Mapping[str, Any], kinds: frozenset[str] = KINDS) -> Envelope:
    """Check an envelope's structure; raise EnvelopeError naming the first problem.

    ``kinds`` are the kinds this reader accepts: by default every kind but ``note``."""
    if isinstance(data, bytes | str):
        if len(data) > MAX_ENVELOPE_BYTES:
            raise EnvelopeError("envelope is too large")
        data = loads_strict(data)
    if not isinstance(data, Mapping):
        raise EnvelopeError("envelope must be a JSON object")
    version = data.get("v")
    if type(version) is not int:
        raise EnvelopeError("v must be an integer")
    if version != VERSION:
        # Errors are answered to the sender: they repeat nothing long from the envelope.
        shown = f" {version}" if abs(version) < 1000 else ""
        raise UnsupportedVersion(f"unsupported envelope version{shown}")
    if data.keys() != FIELDS:
        missing = sorted(FIELDS - data.keys())
        if missing:
            raise EnvelopeError(f"missing member {missing[0]!r}")
        unknown = sorted(str(name) for name in data.keys() - FIELDS)[0]
        shown = f" {unknown!r}" if MEMBER_RE.fullmatch(unknown) else ""
        raise EnvelopeError(f"unknown member{shown}")
    kind = data["kind"]
    if not isinstance(kind, str) or kind not in kinds:
        raise EnvelopeError("kind is not one of " + ", ".join(sorted(kinds)))
    report_id = data["id"]
    if not isinstance(report_id, str) or not ID_RE.fullmatch(report_id):
        raise EnvelopeError("id must be 16 characters of Crockford base32 (upper case)")
    recipients = _parse_recipients(data["recipients"])
    nonce = b64decode(data["nonce"], "nonce")
    if len(nonce) != NONCE_BYTES:
        raise EnvelopeError(f"nonce must be {NONCE_BYTES} bytes")
    ciphertext = b64decode(data["ciphertext"], "ciphertext")
    if not is_bucket(len(ciphertext) - TAG_BYTES):
        raise EnvelopeError("ciphertext length is not a padding bucket plus the tag")
    return Envelope(version, kind, report_id, recipients, nonce, ciphertext)


def _parse_recipients(value: object) -> tuple[Recipient, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_RECIPIENTS:
        raise EnvelopeError(f"recipients must be a list of 1 to {MAX_RECIPIENTS} stanzas")
    out: list[Recipient] = []
    for stanza in value:
        if not isinstance(stanza, dict) or set(stanza) != {"type", "kid", "sealed"}:
            raise EnvelopeError("each recipient must have exactly type, kid and sealed")
        rtype, kid = stanza["type"], stanza["kid"]
        if not isinstance(rtype, str) or not TYPE_RE.fullmatch(rtype):
            raise EnvelopeError("recipient type is not a valid name")
        if not isinstance(kid, str) or not KID_RE.fullmatch(kid):
            raise EnvelopeError("recipient kid must be 16 lower-case hex digits")
        body = b64decode(stanza["sealed"], "recipient sealed")
        if rtype == X25519 and len(body) != SEALED_BYTES:
            raise EnvelopeError(f"X25519 sealed key must be {SEALED_BYTES} bytes")
        if rtype == XWING and len(body) != XWING_SEALED_BYTES:
            raise EnvelopeError(f"X-Wing sealed key must be {XWING_SEALED_BYTES} bytes")
        if len(body) > 4096:
            raise EnvelopeError("recipient stanza is too large")
        out.append(Recipient(rtype, kid, body))
    if len({(r.type, r.kid) for r in out}) != len(out):
        raise EnvelopeError("recipient kids must be unique")
    return tuple(out)
