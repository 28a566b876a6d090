"""The tables of the institution's config file that the ``wbs`` command reads: the deadlines
inspectors track (``[deadlines]``), the limits on evidence uploads (``[uploads]``) and the
proof of work asked of each report and follow-up (``[proof_of_work]``).

The file is ``--config`` / ``WBS_CONFIG``, else the project's ``site/config.toml`` when it
exists; without a file or without a table, the built-in defaults apply
(``deadlines.DEFAULT_RULES``, ``functions.uploads.Limits``). Other tables of the file belong
to the site build and the deployment and are not read here. The tables::

    [deadlines]
    acknowledge = {count = 7, unit = "days"}      # days | working_days | months
    feedback = {count = 3, unit = "months"}
    holidays = ["2026-08-17", ...]                 # public holidays (hari libur nasional)
    due_soon_days = 2                              # calendar days

    [uploads]
    max_file_size = "5 GiB"    # one evidence file, before encryption: bytes, or N KiB|MiB|GiB
    max_files = 20             # per report, its follow-ups' files included
    max_case_size = "20 GiB"   # all of one report's files, encrypted
    part_size = "8 MiB"        # one upload request: 5 MiB to 5 GiB
    grant_minutes = 60         # how long the URL of a part lasts

    [proof_of_work]
    difficulty = 18            # leading zero bits, 1 to 28 (docs/spec/pow-v1.md)
"""

from __future__ import annotations

import datetime
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from functions.attachment_size import CHUNK_SIZES, stored_size
from functions.config import ConfigError, difficulty_from_env
from functions.errors import WbsError
from functions.proofs import DEFAULT_DIFFICULTY
from functions.proofs.challenge import MAX_SETTING
from functions.uploads import Limits
from wbs import paths
from wbs.deadlines import DEFAULT_RULES, UNITS, Period, Rules

DEFAULT_PATH = paths.PROJECT_ROOT / "site" / "config.toml"
FIELDS = frozenset({"acknowledge", "feedback", "holidays", "due_soon_days"})
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_COUNT = 3660  # ten years of days: anything larger is a typo
UPLOAD_FIELDS = frozenset(
    {"max_file_size", "max_files", "max_case_size", "part_size", "grant_minutes"}
)
SIZE_RE = re.compile(r"(\d{1,7})\s*(KiB|MiB|GiB)")
UNIT_BYTES = {"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
SIZE_HINT = 'a whole number of bytes, or text such as "500 MiB" or "5 GiB"'
UPLOADS_HINT = "see the [uploads] example in site/config.toml"
POW_HINT = "see the [proof_of_work] example in site/config.toml"
DEADLINES_HINT = "see the [deadlines] example in docs/inspector.md"


class ConfigFileError(WbsError, ValueError):
    """The config file cannot be read, or its [deadlines] table is not valid."""


def read_toml(path: Path, hint: str = DEADLINES_HINT) -> dict[str, Any]:
    """The tables of the config file ``path``: the one reader of the file for the build,
    ``wbs`` and the deployment, so a file is valid TOML for all of them or for none."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigFileError(
            f"no config file at {path}", hint="--config PATH (or WBS_CONFIG), or leave both unset"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _error(path, f"is not valid TOML ({exc})", hint) from None


def _read(path: Path | None) -> tuple[Path | None, dict[str, Any]]:
    """The file and its tables; ``(None, {})`` when None and the project has no file."""
    if path is None:
        if not DEFAULT_PATH.is_file():
            return None, {}
        path = DEFAULT_PATH
    return path, read_toml(path)


def upload_limits(path: Path | None, environ: Mapping[str, str] | None = None) -> Limits:
    """The ``[uploads]`` table of ``path`` (the project's site/config.toml when None), with
    any WBS_UPLOAD_* variable of ``environ`` (the process's when None) on top."""
    path, data = _read(path)
    table = data.get("uploads", {})
    if not isinstance(table, dict):
        raise _error(path, "uploads must be a table: [uploads]", UPLOADS_HINT)
    unknown = sorted(set(table) - UPLOAD_FIELDS)
    if unknown:
        raise _error(path, f"uploads has an unknown field {unknown[0]!r}", UPLOADS_HINT)
    values: dict[str, int] = {}
    if "max_file_size" in table:
        size = _size(table["max_file_size"], path, "max_file_size")
        # The object of a file of that size, in whichever chunks take the most room
        values["max_object_bytes"] = max(stored_size(size, chunk) for chunk in CHUNK_SIZES)
    if "max_case_size" in table:
        values["max_case_bytes"] = _size(table["max_case_size"], path, "max_case_size")
    if "part_size" in table:
        values["part_bytes"] = _size(table["part_size"], path, "part_size")
    if "max_files" in table:
        values["max_files"] = _whole(table["max_files"], path, "uploads.max_files", 1, 10_000)
    if "grant_minutes" in table:
        minutes = _whole(table["grant_minutes"], path, "uploads.grant_minutes", 1, 10_080)
        values["grant_seconds"] = minutes * 60
    try:
        limits = Limits(**values)
    except ValueError as exc:
        raise _error(path, f"uploads: {exc}", UPLOADS_HINT) from None
    try:
        return Limits.from_env(os.environ if environ is None else environ, base=limits)
    except ValueError as exc:
        raise ConfigFileError(str(exc), hint="see docs/architecture.md") from None


def proof_difficulty(path: Path | None, environ: Mapping[str, str] | None = None) -> int:
    """The ``[proof_of_work]`` table's difficulty (1 to 28 bits; DEFAULT_DIFFICULTY without
    one), or WBS_POW_DIFFICULTY of ``environ`` (the process's when None) when it is set:
    only the variable can say 0, which turns the check off."""
    path, data = _read(path)
    table = data.get("proof_of_work", {})
    if not isinstance(table, dict):
        raise _error(path, "proof_of_work must be a table: [proof_of_work]", POW_HINT)
    unknown = sorted(set(table) - {"difficulty"})
    if unknown:
        raise _error(path, f"proof_of_work has an unknown field {unknown[0]!r}", POW_HINT)
    value = table.get("difficulty", DEFAULT_DIFFICULTY)
    difficulty = _whole(value, path, "proof_of_work.difficulty", 1, MAX_SETTING, POW_HINT)
    try:
        return difficulty_from_env(os.environ if environ is None else environ, difficulty)
    except ConfigError as exc:
        raise ConfigFileError(str(exc), hint=exc.hint) from None


def _size(value: object, path: Path | None, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = SIZE_RE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or int(match[1]) == 0:
        raise _error(path, f"uploads.{name} must be {SIZE_HINT}", UPLOADS_HINT)
    return int(match[1]) * UNIT_BYTES[match[2]]


def load(path: Path | None) -> Rules:
    """The deadline rules of ``path``; of the project's site/config.toml when None."""
    path, data = _read(path)
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
        _whole(
            table.get("due_soon_days", DEFAULT_RULES.due_soon_days),
            path,
            "deadlines.due_soon_days",
            0,
            MAX_COUNT,
        ),
    )


def _period(table: dict[str, Any], name: str, default: Period, path: Path | None) -> Period:
    value = table.get(name)
    if value is None:
        return default
    where = f"deadlines.{name}"
    if not isinstance(value, dict) or set(value) != {"count", "unit"}:
        raise _error(path, f'{where} must be {{count = N, unit = "days"}}')
    unit = value["unit"]
    if unit not in UNITS:
        raise _error(path, f"{where}.unit must be one of {', '.join(UNITS)}")
    return Period(_whole(value["count"], path, f"{where}.count", 1, MAX_COUNT), unit)


def _whole(
    value: object,
    path: Path | None,
    where: str,
    least: int,
    most: int,
    hint: str = DEADLINES_HINT,
) -> int:
    # bool is an int in Python; `count = true` is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
        raise _error(path, f"{where} must be a whole number from {least} to {most}", hint)
    return value


def _holidays(value: object, path: Path | None) -> frozenset[datetime.date]:
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


def _error(path: Path | None, problem: str, hint: str = DEADLINES_HINT) -> ConfigFileError:
    return ConfigFileError(f"{path}: {problem}", hint=hint)
