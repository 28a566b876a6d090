"""A case's audit trail: who did what to it, and when, by inspector key id.

It is read from shared records, merged in time order:

- the records a case already has: the report's arrival, each message of the thread (a
  reporter's follow-up; a reply or a status change, with the inspector's key id inside its
  ciphertext) and each internal note (with its author's key id);
- case grants (docs/spec/desks-v2.md section 5): an inspector shared the case with another
  desk; shown whether or not the grant verifies, and flagged when it does not;
- the workflow's records (mailbox-v1 sections 7.2 and 7.3, wbs/cases/workflow.py): the
  case assigned to a member (or to nobody), a closing decision proposed, and approved by a
  second member; a status the config's two-person rule covers that was set without that
  approval is flagged;
- access records (mailbox-v1 section 7.1): written by `wbs workbench` and `wbs inbox` when an
  inspector opens a case or writes plaintext out of it (an evidence file; a case file, the
  full one, ``case-file``, or the one for law enforcement, ``case-file-aph``, which
  withholds the reporter's identity: which one is on the trail, signed like the rest),
  sealed like a note (to the case's desks and the recovery key) and stored create-only
  under ``notes/<ID>/``, so every inspector of those desks sees every other's, and none can
  be changed or removed with an inspector's storage rights.

An access record is written to the local cache first, and to storage at once if it can be;
one that cannot (storage out of reach) waits in the cache and is sent by the next sync. The
trail is an honest account kept by honest tools: a person with a key and storage
credentials can read a case with other tools and leave no record (docs/workbench.md).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import NamedTuple

from functions.errors import AlreadyExists, StorageError, WbsError
from functions.keyring import load_active
from functions.storage import Storage
from wbs import notes, thread
from wbs.cache import Cache
from wbs.cases import readers
from wbs.reports import Reader, Report


class Event(NamedTuple):
    at: datetime.datetime
    who: str  # an inspector's key id; "" for the reporter
    action: str  # received, follow-up, reply, status, note, shared, assigned, proposed,
    # approved, or an access's action
    detail: str = ""  # the new status of "status", "proposed" and "approved", the evidence
    # file id of "file", the desk of "shared", the assignee's key id of "assigned"
    unverified: str = ""  # a share that is not verified or does not count: why (still shown)
    reason: str = ""  # why a case was shared (when the reader can open its case grant), or
    # the reason a status was proposed with
    unapproved: bool = False  # a status the two-person rule covers, set without approval


def trail(
    report: Report,
    case: thread.Thread,
    internal: notes.Notes,
    shares: Iterable[readers.Share] = (),
    desk_label: Callable[[str, int], str] = lambda desk, generation: f"{desk} ({generation})",
    unapproved: Collection[str] = (),
) -> list[Event]:
    """Every event of a case, oldest first: what an inspector of the keyring signed (an
    unverified message, note or access record is no event), the reporter's follow-ups, and
    each time the case was shared with another desk (its case grant, ``shares``: shown
    verified or not, with why not; the desk named by ``desk_label``). A message counts at
    the time it was stored, not at the time its writer sealed inside it. Within one second
    (the records' precision), the microsecond stamp that begins each stored record's name
    keeps the order they were made. A status message whose key is in ``unapproved``
    (wbs.cases.workflow.state) is flagged."""
    timed = [("", Event(report.received, "", "received"))]
    for post in case.counted:
        message = post.message
        stored = post.stored.replace(microsecond=0)
        if post.sender == "reporter":
            event = Event(stored, "", "follow-up")
        elif message.type == "status":
            flagged = post.key in unapproved
            event = Event(stored, message.by, "status", message.status, unapproved=flagged)
        else:
            event = Event(stored, message.by, "reply")
        timed.append((stamp(post.key), event))
    verified = [n for n in internal.notes if not n.unverified]
    timed += [(stamp(n.key), Event(n.written, n.author, "note")) for n in verified]
    timed += [
        (stamp(a.key), Event(a.written, a.author, a.action, a.file))
        for a in internal.access
        if not a.unverified
    ]
    flow = [r for r in internal.workflow if not r.unverified]
    timed += [(stamp(r.key), _workflow_event(r, flow)) for r in flow]
    for share in shares:
        problem = share.problem or ("" if share.granted else "its time is malformed")
        at = share.granted or report.received
        label = desk_label(share.desk, share.generation)
        event = Event(at, share.by, "shared", label, problem, share.reason)
        timed.append((stamp(share.key), event))
    return [event for _, event in sorted(timed, key=lambda t: (t[1].at, t[0]))]


def _workflow_event(record: notes.Workflow, records: Iterable[notes.Workflow]) -> Event:
    if isinstance(record, notes.Assignment):
        return Event(record.written, record.author, "assigned", record.assignee)
    if isinstance(record, notes.Proposal):
        return Event(record.written, record.author, "proposed", record.status, reason=record.reason)
    named = [
        p.status for p in records if isinstance(p, notes.Proposal) and p.name == record.proposal
    ]
    return Event(record.written, record.author, "approved", named[0] if named else "")


def stamp(key: str) -> str:
    """The microsecond stamp that begins a stored record's or message's name."""
    return key.rpartition("/")[2].partition("-")[0]


def record(
    open_storage: Callable[[], Storage],
    cache: Cache,
    report_id: str,
    action: str,
    keyring: Path,
    unlocked: Reader,
    now: datetime.datetime,
    file: str = "",
) -> str:
    """Write an access record into the cache, then to storage. Return "" once stored, else
    why not: waiting for the next sync (storage out of reach), or not written at all (no
    keyring, or a key that is no longer active). Reading is never refused for it."""
    try:
        ring = load_active(keyring)
        audience = readers.audience_of(cache, ring, report_id, unlocked)
        key, body = notes.access(report_id, action, file, unlocked.identity, audience, now)
        cache.keep_pending(key, body, audience.desk_ids)
    except (WbsError, OSError) as exc:
        return f"this access is not in the audit trail: {exc}"
    try:
        store = open_storage()
    except WbsError as exc:
        return f"the access record is not stored yet ({exc}): the next sync sends it"
    return send(store, cache, key)


def send_pending(store: Storage, cache: Cache) -> tuple[list[str], list[str]]:
    """Send every access record still waiting in the cache; (sent keys, problems)."""
    sent: list[str] = []
    problems: list[str] = []
    for key in cache.pending_keys():
        problem = send(store, cache, key)
        if problem:
            problems.append(problem)
        else:
            sent.append(key)
    return sent, problems


def send(store: Storage, cache: Cache, key: str, what: str = "access record") -> str:
    """Store one record waiting in the cache; "" once stored, else why not."""
    try:
        store.put_new(key, cache.read_message(key), desks=cache.pending_desks(key))
    except AlreadyExists:  # an earlier answer was lost: the name holds the envelope's hash
        pass
    except (StorageError, OSError) as exc:
        return f"the {what} is not stored yet ({exc}): the next sync sends it"
    cache.sent(key)
    return ""
