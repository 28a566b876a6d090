"""The deadlines the institution sets: the ``[deadlines]`` table of its config file.

The file is ``--config`` / ``WBS_CONFIG``, else the project's ``site/config.toml`` when it
exists; without a file or without the table, the built-in defaults apply
(``deadlines.DEFAULT_RULES``). Other tables of the file belong to the site build and are not
read here. The table::

    [deadlines]
    acknowledge = {count = 7, unit = "days"}      # days | working_days | months
    feedback = {count = 3, unit = "months"}
    holidays = ["2026-08-17", ...]                 # public holidays (hari libur nasional)
    due_soon_days = 2                              # calendar days
"""

from __future__ import annotations

import datetime
import re
import tomllib
from pathlib import Path
from typing import Any

from functions.errors import WbsError
from wbs import paths
from wbs.deadlines import DEFAULT_RULES, UNITS, Period, Rules

DEFAULT_PATH = paths.PROJECT_ROOT / "site" / "config.toml"
FIELDS = frozenset({"acknowledge", "feedback", "holidays", "due_soon_days"})
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_COUNT = 3660  # ten years of days: anything larger is a typo


class ConfigFileError(WbsError, ValueError):
    """The config file cannot be read, or its [deadlines] table is not valid."""


def load(path: Path | None) -> Rules:
    """The deadline rules of ``path``; of the project's site/config.toml when None."""
    if path is None:
        if not DEFAULT_PATH.is_file():
            return DEFAULT_RULES
        path = DEFAULT_PATH
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigFileError(
            f"no config file at {path}", hint="--config PATH (or WBS_CONFIG), or leave both unset"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _error(path, f"is not valid TOML ({exc})") from None
    table = data.get("deadlines")
    if table is None:
        return DEFAULT_RULES
    if not isinstance(table, dict):
        raise _error(path, "deadlines must be a table: [deadlines]")
    unknown = sorted(set(table) - FIELDS)
    if unknown:
        raise _error(path, f"deadlines has an unknown field {unknown[0]!r}")
    return Rules(
        _period(table, "acknowledge", DEFAULT_RULES.acknowledge, path),
        _period(table, "feedback", DEFAULT_RULES.feedback, path),
        _holidays(table.get("holidays", []), path),
        _count(table.get("due_soon_days", DEFAULT_RULES.due_soon_days), path, "due_soon_days", 0),
    )


def _period(table: dict[str, Any], name: str, default: Period, path: Path) -> Period:
    value = table.get(name)
    if value is None:
        return default
    where = f"deadlines.{name}"
    if not isinstance(value, dict) or set(value) != {"count", "unit"}:
        raise _error(path, f'{where} must be {{count = N, unit = "days"}}')
    unit = value["unit"]
    if unit not in UNITS:
        raise _error(path, f"{where}.unit must be one of {', '.join(UNITS)}")
    return Period(_count(value["count"], path, f"{where}.count", 1), unit)


def _count(value: object, path: Path, where: str, least: int) -> int:
    # bool is an int in Python; `count = true` is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= MAX_COUNT:
        raise _error(path, f"{where} must be a whole number from {least} to {MAX_COUNT}")
    return value


def _holidays(value: object, path: Path) -> frozenset[datetime.date]:
    if not isinstance(value, list):
        raise _error(path, 'deadlines.holidays must be a list of dates: ["2026-08-17", ...]')
    days: set[datetime.date] = set()
    for item in value:
        if isinstance(item, datetime.date) and not isinstance(item, datetime.datetime):
            days.add(item)
            continue
        try:
            if not isinstance(item, str) or not DATE_RE.fullmatch(item):
                raise ValueError(item)
            days.add(datetime.date.fromisoformat(item))
        except ValueError:
            raise _error(path, f"deadlines.holidays: {item!r} is not a date YYYY-MM-DD") from None
    return frozenset(days)


def _error(path: Path, problem: str) -> ConfigFileError:
    return ConfigFileError(
        f"{path}: {problem}", hint="see the [deadlines] example in docs/inspector.md"
    )
