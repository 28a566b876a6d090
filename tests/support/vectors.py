"""Read the envelope test vectors of docs/vectors/envelope/ (format in docs/vectors/generate.py),
the signature vectors of docs/vectors/signature/ (docs/spec/signature-v2.md section 6) and the
routing vectors of docs/vectors/routing/ (docs/spec/desks-v2.md section 9.4)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.site import ROOT

VECTORS = ROOT / "docs" / "vectors" / "envelope"
EXPECTS = {"success", "malformed", "unsupported version", "no matching key", "decryption failure"}
SIGNATURE_VECTORS = ROOT / "docs" / "vectors" / "signature"
ROUTING_VECTORS = ROOT / "docs" / "vectors" / "routing"
# checkSignature's reasons (site/static/js/signature.mjs), and "verified" for none.
SIGNATURE_EXPECTS = {
    "verified",
    "unsigned",
    "not the author",
    "unknown signer",
    "bad signature",
    "malformed",
}


@dataclass(frozen=True)
class Vector:
    name: str
    expect: str
    comment: str
    identity: str
    payload: str | None
    body: str


@dataclass(frozen=True)
class SignatureVector:
    name: str
    expect: str
    comment: str
    author: str
    signing_keys: dict[str, str]  # kid -> base64 of the Ed25519 public key
    document: dict[str, Any]  # the stored reply or note: envelope, and signature if any


@dataclass(frozen=True)
class RoutingVector:
    name: str
    expect: Any  # the desks, sorted; for allowed-sets, every allowed set
    comment: str
    answers: dict[str, Any] | None  # office, concerns_staff, category; None for allowed-sets
    document: dict[str, Any]  # wbs-routing/1


def read(path: Path, expects: set[str] | None) -> tuple[dict[str, str], str]:
    """A vector file's header lines and its body; ValueError for an unknown ``expect``."""
    head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    fields = dict(line.split(": ", 1) for line in head.splitlines())
    if expects is not None and fields["expect"] not in expects:
        raise ValueError(f"{path.name}: unknown expect {fields['expect']!r}")
    return fields, body.rstrip("\n")


def load_vectors() -> list[Vector]:
    out = []
    for path in sorted(VECTORS.glob("*.txt")):
        fields, body = read(path, EXPECTS)
        out.append(
            Vector(
                path.stem,
                fields["expect"],
                fields["comment"],
                fields["identity"],
                fields.get("payload"),
                body,
            )
        )
    return out


def load_signature_vectors() -> list[SignatureVector]:
    out = []
    for path in sorted(SIGNATURE_VECTORS.glob("*.txt")):
        fields, body = read(path, SIGNATURE_EXPECTS)
        out.append(
            SignatureVector(
                path.stem,
                fields["expect"],
                fields["comment"],
                fields["author"],
                json.loads(fields["signing-keys"]),
                json.loads(body),
            )
        )
    return out


def load_routing_vectors() -> list[RoutingVector]:
    out = []
    for path in sorted(ROUTING_VECTORS.glob("*.txt")):
        fields, body = read(path, None)
        answers = None
        if "office" in fields:
            answers = {
                "office": json.loads(fields["office"]),
                "concerns_staff": json.loads(fields["concerns-staff"]),
                "category": json.loads(fields["category"]),
            }
        out.append(
            RoutingVector(
                path.stem,
                json.loads(fields["expect"]),
                fields["comment"],
                answers,
                json.loads(body),
            )
        )
    return out
