"""Private key files, format ``wbs-private-key/1``: an X25519 secret key under a passphrase.

The file is UTF-8 JSON::

    {"format": "wbs-private-key/1", "kid": "...", "public_key": "<b64>", "label": "...",
     "kdf": {"alg": "argon2id13", "opslimit": N, "memlimit": N, "salt": "<b64>"},
     "box": "<b64>"}

``box`` is ``crypto_secretbox`` (XSalsa20-Poly1305, random nonce first) of the 32-byte secret
key, under a key that Argon2id derives from the passphrase (UTF-8, NFC-normalised) and the
salt. The public key and kid stay readable without the passphrase; after unlocking, the
secret key must reproduce that public key. Files are created with mode 0600 and never
overwritten.
"""

from __future__ import annotations

import json
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.pwhash.argon2id as argon2id
import nacl.utils
from nacl.public import PrivateKey
from nacl.secret import SecretBox

from functions.envelope import b64decode, b64encode
from functions.errors import WbsError
from wbs import paths
from wbs.crypto import Identity, key_id

FORMAT = "wbs-private-key/1"
KDF_ALG = "argon2id13"
FIELDS = frozenset({"format", "kid", "public_key", "label", "kdf", "box"})
KDF_FIELDS = frozenset({"alg", "opslimit", "memlimit", "salt"})
# The cost of new keys. Tests lower these to the interactive limits for speed; nothing
# a user can type weakens them.
OPSLIMIT = argon2id.OPSLIMIT_MODERATE
MEMLIMIT = argon2id.MEMLIMIT_MODERATE
# What a key file may ask of this machine when it is unlocked.
MAX_OPSLIMIT = 32
MAX_MEMLIMIT = 4 * 1024**3


class KeyFileError(WbsError, ValueError):
    """A private key file is missing, unreadable or not a wbs-private-key/1 document."""


class WrongPassphrase(KeyFileError):
    """The passphrase does not open the key file."""


@dataclass(frozen=True)
class KeyFileInfo:
    """What a key file tells without its passphrase."""

    kid: str
    public_key: bytes
    label: str


def generate() -> Identity:
    return Identity(PrivateKey.generate())


def create(path: Path, identity: Identity, passphrase: str, label: str) -> None:
    """Write ``identity`` to a new file (mode 0600) under ``passphrase``; never overwrite."""
    salt = nacl.utils.random(argon2id.SALTBYTES)
    box = SecretBox(_derive(passphrase, salt, OPSLIMIT, MEMLIMIT))
    document = {
        "format": FORMAT,
        "kid": identity.kid,
        "public_key": b64encode(identity.public_key),
        "label": label,
        "kdf": {
            "alg": KDF_ALG,
            "opslimit": OPSLIMIT,
            "memlimit": MEMLIMIT,
            "salt": b64encode(salt),
        },
        "box": b64encode(bytes(box.encrypt(bytes(identity.private_key)))),
    }
    data = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(
            f"{path} already exists; a key file is never overwritten",
            hint="choose another file with --out, or keep using the existing key",
        ) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def inspect(path: Path) -> KeyFileInfo:
    """Read a key file's public part (no passphrase needed)."""
    document = _load(path)
    return KeyFileInfo(document["kid"], _public_key(document, path), document["label"])


def unlock(path: Path, passphrase: str) -> Identity:
    """Open a key file with its passphrase; raise WrongPassphrase or KeyFileError."""
    document = _load(path)
    public_key = _public_key(document, path)
    kdf = document["kdf"]
    salt = _field_bytes(kdf["salt"], "kdf salt", path)
    if len(salt) != argon2id.SALTBYTES:
        raise KeyFileError(f"{path}: kdf salt must be {argon2id.SALTBYTES} bytes")
    key = _derive(passphrase, salt, kdf["opslimit"], kdf["memlimit"])
    try:
        secret = SecretBox(key).decrypt(_field_bytes(document["box"], "box", path))
    except nacl.exceptions.CryptoError:
        raise WrongPassphrase(
            f"wrong passphrase for {path}",
            hint="type it again, exactly as chosen at `wbs keys new` (it is case-sensitive)",
        ) from None
    identity = Identity(PrivateKey(secret))
    if identity.public_key != public_key:
        raise KeyFileError(f"{path}: the secret key does not match the public key in the file")
    return identity


def locate(explicit: Path | None) -> Path:
    """The key to use: ``explicit`` (--key / WBS_KEY), else the only key in WBS_HOME/keys."""
    if explicit is not None:
        return explicit
    folder = paths.keys_dir()
    found = sorted(folder.glob("*" + paths.KEY_SUFFIX)) if folder.is_dir() else []
    if not found:
        raise KeyFileError(
            f"no private key in {folder}",
            hint="create one with `wbs keys new`, or name yours with --key PATH (or WBS_KEY)",
        )
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise KeyFileError(
            f"several private keys in {folder} ({names}): which one?",
            hint="choose with --key PATH (or WBS_KEY)",
        )
    return found[0]


def _derive(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    return argon2id.kdf(SecretBox.KEY_SIZE, secret, salt, opslimit=opslimit, memlimit=memlimit)


def _load(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyFileError(
            f"no key file at {path}", hint="check the path given with --key or WBS_KEY"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc}") from None
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if not isinstance(document, dict) or set(document) != FIELDS or document["format"] != FORMAT:
        raise KeyFileError(f"{path} is not a {FORMAT} file")
    kdf = document["kdf"]
    if (
        not isinstance(kdf, dict)
        or set(kdf) != KDF_FIELDS
        or kdf["alg"] != KDF_ALG
        or type(kdf["opslimit"]) is not int
        or type(kdf["memlimit"]) is not int
    ):
        raise KeyFileError(f"{path}: kdf must be {KDF_ALG} with opslimit, memlimit and salt")
    if not (
        argon2id.OPSLIMIT_MIN <= kdf["opslimit"] <= MAX_OPSLIMIT
        and argon2id.MEMLIMIT_MIN <= kdf["memlimit"] <= MAX_MEMLIMIT
    ):
        raise KeyFileError(f"{path}: kdf limits are out of range")
    if not isinstance(document["label"], str) or not isinstance(document["kid"], str):
        raise KeyFileError(f"{path}: kid and label must be strings")
    return document


def _public_key(document: dict[str, Any], path: Path) -> bytes:
    public_key = _field_bytes(document["public_key"], "public_key", path)
    if len(public_key) != 32 or key_id(public_key) != document["kid"]:
        raise KeyFileError(f"{path}: kid does not match the public key")
    return public_key


def _field_bytes(value: object, name: str, path: Path) -> bytes:
    try:
        return b64decode(value, name)
    except ValueError as exc:
        raise KeyFileError(f"{path}: {exc}") from None
