"""Sharing a case with another desk (docs/spec/desks-v2.md section 5): the content key of
every envelope of the case (the report, each message of its mailbox, each internal note and
access record), sealed to the other desk's active generation in a signed case grant.

Each content key is checked by opening its envelope with it before it is shared: a forged
stanza never hands the other desk a key that opens nothing. The evidence files' keys are
inside the report and the follow-ups (their manifests), so the grant covers them too.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from functions import envelope as fmt
from functions import mailbox
from functions.errors import EnvelopeError, NotFound, WbsError
from functions.keyring import DeskEntry, Keyring
from functions.storage import Storage, layout
from wbs import notes, reports
from wbs.crypto import DecryptionError, Identity, Keys, open_envelope
from wbs.desks import grants

MAX_REASON = 500
REASON_RE = re.compile(rf"[^\x00-\x1f\x7f]{{1,{MAX_REASON}}}")


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


def share(
    storage: Storage,
    report_id: str,
    desk: str,
    reason: str,
    ring: Keyring,
    keys: Keys,
    granter: Identity,
    now: datetime.datetime,
) -> Shared:
    """The case grant of ``report_id`` to ``desk``, not yet stored."""
    reason = reason.strip()
    if not REASON_RE.fullmatch(reason):
        raise ShareCaseError(
            f"the reason must be 1 to {MAX_REASON} printable characters on one line",
            hint="--reason 'diteruskan ke pimpinan: menyangkut pegawai Inspektorat'",
        )
    target = ring.desk(desk)
    found, problems = envelopes(storage, report_id)
    report_kids = {s.kid for s in found[0][1].recipients}
    if report_kids & {g.kid for g in ring.generations(desk)}:
        raise ShareCaseError(
            f"report {report_id} is sealed to desk {desk} already: its members read it",
            hint="share it with a desk that did not receive it",
        )
    content: dict[bytes, bytes] = {}
    for key, envelope in found:
        try:
            open_envelope(envelope, keys)
            content[envelope.nonce] = keys.content_key(envelope)
        except DecryptionError as exc:
            if key == layout.report(report_id):
                raise ShareCaseError(
                    f"you cannot open report {report_id}: {exc}",
                    hint="only a member of a desk the case was sealed or shared to can share it",
                ) from None
            problems.append(f"{key}: {exc}")
    payload = grants.case_keys(reason, content)
    key, data = grants.case_grant(report_id, target, payload, granter, now)
    return Shared(key, data, target, len(content), tuple(problems))


def shares_of(storage: Storage, report_id: str) -> list[tuple[str, bytes]]:
    """The case grants stored for one case, as (key, bytes)."""
    return [(i.key, storage.get(i.key)) for i in storage.list(layout.shares(report_id))]
