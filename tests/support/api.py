"""Helpers for the API tests: canned API Gateway events, a keyring, sealed envelopes, mailbox
tokens, and the hostile envelopes every route that takes one must refuse."""

from __future__ import annotations

import base64
import copy
import io
import json
import logging
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from nacl.public import PrivateKey
from nacl.signing import SigningKey

from functions import keyring, log, mailbox_token
from functions.envelope import Envelope
from tests.support import reporter
from wbs import crypto

EVENTS = Path(__file__).resolve().parents[1] / "events"  # tests/events/
# What the canned events carry about the client: none of it may reach a log or a stored object.
CLIENT_IP = "198.51.100.23"
USER_AGENT_MARK = "UA-CANARY-5d1c"


@cache
def _event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of tests/events/<name>.json (API Gateway HTTP API, payload 2.0)."""
    return copy.deepcopy(_event(name))


@contextmanager
def api_logs() -> Iterator[io.StringIO]:
    """What the API's Logger writes (JSON lines) while the block runs."""
    handler = log.logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


def new_token() -> bytes:
    """A random mailbox token, as the browser derives one from a fresh receipt code."""
    return secrets.token_bytes(mailbox_token.TOKEN_BYTES)


def bearer(token: bytes) -> str:
    """The Authorization header value that carries ``token``."""
    return "Bearer " + base64.b64encode(token).decode()


def get_event(path: str, authorization: str | None) -> dict[str, Any]:
    """GET ``path`` with that Authorization header (None: none), from a real-looking event."""
    event = load_event("get_reports")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    if authorization is not None:
        event["headers"]["authorization"] = authorization
    return event


def post_event(
    body: bytes | str,
    content_type: str | None = "application/json",
    *,
    base64_body: bool = False,
    authorization: str | None = None,
    path: str = "/api/reports",
    sign: bool = True,
) -> dict[str, Any]:
    """POST ``body`` to ``path`` with its content-length, ``content_type`` and
    ``authorization`` headers (None: no such header), and, unless ``sign`` is False, the
    reporter's signing key (a report) or signature (a follow-up), as the page sends them."""
    event = load_event("post_report")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    raw = body.encode() if isinstance(body, str) else body
    event["headers"]["content-length"] = str(len(raw))
    if content_type is None:
        del event["headers"]["content-type"]
    else:
        event["headers"]["content-type"] = content_type
    if authorization is not None:
        event["headers"]["authorization"] = authorization
    if sign:
        event["headers"].update(reporter.headers(path, authorization, raw))
    if base64_body:
        event["body"], event["isBase64Encoded"] = base64.b64encode(raw).decode(), True
    else:
        event["body"] = raw.decode()
    return event


def identity(seed: int) -> crypto.Identity:
    """A fixed inspector identity (an X25519 and an Ed25519 pair): tests stay deterministic."""
    return crypto.Identity(
        PrivateKey.from_seed(bytes([seed]) * 32), SigningKey(bytes([255 - seed]) * 32)
    )


# The recovery key of every keyring write_keyring makes; sealed() adds it to the recipients,
# as the page does (docs/spec/desks-v2.md).
RECOVERY = crypto.Identity(PrivateKey.from_seed(b"r" * 32), SigningKey(b"R" * 32))
DESK = "inspektorat"


def write_keyring(path: Path, active: Iterable[bytes], inactive: Iterable[bytes] = ()) -> Path:
    """A keyring whose desks' keys are the given public keys, so that the test holding the
    private halves reads as the desk's members would: ``inactive`` are the earlier
    generations of desk ``inspektorat`` and the first of ``active`` its current one; each
    further active key is the active key of a desk of its own (``inspektorat-2``, …). The
    recovery key is RECOVERY."""
    recovery = keyring.RecoveryEntry.for_public_key(
        RECOVERY.public_key, RECOVERY.verify_key or b"", "Recovery", "2024-01-01", 3, 5
    )
    ring = keyring.Keyring().with_recovery(recovery)
    active, inactive = list(active), list(inactive)
    for generation, public_key in enumerate([*inactive, *active[:1]], 1):
        ring = ring.with_desk(
            keyring.DeskEntry.for_public_key(DESK, generation, public_key, "2024-01-01")
        )
    for n, public_key in enumerate(active[1:], 2):
        ring = ring.with_desk(
            keyring.DeskEntry.for_public_key(f"{DESK}-{n}", 1, public_key, "2024-01-01")
        )
    keyring.dump(ring, path)
    return path


def write_desks(
    path: Path,
    desks: Mapping[str, Sequence[bytes]],
    persons: Iterable[crypto.Identity] = (),
) -> keyring.Keyring:
    """A keyring of named desks, each given its generations' public keys (oldest first; the
    last is active), with ``persons`` (their X25519 and Ed25519 keys: signers of grants) and
    the RECOVERY key. Written to ``path``; returned."""
    recovery = keyring.RecoveryEntry.for_public_key(
        RECOVERY.public_key, RECOVERY.verify_key or b"", "Recovery", "2024-01-01", 3, 5
    )
    ring = keyring.Keyring().with_recovery(recovery)
    for person in persons:
        ring = ring.with_key(
            keyring.KeyEntry.for_public_key(
                person.public_key, f"Inspektur {person.kid[:4]}", "2024-01-01", person.verify_key
            )
        )
    for desk, generations in desks.items():
        for generation, public_key in enumerate(generations, 1):
            ring = ring.with_desk(
                keyring.DeskEntry.for_public_key(desk, generation, public_key, "2024-01-01")
            )
    keyring.dump(ring, path)
    return ring


def sealed(
    plaintext: bytes,
    public_keys: Iterable[bytes],
    report_id: str | None = None,
    kind: str = "report",
    recovery: bool = True,
) -> Envelope:
    """``plaintext`` sealed to ``public_keys`` (desk keys) and, unless told not to, to the
    recovery key, as the page seals."""
    keys = [*public_keys, *([RECOVERY.public_key] if recovery else [])]
    recipients = [crypto.Recipient(pk) for pk in keys]
    return crypto.seal(kind, report_id or crypto.new_report_id(), plaintext, recipients)


def envelope_json(envelope: Envelope | dict[str, Any]) -> str:
    data = envelope.to_json() if isinstance(envelope, Envelope) else envelope
    return json.dumps(data)


# --- hostile input -------------------------------------------------------------------------

DELETE = object()


def mutated(good: dict[str, Any], path: str, value: Any) -> str:
    """``good`` with one member (``recipients.0.kid``...) replaced; DELETE removes it."""
    data = copy.deepcopy(good)
    *parents, last = path.split(".")
    target: Any = data
    for part in parents:
        target = target[int(part) if isinstance(target, list) else part]
    key: Any = int(last) if isinstance(target, list) else last
    if value is DELETE:
        del target[key]
    else:
        target[key] = value
    return json.dumps(data)


def noncanonical(b64: str) -> str:
    """Same bytes, different text: set unused low bits of the last character before '='."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    body = b64.rstrip("=")
    flipped = alphabet[alphabet.index(body[-1]) ^ 1]
    assert base64.b64decode(body[:-1] + flipped + b64[len(body) :]) == base64.b64decode(b64)
    return body[:-1] + flipped + b64[len(body) :]


def bad_envelopes(good: dict[str, Any]) -> dict[str, str]:
    """Bodies that are not envelopes (400 bad_envelope), each a small change to ``good``."""

    def change(path: str, value: Any) -> str:
        return mutated(good, path, value)

    sealed_b64 = good["recipients"][0]["sealed"]
    return {
        "malformed JSON": '{"v":1,',
        "empty body": "",
        "array": "[1,2,3]",
        "string": '"report"',
        "null": "null",
        "v as string": change("v", "1"),
        "v as float": change("v", 1.0),
        "v as bool": change("v", True),
        "kind as number": change("kind", 1),
        "unknown kind": change("kind", "memo"),
        "id as number": change("id", 1234567890123456),
        "recipients as object": change("recipients", {}),
        "recipients empty": change("recipients", []),
        "recipient as string": change("recipients.0", "x"),
        "recipient type as number": change("recipients.0.type", 1),
        "recipient kid as number": change("recipients.0.kid", 1),
        "recipient sealed as list": change("recipients.0.sealed", []),
        "recipient extra member": change("recipients.0.extra", "x"),
        "nonce as number": change("nonce", 0),
        "ciphertext as null": change("ciphertext", None),
        "missing ciphertext": change("ciphertext", DELETE),
        "unknown member": change("note", "hello"),
        "mailbox member smuggled in": change("mailbox", "0" * 64),
        "duplicate member": '{"v":1,"v":1}',
        "duplicate id": change("id", "0123456789ABCDEF")[:-1] + ',"id":"0123456789ABCDEF"}',
        "NaN": '{"v":NaN}',
        "Infinity": change("v", 1).replace('"v": 1', '"v": Infinity'),
        "deeply nested": '{"v":1,"x":' + "[" * 100_000 + "]" * 100_000 + "}",
        "bad base64": change("nonce", "!!!!" * 8),
        "base64 with newline": change("nonce", "A" * 16 + "\n" + "A" * 16),
        "url-safe base64": change("recipients.0.sealed", "-_" * 54),
        "non-canonical base64": change("recipients.0.sealed", noncanonical(sealed_b64)),
        "short nonce": change("nonce", base64.b64encode(bytes(23)).decode()),
        "long nonce": change("nonce", base64.b64encode(bytes(25)).decode()),
        "ciphertext not a bucket": change("ciphertext", base64.b64encode(bytes(1000)).decode()),
        "ciphertext bucket without tag": change(
            "ciphertext", base64.b64encode(bytes(1024)).decode()
        ),
        "sealed key of wrong length": change(
            "recipients.0.sealed", base64.b64encode(bytes(79)).decode()
        ),
        "path-like id": change("id", "../../etc/passwd"),
        "id with slash": change("id", "ABCDEFGH/JKMNPQR"),
        "lower-case id": change("id", "0123456789abcdef"),
        "short id": change("id", "0123456789ABCDE"),
        "id with I": change("id", "0123456789ABCDEI"),
    }


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


# Authorization headers that carry no usable mailbox token (None: no header): 401 bad_token.
BAD_AUTHORIZATIONS: dict[str, str | None] = {
    "missing header": None,
    "empty header": "",
    "scheme only": "Bearer",
    "scheme and space": "Bearer ",
    "basic scheme": "Basic " + _b64(b"user:" + bytes(27)),
    "no scheme": _b64(bytes(32)),
    "bad base64": "Bearer " + "!" * 44,
    "url-safe base64": "Bearer " + "-_" * 22,
    "base64 without padding": "Bearer " + _b64(bytes(32)).rstrip("="),
    "non-canonical base64": "Bearer " + noncanonical(_b64(bytes(range(32)))),
    "31 bytes": "Bearer " + _b64(bytes(31)),
    "33 bytes": "Bearer " + _b64(bytes(33)),
    "hex instead of base64": "Bearer " + bytes(range(32)).hex(),
    "two tokens": "Bearer " + _b64(bytes(32)) + " " + _b64(bytes(32)),
    "token with NUL": "Bearer " + _b64(bytes(32)) + "\x00",
}
