"""The keys one unlocked member holds (docs/spec/desks-v2.md): its own, every desk generation
its membership grants give it, and the content keys of the cases shared with those desks.

Every grant is checked against the keyring before use (grants.check); one that fails is
left out and said, never used. Each desk key is unwrapped once, here, per session.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from nacl.public import PrivateKey, SealedBox

from functions.keyring import Keyring
from functions.storage import layout
from wbs import xwing_stanza
from wbs.crypto import Identity, Keys
from wbs.desks import grants
from wbs.desks.grants import DeskSecret, Grant, GrantError


@dataclass
class Held:
    """What ``member`` can open: ``keys`` for reading, ``desks`` (kid -> secret key) for
    granting further, ``shares``: the case grants that opened (whether each *counts*, so that
    messages are sealed to its desk, is functions.membership's question), and ``problems``:
    the grants that were left out, and why."""

    member: Identity
    keys: Keys
    desks: dict[str, DeskSecret] = field(default_factory=dict)
    shares: list[Grant] = field(default_factory=list)  # the case grants that opened
    problems: list[str] = field(default_factory=list)


def parse_all(stored: Iterable[tuple[str, bytes]]) -> tuple[list[Grant], list[str]]:
    """Every stored grant (desk and case grants, by storage key) parsed; the malformed ones
    are listed as problems."""
    found: list[Grant] = []
    problems: list[str] = []
    for key, data in stored:
        try:
            found.append(grants.parse(key, data))
        except GrantError as exc:
            problems.append(str(exc))
    return found, problems


def unlock(member: Identity, ring: Keyring, stored: Iterable[tuple[str, bytes]]) -> Held:
    """Open every grant to ``member`` and, with the desk keys they give, every case grant to
    those desks. ``stored`` is (storage key, bytes) of the grants under ``desks/`` and
    ``shares/``; others are ignored."""
    found, problems = parse_all(
        (k, d) for k, d in stored if k.startswith((layout.DESKS, layout.SHARES))
    )
    desks: dict[str, DeskSecret] = {}
    for grant in found:
        if grant.format == grants.DESK_GRANT and grant.member == member.kid:
            try:
                desks[grant.desk_kid] = grants.open_desk_grant(grant, member, ring)
            except GrantError as exc:
                problems.append(str(exc))
    content: dict[tuple[str, bytes], list[bytes]] = {}
    shares: list[Grant] = []
    for grant in found:
        secret = desks.get(grant.desk_kid)
        if grant.format != grants.CASE_GRANT or secret is None:
            continue
        try:
            _reason, pairs = grants.read_case_keys(grants.open_case_grant(grant, secret, ring))
        except GrantError as exc:
            problems.append(str(exc))
            continue
        for nonce, key in pairs.items():  # a grant's keys open its own case's envelopes only
            content.setdefault((grant.case, nonce), []).append(key)
        shares.append(grant)
    unsealers = {member.kid: member.unsealer()}
    unsealers |= {k: SealedBox(s) for k, s in desks.items() if isinstance(s, PrivateKey)}
    hybrid = {k: xwing_stanza.opener(s) for k, s in desks.items() if not isinstance(s, PrivateKey)}
    if member.xwing is not None:  # the recovery key's own X-Wing stanza (xwing-v1 8.4)
        hybrid[xwing_stanza.key_id(member.xwing.public_key)] = xwing_stanza.opener(member.xwing)
    return Held(member, Keys(unsealers, content, hybrid), desks, shares, problems)
