"""Ed25519 verification as the function does it: python-ecdsa, pure Python, since the
function zip holds no compiled code (pyproject.toml says why; PyNaCl is not there). It is
not constant-time; verifying touches public data only.

A verification takes about 3 ms, and the mailbox checks the same stored grants on every
request (docs/spec/desks-v2.md section 6.5), so results are remembered for the life of the
process: by the public key, the signature and the SHA-256 of the message, a pure function of
the three.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from ecdsa import Ed25519, VerifyingKey
from ecdsa.errors import MalformedPointError
from ecdsa.keys import BadSignatureError

KEY_BYTES = 32
SIGNATURE_BYTES = 64
REMEMBERED = 4096  # results kept: (32 + 64 + 32) bytes and a bool each, about 1 MB in all

_results: OrderedDict[tuple[bytes, bytes, bytes], bool] = OrderedDict()


def verifies(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """Whether ``signature`` is ``public_key``'s Ed25519 signature of ``message``; False for
    a key or a signature of the wrong length or shape."""
    if len(public_key) != KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        return False
    key = (public_key, signature, hashlib.sha256(message).digest())
    known = _results.get(key)
    if known is not None:
        _results.move_to_end(key)
        return known
    try:
        VerifyingKey.from_string(public_key, curve=Ed25519).verify(signature, message)
        good = True
    except (ValueError, MalformedPointError, BadSignatureError):
        good = False
    _results[key] = good
    while len(_results) > REMEMBERED:
        _results.popitem(last=False)
    return good


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """``verifies`` in the argument order of functions.membership's ``Verify``."""
    return verifies(public_key, signature, message)
