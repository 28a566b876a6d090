"""Read the envelope test vectors of docs/vectors/envelope/ (format in docs/vectors/generate.py)."""

from __future__ import annotations

from dataclasses import dataclass

from tests.support.site import ROOT

VECTORS = ROOT / "docs" / "vectors" / "envelope"
EXPECTS = {"success", "malformed", "unsupported version", "no matching key", "decryption failure"}


@dataclass(frozen=True)
class Vector:
    name: str
    expect: str
    comment: str
    identity: str
    payload: str | None
    body: str


def load_vectors() -> list[Vector]:
    out = []
    for path in sorted(VECTORS.glob("*.txt")):
        head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        fields = dict(line.split(": ", 1) for line in head.splitlines())
        if fields["expect"] not in EXPECTS:
            raise ValueError(f"{path.name}: unknown expect {fields['expect']!r}")
        out.append(
            Vector(
                path.stem,
                fields["expect"],
                fields["comment"],
                fields["identity"],
                fields.get("payload"),
                body.rstrip("\n"),
            )
        )
    return out
