"""The public keyring (keys/keyring.json): who every report is encrypted to.

Pure data, no decryption: the site build embeds it, the functions check that each envelope
is addressed to every active key, the inspector's tool adds keys to it. Each entry is one
inspector: the X25519 key reports are sealed to and, from format 2 on, the Ed25519 key that
verifies what the inspector signs (docs/spec/keys-v2.md). Key ids and fingerprints are
BLAKE2b-256 of the raw X25519 public key (hashlib's BLAKE2b is the same function as
libsodium's crypto_generichash).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from functions.envelope import X25519, b64decode, b64encode
from functions.errors import WbsError

FORMAT = "wbs-keyring/2"
FORMAT_1 = "wbs-keyring/1"  # still read: its entries carry no signing key
ENTRY_FIELDS_1 = frozenset(
    {"type", "kid", "public_key", "fingerprint", "label", "created", "active"}
)
ENTRY_FIELDS = ENTRY_FIELDS_1 | {"signing_key"}
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Text that only private material carries; a keyring holding any of it is refused outright.
PRIVATE_MARKERS = ("wbs-private-key", "PRIVATE KEY")
# 1 to 80 printable characters, and none of the markers: a keyring holding a label that says
# "PRIVATE KEY" would be written, then refused by every later read (the build, the API).
LABEL_RE = re.compile(
    "(?!.*(?:" + "|".join(map(re.escape, PRIVATE_MARKERS)) + r"))[^\x00-\x1f\x7f]{1,80}"
)


class KeyringError(WbsError, ValueError):
    """The keyring is missing, malformed, empty, or holds private material."""


def fingerprint(public_key: bytes) -> str:
    return hashlib.blake2b(public_key, digest_size=32).hexdigest()


def grouped(fingerprint: str) -> str:
    """``abcd1234...`` as ``abcd 1234 ...``: how the page and ``wbs`` show a fingerprint, so
    that people compare it aloud."""
    return " ".join(fingerprint[i : i + 4] for i in range(0, len(fingerprint), 4))


@dataclass(frozen=True)
class KeyEntry:
    kid: str
    public_key: str  # base64 of the 32-byte X25519 public key
    fingerprint: str
    label: str
    created: str
    active: bool = True
    type: str = X25519
    # base64 of the 32-byte Ed25519 public key that verifies what this inspector signs;
    # None for a key created before keys could sign (docs/spec/keys-v2.md).
    signing_key: str | None = None

    @property
    def public_key_bytes(self) -> bytes:
        return b64decode(self.public_key, "public_key")

    @property
    def signing_key_bytes(self) -> bytes | None:
        return None if self.signing_key is None else b64decode(self.signing_key, "signing_key")

    @classmethod
    def for_public_key(
        cls, public_key: bytes, label: str, created: str, signing_key: bytes | None = None
    ) -> KeyEntry:
        fp = fingerprint(public_key)
        signing = None if signing_key is None else b64encode(signing_key)
        return cls(fp[:16], b64encode(public_key), fp, label, created, signing_key=signing)


@dataclass(frozen=True)
class Keyring:
    keys: tuple[KeyEntry, ...] = field(default=())

    def active(self) -> tuple[KeyEntry, ...]:
        return tuple(k for k in self.keys if k.active)

    def with_key(self, entry: KeyEntry) -> Keyring:
        if any(k.kid == entry.kid for k in self.keys):
            raise KeyringError(f"key {entry.kid} is already in the keyring")
        return Keyring((*self.keys, entry))

    def find(self, wanted: str) -> KeyEntry:
        """The one key whose kid or fingerprint starts with ``wanted`` (8 or more symbols;
        spaces ignored, as fingerprints are read aloud in groups)."""
        prefix = wanted.replace(" ", "").lower()
        found = [k for k in self.keys if len(prefix) >= 8 and k.fingerprint.startswith(prefix)]
        if len(found) != 1:
            problem = "no key" if not found else f"{len(found)} keys"
            raise KeyringError(
                f"{problem} in the keyring match {wanted!r}",
                hint="give a key id from `wbs keys list` (at least 8 symbols)",
            )
        return found[0]

    def with_active(self, kid: str, active: bool) -> Keyring:
        """The same keys, the one with ``kid`` (in)active."""
        return Keyring(tuple(replace(k, active=active) if k.kid == kid else k for k in self.keys))

    def with_signing_key(self, kid: str, signing_key: bytes) -> Keyring:
        """The same keys, the one with ``kid`` verified by ``signing_key`` from now on."""
        signing = b64encode(signing_key)
        return Keyring(
            tuple(replace(k, signing_key=signing) if k.kid == kid else k for k in self.keys)
        )

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "keys": [asdict(k) for k in self.keys]}


def parse(text: str, *, source: str = "keyring") -> Keyring:
    for marker in PRIVATE_MARKERS:
        if marker in text:
            raise KeyringError(
                f"{source} holds private material ({marker!r}); a keyring holds public keys only",
                hint="remove the private key from the keyring and keep it outside the repository",
            )
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply
        raise KeyringError(f"{source} is not valid JSON") from None
    if (
        not isinstance(data, dict)
        or data.get("format") not in (FORMAT, FORMAT_1)
        or set(data) != {"format", "keys"}
    ):
        raise KeyringError(f"{source} is not a {FORMAT} document")
    if not isinstance(data["keys"], list):
        raise KeyringError(f"{source}: keys must be a list")
    fields = ENTRY_FIELDS if data["format"] == FORMAT else ENTRY_FIELDS_1
    ring = Keyring()
    for n, item in enumerate(data["keys"], 1):
        ring = ring.with_key(_entry(item, fields, f"{source}: key {n}"))
    return ring


def _entry(item: object, fields: frozenset[str], where: str) -> KeyEntry:
    if not isinstance(item, dict) or set(item) != fields:
        raise KeyringError(f"{where} must have exactly: {', '.join(sorted(fields))}")
    if item["type"] != X25519:
        raise KeyringError(f"{where}: unsupported key type {item['type']!r}")
    raw = _bytes(item["public_key"], "public_key", where)
    if len(raw) != 32:
        raise KeyringError(f"{where}: public_key must be 32 bytes")
    fp = fingerprint(raw)
    if item["fingerprint"] != fp or item["kid"] != fp[:16]:
        raise KeyringError(f"{where}: kid or fingerprint does not match the public key")
    if not isinstance(item["label"], str) or not LABEL_RE.fullmatch(item["label"]):
        raise KeyringError(f"{where}: label must be 1 to 80 printable characters")
    if not isinstance(item["created"], str) or not DATE_RE.fullmatch(item["created"]):
        raise KeyringError(f"{where}: created must be a date YYYY-MM-DD")
    if not isinstance(item["active"], bool):
        raise KeyringError(f"{where}: active must be true or false")
    signing = item.get("signing_key")
    if signing is not None and len(_bytes(signing, "signing_key", where)) != 32:
        raise KeyringError(f"{where}: signing_key must be 32 bytes, or null")
    return KeyEntry(**item)


def _bytes(value: object, name: str, where: str) -> bytes:
    try:
        return b64decode(value, name)
    except ValueError as exc:
        raise KeyringError(f"{where}: {exc}") from None


def load(path: Path) -> Keyring:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyringError(
            f"no keyring at {path}", hint="create an inspector key: wbs keys new"
        ) from None
    return parse(text, source=str(path))


def load_active(path: Path) -> Keyring:
    """Load a keyring that must have at least one active key (for building and serving)."""
    ring = load(path)
    if not ring.active():
        raise KeyringError(
            f"{path} has no active key: nobody could read the reports",
            hint="create an inspector key first: wbs keys new --label 'Inspektur ...'",
        )
    return ring


def dump(ring: Keyring, path: Path) -> None:
    """Write atomically (temporary file + rename) so a crash never leaves half a keyring."""
    text = json.dumps(ring.to_json(), indent=2, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".keyring-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
