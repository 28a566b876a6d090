"""Who counts as a desk's member, as anyone can tell from names and signatures alone
(docs/spec/desks-v2.md section 3.6), and so whether a case grant counts (section 6.5).

Only a member can check that a grant holds the desk's key; anyone else sees a name and a
signature, and any person of the keyring can sign a grant with anything inside. So, for others,
the members of a desk generation are the members of its grants that are **rooted**: signed by
the recovery key, by the generation's founder (whom the keyring names), or by a member rooted
the same way. A junk grant a person signs for themselves makes them no member, and no
rotation grants them the next key. Pure data: signatures are checked by the caller's
``verify`` (PyNaCl in the inspector's tool, python-ecdsa in the function).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from functions.grants import CASE_GRANT, DESK_GRANT, Grant, signed_bytes
from functions.keyring import Keyring

# verify(Ed25519 public key, message, signature) -> whether the signature is good
Verify = Callable[[bytes, bytes, bytes], bool]
Generation = tuple[str, int]  # (desk id, generation)


def problem(grant: Grant, ring: Keyring, verify: Verify) -> str:
    """ "" when ``grant`` is signed by a signing key of the keyring (a person or the
    recovery key) and names a desk generation the keyring has, with that generation's key
    id; else why it is not used."""
    entry = ring.generation(grant.desk, grant.generation)
    if entry is None or entry.kid != grant.desk_kid:
        return f"desk {grant.desk} has no generation {grant.generation} with key {grant.desk_kid}"
    key = ring.signing_keys().get(grant.by)
    if key is None:
        return f"it is signed by {grant.by}, which is no signing key of the keyring"
    if not verify(key, signed_bytes(grant.body()), grant.signature.sig):
        return "its signature does not match it"
    return ""


def signed_by_keyring(grant: Grant, ring: Keyring, verify: Verify) -> bool:
    return not problem(grant, ring, verify)


def members(
    ring: Keyring, found: Iterable[Grant], verify: Verify
) -> dict[Generation, frozenset[str]]:
    """The rooted members of every desk generation that has any."""
    recovery = None if ring.recovery is None else ring.recovery.kid
    known = ring.kids()
    pending: dict[Generation, list[Grant]] = {}
    for grant in found:
        if (
            grant.format == DESK_GRANT
            and grant.member in known
            and signed_by_keyring(grant, ring, verify)
        ):
            pending.setdefault((grant.desk, grant.generation), []).append(grant)
    out: dict[Generation, frozenset[str]] = {}
    for (desk, generation), candidates in pending.items():
        entry = ring.generations(desk)[generation - 1]  # it exists: signed_by_keyring said so
        roots = {recovery, entry.founder or recovery}
        held: set[str] = set()
        grew = True
        while grew:  # a fixed point: at most one pass per member
            grew = False
            for grant in candidates:
                if grant.member not in held and (grant.by in roots or grant.by in held):
                    held.add(grant.member)
                    grew = True
        if held:
            out[(desk, generation)] = frozenset(held)
    return out


def share_counts(
    share: Grant,
    case_desks: Iterable[str],
    ring: Keyring,
    rooted: Mapping[Generation, frozenset[str]],
    verify: Verify,
) -> bool:
    """Whether a case grant counts: signed by the recovery key, or by a rooted member of the
    active generation of one of the desks the case belongs to (section 6.5): a leaver, who
    held only earlier generations, shares nothing."""
    if share.format != CASE_GRANT or not signed_by_keyring(share, ring, verify):
        return False
    if ring.recovery is not None and share.by == ring.recovery.kid:
        return True
    active = {(d.desk, d.generation) for d in ring.active_desks() if d.desk in set(case_desks)}
    return any(share.by in rooted.get(generation, ()) for generation in active)


def case_desks(
    report_desks: Iterable[str],
    shares: Iterable[Grant],
    ring: Keyring,
    rooted: Mapping[Generation, frozenset[str]],
    verify: Verify,
) -> frozenset[str]:
    """The desks a case belongs to: those its report was routed to, and those it was shared
    with by a share that counts, a share by a member of a desk it was shared with included
    (a hand-over handed on). What inspectors' messages and reporters' follow-ups are sealed
    to from then on."""
    desks = set(report_desks)
    waiting = list(shares)
    grew = True
    while grew:
        grew = False
        for share in waiting:
            if share.desk not in desks and share_counts(share, desks, ring, rooted, verify):
                desks.add(share.desk)
                grew = True
    return frozenset(desks)
