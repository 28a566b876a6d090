"""Deadlines of a case: pure date arithmetic, no clock and no files.

A period is counted from the day a report was received (day 0):

- ``days``: calendar days; the deadline may fall on a weekend or a holiday.
- ``working_days`` (hari kerja): the N-th day after receipt that is neither a Saturday, a
  Sunday nor one of the configured holidays.
- ``months``: the same day N months later, or the last day of that month if it is shorter
  (30 November + 3 months = 28 or 29 February).

Something is due *on* its deadline day: it is overdue from the day after.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal, NamedTuple

Unit = Literal["days", "working_days", "months"]
UNITS: tuple[Unit, ...] = ("days", "working_days", "months")
Duty = Literal["ack", "feedback"]
SATURDAY = 5


@dataclass(frozen=True)
class Period:
    count: int
    unit: Unit


class Rules(NamedTuple):
    acknowledge: Period
    feedback: Period
    holidays: frozenset[datetime.date]
    due_soon_days: int  # calendar days before a deadline from which it counts as due soon


# The recommended defaults for an Indonesian inspectorate (docs/inspector.md, "Deadlines"):
# acknowledge (verification done and the reporter told) within 5 working days, as BPKH's WBS
# rule forwards a report and near SP4N-LAPOR!'s 3 + 5; first substantive feedback within 30
# working days, as BPKP answers in writing. Without a holiday list, only weekends are skipped:
# site/config.toml lists the year's holidays and cuti bersama.
DEFAULT_RULES = Rules(Period(5, "working_days"), Period(30, "working_days"), frozenset(), 2)


class Due(NamedTuple):
    """The next thing owed to the reporter, and when."""

    duty: Duty
    on: datetime.date
    days_left: int  # calendar days from today; negative once overdue

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


def is_working_day(day: datetime.date, holidays: Collection[datetime.date]) -> bool:
    return day.weekday() < SATURDAY and day not in holidays


def add_days(start: datetime.date, count: int) -> datetime.date:
    return start + datetime.timedelta(days=count)


def add_working_days(
    start: datetime.date, count: int, holidays: Collection[datetime.date]
) -> datetime.date:
    """The ``count``-th working day after ``start`` (``start`` itself is day 0)."""
    day = start
    left = count
    while left > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day, holidays):
            left -= 1
    return day


def add_months(start: datetime.date, count: int) -> datetime.date:
    """The same day ``count`` months later, clamped to the end of a shorter month."""
    months = start.year * 12 + (start.month - 1) + count
    year, month = divmod(months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(start.day, last))


def deadline(
    start: datetime.date, period: Period, holidays: Collection[datetime.date]
) -> datetime.date:
    if period.unit == "days":
        return add_days(start, period.count)
    if period.unit == "working_days":
        return add_working_days(start, period.count, holidays)
    return add_months(start, period.count)


def next_due(
    received: datetime.date,
    *,
    acknowledged: bool,
    feedback_given: bool,
    today: datetime.date,
    rules: Rules,
) -> Due | None:
    """What is owed next: the acknowledgement, then the feedback; None once both are given."""
    if not acknowledged:
        duty: Duty = "ack"
        period = rules.acknowledge
    elif not feedback_given:
        duty, period = "feedback", rules.feedback
    else:
        return None
    on = deadline(received, period, rules.holidays)
    return Due(duty, on, (on - today).days)


def is_due_soon(due: Due, rules: Rules) -> bool:
    return 0 <= due.days_left <= rules.due_soon_days
