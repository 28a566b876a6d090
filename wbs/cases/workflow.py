"""Who handles a case, and the two-person rule for closing decisions
(docs/spec/mailbox-v1.md sections 7.2 and 7.3); shared by `wbs inbox assign|status|approve`
and the workbench, so that both write the same records and refuse the same mistakes.

- An assignment (``wbs-assign/1``) names the member who handles the case; the latest
  verified one counts.
- Under the config's ``[workflow] second_approval``, a status of that list is first
  proposed (``wbs-proposal/1``, with the reason and text the reporter would read); another
  member approves it (``wbs-approval/1``) and sends the status message, signed by them.
- A reader shows such a status as approved only when the message's signer approved a
  proposal of another member for that very change before it was stored; else flagged.

The rule is kept by honest tools and made visible to every reader: a member with storage
rights and other tools can still send a status alone, and every reader then sees it flagged.
"""

from __future__ import annotations

import datetime
from typing import NamedTuple

from functions.errors import WbsError
from functions.keyring import Keyring
from functions.storage import Storage
from wbs import audit, notes, registration, statuses, thread
from wbs.cache import Cache
from wbs.cases import answering, readers
from wbs.config.workflow import NO_RULE, Workflow
from wbs.reports import Reader

Order = tuple[datetime.datetime, str]


class Refused(WbsError, ValueError):
    """A workflow step that is not allowed; ``why`` names the case for the workbench's
    words: "none", "changed", "own", "proposed", "assigned", "not-reader", "person", "unsent"
    (an approval kept in the cache, not stored yet)."""

    def __init__(self, message: str, *, why: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.why = why


class State(NamedTuple):
    """Where a case stands in the workflow, from its verified records."""

    assignee: str  # the key id of the member who handles it; "" for nobody
    pending: notes.Proposal | None  # the proposal waiting for a second member's approval
    approvals: tuple[notes.Approval, ...]  # verified approvals of ``pending`` by others
    unapproved: frozenset[str]  # keys of status messages the rule covers, set without one


class Proposed(NamedTuple):
    previous: str  # the status the case has, and keeps until the proposal is approved
    key: str  # where the proposal is stored


class Approved(NamedTuple):
    proposal: notes.Proposal
    change: answering.StatusChange


def _order(key: str, at: datetime.datetime) -> Order:
    """When a record or message was made, to the second, then its name's stamp."""
    return at.replace(microsecond=0), audit.stamp(key)


def _posted(post: thread.Post) -> Order:
    return _order(post.key, post.stored)


def _made(record: notes.Workflow) -> Order:
    return _order(record.key, record.written)


def state(case: thread.Thread, internal: notes.Notes, rule: Workflow = NO_RULE) -> State:
    """The case's assignee, its pending proposal, and the status messages ``rule`` covers
    that were set without a second member's approval. Unverified records count for
    nothing."""
    records = [r for r in internal.workflow if not r.unverified]
    assigned = [r for r in records if isinstance(r, notes.Assignment)]
    proposals = [r for r in records if isinstance(r, notes.Proposal)]
    approvals = [r for r in records if isinstance(r, notes.Approval)]
    changes = case.changes
    unapproved = frozenset(
        post.key
        for post in changes
        if rule.needs_approval(post.message.status)
        and not _approved(post, changes, proposals, approvals)
    )
    pending = proposals[-1] if proposals else None
    if pending is not None and any(_posted(m) > _made(pending) for m in changes):
        pending = None  # a status was sent after it
    seconds = tuple(
        a
        for a in approvals
        if pending is not None and a.proposal == pending.name and a.author != pending.author
    )
    return State(assigned[-1].assignee if assigned else "", pending, seconds, unapproved)


def _approved(
    post: thread.Post,
    changes: tuple[thread.Post, ...],
    proposals: list[notes.Proposal],
    approvals: list[notes.Approval],
) -> bool:
    """The status message follows the latest proposal before it, with no other status
    between them, says just what it proposed, and its signer, another member, approved it
    before it was stored."""
    at = _posted(post)
    earlier = [p for p in proposals if _made(p) < at]
    if not earlier:
        return False
    proposal = earlier[-1]
    if any(_made(proposal) < _posted(other) < at for other in changes):
        return False
    message = post.message
    said = (message.status, message.reason, message.text)
    if (proposal.status, proposal.reason, proposal.text) != said or proposal.author == message.by:
        return False
    return any(
        a.author == message.by and a.proposal == proposal.name and _made(a) < at for a in approvals
    )


def outline(
    cache: Cache, unlocked: Reader, report_id: str, memo: dict[str, notes.Workflow | None]
) -> notes.Notes:
    """The case's workflow records without their words (a proposal's reason and text left
    out): enough for its assignee and its pending proposal, what the inbox shows. Each record
    is decrypted once per ``memo``, which keeps no note, access record or text."""
    found: list[notes.Workflow] = []
    for key in cache.note_keys(report_id):
        if key not in memo:
            try:
                record = notes.read_one(key, cache.read_message(key), unlocked)
            except notes.UNREADABLE:
                record = None
            if isinstance(record, notes.Proposal):
                memo[key] = record._replace(reason="", text="")
            elif isinstance(record, notes.Assignment | notes.Approval):
                memo[key] = record
            else:
                memo[key] = None
        outlined = memo[key]
        if outlined is not None:
            found.append(outlined)
    found.sort(key=lambda r: (r.written, r.key))
    return notes.Notes((), (), (), tuple(found))


def read_state(cache: Cache, unlocked: Reader, report_id: str, rule: Workflow = NO_RULE) -> State:
    """``state`` of a cached case."""
    case = thread.read(cache, unlocked, report_id)
    return state(case, notes.read(cache, unlocked, report_id), rule)


def refresh(store: Storage, cache: Cache, report_id: str) -> None:
    """Fetch the case's new messages and records: a decision is made on all of them."""
    for key in cache.missing_messages(store, report_id):
        cache.fetch_message(store, key)
    have = set(cache.note_keys(report_id))
    for key in notes.keys(store, report_id):
        if key not in have:
            cache.fetch_note(store, key)


# -- assignment ------------------------------------------------------------------------------


def people(cache: Cache, ring: Keyring, report_id: str) -> tuple[str, ...]:
    """The key ids of the persons of the keyring with an active key who can read the case (a
    member of one of its desks), the recovery key aside: whom it can be assigned to."""
    directory = readers.Directory(ring, cache.grants())
    persons = {k.kid for k in ring.keys if k.active}
    found = readers.case_readers(cache, directory, report_id).people()
    return tuple(kid for kid in found if kid in persons)


def person(ring: Keyring, typed: str, candidates: tuple[str, ...]) -> str:
    """The key id of the one candidate whose key id or label (any case) is ``typed``."""
    wanted = typed.strip().casefold()
    found = [
        kid for kid in candidates if wanted in (kid, (ring.label(kid) or "").strip().casefold())
    ]
    if len(found) == 1:
        return found[0]
    shown = "; ".join(f"{ring.label(k) or k} ({k})" for k in candidates) or "nobody"
    problem = "several members are" if found else "nobody who can read the case is"
    raise Refused(
        f"{problem} called {typed!r}: nothing was written",
        why="person",
        hint=f"give a label or key id of one of: {shown}",
    )


def assign(
    store: Storage,
    cache: Cache,
    report_id: str,
    ring: Keyring,
    unlocked: Reader,
    assignee: str,
    now: datetime.datetime,
) -> str:
    """Assign the case to ``assignee`` (a key id; "" for nobody): a signed record sealed
    like a note, stored create-only and cached; return its key. Refused for someone who
    cannot read the case, or who has it already."""
    number = registration.display(report_id)
    audience = readers.audience_of(cache, ring, report_id, unlocked)
    refresh(store, cache, report_id)
    if assignee and assignee not in people(cache, ring, report_id):
        raise Refused(
            f"{ring.label(assignee) or assignee} cannot read report {number}: nothing was written",
            why="not-reader",
            hint="assign it to a member of one of its desks (wbs inbox show lists who reads it)",
        )
    if read_state(cache, unlocked, report_id).assignee == assignee:
        whom = ring.label(assignee) or assignee if assignee else "nobody"
        raise Refused(
            f"report {number} is assigned to {whom} already: nothing was written",
            why="assigned",
        )
    document = {"schema": notes.ASSIGN_SCHEMA, "assignee": assignee}
    key = notes.write_record(store, report_id, document, unlocked.identity, audience, now)
    cache.fetch_note(store, key)
    return key


# -- the two-person rule ---------------------------------------------------------------------


def decide(
    case: answering.Answerable,
    rule: Workflow,
    new_status: str,
    reason: str,
    note: str,
    now: datetime.datetime,
) -> answering.StatusChange | Proposed:
    """Change the status, or, when ``rule`` asks for a second member's approval of it,
    store a proposal of the change instead (the reporter sees nothing yet)."""
    if not rule.needs_approval(new_status):
        return answering.change_status(case, new_status, reason, note, now)
    reason = answering.status_reason(new_status, reason)
    previous = answering.current_status(case, new_status)
    refresh(case.store, case.cache, case.report_id)
    pending = read_state(case.cache, case.unlocked, case.report_id).pending
    me = case.unlocked.identity.kid
    if pending is not None and pending.status == new_status and pending.author != me:
        number = registration.display(case.report_id)
        raise Refused(
            f"{case.unlocked.signers.name(pending.author)} proposed"
            f" {statuses.label(new_status)} already: nothing was written",
            why="proposed",
            hint=f"see it, and approve it: wbs inbox approve {number}",
        )
    document = {
        "schema": notes.PROPOSAL_SCHEMA,
        "status": new_status,
        "reason": reason,
        "text": note.strip(),
    }
    key = notes.write_record(
        case.store, case.report_id, document, case.unlocked.identity, case.audience, now
    )
    case.cache.fetch_note(case.store, key)
    return Proposed(previous, key)


def awaiting(case: answering.Answerable) -> tuple[notes.Proposal, State]:
    """The proposal waiting on the case (its records fetched first), if this member may
    approve it, and the case's state: refused when there is none, or it is their own."""
    number = registration.display(case.report_id)
    refresh(case.store, case.cache, case.report_id)
    found = read_state(case.cache, case.unlocked, case.report_id)
    if found.pending is None:
        raise Refused(
            f"no proposal waits for approval on report {number}: nothing was sent",
            why="none",
            hint=f"see its audit trail: wbs inbox show {number} --audit",
        )
    if found.pending.author == case.unlocked.identity.kid:
        raise Refused(
            f"the proposal on report {number} is your own: another member must approve it",
            why="own",
            hint=f"ask another member of the case's desks to run: wbs inbox approve {number}",
        )
    return found.pending, found


def approve(case: answering.Answerable, now: datetime.datetime, expected: str = "") -> Approved:
    """Approve the pending proposal (``expected``: its name, as shown to the approver) and
    send its status message. The approval is kept in the cache and stored first; run again
    after a failure, this reuses it, so a case never gets two approvals from one member."""
    proposal, found = awaiting(case)
    if expected and proposal.name != expected:
        raise Refused(
            "the proposal changed since it was shown: nothing was sent",
            why="changed",
            hint=f"look at it again: wbs inbox approve {registration.display(case.report_id)}",
        )
    mine = [a.key for a in found.approvals if a.author == case.unlocked.identity.kid]
    if mine:
        key = mine[0]
    else:
        document = {"schema": notes.APPROVAL_SCHEMA, "proposal": proposal.name}
        key, body = notes.seal_record(
            case.report_id, document, case.unlocked.identity, case.audience, now
        )
        case.cache.keep_pending(key, body, case.audience.desk_ids)
    problem = (
        audit.send(case.store, case.cache, key, "approval")
        if key in case.cache.pending_keys()
        else ""
    )
    if problem:
        raise Refused(
            f"{problem}; nothing was sent to the reporter",
            why="unsent",
            hint="approve again to finish: wbs inbox approve "
            + registration.display(case.report_id),
        )
    after = now + datetime.timedelta(microseconds=1)  # sent after the approval, never with it
    change = answering.change_status(case, proposal.status, proposal.reason, proposal.text, after)
    return Approved(proposal, change)
