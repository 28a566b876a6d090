"""Statistics for leadership: counts over the cases a key can read, received in a period.

Shared by `wbs inbox stats` and the workbench's statistics page (/stats): ``count`` decrypts
every cached case in memory, as the inbox does, and returns numbers only: no title, no text,
no name, no registration number. Nothing is written anywhere.

Days are those of the Asia/Jakarta calendar (WIB, UTC+7 all year), whatever this machine's
zone: a report received at 23:30 UTC on 31 March counts in April. Times to acknowledge and to
give feedback count in the unit of the configured deadline: working days (hari kerja, the
configured holidays skipped) when the rule is in working days, else calendar days. A case
not readable with this key is counted as such, never left out.
"""

from __future__ import annotations

import csv
import datetime
import io
import math
import os
import statistics
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any, Literal, NamedTuple

from functions.errors import WbsError
from wbs import deadlines, statuses, thread
from wbs.cache import Cache
from wbs.cases import inbox as cases
from wbs.cases import opening
from wbs.reports import Reader, Report, parse_stored

FORMAT = "wbs-stats/1"
JAKARTA = datetime.timezone(datetime.timedelta(hours=7), "WIB")  # no DST since 1964
CALENDAR = "Asia/Jakarta"
NONE = "-"  # no category, no office chosen (or not asked), or sealed to no desk of the keyring
# A category or office id that the config does not list: the id is what the reporter's page
# sent, so one the config does not know is counted here, never shown.
UNKNOWN = "?"
Outcome = Literal["met", "missed", "overdue", "pending"]
OUTCOMES: tuple[Outcome, ...] = ("met", "missed", "overdue", "pending")


class StatsError(WbsError, ValueError):
    """A period that cannot be counted (its end before its start)."""


def jakarta_date(when: datetime.datetime) -> datetime.date:
    return when.astimezone(JAKARTA).date()


def current_month(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of ``today``'s month: the default period."""
    start = today.replace(day=1)
    following = deadlines.add_months(start, 1)
    return start, following - datetime.timedelta(days=1)


def period(
    start: datetime.date | None, end: datetime.date | None, today: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """The period asked for: without ``start``, the first day of ``end``'s month; without
    ``end``, the last day of ``start``'s month; neither: ``today``'s month. Refused if it
    ends before it starts."""
    if start is None:
        start = current_month(end or today)[0]
    if end is None:
        end = current_month(start)[1]
    if end < start:
        raise StatsError(
            f"the period ends ({end}) before it starts ({start})",
            hint="give --from before --to, e.g. --from 2026-01-01 --to 2026-03-31",
        )
    return start, end


def elapsed(start: datetime.date, end: datetime.date, rules_period: deadlines.Period,
            holidays: Collection[datetime.date]) -> int:  # fmt: skip
    """Days from ``start`` (day 0) to ``end``: working days in (start, end] when the rule
    counts working days, else calendar days."""
    if rules_period.unit != "working_days":
        return (end - start).days
    days = 0
    day = start
    while day < end:
        day += datetime.timedelta(days=1)
        days += deadlines.is_working_day(day, holidays)
    return days


class Names(NamedTuple):
    """The config's names, by id: ``[[categories]]``' labels, ``[[desks]]``' and
    ``[[offices]]``' names. Never a label a report carries: what the reporter's page sent
    is not shown, so nothing a reporter wrote reaches the summary."""

    category: Mapping[str, str] = {}
    desk: Mapping[str, str] = {}
    office: Mapping[str, str] = {}
    institution: str = ""  # ``[institution]``'s name, the summary's heading
    configured: bool = False  # read from a config file: ids it does not list are unknown


_COUNTERS = {"category": "categories", "desk": "desks", "office": "offices"}


def names(config: Path | None, lang: str = "id") -> Names:
    """The names of the config file (``lang``, else the first language given); none when
    it has none or cannot be read: ids are shown then. Only names are read here."""
    from wbs import config as config_file

    try:
        top = config_file.read(config).values
    except (WbsError, OSError):
        return Names()
    table = top.get("institution")
    institution = _named([{**table, "id": ""}] if isinstance(table, dict) else [], "name", lang)
    return Names(
        _named(top.get("categories"), "label", lang),
        _named(top.get("desks"), "name", lang),
        _named(top.get("offices"), "name", lang),
        institution.get("", ""),
        configured=True,
    )


def _named(entries: object, member: str, lang: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        name = entry.get(member)
        if isinstance(name, dict):
            name = name.get(lang) or next(iter(name.values()), None)
        if isinstance(name, str) and name.strip():
            found[entry["id"]] = name.strip()
    return found


@dataclass
class Duty:
    """One deadline (acknowledge or feedback) over the cases of the period: how long it
    took where it was done, and how many met it, missed it, are overdue or still within it."""

    rule: deadlines.Period
    times: list[int] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def unit(self) -> str:
        return "working_days" if self.rule.unit == "working_days" else "days"

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def p90(self) -> int | None:
        """The 90th percentile, nearest rank: the ⌈0.9·n⌉-th smallest time."""
        if not self.times:
            return None
        return sorted(self.times)[math.ceil(0.9 * len(self.times)) - 1]

    def add(self, received: datetime.date, done: datetime.date | None, today: datetime.date,
            holidays: Collection[datetime.date]) -> None:  # fmt: skip
        due = deadlines.deadline(received, self.rule, holidays)
        outcome: Outcome
        if done is not None:
            self.times.append(elapsed(received, done, self.rule, holidays))
            outcome = "met" if done <= due else "missed"
        else:
            outcome = "overdue" if today > due else "pending"
        self.outcomes[outcome] += 1


@dataclass
class Stats:
    """What ``count`` found: numbers, and the labels of categories and desks."""

    start: datetime.date
    end: datetime.date
    today: datetime.date
    acknowledge: Duty
    feedback: Duty
    readable: int = 0
    unreadable: int = 0  # cases of the period this key cannot open
    undated: int = 0  # cached reports whose date of receipt cannot be read (period unknown)
    lost_messages: int = 0  # messages of readable cases that could not be opened
    months: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    desks: Counter[str] = field(default_factory=Counter)
    offices: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    overdue: Counter[str] = field(default_factory=Counter)  # by duty, as of ``today``
    names: Names = field(default_factory=lambda: Names())

    def count(self, section: str, key: str) -> int:
        """How many reports a category, desk or office counts."""
        counted: Counter[str] = getattr(self, _COUNTERS[section])
        return counted[key]

    def labels(self, section: str) -> dict[str, str]:
        """The config's name of each category, desk or office counted; its id without one."""
        counted: Counter[str] = getattr(self, _COUNTERS[section])
        named: Mapping[str, str] = getattr(self.names, section)
        return {key: named.get(key, key) for key in sorted(counted)}

    @property
    def total(self) -> int:
        return self.readable + self.unreadable

    def month_keys(self) -> list[str]:
        """Every month of the period, in order (those without a report too)."""
        keys: list[str] = []
        month = self.start.replace(day=1)
        while month <= self.end:
            keys.append(f"{month:%Y-%m}")
            month = deadlines.add_months(month, 1)
        return keys

    def measures(self) -> list[tuple[str, str, int | float | str | None]]:
        """Every number as (section, key, value), in a stable order: the CSV's rows, the
        table's cells and the JSON's members are all read from here."""
        rows: list[tuple[str, str, int | float | str | None]] = [
            ("period", "from", self.start.isoformat()),
            ("period", "to", self.end.isoformat()),
            ("period", "today", self.today.isoformat()),
            ("period", "calendar", CALENDAR),
            ("reports", "total", self.total),
            ("reports", "readable", self.readable),
            ("reports", "unreadable", self.unreadable),
            ("reports", "undated", self.undated),
            ("reports", "unreadable_messages", self.lost_messages),
        ]
        rows += [("month", key, self.months[key]) for key in self.month_keys()]
        rows += [("category", key, n) for key, n in sorted(self.categories.items())]
        rows += [("desk", key, n) for key, n in sorted(self.desks.items())]
        rows += [("office", key, n) for key, n in sorted(self.offices.items())]
        rows += [("status", key, self.statuses[key]) for key in statuses.STATUSES]
        for name, duty in (("acknowledge", self.acknowledge), ("feedback", self.feedback)):
            rows += [
                (name, "deadline", duty.rule.count),
                (name, "deadline_unit", duty.rule.unit),
                (name, "unit", duty.unit),
                (name, "done", len(duty.times)),
                (name, "median", duty.median),
                (name, "p90", duty.p90),
                *((name, outcome, duty.outcomes[outcome]) for outcome in OUTCOMES),
            ]
        rows += [
            ("overdue", "acknowledge", self.overdue["ack"]),
            ("overdue", "feedback", self.overdue["feedback"]),
            ("overdue", "total", self.overdue["ack"] + self.overdue["feedback"]),
        ]
        return rows

    def to_json(self) -> dict[str, Any]:
        """The ``wbs-stats/1`` document (docs/inspector.md, "Statistics")."""
        sections: dict[str, Any] = {"format": FORMAT}
        for section, key, value in self.measures():
            sections.setdefault(section, {})[key] = value
        for section in ("month", "category", "desk", "office", "status"):
            sections.setdefault(section, {})
        sections["labels"] = {section: self.labels(section) for section in _COUNTERS}
        return sections


def _done(case: thread.Thread, feedback: bool) -> datetime.date | None:
    """The day (Jakarta) the first verified acknowledgement or feedback was stored."""
    posts = case.changes if feedback else case.counted
    for post in posts:
        if feedback and post.message.status not in statuses.FEEDBACK:
            continue
        if not feedback and post.sender != "inspectorate":
            continue
        return jakarta_date(post.stored)
    return None


def _known(given: str, named: Mapping[str, str], names: Names) -> str:
    """``given``, or NONE if empty, or UNKNOWN if a config was read that does not list it
    (without a config, ids are all there is)."""
    if not given:
        return NONE
    return UNKNOWN if (names.configured or named) and given not in named else given


def _desks(cache: Cache, reader: Reader, report_id: str) -> list[str]:
    """The desks a report is sealed to (its stanzas' key ids through the keyring)."""
    ring = reader.ring
    if ring is None:
        return []
    envelope = parse_stored(report_id, cache.read(report_id)).envelope
    found = [entry.desk for r in envelope.recipients if (entry := ring.desk_of(r.kid))]
    return list(dict.fromkeys(found))


def _received(cache: Cache, report_id: str) -> datetime.date | None:
    try:
        return jakarta_date(parse_stored(report_id, cache.read(report_id)).received)
    except opening.UNREADABLE:
        return None


def count(
    cache: Cache,
    reader: Reader,
    rules: deadlines.Rules,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date,
    memo: dict[str, Report] | None = None,
    progress: Callable[[list[str]], Iterable[str]] = iter,
    names: Names | None = None,
) -> Stats:
    """Count the cached cases received from ``start`` to ``end`` (both included, Jakarta
    days), with deadlines as on ``today``. ``memo`` is the session's decrypted reports (the
    workbench's; reused and filled), ``names`` the config's names of what is counted."""
    memo = {} if memo is None else memo
    found = Stats(start, end, today, Duty(rules.acknowledge), Duty(rules.feedback))
    found.names = names or Names()
    for report_id in progress(cache.ids()):
        received = _received(cache, report_id)
        if received is None:
            found.undated += 1
            continue
        if not start <= received <= end:
            continue
        found.months[f"{received:%Y-%m}"] += 1  # known from the stored wrapper: every case
        try:
            report = cases.report(cache, reader, report_id, memo)
        except WbsError:
            found.unreadable += 1
            continue
        _add(found, cache, reader, report, received, rules)
    return found


def _add(found: Stats, cache: Cache, reader: Reader, report: Report, received: datetime.date,
         rules: deadlines.Rules) -> None:  # fmt: skip
    case = thread.read(cache, reader, report.id, report.reporter_signing_key)
    found.readable += 1
    found.lost_messages += len(case.unreadable)
    found.categories[_known(report.category_id, found.names.category, found.names)] += 1
    for desk in _desks(cache, reader, report.id) or [NONE]:
        found.desks[desk] += 1
    found.offices[_known(report.office, found.names.office, found.names)] += 1
    found.statuses[case.status] += 1
    found.acknowledge.add(received, _done(case, feedback=False), found.today, rules.holidays)
    found.feedback.add(received, _done(case, feedback=True), found.today, rules.holidays)
    due = deadlines.next_due(
        received,
        acknowledged=case.acknowledged,
        feedback_given=case.feedback_given,
        today=found.today,
        rules=rules,
    )
    if due is not None and due.overdue:
        found.overdue[due.duty] += 1


# The words of the table and the summary: Indonesian first, English after, as `wbs inbox`.
SECTIONS = {
    "reports": "Laporan / Reports",
    "month": "Per bulan / Per month",
    "category": "Per kategori / Per category",
    "desk": "Per tim / Per desk",
    "office": "Per kantor / Per office",
    "status": "Per status",
    "acknowledge": "Konfirmasi penerimaan / Acknowledgement",
    "feedback": "Tindak lanjut pertama / First feedback",
    "overdue": "Lewat tenggat saat ini / Overdue now",
}
KEYS = {
    "total": "jumlah / total",
    "readable": "terbaca dengan kunci ini / readable with this key",
    "unreadable": "tidak terbaca dengan kunci ini / not readable with this key",
    "undated": "tanggal terima tidak terbaca / date of receipt unreadable (any period)",
    "unreadable_messages": "pesan tidak terbaca / messages not readable",
    "deadline": "tenggat / deadline",
    "done": "sudah / done",
    "median": "median",
    "p90": "persentil ke-90 / 90th percentile",
    "met": "tepat waktu / met",
    "missed": "terlambat / missed",
    "overdue": "belum, lewat tenggat / not yet, overdue",
    "pending": "belum, masih dalam tenggat / not yet, within the deadline",
    "acknowledge": "konfirmasi penerimaan / acknowledgement",
    "feedback": "tindak lanjut / feedback",
    NONE: "(tidak ada / none)",
    UNKNOWN: "(tidak ada di konfigurasi / not in the config)",
    "others": "lainnya / others",
}
UNITS = {"working_days": "hari kerja / working days", "days": "hari / days",
         "months": "bulan / months"}  # fmt: skip


def rows(found: Stats, top: int | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
    """The sections of the table and the summary: (heading, [(label, value)]), in the words
    above, every number as text. With ``top``, a category, desk or office list longer than
    that keeps its ``top`` largest and sums the rest as "lainnya / others"."""
    labels: dict[str, Mapping[str, str]] = {s: found.labels(s) for s in _COUNTERS}
    labels["status"] = statuses.STATUSES
    units = {"acknowledge": found.acknowledge, "feedback": found.feedback}
    by: dict[str, list[tuple[str, str]]] = {}
    counted: dict[str, list[tuple[str, int]]] = {}
    for section, key, value in found.measures():
        if section == "period" or key in ("deadline_unit", "unit"):
            continue
        if section in _COUNTERS and isinstance(value, int):
            named = KEYS[key] if key in (NONE, UNKNOWN) else labels[section][key]
            counted.setdefault(section, []).append((named, value))
            by.setdefault(section, [])
            continue
        shown = key if section == "month" else labels.get(section, KEYS).get(key, key)
        text = "-" if value is None else str(value)
        if section in units and key == "deadline":
            text = f"{value} {UNITS[units[section].rule.unit]}"
        elif section in units and key in ("median", "p90") and value is not None:
            text = f"{_number(value)} {UNITS[units[section].unit]}"
        by.setdefault(section, []).append((shown, text))
    for section, items in counted.items():
        if top is not None and len(items) > top:
            items = sorted(items, key=lambda item: -item[1])
            items = [*items[:top], (KEYS["others"], sum(n for _, n in items[top:]))]
        by[section] = [(named, str(n)) for named, n in items]
    for section in _COUNTERS:  # a section with nothing counted still shows, empty
        by.setdefault(section, [])
    order = list(SECTIONS)
    return [(SECTIONS[section], by[section]) for section in sorted(by, key=order.index)]


def charts(found: Stats) -> list[tuple[str, list[tuple[str, str, int]]]]:
    """The bars of the workbench's page, by section (month, category, desk, office, status):
    each (key, the config's name or the key, count), every month and status shown, even at
    0; categories, desks and offices as counted (a list of 550 offices shows those with
    reports)."""
    months = [(key, key, found.months[key]) for key in found.month_keys()]
    counted = [
        (section, [(k, name, found.count(section, k)) for k, name in found.labels(section).items()])
        for section in ("category", "desk", "office")
    ]
    by_status = [(key, name, found.statuses[key]) for key, name in statuses.STATUSES.items()]
    return [("month", months), *counted, ("status", by_status)]


def number(value: int | float | str | None) -> str:
    """A median or percentile as shown: 4, 4.5; "-" for none."""
    return "-" if value is None else _number(value)


def _number(value: int | float | str) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def period_line(found: Stats) -> str:
    return (
        f"Diterima / received {found.start.isoformat()} s.d. / to {found.end.isoformat()}"
        f" (kalender / calendar {CALENDAR}); tenggat per / deadlines as of"
        f" {found.today.isoformat()}"
    )


def csv_text(found: Stats) -> str:
    """The CSV of ``wbs inbox stats --csv`` and of the workbench: one row per measure."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("section", "key", "value"))
    writer.writerows((s, k, "" if v is None else v) for s, k, v in found.measures())
    return out.getvalue()


SUMMARY_CSS = """
body{font:9pt/1.25 system-ui,sans-serif;margin:1cm;color:#000}
h1{font-size:13pt;margin:0 0 .2em}p{margin:0 0 .5em}
main{columns:2;column-gap:.8cm}
section{break-inside:avoid;margin:0 0 .5em}
h2{font-size:9pt;margin:0 0 .1em;border-bottom:1px solid #000}
table{border-collapse:collapse;width:100%}td{padding:0 3px;vertical-align:top}
td:last-child{text-align:right;white-space:nowrap}
@page{size:A4;margin:1cm}
@media print{body{margin:0}}
@media screen and (max-width:40rem){main{columns:1}td:last-child{white-space:normal}}
"""


SUMMARY_TOP = 8  # categories, desks or offices named on the one page; the rest summed


def summary_html(found: Stats) -> str:
    """The printable one-page summary: numbers and the config's names only, no case
    content; plain HTML with its style inline, no script, nothing fetched."""
    institution = found.names.institution
    sections = []
    for heading, items in rows(found, SUMMARY_TOP):
        cells = "".join(
            f"<tr><td>{escape(label)}</td><td>{escape(value)}</td></tr>" for label, value in items
        )
        sections.append(f"<section><h2>{escape(heading)}</h2><table>{cells}</table></section>")
    title = "Ringkasan statistik pengaduan / Whistleblowing statistics"
    return (
        "<!doctype html>\n"
        '<html lang="id"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';'
        " style-src 'unsafe-inline'\">"
        f"<title>{escape(title)}</title><style>{SUMMARY_CSS}</style></head><body>"
        f"<header><h1>{escape(title)}</h1>"
        + (f"<p>{escape(institution)}</p>" if institution else "")
        + f"<p>{escape(period_line(found))}</p></header>"
        f"<main>{''.join(sections)}</main></body></html>\n"
    )


def write_summary(path: Path, text: str) -> None:
    """Write the summary as a new file: an existing one is never replaced."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise StatsError(f"{path} exists: refusing to overwrite it",
                         hint="choose a new file name") from None  # fmt: skip
    except OSError as exc:
        raise StatsError(f"cannot write {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
