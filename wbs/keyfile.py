"""Private key files (docs/spec/keys-v2.md): an inspector's identity under a passphrase.

Format 3 is UTF-8 JSON::

    {"format": "wbs-private-key/3", "kid": "...", "public_key": "<b64>",
     "signing_key": "<b64>", "xwing_key": "<b64>", "label": "...",
     "kdf": {"alg": "argon2id13", "opslimit": N, "memlimit": N, "salt": "<b64>"},
     "box": "<b64>"}

``box`` is ``crypto_secretbox`` (XSalsa20-Poly1305, random nonce first) of the 32-byte X25519
secret key, the 32-byte Ed25519 seed and the 32-byte X-Wing seed (drawn on its own from the
CSPRNG, never derived from the X25519 secret), under a key that Argon2id derives from the
passphrase (UTF-8, NFC-normalised) and the salt. The public keys and kid stay readable
without the passphrase; after unlocking, the secrets must reproduce all three public keys.

Formats 2 (no ``xwing_key``; ``box`` holds 64 bytes) and 1 (no ``signing_key`` either; 32
bytes) are still read, so that ``upgrade`` can turn them into format 3 in place under the
same passphrase; an identity read from them has no X-Wing key (and, from format 1, cannot
sign). Files are created with mode 0600; only ``upgrade`` replaces one, atomically, with the
same X25519 key (and signing key, if it had one) in it.
"""

from __future__ import annotations

import json
import os
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.pwhash.argon2id as argon2id
import nacl.utils
from nacl.public import PrivateKey
from nacl.secret import SecretBox
from nacl.signing import SigningKey

from functions.envelope import b64decode, b64encode
from functions.errors import WbsError
from functions.storage.local import fsync_dir
from wbs import paths, xwing
from wbs.crypto import Identity, key_id

FORMAT = "wbs-private-key/3"
FORMAT_2 = "wbs-private-key/2"  # read, to be upgraded: no X-Wing key
FORMAT_1 = "wbs-private-key/1"  # read, to be upgraded: no signing key either
KDF_ALG = "argon2id13"
FIELDS_1 = frozenset({"format", "kid", "public_key", "label", "kdf", "box"})
FIELDS_2 = FIELDS_1 | {"signing_key"}
FIELDS = FIELDS_2 | {"xwing_key"}
SHAPES: dict[object, frozenset[str]] = {FORMAT: FIELDS, FORMAT_2: FIELDS_2, FORMAT_1: FIELDS_1}
SECRET_BYTES = 32  # an X25519 secret key; an Ed25519 seed; an X-Wing seed
KDF_FIELDS = frozenset({"alg", "opslimit", "memlimit", "salt"})
# The cost of new keys. Tests lower these to the interactive limits for speed; nothing
# a user can type weakens them.
OPSLIMIT = argon2id.OPSLIMIT_MODERATE
MEMLIMIT = argon2id.MEMLIMIT_MODERATE
# What a key file may ask of this machine when it is unlocked.
MAX_OPSLIMIT = 32
MAX_MEMLIMIT = 4 * 1024**3


class KeyFileError(WbsError, ValueError):
    """A private key file is missing, unreadable or not a wbs-private-key document."""


class WrongPassphrase(KeyFileError):
    """The passphrase does not open the key file."""


@dataclass(frozen=True)
class KeyFileInfo:
    """What a key file tells without its passphrase."""

    kid: str
    public_key: bytes
    label: str
    signing_key: bytes | None  # None: a format 1 file, which cannot sign until upgraded
    xwing_key: bytes | None  # None: a format 1 or 2 file, no hybrid grant until upgraded


def generate() -> Identity:
    """Three independent keys, each from the CSPRNG."""
    return Identity(PrivateKey.generate(), SigningKey.generate(), xwing.DecapsulationKey.generate())


def create(path: Path, identity: Identity, passphrase: str, label: str) -> None:
    """Write ``identity`` to a new file (mode 0600) under ``passphrase``; never overwrite."""
    salt = nacl.utils.random(argon2id.SALTBYTES)
    key = _derive(passphrase, salt, OPSLIMIT, MEMLIMIT)
    data = _document(identity, label, {"opslimit": OPSLIMIT, "memlimit": MEMLIMIT}, salt, key)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(
            f"{path} already exists; a key file is never overwritten",
            hint="choose another file with --out, or keep using the existing key",
        ) from None
    _fill(fd, data, path)


def upgrade(path: Path, passphrase: str) -> Identity:
    """Turn a format 1 or 2 key file into format 3, in place: the same X25519 key (and
    signing key, if it has one), label, passphrase and Argon2id salt and limits, with what it
    lacks newly drawn (an Ed25519 pair, an X-Wing seed), written to a temporary file (mode
    0600) that atomically replaces the old one. Returns the upgraded identity."""
    document = _load(path)
    if document["format"] == FORMAT:
        raise KeyFileError(
            f"{path} already holds a signing key and an X-Wing key ({FORMAT})",
            hint="nothing to upgrade",
        )
    key, salt = _unlocking_key(document, passphrase, path)
    old = _unlock(document, key, path)
    new = Identity(
        old.private_key,
        old.signing_key or SigningKey.generate(),
        xwing.DecapsulationKey.generate(),  # independent of the X25519 secret
    )
    data = _document(new, document["label"], document["kdf"], salt, key)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")  # mode 0600
    _fill(fd, data, Path(tmp))
    os.replace(tmp, path)
    fsync_dir(path.parent)
    return new


def inspect(path: Path) -> KeyFileInfo:
    """Read a key file's public part (no passphrase needed)."""
    document = _load(path)
    signing = _signing_key(document, path)
    hybrid = _xwing_key(document, path)
    public = _public_key(document, path)
    return KeyFileInfo(document["kid"], public, document["label"], signing, hybrid)


def unlock(path: Path, passphrase: str) -> Identity:
    """Open a key file with its passphrase; raise WrongPassphrase or KeyFileError."""
    document = _load(path)
    key, _salt = _unlocking_key(document, passphrase, path)
    return _unlock(document, key, path)


def _unlocking_key(document: dict[str, Any], passphrase: str, path: Path) -> tuple[bytes, bytes]:
    """The secretbox key the passphrase gives, and the file's salt."""
    kdf = document["kdf"]
    salt = _field_bytes(kdf["salt"], "kdf salt", path)
    if len(salt) != argon2id.SALTBYTES:
        raise KeyFileError(f"{path}: kdf salt must be {argon2id.SALTBYTES} bytes")
    return _derive(passphrase, salt, kdf["opslimit"], kdf["memlimit"]), salt


def _unlock(document: dict[str, Any], key: bytes, path: Path) -> Identity:
    public_key = _public_key(document, path)
    signing = _signing_key(document, path)
    hybrid = _xwing_key(document, path)
    try:
        secret = SecretBox(key).decrypt(_field_bytes(document["box"], "box", path))
    except nacl.exceptions.CryptoError:
        raise WrongPassphrase(
            f"wrong passphrase for {path}",
            hint="type it again, exactly as chosen at `wbs keys new` (it is case-sensitive)",
        ) from None
    count = {FORMAT_1: 1, FORMAT_2: 2, FORMAT: 3}[document["format"]]
    if len(secret) != SECRET_BYTES * count:
        raise KeyFileError(f"{path}: the sealed secret has the wrong length")
    parts = [secret[i : i + SECRET_BYTES] for i in range(0, len(secret), SECRET_BYTES)]
    identity = Identity(
        PrivateKey(parts[0]),
        SigningKey(parts[1]) if count > 1 else None,
        xwing.DecapsulationKey(parts[2]) if count > 2 else None,
    )
    held = None if identity.xwing is None else identity.xwing.public_key
    if identity.public_key != public_key or identity.verify_key != signing or held != hybrid:
        raise KeyFileError(f"{path}: the secret key does not match the public key in the file")
    return identity


def _document(
    identity: Identity, label: str, limits: dict[str, Any], salt: bytes, key: bytes
) -> bytes:
    """A format 3 file's bytes: ``identity`` sealed under ``key`` (from the passphrase)."""
    if identity.signing_key is None or identity.verify_key is None or identity.xwing is None:
        raise ValueError("a format 3 key file holds a signing key and an X-Wing key")
    secret = bytes(identity.private_key) + bytes(identity.signing_key) + identity.xwing.seed
    document = {
        "format": FORMAT,
        "kid": identity.kid,
        "public_key": b64encode(identity.public_key),
        "signing_key": b64encode(identity.verify_key),
        "xwing_key": b64encode(identity.xwing.public_key),
        "label": label,
        "kdf": {
            "alg": KDF_ALG,
            "opslimit": limits["opslimit"],
            "memlimit": limits["memlimit"],
            "salt": b64encode(salt),
        },
        "box": b64encode(bytes(SecretBox(key).encrypt(secret))),
    }
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _fill(fd: int, data: bytes, path: Path) -> None:
    """Write a new file's bytes and fsync them; remove it if that fails."""
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


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
    named = document.get("format") if isinstance(document, dict) else None
    shape = SHAPES.get(named) if isinstance(named, str) else None
    if not isinstance(document, dict) or shape is None or set(document) != shape:
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


def _signing_key(document: dict[str, Any], path: Path) -> bytes | None:
    if document["format"] == FORMAT_1:
        return None
    signing = _field_bytes(document["signing_key"], "signing_key", path)
    if len(signing) != SECRET_BYTES:
        raise KeyFileError(f"{path}: signing_key must be {SECRET_BYTES} bytes")
    return signing


def _xwing_key(document: dict[str, Any], path: Path) -> bytes | None:
    if document["format"] != FORMAT:
        return None
    hybrid = _field_bytes(document["xwing_key"], "xwing_key", path)
    if len(hybrid) != xwing.PUBLIC_KEY_BYTES:
        raise KeyFileError(f"{path}: xwing_key must be {xwing.PUBLIC_KEY_BYTES} bytes")
    return hybrid


def _field_bytes(value: object, name: str, path: Path) -> bytes:
    try:
        return b64decode(value, name)
    except ValueError as exc:
        raise KeyFileError(f"{path}: {exc}") from None
