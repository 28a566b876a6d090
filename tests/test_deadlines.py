"""Deadline arithmetic (wbs/deadlines.py) and the [deadlines] table of the config file."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from wbs import config
from wbs.deadlines import (
    DEFAULT_RULES,
    Due,
    Period,
    Rules,
    add_months,
    add_working_days,
    deadline,
    is_due_soon,
    is_working_day,
    next_due,
)

D = datetime.date
# Indonesian public holidays of 2026 used below: 1 Jan, 3 Apr (Good Friday), 1 May, 14 May
# (Ascension), 1 Jun (Pancasila), 17 Aug, 25 Dec.
HOLIDAYS = frozenset(
    D(2026, m, d) for m, d in [(1, 1), (4, 3), (5, 1), (5, 14), (6, 1), (8, 17), (12, 25)]
)


# -- working days -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 11, 27), True),  # Friday
        (D(2026, 11, 28), False),  # Saturday
        (D(2026, 11, 29), False),  # Sunday
        (D(2026, 11, 30), True),  # Monday
        (D(2026, 8, 17), False),  # Monday, Independence Day
        (D(2026, 12, 25), False),  # Friday, Christmas
    ],
)
def test_working_days_are_weekdays_that_are_not_holidays(day: D, working: bool) -> None:
    assert is_working_day(day, HOLIDAYS) is working


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (D(2026, 11, 23), 0, D(2026, 11, 23)),  # nothing to count
        (D(2026, 11, 23), 1, D(2026, 11, 24)),  # Monday + 1: Tuesday
        (D(2026, 11, 23), 4, D(2026, 11, 27)),  # Monday + 4: Friday
        (D(2026, 11, 27), 1, D(2026, 11, 30)),  # Friday + 1: over the weekend to Monday
        (D(2026, 11, 27), 3, D(2026, 12, 2)),  # Friday + 3: Wednesday
        (D(2026, 11, 28), 1, D(2026, 11, 30)),  # received on Saturday: Monday is the first
        (D(2026, 11, 29), 5, D(2026, 12, 4)),  # received on Sunday: a full week
        (D(2026, 11, 23), 10, D(2026, 12, 7)),  # two weeks
        (D(2026, 8, 14), 1, D(2026, 8, 18)),  # Friday before a Monday holiday: Tuesday
        (D(2026, 8, 17), 1, D(2026, 8, 18)),  # received on a holiday: the next working day
        (D(2026, 12, 24), 1, D(2026, 12, 28)),  # Thursday before Christmas: Monday
        (D(2026, 12, 31), 1, D(2027, 1, 1)),  # 2027's new year is not in HOLIDAYS
        (D(2025, 12, 31), 1, D(2026, 1, 2)),  # 2026's new year is: over it to Friday
        (D(2026, 3, 30), 5, D(2026, 4, 7)),  # Good Friday within the span
        (D(2026, 4, 30), 11, D(2026, 5, 19)),  # 1 May and Ascension within the span
    ],
)
def test_add_working_days(start: D, count: int, expected: D) -> None:
    assert add_working_days(start, count, HOLIDAYS) == expected


def test_working_days_without_holidays_skip_only_weekends() -> None:
    assert add_working_days(D(2026, 8, 14), 1, frozenset()) == D(2026, 8, 17)


def test_a_working_day_deadline_never_falls_on_a_day_off() -> None:
    start = D(2026, 1, 1)
    for offset in range(366):
        for count in (1, 3, 5, 30):
            day = add_working_days(start + datetime.timedelta(days=offset), count, HOLIDAYS)
            assert is_working_day(day, HOLIDAYS)


def test_working_days_count_exactly_the_working_days_in_between() -> None:
    start = D(2026, 1, 1)
    for offset in range(0, 366, 7):
        begin = start + datetime.timedelta(days=offset)
        end = add_working_days(begin, 20, HOLIDAYS)
        span = ((begin + datetime.timedelta(days=n)) for n in range(1, (end - begin).days + 1))
        assert sum(is_working_day(d, HOLIDAYS) for d in span) == 20


# -- months -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (D(2026, 1, 15), 3, D(2026, 4, 15)),  # same day
        (D(2026, 11, 30), 3, D(2027, 2, 28)),  # no 30 February: the month's last day
        (D(2027, 11, 30), 3, D(2028, 2, 29)),  # 2028 is a leap year
        (D(2026, 8, 31), 1, D(2026, 9, 30)),  # 31 -> 30
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),
        (D(2028, 2, 29), 12, D(2029, 2, 28)),  # a leap day, one year on
        (D(2028, 2, 29), 48, D(2032, 2, 29)),  # and four years on
        (D(2026, 10, 15), 3, D(2027, 1, 15)),  # over the year's end
        (D(2026, 12, 31), 2, D(2027, 2, 28)),
        (D(2026, 12, 31), 12, D(2027, 12, 31)),
        (D(2026, 5, 31), 0, D(2026, 5, 31)),
        (D(2026, 3, 31), 25, D(2028, 4, 30)),  # more than two years
    ],
)
def test_add_months_keeps_the_day_or_ends_the_month(start: D, count: int, expected: D) -> None:
    assert add_months(start, count) == expected


def test_calendar_deadlines_ignore_weekends_and_holidays() -> None:
    # 7 days after Monday 10 August 2026 is Monday 17 August, a holiday: still due then
    assert deadline(D(2026, 8, 10), Period(7, "days"), HOLIDAYS) == D(2026, 8, 17)
    assert deadline(D(2026, 11, 30), Period(3, "months"), HOLIDAYS) == D(2027, 2, 28)
    assert deadline(D(2026, 8, 14), Period(1, "working_days"), HOLIDAYS) == D(2026, 8, 18)


# -- what is due ------------------------------------------------------------------------------


RECEIVED = D(2026, 11, 27)


@pytest.mark.parametrize(
    ("today", "days_left", "soon", "overdue"),
    [
        (D(2026, 11, 27), 7, False, False),
        (D(2026, 12, 1), 3, False, False),
        (D(2026, 12, 2), 2, True, False),  # due_soon_days = 2
        (D(2026, 12, 4), 0, True, False),  # due today: not yet overdue
        (D(2026, 12, 5), -1, False, True),
        (D(2027, 1, 4), -31, False, True),
    ],
)
def test_acknowledgement_is_due_first(today: D, days_left: int, soon: bool, overdue: bool) -> None:
    due = next_due(
        RECEIVED, acknowledged=False, feedback_given=False, today=today, rules=DEFAULT_RULES
    )
    assert due == Due("ack", D(2026, 12, 4), days_left)
    assert is_due_soon(due, DEFAULT_RULES) is soon
    assert due.overdue is overdue


def test_feedback_is_due_once_acknowledged_and_nothing_after() -> None:
    today = D(2027, 3, 1)
    feedback = next_due(
        RECEIVED, acknowledged=True, feedback_given=False, today=today, rules=DEFAULT_RULES
    )
    # 30 working days after Friday 27 November 2026, weekends skipped: Friday 8 January 2027
    assert feedback == Due("feedback", D(2027, 1, 8), -52)
    done = next_due(
        RECEIVED, acknowledged=True, feedback_given=True, today=today, rules=DEFAULT_RULES
    )
    assert done is None


def test_due_soon_days_zero_marks_only_the_day_itself() -> None:
    rules = Rules(Period(3, "working_days"), Period(30, "working_days"), HOLIDAYS, 0)
    on_the_day = next_due(
        RECEIVED, acknowledged=False, feedback_given=False, today=D(2026, 12, 2), rules=rules
    )
    day_before = next_due(
        RECEIVED, acknowledged=False, feedback_given=False, today=D(2026, 12, 1), rules=rules
    )
    assert on_the_day == Due("ack", D(2026, 12, 2), 0) and is_due_soon(on_the_day, rules)
    assert day_before is not None and not is_due_soon(day_before, rules)


# -- the config file --------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_and_no_table_mean_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(config, "DEFAULT_PATH", tmp_path / "missing.toml")
    assert config.load(None) == DEFAULT_RULES
    assert config.load(write(tmp_path, '[institution]\nname = "X"\n')) == DEFAULT_RULES
    # The Indonesian defaults of the domain brief: 5 and 30 working days (hari kerja)
    assert DEFAULT_RULES.acknowledge == Period(5, "working_days")
    assert DEFAULT_RULES.feedback == Period(30, "working_days")


def test_the_projects_site_config_is_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "[deadlines]\ndue_soon_days = 5\n")
    monkeypatch.setattr(config, "DEFAULT_PATH", path)
    assert config.load(None).due_soon_days == 5


def test_a_full_table(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[deadlines]\n"
        'acknowledge = {count = 3, unit = "working_days"}\n'
        'feedback = {count = 30, unit = "days"}\n'
        'holidays = ["2026-08-17", 2026-12-25]\n'
        "due_soon_days = 1\n",
    )
    assert config.load(path) == Rules(
        Period(3, "working_days"),
        Period(30, "days"),
        frozenset({D(2026, 8, 17), D(2026, 12, 25)}),
        1,
    )


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ("[deadlines]\nack = 3\n", "deadlines has an unknown field 'ack'"),
        (
            "[deadlines]\nacknowledge = 7\n",
            'deadlines.acknowledge must be {count = N, unit = "days"}',
        ),
        (
            '[deadlines]\nacknowledge = {count = 7, unit = "weeks"}\n',
            "deadlines.acknowledge.unit must be one of days, working_days, months",
        ),
        (
            '[deadlines]\nfeedback = {count = 0, unit = "months"}\n',
            "deadlines.feedback.count must be a whole number from 1 to 3660",
        ),
        (
            '[deadlines]\nfeedback = {count = true, unit = "months"}\n',
            "deadlines.feedback.count must be a whole number",
        ),
        (
            '[deadlines]\nfeedback = {count = 3, unit = "months", extra = 1}\n',
            "deadlines.feedback must be",
        ),
        ('[deadlines]\nholidays = "2026-08-17"\n', "deadlines.holidays must be a list of dates"),
        ('[deadlines]\nholidays = ["17-08-2026"]\n', "'17-08-2026' is not a date YYYY-MM-DD"),
        ('[deadlines]\nholidays = ["2026-02-30"]\n', "'2026-02-30' is not a date YYYY-MM-DD"),
        ("[deadlines]\nholidays = [2026-08-17T10:00:00]\n", "is not a date YYYY-MM-DD"),
        ("[deadlines]\ndue_soon_days = -1\n", "due_soon_days must be a whole number from 0"),
        ("deadlines = 3\n", "deadlines must be a table"),
        ("[deadlines\n", "is not valid TOML"),
    ],
)
def test_a_bad_table_is_named(tmp_path: Path, table: str, problem: str) -> None:
    path = write(tmp_path, table)
    with pytest.raises(config.ConfigFileError) as caught:
        config.load(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert problem in str(caught.value)


def test_a_named_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigFileError, match="no config file at"):
        config.load(tmp_path / "nope.toml")


def test_the_example_in_the_docs_is_valid(tmp_path: Path) -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "inspector.md").read_text("utf-8")
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    rules = config.load(write(tmp_path, example))
    assert rules.acknowledge == Period(5, "working_days")
    assert rules.feedback == Period(30, "working_days")
    # The 2026 holidays of the example are the shipped file's
    shipped = config.load(config.DEFAULT_PATH).holidays
    assert rules.holidays == {day for day in shipped if day.year == 2026}
    assert D(2026, 8, 17) in rules.holidays and D(2026, 3, 20) in rules.holidays
