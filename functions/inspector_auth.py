"""Who sent a request to the inspector API (docs/spec/inspector-api-v1.md): an inspector whose
person key is active in the served keyring, proved by an Ed25519 signature over a canonical
string, at most a few minutes old, and never seen before.

The canonical string is built here for both sides: the tool signs it (wbs/remote_storage.py),
the service checks it (functions/inspector_api.py). Verification is PyNaCl's: this module
runs on the self-hosted service only, which is installed with the whole package; the Lambda
zip holds no PyNaCl and never imports it (functions/ed25519.py verifies there, about a
hundred times slower: bench/bench_inspector_api.py syncs three times faster with PyNaCl).
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable, Mapping
from http import HTTPStatus
from pathlib import Path

import nacl.exceptions
from nacl.signing import VerifyKey

from functions import keyring
from functions.envelope import b64decode
from functions.errors import WbsError
from functions.keyring import Keyring
from functions.recipients import StatKey, stat_key

LABEL = "wbs-inspector-request/1"
KEY_HEADER = "Wbs-Inspector-Key"
TIME_HEADER = "Wbs-Inspector-Time"
NONCE_HEADER = "Wbs-Inspector-Nonce"
SIGNATURE_HEADER = "Wbs-Inspector-Signature"
HEADERS = (KEY_HEADER, TIME_HEADER, NONCE_HEADER, SIGNATURE_HEADER)
WINDOW_SECONDS = 300  # a request's time may be this far from the service's clock, either way
MAX_REMEMBERED = 100_000  # nonces kept for the window: 28 MB at most (measured)
KID_RE = re.compile(r"[0-9a-f]{16}")
TIME_RE = re.compile(r"[0-9]{1,12}")
NONCE_RE = re.compile(r"[0-9a-f]{32}")
SIGNATURE_RE = re.compile(r"[A-Za-z0-9+/]{86}==")
METHODS = frozenset({"GET", "PUT"})
# What a path or a query may hold: printable ASCII without spaces, so that no field of the
# canonical string can hold the line break that separates them.
FIELD_RE = re.compile(r"[!-~]*")


class Refused(WbsError, PermissionError):
    """A request the API does not accept from this sender; ``status`` and ``code`` say why
    (401: who sent it is not proved; 403: proved, but not allowed; 503: too many at once)."""

    def __init__(self, status: HTTPStatus, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def canonical(
    method: str, path: str, query: str, kid: str, moment: int, nonce: str, digest: str
) -> bytes:
    """The bytes an inspector signs for one request: the label, then each field on a line of
    its own (spec section 3). ValueError for a field that could hold another's line."""
    if method not in METHODS or not path.startswith("/"):
        raise ValueError("a request is GET or PUT of an absolute path")
    if not (FIELD_RE.fullmatch(path) and FIELD_RE.fullmatch(query)):
        raise ValueError("the path and query are printable ASCII without spaces")
    if not (KID_RE.fullmatch(kid) and NONCE_RE.fullmatch(nonce) and 0 <= moment < 10**12):
        raise ValueError("a key id, a time and a nonce of the spec's forms")
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise ValueError("the body's SHA-256 in hex")
    lines = (LABEL, method, path, query, kid, str(moment), nonce, digest)
    return "\n".join(lines).encode("ascii")


class Gate:
    """The check of every request: the served keyring's active person keys (read again when
    the file changes), the clock (``clock`` is a test hook), and the nonces of the window."""

    def __init__(self, keyring_path: Path, clock: Callable[[], float] = time.time) -> None:
        self.keyring_path = keyring_path
        self.clock = clock
        self._ring: tuple[StatKey, Keyring] | None = None
        self._seen: dict[tuple[str, str], float] = {}  # (kid, nonce) -> when it may be forgotten
        self._lock = threading.Lock()

    def check(
        self, method: str, path: str, query: str, headers: Mapping[str, str], digest: str
    ) -> str:
        """The key id of the inspector who sent this request; Refused if it is not proved, not
        allowed, or a replay. ``headers`` by their lower-case names."""
        values = [headers.get(name.lower(), "") for name in HEADERS]
        if not any(values):
            raise Refused(HTTPStatus.UNAUTHORIZED, "unsigned", "This request is not signed.")
        kid, moment_text, nonce, signature_text = values
        if not (
            KID_RE.fullmatch(kid)
            and TIME_RE.fullmatch(moment_text)
            and NONCE_RE.fullmatch(nonce)
            and SIGNATURE_RE.fullmatch(signature_text)
        ):
            raise Refused(
                HTTPStatus.UNAUTHORIZED,
                "malformed_signature",
                "The signature headers are malformed.",
            )
        now, moment = self.clock(), int(moment_text)
        if abs(now - moment) > WINDOW_SECONDS:
            raise Refused(
                HTTPStatus.UNAUTHORIZED,
                "stale_time",
                f"The request's time is more than {WINDOW_SECONDS} seconds from the server's"
                " clock: check the clock of both machines.",
            )
        entry = next((k for k in self._keyring().keys if k.kid == kid), None)
        public = entry.signing_key_bytes if entry is not None else None
        if entry is None or public is None:
            raise Refused(
                HTTPStatus.UNAUTHORIZED, "unknown_key", "This key is not in the served keyring."
            )
        try:
            message = canonical(method, path, query, kid, moment, nonce, digest)
            VerifyKey(public).verify(message, b64decode(signature_text, "signature"))
            good = True
        except (ValueError, nacl.exceptions.CryptoError):  # BadSignatureError is a CryptoError
            good = False  # a forged or moved signature, or a path no client signs
        if not good:
            raise Refused(HTTPStatus.UNAUTHORIZED, "bad_signature", "The signature does not match.")
        if not entry.active:
            raise Refused(HTTPStatus.FORBIDDEN, "retired_key", "This key is retired.")
        self._remember(kid, nonce, moment + WINDOW_SECONDS, now)
        return kid

    def _remember(self, kid: str, nonce: str, until: float, now: float) -> None:
        """Note a verified request's nonce until its time leaves the window; Refused if it was
        seen already, or if the window holds too many to remember one more."""
        with self._lock:
            if (kid, nonce) in self._seen:
                raise Refused(
                    HTTPStatus.UNAUTHORIZED, "replayed", "This request was received before."
                )
            if len(self._seen) >= MAX_REMEMBERED:
                self._seen = {k: t for k, t in self._seen.items() if t >= now}
                if len(self._seen) >= MAX_REMEMBERED:
                    raise Refused(
                        HTTPStatus.SERVICE_UNAVAILABLE, "busy", "Too many requests: try again."
                    )
            self._seen[(kid, nonce)] = until

    def _keyring(self) -> Keyring:
        stamp = stat_key(self.keyring_path)
        cached = self._ring
        if stamp is not None and cached is not None and cached[0] == stamp:
            return cached[1]
        ring = keyring.load(self.keyring_path)  # KeyringError: the caller answers 503
        self._ring = (stamp, ring)
        return ring
