"""The reporter's signing key, as the function sees it (docs/spec/signature-v2.md §5).

The reporter's page derives an Ed25519 pair from the receipt code. With the report it sends
the public key (``Wbs-Signing-Key``), which the verifier records; with each follow-up, the
signature of the envelope (``Wbs-Signature``), which the function checks against the
recorded key before it writes anything. Both headers are base64 and never logged.

Verification is functions/ed25519.py's (python-ecdsa: the function zip holds no compiled code).
"""

from __future__ import annotations

from http import HTTPStatus

from functions import answers, ed25519
from functions import envelope as fmt
from functions.signature import REPORTER, SIGNATURE_BYTES, Signature, signed_bytes

KEY_HEADER = "wbs-signing-key"  # on POST /api/reports: the reporter's Ed25519 public key
SIGNATURE_HEADER = "wbs-signature"  # on POST /api/mailbox: the follow-up's signature
KEY_BYTES = 32


def key_from_header(value: str | None) -> str:
    """The report's ``Wbs-Signing-Key``, checked for its shape only (32 bytes of canonical
    base64), as the verifier records it; 400 ``bad_signing_key`` otherwise."""
    try:
        raw = fmt.b64decode(value or "", "signing key")
    except ValueError:
        raw = b""
    if len(raw) != KEY_BYTES:
        raise answers.ApiError(
            HTTPStatus.BAD_REQUEST,
            "bad_signing_key",
            "The report must carry the reporter's signing key (Wbs-Signing-Key, 32 bytes of "
            "base64); reload the page and send again.",
        )
    return fmt.b64encode(raw)


def check_followup(envelope: fmt.Envelope, header: str | None, key: str | None) -> Signature:
    """The follow-up's signature, once it verifies against the mailbox's registered ``key``
    over signed_bytes(envelope, "reporter"); 400 ``bad_signature`` if it is missing, not
    64 bytes of base64, or does not verify (and when the mailbox has no usable key)."""
    try:
        sig = fmt.b64decode(header or "", "signature")
        public = fmt.b64decode(key or "", "signing key")
    except ValueError:
        sig = public = b""
    if len(sig) != SIGNATURE_BYTES or not ed25519.verifies(
        public, sig, signed_bytes(envelope, REPORTER)
    ):
        raise answers.ApiError(
            HTTPStatus.BAD_REQUEST,
            "bad_signature",
            "The follow-up is not signed with the key of this receipt code (Wbs-Signature); "
            "reload the page, open the case again and send once more.",
        )
    return Signature(REPORTER, sig)
