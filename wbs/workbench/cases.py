"""The workbench's read model: every cached case decrypted in memory, as `wbs inbox list`
and `wbs inbox show` read them (the same modules: cache, thread, deadlines, statuses), with
the filters and the search of the inbox page."""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from functions.envelope import ID_RE
from functions.errors import WbsError
from wbs import deadlines, paths, registration, statuses, thread
from wbs.cache import Cache
from wbs.commands import cases
from wbs.reports import Reader, Report, parse_stored
from wbs.workbench import files

DEADLINE_FILTERS = ("overdue", "soon", "due")  # "due": soon or overdue, as `--due`
OPENED_FILE = "workbench-opened"
_COUNT = re.compile(r"[0-9]{1,9}")


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
        return {entry.id: entry.name for entry in files.entries(self.report, self.thread)}


class Opened:
    """Which cases this inspector has opened in the workbench, and how many of the
    reporter's messages each had then: lines ``ID N`` in the cache folder (inspector-side
    metadata, no plaintext), so that a new case, or one the reporter wrote to since it was
    opened, shows as unread."""

    def __init__(self, cache: Cache) -> None:
        self.path: Path = cache.root / OPENED_FILE

    def seen(self) -> dict[str, int]:
        """Each opened case's count of reporter messages when it was last opened: the
        largest of its lines; a line of the first format, ``ID`` alone, counts 0; a malformed
        line is skipped."""
        try:
            text = self.path.read_text(encoding="ascii", errors="replace")
        except FileNotFoundError:
            return {}
        found: dict[str, int] = {}
        for line in text.splitlines():
            fields = line.split()
            if not 1 <= len(fields) <= 2 or not ID_RE.fullmatch(fields[0]):
                continue
            if len(fields) == 2 and not _COUNT.fullmatch(fields[1]):
                continue
            count = int(fields[1]) if len(fields) == 2 else 0
            found[fields[0]] = max(count, found.get(fields[0], count))
        return found

    def add(self, report_id: str, count: int = 0) -> None:
        """Mark a case read with ``count`` reporter messages seen: a line is appended when the
        case is new here or the count has grown."""
        seen = self.seen()
        if report_id in seen and seen[report_id] >= count:
            return
        paths.make_private_dir(self.path.parent)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="ascii") as f:
            f.write(f"{report_id} {count}\n")


def reporter_posts(case: thread.Thread) -> int:
    """How many readable messages the reporter has written in a case (follow-ups; the
    inspectors' replies and status changes do not count)."""
    return sum(1 for post in case.posts if post.sender == "reporter")


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


def report(cache: Cache, reader: Reader, report_id: str, memo: dict[str, Report]) -> Report:
    """A decrypted report, kept in ``memo`` (the session's, dropped with the key)."""
    if report_id not in memo:
        memo[report_id] = cases.open_report(cache, reader, report_id)
    return memo[report_id]


def rows(
    cache: Cache,
    reader: Reader,
    rules: deadlines.Rules,
    today: datetime.date,
    memo: dict[str, Report],
) -> list[Row]:
    """Every cached case, oldest first; a report that cannot be opened is a row too."""
    seen = Opened(cache).seen()
    found: list[Row] = []
    for report_id in cache.ids():
        unread = report_id not in seen
        try:
            opened_report = report(cache, reader, report_id, memo)
        except WbsError:  # shown as a row that could not be opened, as `wbs inbox list` does
            received = _received(cache, report_id)
            found.append(Row(report_id, received, None, "", None, "", unread, ""))
            continue
        case = thread.read(cache, reader, report_id)
        due = case.due(opened_report.received, today, rules)
        written = not unread and reporter_posts(case) > seen[report_id]
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
            )
        )
    epoch = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    return sorted(found, key=lambda r: (r.received or epoch, r.id))


def _received(cache: Cache, report_id: str) -> datetime.datetime | None:
    try:
        return parse_stored(report_id, cache.read(report_id)).received
    except cases.UNREADABLE:
        return None


def matching(
    found: Iterable[Row], *, status: str = "", category: str = "", deadline: str = "", q: str = ""
) -> list[Row]:
    """The rows that pass every filter given (an empty one passes all)."""
    words = q.casefold().split()
    kept: list[Row] = []
    for row in found:
        if (status or category or deadline or words) and row.report is None:
            continue
        if status and row.status != status:
            continue
        if category and row.report is not None and row.report.category_id != category:
            continue
        if deadline == "due" and not row.deadline:
            continue
        if deadline in ("overdue", "soon") and row.deadline != deadline:
            continue
        if not all(word in row.text for word in words):
            continue
        kept.append(row)
    return kept


def open_case(
    cache: Cache,
    reader: Reader,
    report_id: str,
    rules: deadlines.Rules,
    today: datetime.date,
    memo: dict[str, Report],
) -> Case:
    """One case, decrypted; marks it as opened, with every reporter message in it read."""
    opened = load_case(cache, reader, report_id, rules, today, memo)
    Opened(cache).add(report_id, reporter_posts(opened.thread))
    return opened


def load_case(
    cache: Cache,
    reader: Reader,
    report_id: str,
    rules: deadlines.Rules,
    today: datetime.date,
    memo: dict[str, Report],
) -> Case:
    """One case, decrypted, without marking it as opened (the case file, `wbs inbox`)."""
    opened_report = report(cache, reader, report_id, memo)
    case = thread.read(cache, reader, report_id)
    due = case.due(opened_report.received, today, rules)
    return Case(opened_report, case, due, _deadline(due, rules))
