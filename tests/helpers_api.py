"""Helpers for the API tests: canned API Gateway events, a keyring, sealed reports."""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from nacl.public import PrivateKey

from functions import keyring
from functions.envelope import Envelope
from wbs import crypto

EVENTS = Path(__file__).parent / "events"
# What the canned events carry about the client: none of it may reach a log or a stored object.
CLIENT_IP = "198.51.100.23"
USER_AGENT_MARK = "UA-CANARY-5d1c"


@cache
def _event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of tests/events/<name>.json (API Gateway HTTP API, payload 2.0)."""
    return copy.deepcopy(_event(name))


def post_event(
    body: bytes | str, content_type: str | None = "application/json", *, base64_body: bool = False
) -> dict[str, Any]:
    """POST /api/reports with ``body``, its content-length and ``content_type`` (None: none)."""
    event = load_event("post_report")
    raw = body.encode() if isinstance(body, str) else body
    event["headers"]["content-length"] = str(len(raw))
    if content_type is None:
        del event["headers"]["content-type"]
    else:
        event["headers"]["content-type"] = content_type
    if base64_body:
        event["body"], event["isBase64Encoded"] = base64.b64encode(raw).decode(), True
    else:
        event["body"] = raw.decode()
    return event


def identity(seed: int) -> crypto.Identity:
    """A fixed inspector key pair: tests stay deterministic."""
    return crypto.Identity(PrivateKey.from_seed(bytes([seed]) * 32))


def write_keyring(path: Path, active: Iterable[bytes], inactive: Iterable[bytes] = ()) -> Path:
    ring = keyring.Keyring()
    for n, public_key in enumerate(active):
        ring = ring.with_key(
            keyring.KeyEntry.for_public_key(public_key, f"Inspektur {n}", "2024-01-01")
        )
    for public_key in inactive:
        entry = keyring.KeyEntry.for_public_key(public_key, "Retired", "2023-01-01")
        ring = ring.with_key(dataclasses.replace(entry, active=False))
    keyring.dump(ring, path)
    return path


def sealed(
    plaintext: bytes,
    public_keys: Iterable[bytes],
    report_id: str | None = None,
    kind: str = "report",
) -> Envelope:
    recipients = [crypto.Recipient(pk) for pk in public_keys]
    return crypto.seal(kind, report_id or crypto.new_report_id(), plaintext, recipients)


def envelope_json(envelope: Envelope | dict[str, Any]) -> str:
    data = envelope.to_json() if isinstance(envelope, Envelope) else envelope
    return json.dumps(data)
