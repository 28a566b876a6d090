"""Every envelope test vector, read by the Python implementation (the browser reads them too:
tests/test_vectors_browser.py)."""

from __future__ import annotations

import base64
import json

import pytest
from nacl.public import PrivateKey

from functions import envelope as fmt
from functions.errors import EnvelopeError, UnsupportedVersion
from tests.support.vectors import Vector, load_vectors
from wbs import crypto

VECTORS = load_vectors()


def outcome(vector: Vector) -> tuple[str, bytes | None]:
    identity = crypto.Identity(PrivateKey(base64.b64decode(vector.identity)))
    try:
        return "success", crypto.open_envelope(fmt.parse(vector.body), identity)
    except UnsupportedVersion:
        return "unsupported version", None
    except EnvelopeError:
        return "malformed", None
    except crypto.NoMatchingKey:
        return "no matching key", None
    except crypto.DecryptionError:
        return "decryption failure", None


def test_vectors_cover_every_kind_of_failure() -> None:
    kinds = {v.expect for v in VECTORS}
    assert kinds == {
        "success",
        "malformed",
        "unsupported version",
        "no matching key",
        "decryption failure",
    }
    names = {v.name for v in VECTORS}
    for case in ("wrong-key", "tampered-ciphertext", "version-2", "truncated-json", "swapped-id"):
        assert case in names


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.name)
def test_vector(vector: Vector) -> None:
    expect, plaintext = outcome(vector)
    assert expect == vector.expect, vector.comment
    if vector.payload is not None:
        assert plaintext == base64.b64decode(vector.payload)


def test_seal_round_trip_to_every_recipient() -> None:
    keys = [PrivateKey.generate() for _ in range(3)]
    env = crypto.seal(
        "report",
        crypto.new_report_id(),
        "laporan ✓".encode(),
        [crypto.Recipient(bytes(k.public_key)) for k in keys],
    )
    parsed = fmt.parse(json.dumps(env.to_json()))
    for key in keys:
        assert crypto.open_envelope(parsed, crypto.Identity(key)) == "laporan ✓".encode()


def test_padding_hides_length_within_a_bucket() -> None:
    key = PrivateKey.generate()
    sizes = {
        len(
            crypto.seal(
                "report",
                crypto.new_report_id(),
                b"x" * n,
                [crypto.Recipient(bytes(key.public_key))],
            ).ciphertext
        )
        for n in (0, 1, 500, 1023)
    }
    assert sizes == {1024 + 16}
    with pytest.raises(EnvelopeError):
        crypto.pad(b"x" * fmt.MAX_BUCKET)
