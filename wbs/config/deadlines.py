"""``[deadlines]``: the deadlines inspectors track (wbs/deadlines.py)::

    [deadlines]
    acknowledge = {count = 5, unit = "working_days"}   # working_days | days | months
    feedback = {count = 30, unit = "working_days"}
    holidays = ["2026-08-17", ...]    # hari libur nasional and cuti bersama (the year's SKB)
    due_soon_days = 2                 # calendar days

Without the table, or without a field, ``DEFAULT_RULES`` applies: the Indonesian defaults
above, with no holiday (weekends alone are skipped).
"""

from __future__ import annotations

from wbs.config.fields import Table
from wbs.deadlines import DEFAULT_RULES, UNITS, Period, Rules

FIELDS = frozenset({"acknowledge", "feedback", "holidays", "due_soon_days"})
MAX_COUNT = 3660  # ten years of days: anything larger is a typo
HINT = "see the [deadlines] example in docs/inspector.md"


def parse(top: Table) -> Rules:
    table = top.table("deadlines", FIELDS, HINT)
    if table is None:
        return DEFAULT_RULES
    return Rules(
        _period(table, "acknowledge", DEFAULT_RULES.acknowledge),
        _period(table, "feedback", DEFAULT_RULES.feedback),
        table.dates("holidays"),
        table.whole("due_soon_days", 0, MAX_COUNT, DEFAULT_RULES.due_soon_days),
    )


def _period(table: Table, name: str, default: Period) -> Period:
    value = table.values.get(name)
    if value is None:
        return default
    if not isinstance(value, dict) or set(value) != {"count", "unit"}:
        raise table.error(name, 'must be {count = N, unit = "days"}')
    period = table.inner(name, value)
    unit = period.one_of("unit", UNITS)
    return Period(period.whole("count", 1, MAX_COUNT), unit)
