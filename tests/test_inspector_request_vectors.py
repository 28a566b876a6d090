"""Every inspector API request vector (docs/vectors/inspector-request/, made by
docs/vectors/generate_inspector_request.py): the canonical string is the one the spec
spells, and the service's check accepts or refuses each request as the vector expects."""

from __future__ import annotations

import json
from http import HTTPStatus
from pathlib import Path

import pytest

from functions import envelope as fmt
from functions import keyring
from functions.inspector_auth import Gate, Refused, body_digest, canonical
from functions.keyring import KeyEntry, Keyring

VECTORS = sorted(
    (Path(__file__).parents[1] / "docs" / "vectors" / "inspector-request").glob("*.txt")
)


def read(path: Path) -> tuple[dict[str, str], bytes]:
    head, _, body = path.read_bytes().partition(b"\n\n")
    fields = dict(line.split(": ", 1) for line in head.decode().splitlines())
    return fields, body


def test_there_are_vectors_of_each_outcome() -> None:
    assert {read(p)[0]["expect"] for p in VECTORS} == {"accepted", "bad_signature", "stale_time"}


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.stem)
def test_a_vector_is_checked_as_it_expects(path: Path, tmp_path: Path) -> None:
    fields, body = read(path)
    public = fmt.b64decode(fields["public-key"], "public-key")
    signing = fmt.b64decode(fields["signing-key"], "signing-key")
    entry = KeyEntry.for_public_key(public, "Inspektur", "2026-01-01", signing)
    assert entry.kid == fields["key"]
    ring_path = tmp_path / "keyring.json"
    keyring.dump(Keyring(keys=(entry,)), ring_path)
    gate = Gate(ring_path, clock=lambda: int(fields["now"]))
    headers = {
        "wbs-inspector-key": fields["key"],
        "wbs-inspector-time": fields["time"],
        "wbs-inspector-nonce": fields["nonce"],
        "wbs-inspector-signature": fields["signature"],
    }
    args = (fields["method"], fields["path"], fields["query"], headers, body_digest(body))
    if fields["expect"] == "accepted":
        assert gate.check(*args) == fields["key"]
        built = canonical(
            fields["method"], fields["path"], fields["query"], fields["key"],
            int(fields["time"]), fields["nonce"], body_digest(body),
        )  # fmt: skip
        assert built.decode() == json.loads(fields["canonical"])
    else:
        with pytest.raises(Refused) as refused:
            gate.check(*args)
        assert refused.value.code == fields["expect"]
        assert refused.value.status == HTTPStatus.UNAUTHORIZED
