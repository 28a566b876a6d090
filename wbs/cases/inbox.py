"""The inbox: every cached case decrypted in memory, with its status, its next deadline,
whether it is unread, who handles it and whether a decision awaits approval, and the filters
and search over them; one case opened whole.

`wbs inbox list` and the workbench's inbox page show these rows; `wbs inbox show`, the case
page and the case file open a case here."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import NamedTuple

from functions.errors import WbsError
from wbs import deadlines, notes, registration, statuses, thread
from wbs.cache import Cache
from wbs.cases import evidence, opening, readers, workflow
from wbs.cases.opened import Opened, reporter_posts
from wbs.reports import Reader, Report, parse_stored

DEADLINE_FILTERS = ("overdue", "soon", "due")  # "due": soon or overdue, as `--due`
# Who handles it: assigned to the member reading, to nobody, or with a proposal awaiting
# a second member's approval.
HANDLER_FILTERS = ("mine", "unassigned", "awaiting")


class Row(NamedTuple):
    """One case of the inbox; ``report`` is None when it could not be opened."""

    id: str
    received: datetime.datetime | None
    report: Report | None
    status: str
    due: deadlines.Due | None
    deadline: str  # "overdue", "soon" or ""
    unread: bool  # never opened here, or the reporter wrote since it was last opened
    text: str  # every decrypted word of the case, casefolded, for the search box
    new_messages: bool = False  # unread because the reporter wrote since it was opened
    problem: str = ""  # why the report could not be opened
    # for a report sealed to no key held here: which desks would open it, and who holds them
    unaddressed: str = ""
    lost: tuple[thread.Unreadable, ...] = ()  # its messages that could not be opened
    assignee: str = ""  # the key id of the member it is assigned to; "" for nobody
    awaiting: str = ""  # the status a pending proposal would set, awaiting approval

    @property
    def number(self) -> str:
        return registration.display(self.id)

    @property
    def status_label(self) -> str:
        return statuses.label(self.status)


class Case(NamedTuple):
    """One case, opened: the report, its thread, and what its next deadline is."""

    report: Report
    thread: thread.Thread
    due: deadlines.Due | None
    deadline: str

    @property
    def file_names(self) -> dict[str, str]:
        """Each evidence file's name by its id, as the reporter's manifests give them."""
        return {entry.id: entry.name for entry in evidence.entries(self.report, self.thread)}


def _deadline(due: deadlines.Due | None, rules: deadlines.Rules) -> str:
    if due is None:
        return ""
    if due.overdue:
        return "overdue"
    return "soon" if deadlines.is_due_soon(due, rules) else ""


def _words(report: Report, case: thread.Thread) -> str:
    parts: list[str] = [
        report.category_label,
        report.title,
        report.what,
        report.where,
        report.when_date,
        report.when_note,
        report.how,
        report.loss,
        report.reporter_name,
        report.reporter_contact,
        *(field for person in report.who for field in person),
        *(entry.name for entry in report.attachments),
        *(post.message.text for post in case.posts),
        *(post.message.reason for post in case.posts),
    ]
    return "\n".join(parts).casefold()


def report(
    cache: Cache,
    reader: Reader,
    report_id: str,
    memo: dict[str, Report],
    directory: readers.Directory | None = None,
) -> Report:
    """A decrypted report, kept in ``memo`` (the session's, dropped with the key);
    ``directory`` names who could open one this reader cannot."""
    if report_id not in memo:
        memo[report_id] = opening.open_report(cache, reader, report_id, directory)
    return memo[report_id]


def rows(
    cache: Cache,
    reader: Reader,
    rules: deadlines.Rules,
    today: datetime.date,
    memo: dict[str, Report],
    progress: Callable[[list[str]], Iterable[str]] = iter,
    names: Mapping[str, str] | None = None,
    outlines: dict[str, notes.Workflow | None] | None = None,
) -> list[Row]:
    """Every cached case, oldest first; a report that cannot be opened is a row too (one
    sealed to no key held here says who could open it, desks named by ``names``).
    ``progress`` wraps the list of ids decrypted, for a progress bar; ``outlines`` keeps
    each workflow record decrypted (``workflow.outline``) for the next call."""
    outlines = {} if outlines is None else outlines
    seen = Opened(cache).seen()
    found: list[Row] = []
    directory = readers.Directory.of(reader, cache, names)  # read if a report cannot be opened
    for report_id in progress(cache.ids()):
        unread = report_id not in seen
        try:
            opened_report = report(cache, reader, report_id, memo, directory)
        except WbsError as exc:
            received = _received(cache, report_id)
            why = exc.why if isinstance(exc, opening.NotAddressed) else ""
            found.append(
                Row(
                    report_id,
                    received,
                    None,
                    "",
                    None,
                    "",
                    unread,
                    "",
                    problem=str(exc),
                    unaddressed=why,
                )
            )
            continue
        case = thread.read(cache, reader, report_id, opened_report.reporter_signing_key)
        due = case.due(opened_report.received, today, rules)
        written = not unread and reporter_posts(case) > seen[report_id]
        flow = workflow.state(case, workflow.outline(cache, reader, report_id, outlines))
        found.append(
            Row(
                report_id,
                opened_report.received,
                opened_report,
                case.status,
                due,
                _deadline(due, rules),
                unread or written,
                _words(opened_report, case),
                written,
                lost=case.unreadable,
                assignee=flow.assignee,
                awaiting=flow.pending.status if flow.pending else "",
            )
        )
    epoch = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    return sorted(found, key=lambda r: (r.received or epoch, r.id))


def _received(cache: Cache, report_id: str) -> datetime.datetime | None:
    try:
        return parse_stored(report_id, cache.read(report_id)).received
    except opening.UNREADABLE:
        return None


def matching(
    found: Iterable[Row],
    *,
    status: Collection[str] = (),
    category: str = "",
    deadline: str = "",
    q: str = "",
    handler: str = "",
    me: str = "",
) -> list[Row]:
    """The rows that pass every filter given (an empty one passes all): any of the statuses
    ``status``, the category, the deadline state (``DEADLINE_FILTERS``), who handles it
    (``HANDLER_FILTERS``; "mine" is assigned to the key id ``me``), every word of ``q``."""
    words = q.casefold().split()
    kept: list[Row] = []
    for row in found:
        if (status or category or deadline or words or handler) and row.report is None:
            continue
        if status and row.status not in status:
            continue
        if category and row.report is not None and row.report.category_id != category:
            continue
        if deadline == "due" and not row.deadline:
            continue
        if deadline in ("overdue", "soon") and row.deadline != deadline:
            continue
        if handler and not _handled(row, handler, me):
            continue
        if not all(word in row.text for word in words):
            continue
        kept.append(row)
    return kept


def _handled(row: Row, handler: str, me: str) -> bool:
    if handler == "mine":
        return bool(me) and row.assignee == me
    if handler == "unassigned":
        return row.assignee == ""
    return handler != "awaiting" or row.awaiting != ""


def load_case(
    cache: Cache,
    reader: Reader,
    report_id: str,
    rules: deadlines.Rules,
    today: datetime.date,
    memo: dict[str, Report],
    *,
    mark_read: bool = False,
) -> Case:
    """One case, decrypted. ``mark_read`` (the workbench's case page) marks it as opened,
    with every reporter message in it read; the case file and `wbs inbox` do not."""
    opened_report = report(cache, reader, report_id, memo)
    case = thread.read(cache, reader, report_id, opened_report.reporter_signing_key)
    due = case.due(opened_report.received, today, rules)
    if mark_read:
        Opened(cache).add(report_id, reporter_posts(case))
    return Case(opened_report, case, due, _deadline(due, rules))
