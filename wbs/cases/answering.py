"""Answering a case: a message to its reporter, or a status change with its reason; and
internal notes, which only the inspectors read.

Shared by `wbs inbox reply` / `wbs inbox status` and the workbench, so that both write the
very same messages (docs/spec/mailbox-v1.md section 4) and refuse the same mistakes.
"""

from __future__ import annotations

import datetime
from typing import NamedTuple

from functions.errors import WbsError
from functions.keyring import Keyring
from functions.storage import Storage
from wbs import messages, notes, registration, replies, statuses, thread
from wbs.cache import Cache
from wbs.cases import opening, readers
from wbs.reports import Reader


class Answerable(NamedTuple):
    """A case the inspector can write to: where it is stored, and who reads the answer."""

    store: Storage
    cache: Cache
    report_id: str
    ring: Keyring
    unlocked: Reader
    reporter: bytes
    audience: readers.Audience  # the case's desks and the recovery key

    def send(self, message: messages.Message, now: datetime.datetime) -> replies.Sent:
        return replies.send(
            self.store,
            self.cache,
            self.report_id,
            self.reporter,
            message,
            self.audience,
            now,
            self.unlocked.identity,
        )


class Written(NamedTuple):
    """An internal note: where it is stored, and the keys it is sealed to."""

    key: str
    audience: readers.Audience


class StatusChange(NamedTuple):
    previous: str
    message: messages.Message
    sent: replies.Sent


def answerable(
    store: Storage, cache: Cache, report_id: str, ring: Keyring, unlocked: Reader
) -> Answerable:
    """CannotAnswer (a WbsError) if the report carries no usable reporter key; CannotWrite if
    ``unlocked`` holds the current key of none of the case's desks."""
    reporter = replies.reporter_key(opening.open_report(cache, unlocked, report_id))
    audience = readers.audience_of(cache, ring, report_id, unlocked)
    return Answerable(store, cache, report_id, ring, unlocked, reporter, audience)


def message_text(text: str) -> str:
    if not text.strip():
        raise WbsError(
            "the message is empty: nothing was sent",
            hint="write it in the editor, or give it with --file PATH ('-' for standard input)",
        )
    return text.strip()


def reply(case: Answerable, text: str, now: datetime.datetime) -> replies.Sent:
    message = messages.new("message", by=case.unlocked.identity.kid, now=now, text=text)
    return case.send(message, now)


def status_reason(new_status: str, reason: str) -> str:
    """The reason in its standard spelling; refused if the status needs one and has none."""
    reason = statuses.reason(reason)
    if new_status == statuses.REJECTED and not reason:
        raise WbsError(
            f"{statuses.REJECTED} needs a reason, which the reporter will read",
            hint="--reason 'duplikat', or one of: "
            + ", ".join(statuses.REASONS)
            + "; or your own words",
        )
    return reason


def change_status(
    case: Answerable, new_status: str, reason: str, note: str, now: datetime.datetime
) -> StatusChange:
    """Fetch the case's new messages (its current status), then send the change."""
    reason = status_reason(new_status, reason)
    current = current_status(case, new_status)
    message = messages.new(
        "status",
        by=case.unlocked.identity.kid,
        now=now,
        text=note.strip(),
        status=new_status,
        reason=reason,
    )
    return StatusChange(current, message, case.send(message, now))


def current_status(case: Answerable, new_status: str) -> str:
    """Fetch the case's new messages, and return its status; refused if it is ``new_status``
    already."""
    number = registration.display(case.report_id)
    for key in case.cache.missing_messages(case.store, case.report_id):
        case.cache.fetch_message(case.store, key)
    current = thread.read(case.cache, case.unlocked, case.report_id).status
    if current == new_status:
        raise WbsError(
            f"report {number} is already {statuses.label(current)}",
            hint=f"see its history: wbs inbox show {number}\n"
            f"to tell the reporter more, send a message: wbs inbox reply {number}",
        )
    return current


def write_note(
    store: Storage,
    cache: Cache,
    report_id: str,
    ring: Keyring,
    unlocked: Reader,
    text: str,
    now: datetime.datetime,
) -> Written:
    """Seal an internal note to the case's desks and the recovery key only, store it, cache
    it; return its key and whom it is sealed to."""
    audience = readers.audience_of(cache, ring, report_id, unlocked)
    key = notes.write(store, report_id, message_text(text), unlocked.identity, audience, now)
    cache.fetch_note(store, key)
    return Written(key, audience)
