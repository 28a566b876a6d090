"""Proof-of-work challenges (docs/spec/pow-v1.md): issue one, and check a solved proof.

A challenge is stateless: the server keeps nothing when it issues one. It is 79 characters of
base64url (no padding) holding 59 bytes::

    version (1) = 1 | action (1) | difficulty (1) | expires (8, big-endian Unix seconds)
    | nonce (16) | HMAC-SHA256(secret, LABEL || the 27 bytes before it) (32)

A proof is ``<challenge>.<counter>`` (the counter in decimal) whose SHA-256 has at least
``difficulty`` leading zero bits. Everything here is ``hmac``, ``hashlib`` and ``secrets``;
nothing is stored here (``functions.proofs.Proofs`` writes the single-use marker).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import struct
from dataclasses import dataclass
from http import HTTPStatus

from functions.errors import WbsError

VERSION = 1
ACTIONS = {"report": 1, "followup": 2}
LABEL = b"wbs/v1/pow-challenge"
BODY = struct.Struct(">BBBQ16s")  # version, action, difficulty, expires, nonce: 27 bytes
MAC_BYTES = 32
CHALLENGE_BYTES = BODY.size + MAC_BYTES  # 59
CHALLENGE_CHARS = 79  # base64url of 59 bytes, without padding
MAX_COUNTER_DIGITS = 16
MAX_PROOF_CHARS = CHALLENGE_CHARS + 1 + MAX_COUNTER_DIGITS  # 96
MAX_DIFFICULTY = 32  # what the format carries; a server asks for at most MAX_SETTING
MAX_SETTING = 28
LIFETIME_SECONDS = 600
CHALLENGE_RE = re.compile(rf"[A-Za-z0-9_-]{{{CHALLENGE_CHARS}}}")
COUNTER_RE = re.compile(rf"0|[1-9][0-9]{{0,{MAX_COUNTER_DIGITS - 1}}}")


class ProofError(WbsError, ValueError):
    """A proof the API refuses: an HTTP status, a stable code and one sentence."""

    def __init__(self, status: HTTPStatus, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Challenge:
    text: str  # the 79 characters
    action: str
    difficulty: int
    expires: int  # Unix seconds


def issue(secret: bytes, action: str, difficulty: int, now: float) -> Challenge:
    """A fresh challenge for ``action``, valid for LIFETIME_SECONDS from ``now``."""
    if action not in ACTIONS or not 0 <= difficulty <= MAX_DIFFICULTY:
        raise ValueError("no such action, or a difficulty out of range")
    expires = int(now) + LIFETIME_SECONDS
    body = BODY.pack(VERSION, ACTIONS[action], difficulty, expires, secrets.token_bytes(16))
    raw = body + _mac(secret, body)
    text = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return Challenge(text, action, difficulty, expires)


def check(
    secret: bytes, header: str | None, action: str, least_difficulty: int, now: float
) -> Challenge:
    """The challenge of a solved proof (a ``Wbs-Proof`` header) for ``action``: well-formed
    (400 bad_proof), signed with ``secret``, for this action, asking at least
    ``least_difficulty`` bits and holding that much work (403 proof_rejected), not expired
    (403 proof_expired). Single use is not checked here: it needs storage."""
    text, counter = _split(header)
    raw = _decode(text)
    version, code, difficulty, expires, _ = BODY.unpack(raw[: BODY.size])
    if version != VERSION:
        raise _malformed(f"its version {version} is not one this server reads")
    if not hmac.compare_digest(_mac(secret, raw[: BODY.size]), raw[BODY.size :]):
        raise _rejected("this server did not issue its challenge")
    if code != ACTIONS[action]:
        raise _rejected(f"its challenge is not for a {action}")
    if expires <= now:
        raise ProofError(
            HTTPStatus.FORBIDDEN,
            "proof_expired",
            "The proof of work has expired: get a new challenge and send again.",
        )
    if difficulty < least_difficulty:
        raise _rejected("its challenge asks less work than this server now does")
    if work_bits(f"{text}.{counter}") < difficulty:
        raise _rejected("its counter does not meet the challenge's difficulty")
    return Challenge(text, action, difficulty, expires)


def work_bits(proof: str) -> int:
    """The number of leading zero bits of SHA-256(proof), from 0 to 256."""
    value = int.from_bytes(hashlib.sha256(proof.encode("ascii")).digest(), "big")
    return 256 - value.bit_length()


def marker_name(challenge: Challenge) -> str:
    """The hex SHA-256 of the challenge: its single-use marker is ``proofs/<this>``."""
    return hashlib.sha256(challenge.text.encode("ascii")).hexdigest()


def _mac(secret: bytes, body: bytes) -> bytes:
    return hmac.new(secret, LABEL + body, hashlib.sha256).digest()


def _split(header: str | None) -> tuple[str, str]:
    if not header:
        raise ProofError(
            HTTPStatus.BAD_REQUEST,
            "bad_proof",
            "This request needs a proof of work in its Wbs-Proof header: get a challenge "
            "from /api/challenge, solve it, and send again.",
        )
    if len(header) > MAX_PROOF_CHARS:
        raise _malformed(f"it is longer than {MAX_PROOF_CHARS} characters")
    text, dot, counter = header.partition(".")
    if not dot or not CHALLENGE_RE.fullmatch(text) or not COUNTER_RE.fullmatch(counter):
        raise _malformed("it is not <challenge>.<counter>")
    return text, counter


def _decode(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text + "=")
    except (binascii.Error, ValueError):
        raise _malformed("its challenge is not base64url") from None
    # Canonical only: the two unused bits of the last character must be zero.
    if base64.urlsafe_b64encode(raw).decode().rstrip("=") != text:
        raise _malformed("its challenge is not canonical base64url")
    return raw


def _malformed(problem: str) -> ProofError:
    return ProofError(
        HTTPStatus.BAD_REQUEST, "bad_proof", f"The Wbs-Proof header is not usable: {problem}."
    )


def _rejected(problem: str) -> ProofError:
    return ProofError(
        HTTPStatus.FORBIDDEN,
        "proof_rejected",
        f"The proof of work is refused: {problem}; get a new challenge and send again.",
    )
