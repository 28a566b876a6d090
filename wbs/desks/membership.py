"""Who holds which desk (docs/spec/desks-v2.md sections 3 and 4), on the inspector's side:
setting up the desks and the recovery key, a desk added later, granting a desk to a member,
rotating a desk when someone leaves, and who the members are.

Each change is planned here, in memory, as a ``Plan``: the grants to store create-only, then
the keyring to write once every grant is stored (wbs/commands/desks.py does both, in that
order). A desk's private key exists only in memory while a plan is made, and in the grants.

Membership as others see it is **rooted** (section 3.6, ``functions.membership``): the
members of a desk generation are those whose grant verifies and is signed by the recovery key,
by the generation's founder (the keyring names who made it), or by a member of that same
generation. So a new generation is made by the recovery key or by a member of the previous
one (who becomes its founder), and a member grants only the generations it is a member of.

A generation is **hybrid** (type X-Wing, docs/spec/xwing-v1.md section 8) when made with
``hybrid``, and every later generation of a hybrid desk stays hybrid. Its grants are sealed to
the members' X-Wing keys only: a change that would grant it to someone without one (a person
not yet upgraded, or a recovery key whose entry lacks it) is refused, naming them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from nacl.public import PrivateKey

from functions import membership as shared_membership
from functions.errors import WbsError
from functions.keyring import DeskEntry, KeyEntry, Keyring, RecoveryEntry
from functions.storage import Storage, layout
from wbs import xwing
from wbs.crypto import Identity
from wbs.desks import grants, recovery
from wbs.desks.grants import DeskSecret, Grant
from wbs.desks.keys import parse_all


class DeskError(WbsError, ValueError):
    """A desk change that cannot be made as asked: nothing is changed."""


@dataclass(frozen=True)
class Member:
    """Who a grant is sealed to: a person of the keyring, or the recovery key."""

    kid: str
    public_key: bytes
    label: str
    xwing_key: bytes | None = None  # what a hybrid generation is sealed to

    @classmethod
    def person(cls, entry: KeyEntry) -> Member:
        return cls(entry.kid, entry.public_key_bytes, entry.label, entry.xwing_key_bytes)

    @classmethod
    def rescuer(cls, entry: RecoveryEntry) -> Member:
        return cls(entry.kid, entry.public_key_bytes, entry.label, entry.xwing_key_bytes)

    def key_for(self, entry: DeskEntry) -> bytes:
        """The key a grant of ``entry`` is sealed to: X-Wing for a hybrid generation."""
        if not entry.hybrid:
            return self.public_key
        if self.xwing_key is None:  # refused before anything is made: refuse_classical
            raise DeskError(f"{self.label} ({self.kid}) has no X-Wing key")
        return self.xwing_key


def refuse_classical(desk: str, members: Iterable[Member], rescuer: str) -> None:
    """DeskError naming every member without an X-Wing key, who could not be granted a hybrid
    generation of ``desk``: a classical grant would undo its protection. ``rescuer``: the
    recovery key's kid, whose X-Wing key comes from its shares, not from an upgrade."""
    lacking = [m for m in dict.fromkeys(members) if m.xwing_key is None]
    if not lacking:
        return
    names = ", ".join(f"{m.label} ({m.kid})" for m in lacking)
    hints = []
    if any(m.kid != rescuer for m in lacking):
        hints.append(
            "each person named upgrades their key (`wbs keys upgrade`) and the admin"
            " updates the keyring"
        )
    if any(m.kid == rescuer for m in lacking):
        hints.append(
            "the recovery key gains its X-Wing key when its shares are typed: run"
            " again with --recovery"
        )
    raise DeskError(
        f"desk {desk} cannot be hybrid: {names} ha{'s' if len(lacking) == 1 else 've'} no"
        " X-Wing key, and a hybrid desk is granted to X-Wing keys only",
        hint="; ".join(hints),
    )


def hybrid_rescuer(ring: Keyring, granter: Granter) -> Keyring:
    """``ring``, its recovery entry given its X-Wing key if it lacks it and ``granter`` is the
    recovery key put together from its shares (which derive it, desks-v2 section 3). That an
    X-Wing key already there is the one the shares give is checked as they are combined
    (wbs/commands/granting.py)."""
    entry = _recovery(ring)
    held = granter.identity.xwing
    if granter.identity.kid != entry.kid or held is None or entry.xwing_key is not None:
        return ring
    return ring.with_xwing_key(entry.kid, held.public_key)


def _new_secret(hybrid: bool) -> DeskSecret:
    return xwing.DecapsulationKey.generate() if hybrid else PrivateKey.generate()


@dataclass(frozen=True)
class Granter:
    """Who signs the grants: an unlocked person, or the recovery key put together from its
    shares; ``desks`` are the desk generations it holds (desk kid -> secret key)."""

    identity: Identity
    label: str
    desks: Mapping[str, DeskSecret] = field(default_factory=dict)


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


def rooted(ring: Keyring, held: Iterable[Held]) -> dict[tuple[str, int], frozenset[str]]:
    """The members of every desk generation as others count them (section 3.6), from the
    stored grants ``held``: computed once, whatever the number of desks."""
    found = [h.grant for h in held if h.grant is not None and not h.problem]
    return shared_membership.members(ring, found, grants.verify)


def members(ring: Keyring, held: Iterable[Held], entry: DeskEntry) -> frozenset[str]:
    """The members of the desk generation ``entry`` as others count them (section 3.6)."""
    return rooted(ring, held).get((entry.desk, entry.generation), frozenset())


def _rooted_without(
    ring: Keyring, held: Sequence[Held], entry: DeskEntry, leaver: str
) -> frozenset[str]:
    """The members of ``entry`` as section 3.6 counts them when the leaver's signatures
    count for nothing."""
    others = [h for h in held if h.grant is None or h.grant.by != leaver]
    return members(ring, others, entry)


def refuse_not_holding(ring: Keyring, held: Sequence[Held], entry: DeskEntry, leaver: str) -> None:
    """DeskError unless ``leaver`` is a member of the desk generation ``entry``."""
    if leaver not in members(ring, held, entry):
        raise DeskError(
            f"{ring.label(leaver) or leaver} is no member of desk {entry.desk} (generation"
            f" {entry.generation}): there is nothing to take away",
            hint=f"see who holds what with `wbs desks list`; to renew the key anyway:"
            f" wbs desks rotate --desk {entry.desk}",
        )


def occupied(held: Held, member: str, entry: DeskEntry) -> str:
    """Why a grant stored where a new one would go is in the way (section 3.3, step 4): ""
    when it is a verified grant of the same generation and desk key to the same member."""
    if held.grant is None or held.problem:
        return held.problem or "it is not a grant"
    if (held.grant.member, held.grant.desk_kid) != (member, entry.kid):
        return "it is a grant of another member or desk key"
    return ""


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


# --- planning changes ---------------------------------------------------------------------


def _grants_of(
    entry: DeskEntry,
    secret: DeskSecret,
    members: Iterable[Member],
    granter: Identity,
    now: datetime.datetime,
) -> list[tuple[str, bytes]]:
    return [
        grants.desk_grant(entry, secret, m.kid, m.key_for(entry), granter, now)
        for m in dict.fromkeys(members)
    ]


def setup(
    ring: Keyring,
    desk_ids: Sequence[str],
    members: Sequence[KeyEntry],
    threshold: int,
    shares: int,
    now: datetime.datetime,
    hybrid: bool = False,
) -> Setup:
    """The recovery key (a new master secret, split ``threshold`` of ``shares``) and
    generation 1 of every desk (hybrid, if asked), each granted to the recovery key and to
    every member, signed by the recovery key."""
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
        rescuer.public_key,
        rescuer.verify_key or b"",
        recovery.LABEL,
        today,
        threshold,
        shares,
        None if rescuer.xwing is None else rescuer.xwing.public_key,
    )
    ring = ring.with_recovery(entry)
    readers = [Member.rescuer(entry), *(Member.person(m) for m in members)]
    if hybrid:
        refuse_classical(desk_ids[0], readers, entry.kid)
    stored: list[tuple[str, bytes]] = []
    for desk in desk_ids:
        secret = _new_secret(hybrid)
        ring = ring.with_desk(DeskEntry.for_public_key(desk, 1, grants.public_of(secret), today))
        stored += _grants_of(ring.desk(desk), secret, readers, rescuer, now)
    return Setup(Plan(ring, tuple(stored)), tuple(words), entry)


def new_desk(
    ring: Keyring,
    desk: str,
    members: Sequence[KeyEntry],
    granter: Granter,
    now: datetime.datetime,
    hybrid: bool = False,
) -> Plan:
    """Generation 1 of a desk added to the config later: a fresh key (hybrid, if asked),
    granted to the recovery key and to ``members``, signed by ``granter`` (a person, who
    becomes its founder, or the recovery key)."""
    if hybrid:
        ring = hybrid_rescuer(ring, granter)
    rescuer = _recovery(ring)
    if ring.generations(desk):
        raise DeskError(
            f"the keyring has desk {desk} already",
            hint="add someone to it with `wbs desks add-member`",
        )
    readers = [Member.rescuer(rescuer), *(Member.person(m) for m in members)]
    if hybrid:
        refuse_classical(desk, readers, rescuer.kid)
    secret = _new_secret(hybrid)
    founder = _founder(ring, granter)
    today = now.date().isoformat()
    ring = ring.with_desk(
        DeskEntry.for_public_key(desk, 1, grants.public_of(secret), today, founder)
    )
    return Plan(ring, tuple(_grants_of(ring.desk(desk), secret, readers, granter.identity, now)))


def _recovery(ring: Keyring) -> RecoveryEntry:
    if ring.recovery is None:
        raise DeskError("the keyring has no recovery key yet", hint="run `wbs desks init` first")
    return ring.recovery


def _founder(ring: Keyring, granter: Granter) -> str | None:
    """The keyring's ``founder`` of a generation ``granter`` makes: None for the recovery
    key, else the granter's kid (an active person of the keyring)."""
    if ring.recovery is not None and granter.identity.kid == ring.recovery.kid:
        return None
    person = next((k for k in ring.keys if k.kid == granter.identity.kid), None)
    if person is None or not person.active:
        raise DeskError(
            f"{granter.label} ({granter.identity.kid}) is no active person of the keyring",
            hint="use your current key (--key), or the recovery key (--recovery)",
        )
    return person.kid


@dataclass(frozen=True)
class Joining:
    """``add_member``'s plan, and the generations it leaves out, with why."""

    plan: Plan
    left_out: tuple[tuple[DeskEntry, str], ...]


def add_member(
    ring: Keyring,
    desk: str,
    member: KeyEntry,
    granter: Granter,
    held: Sequence[Held],
    now: datetime.datetime,
) -> Joining:
    """Grants to ``member`` of every generation of ``desk`` that ``granter`` holds and is a
    member of (``held``: the desk's stored grants, checked), so that they read the desk's past
    cases too; the recovery key grants every generation it holds."""
    generations = ring.generations(desk)
    if not generations:
        ring.desk(desk)  # raises: no such desk, with its hint
    if not member.active:
        raise DeskError(f"{member.label} ({member.kid}) is a retired key: it is granted nothing")
    rescuer = ring.recovery is not None and granter.identity.kid == ring.recovery.kid
    chosen: list[DeskEntry] = []
    left_out: list[tuple[DeskEntry, str]] = []
    for g in generations:
        if g.kid not in granter.desks:
            left_out.append((g, "you hold no grant of it"))
        elif not rescuer and granter.identity.kid not in members(ring, held, g):
            left_out.append((g, "your grant of it is not rooted in the recovery key (section 3.6)"))
        else:
            chosen.append(g)
    if not chosen:
        raise DeskError(
            f"you are no member of desk {desk}: you cannot grant it",
            hint="ask a member of the desk, or the recovery key's holders (--recovery)",
        )
    who = Member.person(member)
    if any(g.hybrid for g in chosen):
        refuse_classical(desk, [who], "")
    planned = [
        grants.desk_grant(g, granter.desks[g.kid], who.kid, who.key_for(g), granter.identity, now)
        for g in chosen
    ]
    return Joining(Plan(ring, tuple(planned)), tuple(left_out))


def rotate(
    ring: Keyring,
    desk: str,
    held: Sequence[Held],
    granter: Granter,
    now: datetime.datetime,
    leaver: str | None = None,
    hybrid: bool = False,
) -> Rotation:
    """Generation n+1 of ``desk`` (section 3.7): a fresh key, made by the recovery key or by a
    member of generation n (its founder, who holds it too), granted to the recovery key and
    to every active person who is a member of generation n, except ``leaver``; the keyring
    with it active. Hybrid if asked, or if generation n is: a desk never goes back."""
    previous = ring.desk(desk)
    hybrid = hybrid or previous.hybrid
    if hybrid:
        ring = hybrid_rescuer(ring, granter)
    rescuer = _recovery(ring)
    current = members(ring, held, previous)
    if leaver is not None:
        refuse_not_holding(ring, held, previous, leaver)
    founder = _founder(ring, granter)
    if founder is not None and founder not in current:
        raise DeskError(
            f"you are no member of desk {desk} (generation {previous.generation}): only its"
            " members or the recovery key rotate it",
            hint="ask a member of the desk, or the recovery key's holders (--recovery)",
        )
    if founder is not None and founder == leaver:
        raise DeskError(
            "you cannot remove yourself: the one who rotates a desk holds its new key",
            hint="ask another member of the desk, or the recovery key's holders (--recovery)",
        )
    # Whom the leaver granted counts only through another root: a leaver who granted an
    # accomplice the old key just before leaving does not hand them the new one too.
    staying = current if leaver is None else _rooted_without(ring, held, previous, leaver)
    persons = {k.kid: k for k in ring.keys}
    holding = sorted(kid for kid in current if kid in persons)
    kept = [persons[k] for k in holding if k in staying and k != leaver and persons[k].active]
    dropped = [k for k in holding if k not in {p.kid for p in kept}]
    readers = [Member.rescuer(rescuer), *(Member.person(k) for k in kept)]
    if hybrid:
        refuse_classical(desk, readers, rescuer.kid)
    secret = _new_secret(hybrid)
    entry = DeskEntry.for_public_key(
        desk, previous.generation + 1, grants.public_of(secret), now.date().isoformat(), founder
    )
    rotated = ring.with_desk(entry)
    planned = _grants_of(rotated.desk(desk), secret, readers, granter.identity, now)
    return Rotation(
        Plan(rotated, tuple(planned)),
        rotated.desk(desk),
        previous,
        tuple(Member.person(k) for k in kept),
        tuple(dropped),
    )
