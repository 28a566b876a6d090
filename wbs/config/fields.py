"""A table of the config file and the small checkers every table shares: each reads one
field and, when the value is not valid, raises a ConfigFileError naming it."""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from wbs.config.errors import ConfigFileError

SIZE_RE = re.compile(r"(\d{1,7})\s*(KiB|MiB|GiB)")
UNIT_BYTES = {"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
SIZE_TEXT = 'a whole number of bytes, or text such as "500 MiB" or "5 GiB"'
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_SLUG = 60
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Printable: no control character; the length is checked apart.
PRINTABLE_RE = re.compile(r"[^\x00-\x1f\x7f]+")

T = TypeVar("T")


@dataclass(frozen=True)
class Table:
    """The values of one table (``where`` is its dotted name; "" for the top level) in the
    file ``path``, and the hint its errors carry."""

    path: Path | None
    where: str
    values: Mapping[str, Any]
    hint: str

    def field(self, name: str) -> str:
        """The dotted name of field ``name`` ("" for this table itself)."""
        return ".".join(part for part in (self.where, name) if part)

    def error(self, name: str, problem: str) -> ConfigFileError:
        """``<file>: <dotted field> <problem>``; a problem starting with ":" follows the
        field without a space."""
        field = self.field(name)
        joint = "" if problem.startswith(":") else " "
        return ConfigFileError(f"{self.path}: {field}{joint}{problem}", hint=self.hint, field=field)

    def only(self, allowed: Collection[str]) -> None:
        unknown = sorted(set(self.values) - set(allowed))
        if unknown:
            where = self.where or "top level"
            raise ConfigFileError(
                f"{self.path}: {where} has an unknown field {unknown[0]!r}",
                hint=self.hint,
                field=self.field(unknown[0]),
            )

    def table(self, name: str, fields: Collection[str], hint: str | None = None) -> Table | None:
        """The table ``[name]``, with only ``fields`` in it; None when the file has none."""
        return self.required(name, fields, hint) if name in self.values else None

    def required(self, name: str, fields: Collection[str], hint: str | None = None) -> Table:
        """The table ``[name]``, with only ``fields`` in it, which must be there."""
        value = self.values.get(name)
        values = value if isinstance(value, dict) else {}
        table = Table(self.path, self.field(name), values, hint or self.hint)
        if value is None:
            raise table.error("", f"is missing: the file has no [{table.where}] table")
        if not isinstance(value, dict):
            raise table.error("", f"must be a table: [{table.where}]")
        table.only(fields)
        return table

    def inner(self, name: str, values: Mapping[str, Any]) -> Table:
        """``values``, checked by the caller to be a table, as the table ``name``."""
        return Table(self.path, self.field(name), values, self.hint)

    # -- the field checkers -----------------------------------------------------------------

    def whole(self, name: str, least: int, most: int, default: int | None = None) -> int:
        value = self.values.get(name, default)
        # bool is an int in Python; `count = true` is a mistake, not 1.
        if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
            raise self.error(name, f"must be a whole number from {least} to {most}")
        return value

    def size(self, name: str) -> int:
        """Bytes: a whole number, or text such as "500 MiB"."""
        value = self.values.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        match = SIZE_RE.fullmatch(value.strip()) if isinstance(value, str) else None
        if match is None or int(match[1]) == 0:
            raise self.error(name, f"must be {SIZE_TEXT}")
        return int(match[1]) * UNIT_BYTES[match[2]]

    def matching(
        self,
        name: str,
        pattern: re.Pattern[str],
        what: str,
        *,
        optional: bool = True,
        default: str = "",
    ) -> str:
        """A string of the form ``pattern``: "" means "none" for an optional field and is
        refused otherwise."""
        value = self.values.get(name, default)
        if not isinstance(value, str) or not (
            pattern.fullmatch(value) or (optional and value == "")
        ):
            raise self.error(name, f"must be {what}")
        return value

    def text(self, name: str, most: int = 120) -> str:
        """Printable text of 1 to ``most`` characters, stripped."""
        value = self.values.get(name)
        text = value.strip() if isinstance(value, str) else ""
        if not (PRINTABLE_RE.fullmatch(text) and len(text) <= most):
            raise self.error(name, f"must be text of 1 to {most} printable characters")
        return text

    def slug(self, name: str) -> str:
        value = self.values.get(name)
        if not isinstance(value, str) or not SLUG_RE.fullmatch(value) or len(value) > MAX_SLUG:
            raise self.error(name, "must be a slug: lower-case letters, digits and hyphens")
        return value

    def translated(
        self, name: str, languages: tuple[str, ...], known: Collection[str], most: int = 120
    ) -> dict[str, str]:
        """``name = {id = "...", en = "..."}``: a text per language of ``languages``; the
        table may hold only ``known`` languages."""
        value = self.values.get(name)
        if not isinstance(value, dict):
            raise self.error(name, f"must give {self.field(name)}.{languages[0]} and so on")
        table = self.inner(name, value)
        table.only(known)
        return {lang: table.text(lang, most) for lang in languages}

    def one_of(self, name: str, choices: tuple[T, ...]) -> T:
        value = self.values.get(name)
        for choice in choices:
            if value == choice:
                return choice
        raise self.error(name, f"must be one of {', '.join(map(str, choices))}")

    def dates(self, name: str) -> frozenset[datetime.date]:
        """A list of days: TOML dates, or text YYYY-MM-DD."""
        value = self.values.get(name, [])
        if not isinstance(value, list):
            raise self.error(name, 'must be a list of dates: ["2026-08-17", ...]')
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
                raise self.error(name, f": {item!r} is not a date YYYY-MM-DD") from None
        return frozenset(days)
