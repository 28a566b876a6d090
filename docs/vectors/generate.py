"""Write the test vectors into docs/vectors/envelope/, receipt/, attachment/ and signature/
(and, through generate_desks.py beside this file, desks/, recovery/ and routing/).

Run `python docs/vectors/generate.py [envelope] [receipt] [attachment] [signature] [desks]
[recovery] [routing]` to regenerate. Encryption is
randomised (content key,
nonce, the sealed boxes' ephemeral keys), so every run writes different bytes with the same
meaning; the committed files are the reference. Each file is `key: value` header lines, a
blank line, then the envelope exactly as a reader receives it:

    expect:   success | malformed | unsupported version | no matching key | decryption failure
    comment:  what the case is about
    identity: base64 of the reader's X25519 secret key
    payload:  base64 of the plaintext a successful reader returns (success only)

The receipt vectors are header lines only; the attachment vectors' layout is in
docs/spec/attachment-v1.md section 6, the signature vectors' (made from fixed seeds, so every
run writes the same bytes) in docs/spec/signature-v2.md section 6, and those of desks, recovery
and routing (fixed seeds too) in docs/spec/desks-v2.md section 8.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nacl.bindings as sodium
import nacl.utils
from nacl.encoding import RawEncoder
from nacl.hash import blake2b
from nacl.public import PrivateKey
from nacl.signing import SigningKey

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from functions import envelope as fmt
from functions.signature import Signature, signed_bytes
from wbs import attachments, crypto, receipt

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
    """docs/vectors/receipt/: typed code -> normalised code, key pairs, token, id, verifier."""
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
                f"signing-public-key: {b64(d.signing_public_key)}",
                f"token: {b64(d.token)}",
                f"report-id: {d.report_id}",
                f"verifier: {d.verifier}",
            ]
        (out / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} vectors to {out}")


REPORT, FILE = "7K3M9QXA2B4C6D8E", "5QZ2W8R1XK4T7M3N"
SMALL = 1024  # the smallest chunk size: keeps the vectors small (the spec, section 3)


class Sealed:
    """An attachment object and the manifest entry that reads it."""

    def __init__(
        self, plaintext: bytes, key: bytes, chunk: int = SMALL, file_id: str = FILE
    ) -> None:
        sink = io.BytesIO()
        digest = attachments.encrypt(io.BytesIO(plaintext), sink, REPORT, file_id, key, chunk)
        self.object, self.key, self.chunk = sink.getvalue(), key, chunk
        self.size, self.sha256 = digest.size, digest.sha256

    def chunks(self) -> list[bytes]:
        body = self.object[attachments.HEADER_BYTES :]
        step = self.chunk + attachments.ABYTES
        return [body[i : i + step] for i in range(0, len(body), step)]

    def header(self) -> bytes:
        return self.object[: attachments.HEADER_BYTES]


def crafted(pieces: list[tuple[bytes, int]], key: bytes, file_id: str = FILE) -> bytes:
    """An object pushed chunk by chunk with the tags given: for the tag and padding cases."""
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    out = [sodium.crypto_secretstream_xchacha20poly1305_init_push(state, key)]
    ad = attachments.associated_data(REPORT, file_id)
    out += [
        sodium.crypto_secretstream_xchacha20poly1305_push(state, data, ad, tag)
        for data, tag in pieces
    ]
    return b"".join(out)


def attachment_vectors() -> None:
    """docs/vectors/attachment/: objects, the manifest entry and context that read them."""
    out = OUT.parent / "attachment"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.txt"):
        old.unlink()
    key = sodium.crypto_secretstream_xchacha20poly1305_keygen()
    text = "Bukti transfer: Rp 1.500.000 ke rekening perantara — “uang pelicin” ✓\n".encode()
    base = Sealed(text * 30, key)  # 2,430 bytes: three chunks of 1024
    c1, c2, c3 = base.chunks()
    count = 0

    def write(
        name: str, comment: str, obj: bytes, sealed: Sealed, reason: str = "", **ctx: str
    ) -> None:
        nonlocal count
        lines = [f"expect: {'failure' if reason else 'success'}"]
        lines += [f"reason: {reason}"] if reason else []
        lines += [
            f"comment: {comment}",
            f"report-id: {ctx.get('report_id', REPORT)}",
            f"file-id: {ctx.get('file_id', FILE)}",
            f"size: {ctx.get('size', sealed.size)}",
            f"chunk: {ctx.get('chunk', sealed.chunk)}",
            f"key: {ctx.get('key', b64(sealed.key))}",
            f"sha256: {ctx.get('sha256', sealed.sha256)}",
        ]
        body = "\n".join(textwrap.wrap(b64(obj), 76))
        (out / f"{name}.txt").write_text("\n".join(lines) + "\n\n" + body + "\n", "utf-8")
        count += 1

    for name, comment, plain in [
        ("success-empty", "an empty file: one chunk of padding", b""),
        ("success-small", "100 bytes: one padded chunk", text[:100]),
        ("success-one-chunk-short", "1023 bytes: the most one chunk holds", b"\xa5" * 1023),
        (
            "success-exact-chunk",
            "1024 bytes: a chunk of data, then one of padding",
            (text * 20)[:1024],
        ),
    ]:
        sealed = Sealed(plain, key)
        write(name, comment, sealed.object, sealed)
    write("success-several-chunks", "2,430 bytes in three chunks", base.object, base)
    big = Sealed(text * 25, key, chunk=attachments.CHUNK)
    write("success-1mib-chunk", "the page's chunk size, 1 MiB", big.object, big)

    other = Sealed(text * 30, key, file_id="9HJ6C0VB2DPE8GA4")
    zeros = b"\x00" * SMALL
    wrong = b64(sodium.crypto_secretstream_xchacha20poly1305_keygen())
    failures: list[tuple[str, str, str, bytes, dict[str, str]]] = [
        ("short-header", "header", "20 bytes: less than a header", base.object[:20], {}),
        ("header-only", "truncated", "a header and no chunk", base.header(), {}),
        ("truncated-last-chunk", "truncated", "the last chunk dropped", base.object[:-1041], {}),
        ("truncated-mid-chunk", "length", "the last 100 bytes cut", base.object[:-100], {}),
        ("trailing-data", "length", "5 bytes after the final chunk", base.object + b"extra", {}),
        ("wrong-key", "authentication", "another file's key", base.object, {"key": wrong}),
        ("reordered", "authentication", "chunks 1 and 2 swapped", base.header() + c2 + c1 + c3, {}),
        (
            "spliced-chunk",
            "authentication",
            "chunk 2 taken from another file encrypted with the same key",
            base.header() + c1 + other.chunks()[1] + c3,
            {},
        ),
        (
            "moved-file-id",
            "authentication",
            "the whole object read as another file of the same report (AD)",
            base.object,
            {"file_id": "9HJ6C0VB2DPE8GA4"},
        ),
        (
            "moved-report-id",
            "authentication",
            "the whole object read as a file of another report (AD)",
            base.object,
            {"report_id": "1111111111111111"},
        ),
        (
            "bit-flip",
            "authentication",
            "one bit of chunk 2 flipped",
            flip_at(base.object, 1500),
            {},
        ),
        (
            "header-bit-flip",
            "authentication",
            "one bit of the header flipped",
            flip_at(base.object, 3),
            {},
        ),
        (
            "wrong-chunk-size",
            "authentication",
            "the manifest's chunk size is not the one written",
            base.object,
            {"chunk": "2048"},
        ),
        (
            "early-final",
            "tag",
            "chunk 1 carries TAG_FINAL, chunk 2 follows",
            crafted([(c, attachments.FINAL) for c in (zeros, sodium.sodium_pad(b"x", SMALL))], key),
            {"size": "1025"},
        ),
        (
            "no-final",
            "tag",
            "the last chunk carries TAG_MESSAGE: the stream was cut",
            crafted(
                [
                    (zeros, attachments.MESSAGE),
                    (sodium.sodium_pad(b"x", SMALL), attachments.MESSAGE),
                ],
                key,
            ),
            {"size": "1025"},
        ),
        (
            "bad-padding",
            "padding",
            "the last chunk holds no 0x80 marker",
            crafted([(zeros, attachments.MESSAGE), (zeros, attachments.FINAL)], key),
            {"size": "1025"},
        ),
        (
            "size-smaller",
            "size",
            "the manifest says one byte less",
            base.object,
            {"size": str(base.size - 1)},
        ),
        (
            "size-one-chunk-more",
            "tag",
            "the manifest's size needs a fourth chunk: the final tag comes too early",
            base.object,
            {"size": str(base.size + SMALL)},
        ),
        (
            "wrong-sha256",
            "sha256",
            "the manifest's SHA-256 is another file's",
            base.object,
            {"sha256": hashlib.sha256(b"another file").hexdigest()},
        ),
    ]
    for name, reason, comment, obj, ctx in failures:
        write(name, comment, obj, base, reason, **ctx)
    print(f"wrote {count} vectors to {out}")


def flip_at(data: bytes, at: int) -> bytes:
    raw = bytearray(data)
    raw[at] ^= 0x01
    return bytes(raw)


def seeded(name: str, size: int = 32) -> bytes:
    """Fixed bytes named ``name``: the signature vectors' only source of randomness."""
    return blake2b(b"wbs signature vectors " + name.encode(), digest_size=size, encoder=RawEncoder)


class Inspector:
    """An inspector's identity made from a seed: an X25519 pair and an Ed25519 pair."""

    def __init__(self, name: str) -> None:
        self.box = PrivateKey(seeded(name + " x25519"))
        self.signer = SigningKey(seeded(name + " ed25519"))
        self.kid = crypto.key_id(bytes(self.box.public_key))

    def sign(self, envelope: fmt.Envelope, by: str = "") -> Signature:
        by = by or self.kid
        return Signature(by, self.signer.sign(signed_bytes(envelope, by)).signature)


def seeded_envelope(
    kind: str, case: str, plaintext: bytes, recipients: list[bytes], name: str
) -> fmt.Envelope:
    """crypto.seal with every random value drawn from seeds: the same envelope on every run.
    Each stanza is crypto_box_seal done by hand (an ephemeral pair, nonce BLAKE2b(epk || pk))."""
    key, nonce = seeded(name + " content key"), seeded(name + " nonce", fmt.NONCE_BYTES)
    stanzas = []
    for pk in recipients:
        ephemeral = PrivateKey(seeded(f"{name} ephemeral {crypto.key_id(pk)}"))
        epk = bytes(ephemeral.public_key)
        box_nonce = blake2b(epk + pk, digest_size=24, encoder=RawEncoder)
        boxed = sodium.crypto_box(key, box_nonce, pk, bytes(ephemeral))
        stanzas.append(fmt.Recipient(fmt.X25519, crypto.key_id(pk), epk + boxed))
    ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        crypto.pad(plaintext), fmt.associated_data(kind, case), nonce, key
    )
    envelope = fmt.Envelope(fmt.VERSION, kind, case, tuple(stanzas), nonce, ciphertext)
    return fmt.parse(envelope.to_json(), fmt.KINDS | fmt.NOTE_KINDS)


def message(kind: str, by: str, text: str, status: str = "") -> bytes:
    """A reply's plaintext (docs/spec/mailbox-v1.md section 4), or a note's."""
    return json.dumps(
        {
            "schema": "wbs-message/1",
            "id": "5QZ2W8R1XK4T7M3N",
            "sent": "2026-11-20T03:00:00Z",
            "type": "status" if status else "message",
            "text": text,
            "status": status,
            "reason": "",
            "by": by,
        }
    ).encode()


def signature_vectors() -> None:
    """docs/vectors/signature/: a stored reply or note, its author, the keyring's signing keys."""
    out = OUT.parent / "signature"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.txt"):
        old.unlink()
    alice, bob, mallory = Inspector("alice"), Inspector("bob"), Inspector("mallory")
    keyring = {i.kid: b64(bytes(i.signer.verify_key)) for i in (alice, bob)}
    reporter = bytes(PrivateKey(seeded("reporter x25519")).public_key)
    inspectorate = [bytes(alice.box.public_key), bytes(bob.box.public_key)]

    def reply(case: str, by: Inspector, status: str = "", name: str = "reply") -> fmt.Envelope:
        text = message("reply", by.kid, "Mohon lengkapi kronologinya.", status)
        return seeded_envelope("reply", case, text, [reporter, *inspectorate], name)

    base = reply(REPORT, alice, "dalam-investigasi")
    forged = reply(REPORT, mallory, "selesai", "forged")
    other = reply("1111111111111111", alice, "dalam-investigasi")
    note = seeded_envelope(
        fmt.NOTE, REPORT, message("note", alice.kid, "Saksi: Budi."), inspectorate, "note"
    )
    tampered = fmt.parse({**base.to_json(), "ciphertext": flip(b64(base.ciphertext))}, fmt.KINDS)
    cases: list[tuple[str, str, str, fmt.Envelope, str, dict[str, str] | None]] = [
        (
            "valid",
            "verified",
            "a status change signed by its author, a keyring key",
            base,
            alice.kid,
            alice.sign(base).to_json(),
        ),
        (
            "valid-note",
            "verified",
            "an internal note signed by its author",
            note,
            alice.kid,
            alice.sign(note).to_json(),
        ),
        ("unsigned", "unsigned", "a status change with no signature", base, alice.kid, None),
        (
            "wrong-signer",
            "not the author",
            "signed by another keyring key than the author the reply names",
            base,
            alice.kid,
            bob.sign(base).to_json(),
        ),
        (
            "relabelled-signer",
            "bad signature",
            "another keyring key's signature, relabelled with the author's key id",
            base,
            alice.kid,
            bob.sign(base, alice.kid).to_json(),
        ),
        (
            "unknown-key-id",
            "unknown signer",
            "a forged status change signed by a key the keyring does not list",
            forged,
            mallory.kid,
            mallory.sign(forged).to_json(),
        ),
        (
            "tampered",
            "bad signature",
            "one bit of the ciphertext flipped after signing",
            tampered,
            alice.kid,
            alice.sign(base).to_json(),
        ),
        (
            "other-case",
            "bad signature",
            "the author's signature of a reply to another case, attached to this case's reply",
            base,
            alice.kid,
            alice.sign(other).to_json(),
        ),
        (
            "short-signature",
            "malformed",
            "a signature of 63 bytes",
            base,
            alice.kid,
            {"by": alice.kid, "sig": b64(alice.sign(base).sig[:63])},
        ),
    ]
    for name, expect, comment, envelope, author, signature in cases:
        if envelope.kind == fmt.NOTE:
            doc: Env = {"sent": "2026-11-20T03:00:00Z", "author": author}
        else:
            doc = {"sent": "2026-11-20T03:00:00Z", "from": "inspectorate"}
        doc["envelope"] = envelope.to_json()
        if signature is not None:
            doc["signature"] = signature
        lines = [
            f"expect: {expect}",
            f"comment: {comment}",
            f"author: {author}",
            f"signing-keys: {json.dumps(keyring, sort_keys=True)}",
        ]
        body = json.dumps(doc, indent=2)
        (out / f"{name}.txt").write_text("\n".join(lines) + "\n\n" + body + "\n", "utf-8")
    print(f"wrote {len(cases)} vectors to {out}")


if __name__ == "__main__":
    # `generate.py receipt` rewrites only the receipt vectors, and so on.
    chosen = set(sys.argv[1:]) or {
        "envelope",
        "receipt",
        "attachment",
        "signature",
        "desks",
        "recovery",
        "routing",
    }
    if "envelope" in chosen:
        main()
    if "receipt" in chosen:
        receipt_vectors()
    if "attachment" in chosen:
        attachment_vectors()
    if "signature" in chosen:
        signature_vectors()
    if chosen & {"desks", "recovery", "routing"}:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import generate_desks

        generate_desks.run(chosen)
