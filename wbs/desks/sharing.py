"""Sharing a case with another desk (docs/spec/desks-v2.md section 6): the content key of
every envelope of the case (the report, each message of its mailbox, each internal note and
access record), sealed to the other desk's active generation in a signed case grant.

Each content key is checked by opening its envelope with it before it is shared: a forged
stanza never hands the other desk a key that opens nothing. The evidence files' keys are
inside the report and the follow-ups (their manifests), so the grant covers them too.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from functions import envelope as fmt
from functions import mailbox
from functions import membership as shared_membership
from functions.errors import EnvelopeError, NotFound, WbsError
from functions.keyring import DeskEntry, Keyring
from functions.storage import Storage, layout
from functions.storage.tags import TagError, tag_value
from wbs import notes, reports
from wbs.crypto import DecryptionError, open_envelope
from wbs.desks import grants
from wbs.desks.keys import Held as Opened
from wbs.desks.membership import Held

MAX_REASON = 500
REASON_RE = re.compile(rf"[^\x00-\x1f\x7f]{{1,{MAX_REASON}}}")
MAX_DESKS = 14  # an envelope's 16 stanzas: the desks, the recovery key, the reporter


class ShareCaseError(WbsError, ValueError):
    """A case cannot be shared as asked: nothing is stored."""


@dataclass(frozen=True)
class Shared:
    """A case grant ready to store, and what it holds."""

    key: str
    data: bytes
    desk: DeskEntry
    envelopes: int  # how many envelopes' keys it holds
    skipped: tuple[str, ...]  # the case's stored objects that could not be opened, and why
    # Who may fetch it: the case's desks and the desk it is shared with (its wbs-desks tag)
    readers: tuple[str, ...] = ()


def envelopes(storage: Storage, report_id: str) -> tuple[list[tuple[str, fmt.Envelope]], list[str]]:
    """Every envelope of a case by storage key, the report first; and the stored objects that
    are not well-formed, with why."""
    try:
        report = reports.parse_stored(report_id, storage.get(layout.report(report_id)))
    except NotFound:
        raise ShareCaseError(
            f"no report {report_id} in storage", hint="check the number with `wbs inbox list`"
        ) from None
    except EnvelopeError as exc:
        raise ShareCaseError(f"report {report_id} is not well-formed: {exc}") from None
    found: list[tuple[str, fmt.Envelope]] = [(layout.report(report_id), report.envelope)]
    problems: list[str] = []
    for key in mailbox.keys(storage, report_id):
        try:
            found.append((key, mailbox.parse(key, storage.get(key)).envelope))
        except (EnvelopeError, NotFound) as exc:
            problems.append(f"{key}: {exc}")
    for key in notes.keys(storage, report_id):
        try:
            found.append((key, notes.parse(key, storage.get(key))[1]))
        except (EnvelopeError, NotFound) as exc:
            problems.append(f"{key}: {exc}")
    return found, problems


def case_desks(
    ring: Keyring,
    report: fmt.Envelope,
    case_stored: Iterable[tuple[str, bytes]],
    desk_held: Sequence[Held],
) -> tuple[frozenset[str], dict[str, grants.Grant]]:
    """The case's desks (section 5.4): the desks of the report's stanzas, and of the case's
    shares that count (section 6.5, ``functions.membership``); and those shares, by their
    storage keys."""
    routed = {d.desk for d in map(ring.desk_of, (s.kid for s in report.recipients)) if d}
    found: dict[str, grants.Grant] = {}
    for key, data in case_stored:
        try:
            grant = grants.parse(key, data)
        except grants.GrantError:
            continue
        if grant.case == report.id:
            found[key] = grant
    rooted = _rooted(ring, desk_held)
    desks = shared_membership.case_desks(routed, found.values(), ring, rooted, grants.verify)
    counted = {
        key: grant
        for key, grant in found.items()
        if shared_membership.share_counts(grant, desks, ring, rooted, grants.verify)
    }
    return desks, counted


def _rooted(ring: Keyring, desk_held: Sequence[Held]) -> dict[tuple[str, int], frozenset[str]]:
    found = [h.grant for h in desk_held if h.grant is not None]
    return shared_membership.members(ring, found, grants.verify)


def member_of(ring: Keyring, kid: str, desks: Iterable[str], desk_held: Sequence[Held]) -> bool:
    """``kid`` is the recovery key, or a member (section 3.6) of the active generation of
    one of ``desks``: who may share a case of those desks (section 6.3)."""
    if ring.recovery is not None and kid == ring.recovery.kid:
        return True
    rooted = _rooted(ring, desk_held)
    active = [d for d in ring.active_desks() if d.desk in set(desks)]
    return any(kid in rooted.get((d.desk, d.generation), ()) for d in active)


def share(
    storage: Storage,
    report_id: str,
    desk: str,
    reason: str,
    ring: Keyring,
    opened: Opened,
    desk_held: Sequence[Held],
    now: datetime.datetime,
    classical: bool = False,
) -> Shared:
    """The case grant of ``report_id`` to ``desk`` (section 6.3), not yet stored: ``opened``
    is what the sharer holds, ``desk_held`` every stored membership grant, checked. A case
    sealed with `X-Wing` stanzas is shared with a classical desk only with ``classical``: the
    grant would be a copy of its keys that a quantum computer could open (xwing-v1 §8.3)."""
    reason = reason.strip()
    if not REASON_RE.fullmatch(reason):
        raise ShareCaseError(
            f"the reason must be 1 to {MAX_REASON} printable characters on one line",
            hint="--reason 'diteruskan ke pimpinan: menyangkut pegawai Inspektorat'",
        )
    target = ring.desk(desk)
    found, problems = envelopes(storage, report_id)
    desks, _counted = case_desks(ring, found[0][1], shares_of(storage, report_id), desk_held)
    if desk in desks:
        raise ShareCaseError(
            f"desk {desk} is a desk of case {report_id} already: its members read it",
            hint="share it with a desk that does not have it",
        )
    if not member_of(ring, opened.member.kid, desks, desk_held):
        raise ShareCaseError(
            f"you are no member of a desk of case {report_id} ({', '.join(sorted(desks))})",
            hint="a member of one of its desks shares it, or the recovery key (--recovery)",
        )
    hybrid = any(r.type == fmt.XWING for _, e in found for r in e.recipients)
    if hybrid and not target.hybrid and not classical:
        raise ShareCaseError(
            f"case {report_id} is sealed with hybrid (post-quantum) keys and desk {desk}'s key"
            " is classical: sharing would add a copy of its keys that a quantum computer could"
            " open later; nothing was shared",
            hint=f"make the desk hybrid first (wbs desks rotate --desk {desk} --hybrid), or"
            " share anyway with --classical",
        )
    if len(desks) + 1 > MAX_DESKS:
        raise ShareCaseError(
            f"case {report_id} has {len(desks)} desks: an envelope has room for {MAX_DESKS}",
        )
    content: dict[bytes, bytes] = {}
    for key, envelope in found:
        try:
            open_envelope(envelope, opened.keys)
            content[envelope.nonce] = opened.keys.content_key(envelope)
        except DecryptionError as exc:
            if key == layout.report(report_id):
                raise ShareCaseError(
                    f"you cannot open report {report_id}: {exc}",
                    hint="only a member of a desk the case was sealed or shared to can share it",
                ) from None
            problems.append(f"{key}: {exc}")
    payload = grants.case_keys(reason, content)
    key, data = grants.case_grant(report_id, target, payload, opened.member, now)
    readers = tuple(sorted({*desks, desk}))
    try:
        tag_value(readers)  # on S3, what is stored on the case from now on names them all
    except TagError as exc:
        raise ShareCaseError(
            f"case {report_id} cannot be shared with {desk} too: {exc}",
            hint='docs/aws.md, "Inspectors\' access, per desk"',
        ) from None
    return Shared(key, data, target, len(content), tuple(problems), readers)


def shares_of(storage: Storage, report_id: str) -> list[tuple[str, bytes]]:
    """The case grants stored for one case, as (key, bytes)."""
    return [(i.key, storage.get(i.key)) for i in storage.list(layout.shares(report_id))]
