"""Write the test vectors into docs/vectors/envelope/ and docs/vectors/receipt/.

Run `python docs/vectors/generate.py [envelope] [receipt]` to regenerate. Encryption is
randomised (content key,
nonce, the sealed boxes' ephemeral keys), so every run writes different bytes with the same
meaning; the committed files are the reference. Each file is `key: value` header lines, a
blank line, then the envelope exactly as a reader receives it:

    expect:   success | malformed | unsupported version | no matching key | decryption failure
    comment:  what the case is about
    identity: base64 of the reader's X25519 secret key
    payload:  base64 of the plaintext a successful reader returns (success only)
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nacl.bindings as sodium
import nacl.utils
from nacl.public import PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from functions import envelope as fmt
from wbs import crypto, receipt

OUT = Path(__file__).resolve().parent / "envelope"
Env = dict[str, Any]


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def flip(value: str, at: int = 40) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[at % len(raw)] ^= 0x01
    return b64(bytes(raw))


def non_canonical(value: str) -> str:
    """Flip an unused low bit of the last base64 digit: same bytes, non-canonical text."""
    if not value.endswith("=") or value.endswith("=="):
        raise ValueError("needs base64 ending in exactly one '='")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return value[:-2] + alphabet[alphabet.index(value[-2]) ^ 1] + "="


def sealed(payload: bytes, *keys: PrivateKey, report_id: str = "7K3M9QXA2B4C6D8E") -> Env:
    recipients = [crypto.Recipient(bytes(k.public_key)) for k in keys]
    return crypto.seal("report", report_id, payload, recipients).to_json()


def write(
    name: str,
    expect: str,
    comment: str,
    identity: PrivateKey,
    body: Env | str,
    payload: bytes | None = None,
) -> None:
    lines = [f"expect: {expect}", f"comment: {comment}", f"identity: {b64(bytes(identity))}"]
    if payload is not None:
        lines.append(f"payload: {b64(payload)}")
    text = body if isinstance(body, str) else json.dumps(body, indent=2)
    (OUT / f"{name}.txt").write_text("\n".join(lines) + "\n\n" + text + "\n", encoding="utf-8")


def edit(env: Env, change: Callable[[Env], None]) -> Env:
    copy = json.loads(json.dumps(env))
    change(copy)
    return copy


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.txt"):
        old.unlink()
    alice, bob, carol, mallory = (PrivateKey.generate() for _ in range(4))
    short = json.dumps({"schema": "wbs-report/1", "what": "uang pelicin"}).encode()
    unicode = "Kronologi: dana hibah Rp 1.500.000.000 dipotong 10% — “setoran” ✓ ".encode() * 24
    base = sealed(short, alice)

    write(
        "success-one-recipient",
        "success",
        "one X25519 recipient, payload in the 1024-byte bucket",
        alice,
        base,
        short,
    )
    write(
        "success-third-of-three",
        "success",
        "three recipients; the reader's stanza is the last",
        carol,
        sealed(short, alice, bob, carol),
        short,
    )
    write(
        "success-unicode-2048",
        "success",
        "UTF-8 payload of 1,800 bytes padded to the 2048 bucket",
        bob,
        sealed(unicode, bob),
        unicode,
    )
    unknown = edit(
        sealed(short, alice),
        lambda e: e["recipients"].insert(
            0, {"type": "example-pq", "kid": "00112233445566aa", "sealed": b64(b"\x00" * 1200)}
        ),
    )
    write(
        "success-unknown-stanza-type",
        "success",
        "a stanza of a type the reader does not implement is ignored",
        alice,
        unknown,
        short,
    )
    exact = b"x" * 1023
    write(
        "success-bucket-edge",
        "success",
        "1023-byte payload: the largest that fits 1024",
        alice,
        sealed(exact, alice),
        exact,
    )

    write("wrong-key", "no matching key", "no stanza carries the reader's key id", mallory, base)
    lying = edit(
        sealed(short, bob),
        lambda e: e["recipients"][0].update(kid=crypto.key_id(bytes(alice.public_key))),
    )
    write(
        "wrong-key-lying-kid",
        "decryption failure",
        "stanza claims the reader's kid but is sealed to another key",
        alice,
        lying,
    )
    write(
        "tampered-ciphertext",
        "decryption failure",
        "one bit of the ciphertext flipped",
        alice,
        edit(base, lambda e: e.update(ciphertext=flip(e["ciphertext"]))),
    )
    write(
        "tampered-tag",
        "decryption failure",
        "one bit of the authentication tag flipped",
        alice,
        edit(base, lambda e: e.update(ciphertext=flip(e["ciphertext"], -1))),
    )
    write(
        "tampered-nonce",
        "decryption failure",
        "one bit of the nonce flipped",
        alice,
        edit(base, lambda e: e.update(nonce=flip(e["nonce"], 3))),
    )
    write(
        "tampered-sealed-key",
        "decryption failure",
        "one bit of the sealed content key flipped",
        alice,
        edit(base, lambda e: e["recipients"][0].update(sealed=flip(e["recipients"][0]["sealed"]))),
    )
    write(
        "swapped-id",
        "decryption failure",
        "ciphertext moved to another report id (context in the associated data)",
        alice,
        edit(base, lambda e: e.update(id="0000000000000000")),
    )
    other = sealed(short, alice, report_id="1111111111111111")
    write(
        "swapped-ciphertext",
        "decryption failure",
        "ciphertext and nonce of another envelope for the same key",
        alice,
        edit(base, lambda e: e.update(ciphertext=other["ciphertext"], nonce=other["nonce"])),
    )
    write(
        "swapped-stanza",
        "decryption failure",
        "recipient stanza taken from another envelope for the same key",
        alice,
        edit(base, lambda e: e.update(recipients=other["recipients"])),
    )

    key = nacl.utils.random(32)
    nonce = nacl.utils.random(24)
    unpadded = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        b"\x00" * 1024, fmt.associated_data("report", base["id"]), nonce, key
    )
    from nacl.public import SealedBox

    bad_pad = edit(
        base,
        lambda e: e.update(
            nonce=b64(nonce),
            ciphertext=b64(unpadded),
            recipients=[
                {
                    "type": "X25519",
                    "kid": crypto.key_id(bytes(alice.public_key)),
                    "sealed": b64(SealedBox(alice.public_key).encrypt(key)),
                }
            ],
        ),
    )
    write(
        "bad-padding",
        "decryption failure",
        "authentic ciphertext whose plaintext has no padding marker",
        alice,
        bad_pad,
    )

    write(
        "version-2",
        "unsupported version",
        "a future format version",
        alice,
        edit(base, lambda e: e.update(v=2)),
    )
    write(
        "version-0",
        "unsupported version",
        "version 0 never existed",
        alice,
        edit(base, lambda e: e.update(v=0)),
    )
    text = json.dumps(base, indent=2)
    write(
        "truncated-json",
        "malformed",
        "the envelope text cut in half",
        alice,
        text[: len(text) // 2],
    )
    write(
        "truncated-ciphertext",
        "malformed",
        "the last 16 bytes (the tag) cut from the ciphertext",
        alice,
        edit(base, lambda e: e.update(ciphertext=b64(base64.b64decode(e["ciphertext"])[:-16]))),
    )
    write(
        "truncated-sealed-key",
        "malformed",
        "a sealed content key one byte short",
        alice,
        edit(
            base,
            lambda e: e["recipients"][0].update(
                sealed=b64(base64.b64decode(e["recipients"][0]["sealed"])[:-1])
            ),
        ),
    )
    write(
        "missing-nonce",
        "malformed",
        "a required member is missing",
        alice,
        edit(base, lambda e: e.pop("nonce")),
    )
    write(
        "extra-member",
        "malformed",
        "an unknown top-level member",
        alice,
        edit(base, lambda e: e.update(note="x")),
    )
    write(
        "non-canonical-base64",
        "malformed",
        "sealed key in base64 with non-zero trailing bits",
        alice,
        edit(
            base,
            lambda e: e["recipients"][0].update(sealed=non_canonical(e["recipients"][0]["sealed"])),
        ),
    )
    write(
        "lower-case-id",
        "malformed",
        "ids are upper-case Crockford base32",
        alice,
        edit(base, lambda e: e.update(id=e["id"].lower())),
    )
    write(
        "string-version",
        "malformed",
        "v must be a JSON integer",
        alice,
        edit(base, lambda e: e.update(v="1")),
    )
    write(
        "no-recipients",
        "malformed",
        "an empty recipient list",
        alice,
        edit(base, lambda e: e.update(recipients=[])),
    )
    print(f"wrote {len(list(OUT.glob('*.txt')))} vectors to {OUT}")


def receipt_vectors() -> None:
    """docs/vectors/receipt/: typed code -> normalised code, key pair, token, id, verifier."""
    out = OUT.parent / "receipt"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.txt"):
        old.unlink()
    code = "7K3M-9QXA-2B4C-6D0E-1FGH"
    cases = [
        ("canonical", "success", "a code exactly as shown to the reporter", code),
        (
            "lower-case-spaces",
            "success",
            "typed in lower case, groups split by spaces",
            code.lower().replace("-", " "),
        ),
        ("look-alikes", "success", "O for 0 and I for 1, no separators", "7K3M9QXA2B4C6DOEIFGH"),
        (
            "look-alikes-lower",
            "success",
            "o for 0 and l for 1, in lower case",
            "7k3m-9qxa-2b4c-6doe-lfgh",
        ),
        (
            "dots-and-tabs",
            "success",
            "separated by dots, a tab and stray spaces",
            " 7K3M.9QXA.2B4C\t6D0E  1FGH ",
        ),
        ("u-for-v", "success", "U is not in the alphabet: read as V", "VVVV-UUUU-0000-1111-2222"),
        (
            "one-symbol-off",
            "success",
            "one wrong symbol: a different, valid code",
            "7K3M-9QXA-2B4C-6D0E-1FGJ",
        ),
        ("too-short", "invalid", "19 symbols", "7K3M-9QXA-2B4C-6D8E-1FG"),
        ("too-long", "invalid", "21 symbols", "7K3M-9QXA-2B4C-6D8E-1FGHJ"),
        ("not-base32", "invalid", "a symbol outside the alphabet", "7K3M-9QXA-2B4C-6D8E-1FG*"),
    ]
    for name, expect, comment, typed in cases:
        lines = [f"expect: {expect}", f"comment: {comment}", f"code: {json.dumps(typed)}"]
        if expect == "success":
            d = receipt.derive(typed)
            lines += [
                f"normalized: {receipt.normalize(typed)}",
                f"public-key: {b64(d.public_key)}",
                f"token: {b64(d.token)}",
                f"report-id: {d.report_id}",
                f"verifier: {d.verifier}",
            ]
        (out / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} vectors to {out}")


if __name__ == "__main__":
    # `generate.py receipt` rewrites only the receipt vectors, and so on.
    chosen = set(sys.argv[1:]) or {"envelope", "receipt"}
    if "envelope" in chosen:
        main()
    if "receipt" in chosen:
        receipt_vectors()
