"""Every signature test vector (docs/vectors/signature/), checked by the inspector's tool:
functions.signature for the format, wbs.signing.Signers for the check. The page's
signature.mjs checks the same files in Chromium (tests/test_vectors_browser.py)."""

from __future__ import annotations

import pytest
from nacl.signing import VerifyKey

from functions import envelope as fmt
from functions import signature
from functions.errors import EnvelopeError
from tests.support.vectors import SignatureVector, load_signature_vectors
from wbs.signing import Signers

VECTORS = load_signature_vectors()


def signers(vector: SignatureVector) -> Signers:
    found = Signers()
    found.keys = {
        kid: VerifyKey(fmt.b64decode(key, kid)) for kid, key in vector.signing_keys.items()
    }
    return found


def token(reason: str) -> str:
    """wbs's words for a reader, as the short reason the vectors (and signature.mjs) use."""
    if not reason:
        return "verified"
    for words, short in [
        ("it is not signed", "unsigned"),
        ("as its author but is signed by", "not the author"),
        ("is not a signing key of the keyring", "unknown signer"),
        ("does not match what is stored", "bad signature"),
    ]:
        if words in reason:
            return short
    raise AssertionError(f"a reason no vector names: {reason}")


def outcome(vector: SignatureVector) -> str:
    document = vector.document
    try:
        envelope = fmt.parse(document["envelope"], fmt.KINDS | fmt.NOTE_KINDS)
        signed = document.get("signature")
        found = None if signed is None else signature.parse(signed)
    except EnvelopeError:
        return "malformed"
    return token(signers(vector).check(envelope, found, vector.author))


def test_vectors_cover_every_reason_and_case() -> None:
    assert {v.expect for v in VECTORS} == {
        "verified",
        "unsigned",
        "not the author",
        "unknown signer",
        "bad signature",
        "malformed",
    }
    names = {v.name for v in VECTORS}
    assert {"valid", "wrong-signer", "unknown-key-id", "tampered", "other-case"} <= names


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.name)
def test_vector(vector: SignatureVector) -> None:
    assert outcome(vector) == vector.expect, vector.comment
