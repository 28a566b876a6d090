"""Write the `X-Wing` stanza vectors of docs/vectors/xwing/ (format: README.md beside this file;
docs/spec/xwing-v1.md section 7).

    .venv/bin/python docs/vectors/xwing/generate.py

The desk keys come from fixed seeds; sealing draws a fresh encapsulation, so every run writes
other bytes with the same meaning. The committed files are the reference.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from functions.envelope import Recipient
from wbs import xwing, xwing_stanza

OUT = Path(__file__).resolve().parent
DESK_A = xwing.DecapsulationKey(hashlib.sha256(b"wbs xwing vectors: desk A").digest())
DESK_B = xwing.DecapsulationKey(hashlib.sha256(b"wbs xwing vectors: desk B").digest())
CONTENT_KEY = hashlib.sha256(b"wbs xwing vectors: content key").digest()
MLKEM_AT, X25519_AT, SEALED_KEY_AT = 100, xwing.MLKEM_CIPHERTEXT_BYTES + 5, 1130


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def flip(body: bytes, at: int) -> bytes:
    return body[:at] + bytes([body[at] ^ 0x01]) + body[at + 1 :]


def write(
    name: str, expect: str, comment: str, reader: xwing.DecapsulationKey, stanza: Recipient
) -> None:
    head = [f"expect: {expect}", f"comment: {comment}", f"identity: {b64(reader.seed)}"]
    if expect == "success":
        head.append(f"content_key: {b64(CONTENT_KEY)}")
    body = {"type": stanza.type, "kid": stanza.kid, "sealed": b64(stanza.body)}
    text = "\n".join(head) + "\n\n" + json.dumps(body, separators=(",", ":")) + "\n"
    (OUT / f"{name}.txt").write_text(text, encoding="utf-8")


def main() -> None:
    good = xwing_stanza.seal_content_key(CONTENT_KEY, DESK_A.public_key)
    kid_b = xwing_stanza.key_id(DESK_B.public_key)
    low_order = (
        good.body[: xwing.MLKEM_CIPHERTEXT_BYTES] + bytes(32) + good.body[xwing.CIPHERTEXT_BYTES :]
    )
    cases = [
        ("success", "success", "the content key sealed to desk A, read by desk A", DESK_A, good),
        (
            "tampered-mlkem-ciphertext",
            "decryption failure",
            "one bit of the ML-KEM ciphertext flipped: ML-KEM's implicit rejection gives another "
            "secret, the AEAD refuses it",
            DESK_A,
            good._replace(body=flip(good.body, MLKEM_AT)),
        ),
        (
            "tampered-x25519-share",
            "decryption failure",
            "one bit of the X25519 ephemeral share flipped",
            DESK_A,
            good._replace(body=flip(good.body, X25519_AT)),
        ),
        (
            "x25519-low-order-share",
            "decryption failure",
            "the X25519 share replaced by the all-zero (low-order) point",
            DESK_A,
            good._replace(body=low_order),
        ),
        (
            "tampered-sealed-key",
            "decryption failure",
            "one bit of the sealed content key flipped",
            DESK_A,
            good._replace(body=flip(good.body, SEALED_KEY_AT)),
        ),
        (
            "wrong-desk",
            "no matching key",
            "sealed to desk A, read by desk B: a reader never tries a stanza of another kid",
            DESK_B,
            good,
        ),
        (
            "wrong-desk-lying-kid",
            "decryption failure",
            "sealed to desk A but labelled with desk B's kid, read by desk B",
            DESK_B,
            good._replace(kid=kid_b),
        ),
        (
            "truncated",
            "malformed",
            "the last byte of sealed cut off (1167 bytes)",
            DESK_A,
            good._replace(body=good.body[:-1]),
        ),
        (
            "truncated-to-kem-ciphertext",
            "malformed",
            "sealed is the X-Wing ciphertext alone (1120 bytes), without the sealed key",
            DESK_A,
            good._replace(body=good.body[: xwing.CIPHERTEXT_BYTES]),
        ),
        (
            "one-byte-more",
            "malformed",
            "a zero byte appended to sealed (1169 bytes)",
            DESK_A,
            good._replace(body=good.body + b"\x00"),
        ),
    ]
    for name, expect, comment, reader, stanza in cases:
        write(name, expect, comment, reader, stanza)


if __name__ == "__main__":
    main()
