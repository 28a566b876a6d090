"""Who holds which desk (docs/spec/desks-v2.md sections 1 to 3), on the inspector's side:
setting up the desks and the recovery key, a desk added later, granting a desk to a member,
rotating a desk when someone leaves, and reading who holds what.

Each change is planned here, in memory, as a ``Plan``: the grants to store create-only, then
the keyring to write once every grant is stored (wbs/commands/desks.py does both, in that
order). A desk's private key exists only in memory while a plan is made, and in the grants.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from nacl.public import PrivateKey

from functions.errors import WbsError
from functions.keyring import DeskEntry, KeyEntry, Keyring, RecoveryEntry
from functions.storage import Storage, layout
from wbs.crypto import Identity
from wbs.desks import grants, recovery
from wbs.desks.grants import Grant
from wbs.desks.keys import parse_all


class DeskError(WbsError, ValueError):
    """A desk change that cannot be made as asked: nothing is changed."""


@dataclass(frozen=True)
class Member:
    """Who a grant is sealed to: a person of the keyring, or the recovery key."""

    kid: str
    public_key: bytes
    label: str

    @classmethod
    def person(cls, entry: KeyEntry) -> Member:
        return cls(entry.kid, entry.public_key_bytes, entry.label)

    @classmethod
    def rescuer(cls, entry: RecoveryEntry) -> Member:
        return cls(entry.kid, entry.public_key_bytes, entry.label)


@dataclass(frozen=True)
class Granter:
    """Who signs the grants: an unlocked person, or the recovery key put together from its
    shares; ``desks`` are the desk generations it holds (desk kid -> secret key)."""

    identity: Identity
    label: str
    desks: Mapping[str, PrivateKey] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """What a change stores: ``grants`` (storage key, bytes), each create-only, then ``ring``,
    the keyring to write once all of them are stored."""

    ring: Keyring
    grants: tuple[tuple[str, bytes], ...]


@dataclass(frozen=True)
class Setup:
    """``wbs desks init``: the plan, and the recovery key's word shares (memory only)."""

    plan: Plan
    shares: tuple[str, ...]
    recovery: RecoveryEntry


@dataclass(frozen=True)
class Rotation:
    """A new generation of one desk: the plan, who gets it, and who does not."""

    plan: Plan
    entry: DeskEntry  # the new generation
    previous: DeskEntry
    kept: tuple[Member, ...]  # persons who held the previous generation and hold the new one
    dropped: tuple[str, ...]  # persons who held the previous generation and do not (kids)


# --- reading what is stored ---------------------------------------------------------------


def stored_desk_grants(storage: Storage, desk: str | None = None) -> list[tuple[str, bytes]]:
    """Every membership grant stored (of one desk, or of all), as (key, bytes)."""
    prefix = layout.desk_grants(desk)
    return [(item.key, storage.get(item.key)) for item in storage.list(prefix)]


@dataclass(frozen=True)
class Held:
    """One stored membership grant, and why it is not used ("" when it verifies)."""

    key: str
    grant: Grant | None  # None: the stored object is not a grant at all
    problem: str


def holdings(ring: Keyring, stored: Iterable[tuple[str, bytes]]) -> list[Held]:
    """Every stored membership grant, checked against the keyring (signature, desk key):
    what the sealed key holds is checked when its member opens it."""
    out: list[Held] = []
    for key, data in stored:
        found, problems = parse_all([(key, data)])
        if problems:
            out.append(Held(key, None, problems[0]))
            continue
        grant = found[0]
        if grant.format != grants.DESK_GRANT:
            continue
        problem = grants.check(grant, ring)
        if not problem and ring.label(grant.member) is None:
            problem = f"it is sealed to {grant.member}, which is no key of the keyring"
        out.append(Held(key, grant, problem))
    return out


def holders(ring: Keyring, stored: Iterable[tuple[str, bytes]], entry: DeskEntry) -> set[str]:
    """The kids holding a verified grant of the desk generation ``entry``."""
    return {
        h.grant.member
        for h in holdings(ring, stored)
        if h.grant is not None
        and not h.problem
        and h.grant.desk == entry.desk
        and h.grant.generation == entry.generation
    }


def refuse_taken(storage: Storage, desk: str, generation: int | None = None) -> None:
    """DeskError if grants are already stored where a new desk (or a new generation) would
    put its own: left by a setup or a rotation that stopped before the keyring was written."""
    prefix = layout.desk_grants(desk) + ("" if generation is None else f"{generation}/")
    taken = [item.key for item in storage.list(prefix)]
    if taken:
        what = f"desk {desk}" if generation is None else f"desk {desk}, generation {generation}"
        raise DeskError(
            f"storage already holds {len(taken)} grant(s) of {what} ({taken[0]}, ...), which"
            " the keyring does not list: left by a `wbs desks` command that stopped before it"
            " wrote the keyring",
            hint=f"nobody can use them: remove {prefix} with the storage's own tools"
            " (local: rm -r; S3: aws s3 rm --recursive), then run the command again",
        )


def refuse_not_holding(
    ring: Keyring, stored: Iterable[tuple[str, bytes]], entry: DeskEntry, leaver: str
) -> None:
    """DeskError unless ``leaver`` holds a verified grant of the desk generation ``entry``."""
    if leaver not in holders(ring, stored, entry):
        raise DeskError(
            f"{ring.label(leaver) or leaver} holds no verified grant of desk {entry.desk}"
            f" (generation {entry.generation}): there is nothing to take away",
            hint=f"see who holds what with `wbs desks list`; to renew the key anyway:"
            f" wbs desks rotate --desk {entry.desk}",
        )


# --- planning changes ---------------------------------------------------------------------


def _grants_of(
    entry: DeskEntry,
    secret: PrivateKey,
    members: Iterable[Member],
    granter: Identity,
    now: datetime.datetime,
) -> list[tuple[str, bytes]]:
    return [
        grants.desk_grant(entry, secret, m.kid, m.public_key, granter, now)
        for m in dict.fromkeys(members)
    ]


def setup(
    ring: Keyring,
    desk_ids: Sequence[str],
    members: Sequence[KeyEntry],
    threshold: int,
    shares: int,
    now: datetime.datetime,
) -> Setup:
    """The recovery key (a new master secret, split ``threshold`` of ``shares``) and
    generation 1 of every desk, each granted to the recovery key and to every member, signed
    by the recovery key."""
    if ring.desks or ring.recovery is not None:
        raise DeskError(
            "the keyring has its desks and its recovery key already: `wbs desks init` runs once",
            hint="see them with `wbs desks list`; add a desk with `wbs desks new ID`",
        )
    if not desk_ids:
        raise DeskError("the config names no desk", hint="add a [[desks]] table with an id")
    master = recovery.new_master()
    rescuer = recovery.identity(master)
    words = recovery.split(master, threshold, shares)
    today = now.date().isoformat()
    entry = RecoveryEntry.for_public_key(
        rescuer.public_key, rescuer.verify_key or b"", recovery.LABEL, today, threshold, shares
    )
    ring = ring.with_recovery(entry)
    readers = [Member.rescuer(entry), *(Member.person(m) for m in members)]
    stored: list[tuple[str, bytes]] = []
    for desk in desk_ids:
        secret = PrivateKey.generate()
        ring = ring.with_desk(DeskEntry.for_public_key(desk, 1, bytes(secret.public_key), today))
        stored += _grants_of(ring.desk(desk), secret, readers, rescuer, now)
    return Setup(Plan(ring, tuple(stored)), tuple(words), entry)


def new_desk(
    ring: Keyring,
    desk: str,
    members: Sequence[KeyEntry],
    granter: Granter,
    now: datetime.datetime,
) -> Plan:
    """Generation 1 of a desk added to the config later: a fresh key, granted to the recovery
    key (sealed to its public key: no share is needed) and to ``members``, signed by
    ``granter``."""
    if ring.recovery is None:
        raise DeskError("the keyring has no recovery key yet", hint="run `wbs desks init` first")
    if ring.generations(desk):
        raise DeskError(
            f"the keyring has desk {desk} already",
            hint="add someone to it with `wbs desks add-member`",
        )
    secret = PrivateKey.generate()
    ring = ring.with_desk(
        DeskEntry.for_public_key(desk, 1, bytes(secret.public_key), now.date().isoformat())
    )
    readers = [Member.rescuer(ring.recovery), *(Member.person(m) for m in members)]  # type: ignore[arg-type]
    return Plan(ring, tuple(_grants_of(ring.desk(desk), secret, readers, granter.identity, now)))


def add_member(
    ring: Keyring, desk: str, member: KeyEntry, granter: Granter, now: datetime.datetime
) -> tuple[Plan, list[DeskEntry]]:
    """Grants of every generation of ``desk`` that ``granter`` holds to ``member``, so that
    they read the desk's past cases too; and the generations ``granter`` does not hold."""
    generations = ring.generations(desk)
    if not generations:
        ring.desk(desk)  # raises: no such desk, with its hint
    held = [g for g in generations if g.kid in granter.desks]
    if not held:
        raise DeskError(
            f"you hold no generation of desk {desk}: you cannot grant it",
            hint="ask a member of the desk, or the recovery key's holders (--recovery)",
        )
    who = Member.person(member)
    planned = [
        grants.desk_grant(g, granter.desks[g.kid], who.kid, who.public_key, granter.identity, now)
        for g in held
    ]
    return Plan(ring, tuple(planned)), [g for g in generations if g.kid not in granter.desks]


def rotate(
    ring: Keyring,
    desk: str,
    stored: Sequence[tuple[str, bytes]],
    granter: Granter,
    now: datetime.datetime,
    leaver: str | None = None,
) -> Rotation:
    """Generation n+1 of ``desk``: a fresh key granted to the recovery key and to every
    active person holding generation n, except ``leaver``; the keyring with it active."""
    if ring.recovery is None:
        raise DeskError("the keyring has no recovery key", hint="run `wbs desks init` first")
    previous = ring.desk(desk)
    holding = holders(ring, stored, previous)
    if granter.identity.kid != ring.recovery.kid and previous.kid not in granter.desks:
        raise DeskError(
            f"you hold no grant of desk {desk} (generation {previous.generation}):"
            " only its members or the recovery key rotate it",
            hint="ask a member of the desk, or the recovery key's holders (--recovery)",
        )
    if leaver is not None:
        refuse_not_holding(ring, stored, previous, leaver)
    persons = {k.kid: k for k in ring.keys}
    holding_persons = sorted(kid for kid in holding if kid in persons)
    kept = [persons[k] for k in holding_persons if k != leaver and persons[k].active]
    dropped = [k for k in holding_persons if k not in {p.kid for p in kept}]
    secret = PrivateKey.generate()
    entry = DeskEntry.for_public_key(
        desk, previous.generation + 1, bytes(secret.public_key), now.date().isoformat()
    )
    rotated = ring.with_desk(entry)
    members = (Member.person(k) for k in kept)
    readers = [Member.rescuer(ring.recovery), *members]
    planned = _grants_of(rotated.desk(desk), secret, readers, granter.identity, now)
    return Rotation(
        Plan(rotated, tuple(planned)),
        rotated.desk(desk),
        previous,
        tuple(Member.person(k) for k in kept),
        tuple(dropped),
    )
