"""The reporter's Ed25519 key in tests (docs/spec/signature-v2.md §5), shared by every test
that sends a report or a follow-up by hand.

The page derives the key from the receipt code, beside the mailbox token. Tests mostly draw
tokens at random, with no code behind them: here the key is derived from the token instead,
so that anything holding a token can register its key with a report and sign its follow-ups
exactly as the page does. A test of a missing or forged signature opts out (``sign=False``).
"""

from __future__ import annotations

import base64
import hashlib

from nacl.signing import SigningKey

from functions import envelope as fmt
from functions import mailbox_token
from functions.errors import WbsError
from functions.reporter_key import KEY_HEADER, SIGNATURE_HEADER
from functions.signature import REPORTER, Signature, signed_bytes

REPORTS, MAILBOX = "/api/reports", "/api/mailbox"


def signing_key(token: bytes) -> SigningKey:
    """The reporter's signing key that goes with a test token."""
    return SigningKey(
        hashlib.blake2b(token, key=b"tests/reporter-ed25519", digest_size=32).digest()
    )


def case_key(report_id: str) -> SigningKey:
    """The reporter's key of a case stored straight into storage, with no token (the
    inspector's tests): derived from the case id."""
    return signing_key(b"case " + report_id.encode("ascii"))


def case_key_text(report_id: str) -> str:
    """``case_key`` as the report's ``reporter_signing_key`` member holds it."""
    return base64.b64encode(bytes(case_key(report_id).verify_key)).decode()


def key_header(token: bytes) -> str:
    """The ``Wbs-Signing-Key`` a report sent with ``token`` carries."""
    return base64.b64encode(bytes(signing_key(token).verify_key)).decode()


def sign(envelope: fmt.Envelope, key: SigningKey) -> Signature:
    """A reporter's signature of a follow-up, as the page makes it (signEnvelope)."""
    return Signature(REPORTER, key.sign(signed_bytes(envelope, REPORTER)).signature)


def signature_header(token: bytes, envelope: fmt.Envelope, key: SigningKey | None = None) -> str:
    """The ``Wbs-Signature`` a follow-up sent with ``token`` carries."""
    return fmt.b64encode(sign(envelope, key or signing_key(token)).sig)


def headers(path: str, authorization: str | None, body: bytes | str) -> dict[str, str]:
    """What the page adds to a request it sends by hand: on a report, its key; on a
    follow-up that is an envelope, its signature. Nothing when there is no usable token or
    body (the request is refused for that first)."""
    try:
        token = mailbox_token.from_header(authorization)
    except WbsError:
        return {}
    if path == REPORTS:
        return {KEY_HEADER: key_header(token)}
    if path != MAILBOX:
        return {}
    try:
        text = body.decode() if isinstance(body, bytes) else body
        sent = fmt.parse(text)
    except (WbsError, UnicodeDecodeError):
        return {}
    return {SIGNATURE_HEADER: signature_header(token, sent)}
