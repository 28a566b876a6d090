"""The public keyring (keys/keyring.json): the people, the desks reports are sealed to, and
the recovery key.

Pure data, no decryption: the site build embeds it, the functions check each envelope's
recipients against it, the inspector's tool adds keys to it. ``keys`` are persons: an
inspector's X25519 key (grants are sealed to it) and Ed25519 key (verifies what the inspector
signs, docs/spec/keys-v2.md). ``desks`` are the groups reports are sealed to, one entry per
desk and generation, and ``recovery`` the offline key that is a member of every desk
(docs/spec/desks-v2.md). Key ids and fingerprints are BLAKE2b-256 of the raw public key
(hashlib's BLAKE2b is the same function as libsodium's crypto_generichash).

Format 4 adds the hybrid post-quantum keys (docs/spec/xwing-v1.md): a person's and the
recovery key's ``xwing_key`` (the 1216-byte X-Wing public key, or null), and desk generations
of ``type`` ``"X-Wing"``. A keyring with a hybrid desk MUST give the recovery key an X-Wing
key, since the recovery key is a member of every desk.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from functions.envelope import X25519, XWING, b64decode, b64encode
from functions.errors import WbsError

FORMAT = "wbs-keyring/4"
FORMAT_3 = "wbs-keyring/3"  # still read: no X-Wing keys
FORMAT_2 = "wbs-keyring/2"  # still read: persons only, no desk and no recovery key
FORMAT_1 = "wbs-keyring/1"  # still read: persons without signing keys
ENTRY_FIELDS_1 = frozenset(
    {"type", "kid", "public_key", "fingerprint", "label", "created", "active"}
)
ENTRY_FIELDS = ENTRY_FIELDS_1 | {"signing_key"}
DESK_FIELDS = frozenset(
    {
        "desk",
        "generation",
        "type",
        "kid",
        "public_key",
        "fingerprint",
        "created",
        "active",
        "founder",
    }
)
RECOVERY_FIELDS_3 = (ENTRY_FIELDS - {"active"}) | {"threshold", "shares"}
RECOVERY_FIELDS = RECOVERY_FIELDS_3 | {"xwing_key"}
XWING_PUBLIC_KEY_BYTES = 1216  # ML-KEM-768's encapsulation key (1184), X25519's key (32)
KEY_BYTES = {X25519: 32, XWING: XWING_PUBLIC_KEY_BYTES}
DOCUMENT_FIELDS: dict[object, frozenset[str]] = {
    FORMAT: frozenset({"format", "keys", "desks", "recovery"}),
    FORMAT_3: frozenset({"format", "keys", "desks", "recovery"}),
    FORMAT_2: frozenset({"format", "keys"}),
    FORMAT_1: frozenset({"format", "keys"}),
}
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
DESK_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,47}")
MAX_GENERATION = 10_000
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
    # base64 of the 1216-byte X-Wing public key hybrid desks' grants are sealed to; None for
    # a key created before hybrid keys (docs/spec/keys-v2.md, until `wbs keys upgrade`).
    xwing_key: str | None = None

    @property
    def public_key_bytes(self) -> bytes:
        return b64decode(self.public_key, "public_key")

    @property
    def signing_key_bytes(self) -> bytes | None:
        return None if self.signing_key is None else b64decode(self.signing_key, "signing_key")

    @property
    def xwing_key_bytes(self) -> bytes | None:
        return None if self.xwing_key is None else b64decode(self.xwing_key, "xwing_key")

    @classmethod
    def for_public_key(
        cls,
        public_key: bytes,
        label: str,
        created: str,
        signing_key: bytes | None = None,
        xwing_key: bytes | None = None,
    ) -> KeyEntry:
        fp = fingerprint(public_key)
        signing = None if signing_key is None else b64encode(signing_key)
        hybrid = None if xwing_key is None else b64encode(xwing_key)
        encoded = b64encode(public_key)
        return cls(fp[:16], encoded, fp, label, created, True, X25519, signing, hybrid)


@dataclass(frozen=True)
class DeskEntry:
    """One generation of one desk's key pair: reports routed to the desk are sealed to the
    active generation; earlier ones stay readable by whoever holds their grants."""

    desk: str
    generation: int
    kid: str
    public_key: str  # base64 of the 32-byte X25519 or 1216-byte X-Wing public key (type)
    fingerprint: str
    created: str
    active: bool = True
    type: str = X25519
    # Who made this generation's key and signed its first grants: a person's kid, or None
    # for the recovery key. Whose grants others count as membership (desks-v2 section 3.6).
    founder: str | None = None

    @property
    def public_key_bytes(self) -> bytes:
        return b64decode(self.public_key, "public_key")

    @property
    def hybrid(self) -> bool:
        return self.type == XWING

    @classmethod
    def for_public_key(
        cls,
        desk: str,
        generation: int,
        public_key: bytes,
        created: str,
        founder: str | None = None,
    ) -> DeskEntry:
        """The entry of a desk key: X25519 for 32 bytes, X-Wing for 1216."""
        fp = fingerprint(public_key)
        kind = XWING if len(public_key) == XWING_PUBLIC_KEY_BYTES else X25519
        encoded = b64encode(public_key)
        return cls(desk, generation, fp[:16], encoded, fp, created, True, kind, founder)


@dataclass(frozen=True)
class RecoveryEntry:
    """The recovery key's public halves: a member of every desk, whose private key exists
    only while k of its word shares are typed in (docs/spec/desks-v2.md section 3)."""

    kid: str
    public_key: str
    fingerprint: str
    signing_key: str
    label: str
    created: str
    threshold: int
    shares: int
    type: str = X25519
    xwing_key: str | None = None  # as KeyEntry's: None until restored shares add it

    @property
    def public_key_bytes(self) -> bytes:
        return b64decode(self.public_key, "public_key")

    @property
    def signing_key_bytes(self) -> bytes:
        return b64decode(self.signing_key, "signing_key")

    @property
    def xwing_key_bytes(self) -> bytes | None:
        return None if self.xwing_key is None else b64decode(self.xwing_key, "xwing_key")

    @classmethod
    def for_public_key(
        cls,
        public_key: bytes,
        signing_key: bytes,
        label: str,
        created: str,
        threshold: int,
        shares: int,
        xwing_key: bytes | None = None,
    ) -> RecoveryEntry:
        fp = fingerprint(public_key)
        return cls(
            fp[:16],
            b64encode(public_key),
            fp,
            b64encode(signing_key),
            label,
            created,
            threshold,
            shares,
            xwing_key=None if xwing_key is None else b64encode(xwing_key),
        )


@dataclass(frozen=True)
class Keyring:
    keys: tuple[KeyEntry, ...] = field(default=())
    desks: tuple[DeskEntry, ...] = field(default=())
    recovery: RecoveryEntry | None = None

    def active(self) -> tuple[KeyEntry, ...]:
        return tuple(k for k in self.keys if k.active)

    def kids(self) -> frozenset[str]:
        """Every key id in the keyring: persons, desk generations and the recovery key."""
        recovery = () if self.recovery is None else (self.recovery.kid,)
        return frozenset((*(k.kid for k in self.keys), *(d.kid for d in self.desks), *recovery))

    def recovery_kid(self, hybrid: bool) -> str:
        """The kid of the recovery key's stanza in an envelope: of its X-Wing key when the
        envelope goes to a hybrid desk (xwing-v1 section 8.4), else of its X25519 key."""
        if self.recovery is None:
            raise KeyringError("the keyring has no recovery key", hint="see `wbs desks init`")
        xwing_key = self.recovery.xwing_key_bytes
        if hybrid and xwing_key is not None:
            return fingerprint(xwing_key)[:16]
        return self.recovery.kid

    def with_key(self, entry: KeyEntry) -> Keyring:
        if entry.kid in self.kids():
            raise KeyringError(f"key {entry.kid} is already in the keyring")
        return replace(self, keys=(*self.keys, entry))

    def desk_ids(self) -> tuple[str, ...]:
        """The desks, in the order they were first added."""
        return tuple(dict.fromkeys(d.desk for d in self.desks))

    def active_desks(self) -> tuple[DeskEntry, ...]:
        return tuple(d for d in self.desks if d.active)

    def desk(self, desk_id: str) -> DeskEntry:
        """The active generation of ``desk_id``."""
        for entry in self.desks:
            if entry.desk == desk_id and entry.active:
                return entry
        raise KeyringError(
            f"the keyring has no desk {desk_id!r}",
            hint="list the desks with `wbs desks list`; create one with `wbs desks new`",
        )

    # The lookups below are asked once per grant or stanza, thousands of times a session:
    # each index is built once per keyring value (a Keyring is immutable).
    @cached_property
    def _generations(self) -> dict[str, tuple[DeskEntry, ...]]:
        found: dict[str, list[DeskEntry]] = {}
        for entry in self.desks:
            found.setdefault(entry.desk, []).append(entry)
        return {desk: tuple(entries) for desk, entries in found.items()}

    @cached_property
    def _desks_by_kid(self) -> dict[str, DeskEntry]:
        return {d.kid: d for d in self.desks}

    def generations(self, desk_id: str) -> tuple[DeskEntry, ...]:
        """Every generation of ``desk_id``, oldest first."""
        return self._generations.get(desk_id, ())

    def generation(self, desk_id: str, number: int) -> DeskEntry | None:
        """Generation ``number`` of ``desk_id``, if the keyring has it."""
        found = self.generations(desk_id)
        return found[number - 1] if 1 <= number <= len(found) else None

    def desk_of(self, kid: str) -> DeskEntry | None:
        """The desk generation whose key id is ``kid``, if any."""
        return self._desks_by_kid.get(kid)

    def with_desk(self, entry: DeskEntry) -> Keyring:
        """The keyring with a new desk generation, which becomes the desk's active one."""
        if entry.kid in self.kids():
            raise KeyringError(f"key {entry.kid} is already in the keyring")
        if entry.generation != len(self.generations(entry.desk)) + 1:
            raise KeyringError(f"desk {entry.desk}: generation {entry.generation} is out of order")
        older = tuple(replace(d, active=False) if d.desk == entry.desk else d for d in self.desks)
        return replace(self, desks=(*older, replace(entry, active=True)))

    def with_recovery(self, entry: RecoveryEntry) -> Keyring:
        if self.recovery is not None:
            raise KeyringError("the keyring already has a recovery key")
        if entry.kid in self.kids():
            raise KeyringError(f"key {entry.kid} is already in the keyring")
        return replace(self, recovery=entry)

    @cached_property
    def _signing_keys(self) -> dict[str, bytes]:
        out = {k.kid: k.signing_key_bytes for k in self.keys if k.signing_key is not None}
        if self.recovery is not None:
            out[self.recovery.kid] = self.recovery.signing_key_bytes
        return out  # type: ignore[return-value]

    def signing_keys(self) -> Mapping[str, bytes]:
        """Every key id that can sign, with its Ed25519 public key: persons, retired ones
        included (what they signed stays verifiable), and the recovery key."""
        return self._signing_keys

    def label(self, kid: str) -> str | None:
        """How a key id is shown: a person's label, ``desk <id> (generation n)``, or the
        recovery key's label; None for a kid the keyring does not hold."""
        for k in self.keys:
            if k.kid == kid:
                return k.label
        if self.recovery is not None and self.recovery.kid == kid:
            return self.recovery.label
        desk = self.desk_of(kid)
        return None if desk is None else f"{desk.desk} ({desk.generation})"

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
        return replace(
            self, keys=tuple(replace(k, active=active) if k.kid == kid else k for k in self.keys)
        )

    def recovery_kids(self) -> frozenset[str]:
        """The kids of the recovery key's stanzas: of its X25519 key, and of its X-Wing key."""
        if self.recovery is None:
            return frozenset()
        return frozenset({self.recovery_kid(False), self.recovery_kid(True)})

    def with_xwing_key(self, kid: str, xwing_key: bytes) -> Keyring:
        """The same keys, the person with ``kid`` (or the recovery key) given ``xwing_key``."""
        hybrid = b64encode(xwing_key)
        keys = tuple(replace(k, xwing_key=hybrid) if k.kid == kid else k for k in self.keys)
        recovery = self.recovery
        if recovery is not None and recovery.kid == kid:
            recovery = replace(recovery, xwing_key=hybrid)
        return replace(self, keys=keys, recovery=recovery)

    def with_recovery_split(self, threshold: int, shares: int) -> Keyring:
        """The same keys, the recovery key's shares counted anew (``wbs desks
        reissue-shares``: the same key, split again)."""
        if self.recovery is None:
            raise KeyringError("the keyring has no recovery key")
        if not 1 <= threshold <= shares <= 16:
            raise KeyringError("a recovery key needs 1 <= threshold <= shares <= 16")
        return replace(self, recovery=replace(self.recovery, threshold=threshold, shares=shares))

    def with_signing_key(self, kid: str, signing_key: bytes) -> Keyring:
        """The same keys, the one with ``kid`` verified by ``signing_key`` from now on."""
        signing = b64encode(signing_key)
        keys = tuple(replace(k, signing_key=signing) if k.kid == kid else k for k in self.keys)
        return replace(self, keys=keys)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "keys": [asdict(k) for k in self.keys],
            "desks": [asdict(d) for d in self.desks],
            "recovery": None if self.recovery is None else asdict(self.recovery),
        }


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
    # {} has the members of no format, and a format that is a list is no key to look up
    named = data.get("format") if isinstance(data, dict) else None
    fields = DOCUMENT_FIELDS.get(named) if isinstance(named, str) else None
    if fields is None or set(data) != fields:
        raise KeyringError(f"{source} is not a {FORMAT} document")
    if not isinstance(data["keys"], list):
        raise KeyringError(f"{source}: keys must be a list")
    hybrid = data["format"] == FORMAT
    fields = {FORMAT_1: ENTRY_FIELDS_1, FORMAT: ENTRY_FIELDS | {"xwing_key"}}.get(
        data["format"], ENTRY_FIELDS
    )
    ring = Keyring()
    for n, item in enumerate(data["keys"], 1):
        ring = ring.with_key(_entry(item, fields, f"{source}: key {n}"))
    if data["format"] not in (FORMAT, FORMAT_3):
        return ring
    if data["recovery"] is not None:
        fields = RECOVERY_FIELDS if hybrid else RECOVERY_FIELDS_3
        ring = ring.with_recovery(_recovery(data["recovery"], fields, f"{source}: recovery"))
    if not isinstance(data["desks"], list):
        raise KeyringError(f"{source}: desks must be a list")
    types = frozenset(KEY_BYTES) if hybrid else frozenset({X25519})
    for n, item in enumerate(data["desks"], 1):
        ring = _with_desk(ring, item, types, f"{source}: desk {n}")
    if ring.desks and ring.recovery is None:
        raise KeyringError(f"{source}: desks need a recovery key", hint="see `wbs desks init`")
    hybrid_desk = any(d.hybrid for d in ring.desks)
    if ring.recovery is not None and ring.recovery.xwing_key is None and hybrid_desk:
        raise KeyringError(
            f"{source}: a hybrid (X-Wing) desk needs the recovery key's xwing_key",
            hint="its shares' holders add it in a hybrid change: wbs desks rotate --desk ID"
            " --hybrid --recovery",
        )
    return ring


def _entry(item: object, fields: frozenset[str], where: str) -> KeyEntry:
    item = _check_key(item, fields, where)
    signing = item.get("signing_key")
    if signing is not None and len(_bytes(signing, "signing_key", where)) != 32:
        raise KeyringError(f"{where}: signing_key must be 32 bytes, or null")
    _check_xwing_key(item.get("xwing_key"), where)
    return KeyEntry(**item)


def _check_xwing_key(value: object, where: str) -> None:
    if value is not None and len(_bytes(value, "xwing_key", where)) != XWING_PUBLIC_KEY_BYTES:
        raise KeyringError(f"{where}: xwing_key must be {XWING_PUBLIC_KEY_BYTES} bytes, or null")


def _recovery(item: object, fields: frozenset[str], where: str) -> RecoveryEntry:
    item = _check_key(item, fields, where)
    if len(_bytes(item["signing_key"], "signing_key", where)) != 32:
        raise KeyringError(f"{where}: signing_key must be 32 bytes")
    _check_xwing_key(item.get("xwing_key"), where)
    threshold, shares = item["threshold"], item["shares"]
    if type(threshold) is not int or type(shares) is not int or not 1 <= threshold <= shares <= 16:
        raise KeyringError(
            f"{where}: threshold and shares must be whole numbers, 1 <= k <= n <= 16"
        )
    return RecoveryEntry(**item)


def _with_desk(ring: Keyring, item: object, types: frozenset[str], where: str) -> Keyring:
    item = _check_key(item, DESK_FIELDS, where, types)
    if not isinstance(item["desk"], str) or not DESK_ID_RE.fullmatch(item["desk"]):
        raise KeyringError(f"{where}: desk must match {DESK_ID_RE.pattern}")
    generation = item["generation"]
    if type(generation) is not int or not 1 <= generation <= MAX_GENERATION:
        raise KeyringError(f"{where}: generation must be a whole number from 1")
    founder = item["founder"]
    if founder is not None and (
        type(founder) is not str or founder not in {k.kid for k in ring.keys}
    ):
        raise KeyringError(f"{where}: founder must be a person of the keyring, or null")
    entry = DeskEntry(**item)
    latest = ring.generations(entry.desk)[-1:]
    if latest and latest[0].active:
        raise KeyringError(f"{where}: only the last generation of desk {entry.desk} is active")
    try:
        grown = ring.with_desk(entry)
    except KeyringError as exc:
        raise KeyringError(f"{where}: {exc}") from None
    return grown if entry.active else replace(grown, desks=(*grown.desks[:-1], entry))


def _check_key(
    item: object, fields: frozenset[str], where: str, types: frozenset[str] = frozenset({X25519})
) -> dict[str, Any]:
    """What every public key entry shares: its members, type, key, kid, fingerprint, dates.
    Only desks may be of type X-Wing; persons and the recovery key carry it in xwing_key."""
    if not isinstance(item, dict) or set(item) != fields:
        raise KeyringError(f"{where} must have exactly: {', '.join(sorted(fields))}")
    if type(item["type"]) is not str or item["type"] not in types:
        shown = item["type"] if type(item["type"]) is str else "?"
        raise KeyringError(f"{where}: unsupported key type {shown[:40]!r}")
    raw = _bytes(item["public_key"], "public_key", where)
    if len(raw) != KEY_BYTES[item["type"]]:
        raise KeyringError(f"{where}: public_key must be {KEY_BYTES[item['type']]} bytes")
    fp = fingerprint(raw)
    if item["fingerprint"] != fp or item["kid"] != fp[:16]:
        raise KeyringError(f"{where}: kid or fingerprint does not match the public key")
    label = item.get("label", "-")
    if not isinstance(label, str) or not LABEL_RE.fullmatch(label):
        raise KeyringError(f"{where}: label must be 1 to 80 printable characters")
    if not isinstance(item["created"], str) or not DATE_RE.fullmatch(item["created"]):
        raise KeyringError(f"{where}: created must be a date YYYY-MM-DD")
    if not isinstance(item.get("active", True), bool):
        raise KeyringError(f"{where}: active must be true or false")
    return item


def _bytes(value: object, name: str, where: str) -> bytes:
    try:
        return b64decode(value, name)
    except ValueError as exc:
        raise KeyringError(f"{where}: {exc}") from None


def read(path: Path) -> bytes:
    """The keyring file's bytes, or a KeyringError that says how to make one."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise KeyringError(
            f"no keyring at {path}", hint="create an inspector key: wbs keys new"
        ) from None


def load(path: Path) -> Keyring:
    return from_bytes(read(path), path)


def from_bytes(data: bytes, path: Path) -> Keyring:
    """The keyring in ``data``, read from ``path`` (which errors name)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise KeyringError(f"{path} is not valid JSON") from None
    return parse(text, source=str(path))


def load_active(path: Path) -> Keyring:
    """Load a keyring that things can be sealed with (for building, serving and writing):
    at least one desk, and the recovery key."""
    return active(load(path), path)


def active(ring: Keyring, path: Path) -> Keyring:
    """``ring`` (read from ``path``) if things can be sealed with it, else a KeyringError."""
    if not ring.desks or ring.recovery is None:
        raise KeyringError(
            f"{path} has no desk: nobody could read the reports",
            hint="create the desks and the recovery key first: wbs desks init",
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
