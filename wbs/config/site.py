"""The tables of the reporting page: ``languages``, ``[institution]`` and ``[[categories]]``
(the project's site/config.toml explains each field). Who receives a report, ``desks`` of a
category included, is wbs.config.desks's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from wbs.config.fields import Table

# The languages the site has catalogues for; the first is the default, served at /.
LANGUAGES = {"id": "Bahasa Indonesia", "en": "English"}
INSTITUTION_FIELDS = frozenset({"name", "contact", "logo"})
MAX_CONTACT = 300
MAX_LOGO_BYTES = 100 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Category:
    id: str
    labels: Mapping[str, str]  # by language


@dataclass(frozen=True)
class Logo:
    name: str  # in the site: assets/img/logo.svg or .png
    data: bytes


@dataclass(frozen=True)
class Site:
    institution: str
    categories: tuple[Category, ...]
    languages: tuple[str, ...] = tuple(LANGUAGES)  # the first is served at /
    contact: Mapping[str, str] | None = None  # by language
    logo: Logo | None = None


def parse(top: Table) -> Site:
    languages = _languages(top)
    institution = top.required("institution", INSTITUTION_FIELDS)
    name = institution.text("name")
    contact = None
    if "contact" in institution.values:
        contact = institution.translated("contact", languages, LANGUAGES, MAX_CONTACT)
    logo = _logo(institution)
    return Site(name, _categories(top, languages), languages, contact, logo)


def _languages(top: Table) -> tuple[str, ...]:
    value = top.values.get("languages", list(LANGUAGES))
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(code, str) and code in LANGUAGES for code in value)
        or len(set(value)) != len(value)
    ):
        known = ", ".join(repr(code) for code in LANGUAGES)
        raise top.error("languages", f"must list some of {known}, the default first")
    return tuple(value)


def _categories(top: Table, languages: tuple[str, ...]) -> tuple[Category, ...]:
    entries = top.values.get("categories")
    if not isinstance(entries, list) or not entries:
        raise top.error("categories", "must have at least one [[categories]] entry")
    categories: list[Category] = []
    for n, entry in enumerate(entries, 1):
        where = f"categories[{n}]"
        if not isinstance(entry, dict):
            raise top.error(where, "must be a table")
        table = top.inner(where, entry)
        table.only({"id", "label", "desks"})  # desks: wbs.config.desks checks them
        category = Category(table.slug("id"), table.translated("label", languages, LANGUAGES))
        if any(c.id == category.id for c in categories):
            raise table.error("id", f"{category.id!r} appears twice")
        categories.append(category)
    return tuple(categories)


def _logo(institution: Table) -> Logo | None:
    """An SVG or PNG file beside the config (shown with <img>, so an SVG runs no script)."""
    value = institution.values.get("logo", "")
    if value == "":
        return None
    if not isinstance(value, str) or institution.path is None:
        raise institution.error("logo", "must be the name of an SVG or PNG file")
    file = Path(institution.path).parent / value
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise institution.error("logo", f": cannot read {file} ({exc.strerror})") from None
    if len(data) > MAX_LOGO_BYTES:
        raise institution.error("logo", f"is over {MAX_LOGO_BYTES // 1024} KB")
    if data.startswith(PNG_MAGIC):
        return Logo("assets/img/logo.png", data)
    if file.suffix == ".svg" and b"<svg" in data[:1024]:
        return Logo("assets/img/logo.svg", data)
    raise institution.error("logo", "must be an SVG or PNG file")
