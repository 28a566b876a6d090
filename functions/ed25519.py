"""Ed25519 verification as the function does it: python-ecdsa, pure Python, since the
function zip holds no compiled code (pyproject.toml says why; PyNaCl is not there). It is
not constant-time; verifying touches public data only."""

from __future__ import annotations

from ecdsa import Ed25519, VerifyingKey
from ecdsa.errors import MalformedPointError
from ecdsa.keys import BadSignatureError

KEY_BYTES = 32
SIGNATURE_BYTES = 64


def verifies(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """Whether ``signature`` is ``public_key``'s Ed25519 signature of ``message``; False for
    a key or a signature of the wrong length or shape."""
    if len(public_key) != KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        return False
    try:
        VerifyingKey.from_string(public_key, curve=Ed25519).verify(signature, message)
    except (ValueError, MalformedPointError, BadSignatureError):
        return False
    return True
