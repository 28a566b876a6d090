"""Write the inspector API's request vectors into docs/vectors/inspector-request/
(docs/spec/inspector-api-v1.md section 7).

Run `python docs/vectors/generate_inspector_request.py` to regenerate. The keys come from
fixed seeds and Ed25519 is deterministic, so every run writes the same bytes. Each file is
`key: value` header lines, a blank line, then the request's body exactly as sent:

    expect:      accepted | bad_signature | stale_time
    comment:     what the case is about
    public-key:  base64 of the inspector's X25519 public key (the keyring entry's, whose
                 key id the request names)
    signing-key: base64 of the inspector's Ed25519 public key (the keyring entry's)
    now:         the service's clock, in seconds since 1970-01-01T00:00:00Z
    method, path, query: the request as the service receives it
    key, time, nonce, signature: the four Wbs-Inspector-* headers
    canonical:   the canonical string the signature should cover, as JSON (a string)
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from nacl.public import PrivateKey
from nacl.signing import SigningKey

OUT = Path(__file__).resolve().parent / "inspector-request"
LABEL = "wbs-inspector-request/1"
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
REPLY = "mailboxes/7K3MQ2X9ABCDEFGH/20260101T000000000000Z-inspectorate-0badc0de.json"


def canonical(
    method: str, path: str, query: str, kid: str, moment: int, nonce: str, body: bytes
) -> str:
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join((LABEL, method, path, query, kid, str(moment), nonce, digest))


def main() -> None:
    receiving = PrivateKey(hashlib.sha256(b"inspector-request x25519").digest())
    signing = SigningKey(hashlib.sha256(b"inspector-request ed25519").digest())
    public = bytes(receiving.public_key)
    kid = hashlib.blake2b(public, digest_size=32).hexdigest()[:16]
    nonce = hashlib.sha256(b"nonce").hexdigest()[:32]
    put_path = f"/inspector/v1/objects/{REPLY}"
    body = b'{"envelope": "..."}'
    cases = [
        # name, expect, comment, (method, path, query, time, body) signed, and as sent
        ("put-reply", "accepted", "a reply written through the API, tagged for its desk",
         ("PUT", put_path, "desks=inspektorat", NOW - 30, body), None),
        ("list-mailboxes", "accepted", "a listing of every mailbox, first page",
         ("GET", "/inspector/v1/objects", "after=&limit=1000&prefix=mailboxes%2F", NOW + 10, b""),
         None),
        ("tampered-body", "bad_signature", "the signed reply, its body changed on the way",
         ("PUT", put_path, "desks=inspektorat", NOW, body), body.replace(b"...", b"..!")),
        ("other-desk", "bad_signature", "the signed reply, sent with another desk's tag",
         ("PUT", put_path, "desks=inspektorat", NOW, body), "desks=kab-bandung"),
        ("stale-time", "stale_time", "a request signed six minutes before the service's clock",
         ("PUT", put_path, "desks=inspektorat", NOW - 360, body), None),
    ]  # fmt: skip
    OUT.mkdir(exist_ok=True)
    for name, expect, comment, (method, path, query, moment, signed_body), changed in cases:
        text = canonical(method, path, query, kid, moment, nonce, signed_body)
        signature = signing.sign(text.encode("ascii")).signature
        sent_body = changed if isinstance(changed, bytes) else signed_body
        sent_query = changed if isinstance(changed, str) else query
        lines = [
            f"expect: {expect}",
            f"comment: {comment}",
            f"public-key: {base64.b64encode(public).decode()}",
            f"signing-key: {base64.b64encode(bytes(signing.verify_key)).decode()}",
            f"now: {NOW}",
            f"method: {method}",
            f"path: {path}",
            f"query: {sent_query}",
            f"key: {kid}",
            f"time: {moment}",
            f"nonce: {nonce}",
            f"signature: {base64.b64encode(signature).decode()}",
            f"canonical: {json.dumps(text)}",
        ]
        (OUT / f"{name}.txt").write_bytes(("\n".join(lines) + "\n\n").encode() + sent_body)


if __name__ == "__main__":
    main()
