"""Read docs/vectors/xwing/: the X-Wing draft's own vectors (draft.json) and our `X-Wing`
stanza vectors (*.txt; format in docs/vectors/xwing/README.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.support.site import ROOT
from tests.support.vectors import read

XWING_VECTORS = ROOT / "docs" / "vectors" / "xwing"
STANZA_EXPECTS = {"success", "malformed", "no matching key", "decryption failure"}


@dataclass(frozen=True)
class StanzaVector:
    name: str
    expect: str
    comment: str
    identity: str  # base64 of the reader's X-Wing private key (seed)
    content_key: str | None
    stanza: dict[str, Any]


def load_draft_vectors() -> list[dict[str, str]]:
    """seed, eseed, sk, pk, ct, ss (hex) of each of the draft's cases."""
    vectors: list[dict[str, str]] = json.loads((XWING_VECTORS / "draft.json").read_text())
    return vectors


def load_stanza_vectors() -> list[StanzaVector]:
    out = []
    for path in sorted(XWING_VECTORS.glob("*.txt")):
        fields, body = read(path, STANZA_EXPECTS)
        out.append(
            StanzaVector(
                path.stem,
                fields["expect"],
                fields["comment"],
                fields["identity"],
                fields.get("content_key"),
                json.loads(body),
            )
        )
    return out
