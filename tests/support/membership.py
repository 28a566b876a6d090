"""A test institution on real keys, as `wbs desks` keeps one (docs/spec/desks-v2.md): the
keyring (wbs-keyring/3: persons, desks, the recovery key) and the membership and case grants
in storage, written with wbs.desks.grants directly.

Nothing is kept beside the keyring and the storage: the recovery key (tests.support.api's
RECOVERY) holds a grant of every desk generation, as it does in a real institution, and this
helper opens that grant whenever it needs a desk's secret key, to grant it to a new member or
to rotate the desk. Every desk key is a fresh random key.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import os
from collections.abc import Iterable
from pathlib import Path

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey

from functions import envelope as fmt
from functions import keyring, mailbox
from functions.keyring import DeskEntry, KeyEntry, Keyring, RecoveryEntry
from functions.storage import LocalStorage, Storage, layout
from tests.support.api import RECOVERY
from wbs import notes
from wbs.cases.readers import Audience
from wbs.crypto import Identity, Keys, NoMatchingKey
from wbs.desks import grants
from wbs.desks.keys import unlock
from wbs.reports import Reader
from wbs.signing import Signers

DESK = "inspektorat"
RECOVERY_LABEL = "Kunci pemulihan"
CREATED = "2026-01-05"


class Institution:
    """The keyring at ``path`` and the grants in ``store``."""

    def __init__(self, path: Path, store: Storage) -> None:
        self.path = path
        self.store = store

    @classmethod
    def here(cls) -> Institution:
        """The institution of the test's environment: WBS_KEYRING and a local WBS_STORAGE
        (tests/support/inbox.py's use_private_home sets both)."""
        url = os.environ["WBS_STORAGE"]
        assert url.startswith("local:"), url
        return cls(Path(os.environ["WBS_KEYRING"]), LocalStorage(Path(url.removeprefix("local:"))))

    @staticmethod
    def in_use() -> bool:
        """Whether the test's storage is local, where this institution keeps its grants (a
        test on S3 makes its own keyring, tests/infra)."""
        return os.environ.get("WBS_STORAGE", "").startswith("local:")

    # -- the keyring --------------------------------------------------------------------

    @property
    def ring(self) -> Keyring:
        return keyring.load(self.path) if self.path.exists() else Keyring()

    def save(self, ring: Keyring) -> Keyring:
        keyring.dump(ring, self.path)
        return ring

    def person(self, identity: Identity, label: str, active: bool = True) -> KeyEntry:
        """``identity`` in the keyring as a person labelled ``label`` (added if it is not
        there yet)."""
        ring = self.ring
        entry = next((k for k in ring.keys if k.kid == identity.kid), None)
        if entry is None:
            entry = KeyEntry.for_public_key(
                identity.public_key, label, CREATED, identity.verify_key
            )
            ring = self.save(ring.with_key(entry))
        if entry.label != label:  # the test names it otherwise
            entry = dataclasses.replace(entry, label=label)
            keys = tuple(entry if k.kid == entry.kid else k for k in ring.keys)
            ring = self.save(dataclasses.replace(ring, keys=keys))
        if entry.active != active:
            self.save(ring.with_active(entry.kid, active))
        return entry

    # -- desks --------------------------------------------------------------------------

    def new_desk(self, desk: str = DESK) -> DeskEntry:
        """A new generation of ``desk`` (the first if it has none), granted to the recovery
        key only; the recovery key is added to the keyring with the first desk."""
        ring = self.ring
        if ring.recovery is None:
            ring = ring.with_recovery(
                RecoveryEntry.for_public_key(
                    RECOVERY.public_key, RECOVERY.verify_key or b"", RECOVERY_LABEL, CREATED, 3, 5
                )
            )
        secret = PrivateKey.generate()
        generation = len(ring.generations(desk)) + 1
        entry = DeskEntry.for_public_key(desk, generation, bytes(secret.public_key), CREATED)
        ring = self.save(ring.with_desk(entry))
        self._grant(ring.desk(desk), secret, RECOVERY, RECOVERY)
        return ring.desk(desk)

    def adopt(self, entry: DeskEntry, secret: PrivateKey) -> None:
        """Grant the recovery key a desk generation made elsewhere (a keyring of
        tests.support.api's write_keyring, whose desk keys are test identities' keys), so
        that members can be added to it."""
        self._grant(entry, secret, RECOVERY, RECOVERY)

    def desk(self, desk: str = DESK) -> DeskEntry:
        """The active generation of ``desk``, created if the keyring has none."""
        ring = self.ring
        return ring.desk(desk) if desk in ring.desk_ids() else self.new_desk(desk)

    def secret(self, entry: DeskEntry) -> PrivateKey:
        """A desk generation's secret key, from the recovery key's grant of it."""
        key = layout.desk_grant(entry.desk, entry.generation, RECOVERY.kid)
        return grants.open_desk_grant(grants.parse(key, self.store.get(key)), RECOVERY, self.ring)

    def members(self, entry: DeskEntry) -> list[str]:
        """The key ids that hold a grant of one desk generation (the recovery key's too)."""
        folder = f"{layout.desk_grants(entry.desk)}{entry.generation}/"
        found = (layout.parse_desk_grant(i.key) for i in self.store.list(folder))
        return [parsed[2] for parsed in found if parsed is not None]

    def add_member(
        self,
        identity: Identity,
        label: str = "Inspektur",
        desks: Iterable[str] = (DESK,),
        granter: Identity = RECOVERY,
        now: datetime.datetime | None = None,
    ) -> KeyEntry:
        """``identity`` in the keyring, and a grant of every generation of each desk (each
        created if it does not exist yet), as joining a desk gives."""
        entry = self.person(identity, label)
        for desk in desks:
            self.desk(desk)
            for generation in self.ring.generations(desk):
                if identity.kid not in self.members(generation):
                    self._grant(generation, self.secret(generation), identity, granter, now)
        return entry

    def add_person(self, person: KeyEntry, desks: Iterable[str] = (DESK,)) -> None:
        """A person already in the keyring (made by `wbs keys new`, whose private key stays in
        its key file) made a member of ``desks``: a grant of every generation of each."""
        for desk in desks:
            self.desk(desk)
            for generation in self.ring.generations(desk):
                if person.kid not in self.members(generation):
                    secret = self.secret(generation)
                    key, data = grants.desk_grant(
                        generation, secret, person.kid, person.public_key_bytes, RECOVERY
                    )
                    self.store.put_new(key, data)

    def rotate(self, desk: str = DESK, leaving: Iterable[str] = ()) -> DeskEntry:
        """A new generation of ``desk``, granted to every member of the current one but the
        key ids ``leaving`` (docs/spec/desks-v2.md section 2.1)."""
        gone = set(leaving)
        staying = [k for k in self.members(self.desk(desk)) if k not in gone | {RECOVERY.kid}]
        entry = self.new_desk(desk)
        ring = self.ring
        for kid in staying:
            person = next(k for k in ring.keys if k.kid == kid)
            key, data = grants.desk_grant(
                entry, self.secret(entry), kid, person.public_key_bytes, RECOVERY
            )
            self.store.put_new(key, data)
        return entry

    def _grant(
        self,
        entry: DeskEntry,
        secret: PrivateKey,
        member: Identity,
        granter: Identity,
        now: datetime.datetime | None = None,
    ) -> str:
        key, data = grants.desk_grant(entry, secret, member.kid, member.public_key, granter, now)
        self.store.put_new(key, data)
        return key

    def public_keys(self, desks: Iterable[str] = (DESK,)) -> list[bytes]:
        """What the page seals a report of these desks to: their active generations and the
        recovery key."""
        ring = self.ring
        assert ring.recovery is not None, "no desk yet"
        return [*(ring.desk(d).public_key_bytes for d in desks), ring.recovery.public_key_bytes]

    def members_of(self, identity: Identity) -> list[str]:
        """The desks of which ``identity`` holds a grant of any generation."""
        folder = layout.DESKS
        found = (layout.parse_desk_grant(i.key) for i in self.store.list(folder))
        desks = [parsed[0] for parsed in found if parsed is not None and parsed[2] == identity.kid]
        return list(dict.fromkeys(desks))

    def desks_of(self, identity: Identity) -> list[str]:
        """The desks whose active generation ``identity`` holds a grant of."""
        ring = self.ring
        return [d for d in ring.desk_ids() if identity.kid in self.members(ring.desk(d))]

    # -- reading and writing as a member ------------------------------------------------

    def grants(self) -> list[tuple[str, bytes]]:
        """Every stored grant (desks/ and shares/) as (key, bytes)."""
        return [
            (info.key, self.store.get(info.key))
            for prefix in (layout.DESKS, layout.SHARES)
            for info in self.store.list(prefix)
        ]

    def reader(self, identity: Identity) -> Reader:
        """A reader of what ``identity``'s grants give it, as `wbs inbox` unlocks one."""
        ring = self.ring
        return Reader.unlocked(identity, ring, self.grants(), Signers(ring))

    def audience(self, report_id: str, desks: Iterable[str] = (DESK,)) -> Audience:
        """What an inspector's writing on a case of ``desks`` is sealed to."""
        ring = self.ring
        assert ring.recovery is not None
        return Audience(report_id, tuple(ring.desk(d) for d in desks), ring.recovery)

    # -- sharing a case -----------------------------------------------------------------

    def held(self, identity: Identity) -> Keys:
        """Every key ``identity`` holds through the stored grants."""
        return unlock(identity, self.ring, self.grants()).keys

    def share(
        self,
        report_id: str,
        desk: str,
        by: Identity,
        reason: str = "untuk ditindaklanjuti",
        now: datetime.datetime | None = None,
    ) -> str:
        """Share a case with ``desk`` as its member ``by`` would: the content key of every
        envelope of the case in storage (report, messages, notes), sealed to the desk's active
        generation and signed by ``by``; return the case grant's storage key."""
        keys = self.held(by)
        found: dict[bytes, bytes] = {}
        for envelope in self._envelopes(report_id):
            with contextlib.suppress(NoMatchingKey, CryptoError):  # not ``by``'s to share
                found[envelope.nonce] = keys.content_key(envelope)
        payload = grants.case_keys(reason, found)
        key, data = grants.case_grant(report_id, self.ring.desk(desk), payload, by, now)
        self.store.put_new(key, data)
        return key

    def _envelopes(self, report_id: str) -> list[fmt.Envelope]:
        found = [fmt.parse(json.loads(self.store.get(layout.report(report_id)))["envelope"])]
        for info in self.store.list(layout.mailbox(report_id)):
            if layout.is_message(info.key):
                found.append(mailbox.parse(info.key, self.store.get(info.key)).envelope)
        for key in notes.keys(self.store, report_id):
            found.append(notes.parse(key, self.store.get(key))[1])
        return found
