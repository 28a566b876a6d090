"""A case file for the investigation record (issue 7): one self-contained HTML file with the
report, its files' hashes, the status history, the thread and the internal notes.

Or the case file for law enforcement (APH: police, prosecutors, KPK; issue 17), chosen
explicitly: the allegation, the reported persons, where, when, how, the loss, the evidence
files with their hashes and the statuses, and a header that says what it withholds. What it
withholds is never handed to its template: ``for_aph`` builds it from a copy of the report
with every field of the reporter's identity emptied, the standard reasons of the statuses
only, and counts instead of the thread and the notes; the audit trail is not given at all.

Rendered from the case as wbs/cases/inbox.py opens it, with the workbench's templates and
catalogues, so both show the same fields. The file holds no script and no
reference to anything outside it (its style is inline), so it opens the same offline, years
later; every text is escaped by Jinja's autoescape.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

import jinja2

from functions.errors import WbsError
from functions.storage import Storage
from wbs import audit, notes, registration, statuses, view
from wbs.attachments import Attachment
from wbs.cases import evidence, readers
from wbs.cases.inbox import Case

TEMPLATE = "casefile.html"
APH_TEMPLATE = "casefile_aph.html"
# The two case files, named as their access records name them (mailbox-v1 section 7.1)
FULL = "case-file"
FOR_APH = "case-file-aph"
VARIANTS = (FULL, FOR_APH)


def file_name(report_id: str, variant: str = FULL) -> str:
    """``kasus-7K3M-Q2X9-ABCD-EFGH.html`` (or ``…-APH.html``): the registration number,
    nothing a report wrote."""
    suffix = "-APH" if variant == FOR_APH else ""
    return f"kasus-{registration.display(report_id)}{suffix}.html"


class Checked(NamedTuple):
    """A file's SHA-256, computed now from storage; or why it could not be."""

    sha256: str
    problem: str


class _Discard:
    def write(self, data: bytes, /) -> None:
        pass


def check_files(open_storage: Callable[[], Storage], case: Case) -> dict[str, Checked]:
    """Decrypt every evidence file of the case from storage, chunk by chunk, and keep only
    its SHA-256: the page seals the manifest before it reads the files, so a browser's
    report states none (attachment-v1 section 4). A missing or altered file is named."""
    entries = evidence.entries(case.report, case.thread)
    if not entries:
        return {}
    try:
        store = open_storage()
    except WbsError as exc:
        return {entry.id: Checked("", str(exc)) for entry in entries}
    return {entry.id: _check(store, case.report.id, entry) for entry in entries}


def _check(store: Storage, report_id: str, entry: Attachment) -> Checked:
    try:
        return Checked(evidence.decrypt(store, report_id, entry, _Discard()), "")
    except (WbsError, OSError) as exc:
        return Checked("", str(exc))


def render(
    env: jinja2.Environment,
    lang: str,
    case: Case,
    internal: notes.Notes,
    exporter: str,
    now: datetime.datetime,
    checked: Mapping[str, Checked],
    person: Callable[[str], str],
    shares: Iterable[readers.Share] = (),
    desk_label: Callable[[str, int], str] = readers.desk_label,
    unapproved: Collection[str] = (),
) -> str:
    """The case file as text; ``exporter`` is the key id of the inspector who exports it,
    ``checked`` the files' hashes computed by ``check_files``, ``person`` how a key id is
    shown (its holder's label), ``shares`` the case grants of the audit trail,
    ``desk_label`` how a desk generation is named and ``unapproved`` the status messages set
    without the second approval the config asks for (wbs.cases.workflow.state), flagged."""
    exported = now.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return env.get_template(TEMPLATE).render(
        lang=lang,
        case=case,
        notes=internal,
        checked=checked,
        events=audit.trail(case.report, case.thread, internal, shares, desk_label, unapproved),
        exporter=exporter,
        exported=exported,
        zone=view.local_zone(),
        initial=statuses.INITIAL,
        person=person,
    )


class Change(NamedTuple):
    """A status change as the file for APH shows it: no inspector, and a reason only when it
    is one of the standard reasons (a reason typed freely is withheld, as replies are)."""

    at: datetime.datetime
    status: str
    reason: str
    withheld: bool  # a reason was typed freely, and is not shown


class Withheld(NamedTuple):
    """What the file for APH leaves out, counted so that it can say so."""

    followups: int  # the reporter's messages
    replies: int  # the inspectorate's messages to the reporter (replies and status notes)
    notes: int  # internal notes
    unreadable: int  # messages this key could not open: their files are not listed either


def for_aph(case: Case, internal: notes.Notes) -> tuple[Case, list[Change], Withheld]:
    """The case without what the file for APH withholds: a report whose reporter fields,
    form language, declarations and keys are empty (and marked anonymous) and a thread of
    no messages; the status changes with standard reasons only; and the counts of what was
    left out."""
    report = case.report._replace(
        anonymous=True,
        reporter_name="",
        reporter_contact="",
        reporter_relation="",
        lang="",
        declarations={},
        reporter_public_key="",
        reporter_signing_key="",
    )
    posts = case.thread.posts
    changes = [
        Change(
            post.message.sent,
            post.message.status,
            post.message.reason if post.message.reason in statuses.REASONS else "",
            bool(post.message.reason) and post.message.reason not in statuses.REASONS,
        )
        for post in case.thread.changes
    ]
    withheld = Withheld(
        followups=sum(1 for p in posts if p.sender == "reporter"),
        replies=sum(1 for p in posts if p.sender != "reporter" and p.message.text),
        notes=len(internal.notes),
        unreadable=len(case.thread.unreadable),
    )
    bare = case.thread._replace(posts=(), unreadable=(), replayed=())
    return case._replace(report=report, thread=bare), changes, withheld


def render_for_aph(
    env: jinja2.Environment,
    lang: str,
    case: Case,
    internal: notes.Notes,
    exporter: str,
    now: datetime.datetime,
    checked: Mapping[str, Checked],
    person: Callable[[str], str],
) -> str:
    """The case file for law enforcement (APH, KPK) as text: what ``for_aph`` keeps, the
    evidence files of the report and of the follow-ups with their hashes (``checked``),
    and a header that says it is the redacted version and what it withholds."""
    files = [("", case.report.attachments)] + [
        (post.message.sent, post.message.attachments)
        for post in case.thread.posts
        if post.sender == "reporter" and post.message.attachments
    ]
    kept, changes, withheld = for_aph(case, internal)
    return env.get_template(APH_TEMPLATE).render(
        lang=lang,
        report=kept.report,  # and not its thread, which for_aph emptied
        status=case.thread.status,
        files=files,
        changes=changes,
        withheld=withheld,
        checked=checked,
        exporter=exporter,
        exported=now.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        zone=view.local_zone(),
        initial=statuses.INITIAL,
        person=person,
    )


def write(path: Path, text: str, report_id: str) -> None:
    """Write the case file as a new file (mode 0600): an existing one is never replaced."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise WbsError(
            f"{path} exists: refusing to overwrite it",
            hint="choose a new file name, e.g. " + file_name(report_id),
        ) from None
    except OSError as exc:
        raise WbsError(f"cannot write {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
