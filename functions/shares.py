"""The desks a case was shared with, as the function counts them (docs/spec/desks-v2.md
sections 3.6 and 6.5): the case grants stored under ``shares/<ID>/`` that count.

An inspector shares a case with another desk by writing a signed case grant; from then on
the reporter's follow-ups are sealed to that desk too, which ``GET /api/mailbox`` tells the
page and ``POST /api/mailbox`` checks. The function cannot open a grant (it holds no key) and
need not: a share counts when it names a desk generation of the keyring and is signed by the
recovery key, or by a rooted member of the active generation of one of the case's desks
(``functions/membership.py``, from the membership grants under ``desks/``), never on the
strength of its name or of a valid signature alone. A share that does not count is ignored
and logged by its object's name alone. Signatures are checked with python-ecdsa
(``functions/ed25519.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from functions import ed25519, grants, membership
from functions.errors import NotFound
from functions.grants import Grant, GrantError
from functions.keyring import Keyring
from functions.log import logger
from functions.storage import Storage, layout


def case_desks(
    storage: Storage, report_id: str, ring: Keyring, own: Iterable[str]
) -> frozenset[str]:
    """``own`` (the desks the report was routed to) and the desks of the case's shares that
    count. A storage failure is raised, never taken for "no share": a follow-up would then
    be checked against fewer desks than the case has."""
    routed = frozenset(own)
    found: list[tuple[str, Grant]] = []
    for item in storage.list(layout.shares(report_id)):
        desk = layout.share_desk(item.key)
        if desk is None or desk in routed:
            continue  # another object, or a desk the case has: nothing to add
        try:
            grant = grants.parse(item.key, storage.get(item.key))
        except (GrantError, NotFound):
            _ignored(item.key)
            continue
        if grant.format == grants.CASE_GRANT:
            found.append((item.key, grant))
        else:
            _ignored(item.key)
    if not found:
        return routed
    recovery = None if ring.recovery is None else ring.recovery.kid
    if all(grant.by == recovery for _, grant in found):
        rooted: dict[membership.Generation, frozenset[str]] = {}  # no member's word needed
    else:
        desks = routed | {grant.desk for _, grant in found}
        rooted = membership.members(ring, _desk_grants(storage, ring, desks), ed25519.verify)
    shares = [grant for _, grant in found]
    counted = membership.case_desks(routed, shares, ring, rooted, ed25519.verify)
    for key, grant in found:
        if grant.desk not in counted:
            _ignored(key)
    return counted


def _desk_grants(storage: Storage, ring: Keyring, desks: Iterable[str]) -> Iterator[Grant]:
    """The membership grants of the active generation of each of ``desks``: all that rooted
    membership of those generations rests on."""
    for entry in ring.active_desks():
        if entry.desk not in desks:
            continue
        for item in storage.list(f"{layout.desk_grants(entry.desk)}{entry.generation}/"):
            try:
                yield grants.parse(item.key, storage.get(item.key))
            except (GrantError, NotFound):
                continue  # not a grant: it makes nobody a member


def _ignored(key: str) -> None:
    logger.warning("case grant ignored", object_name=key.rpartition("/")[2])
