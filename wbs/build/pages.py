"""The site's pages and the data each takes from the config and the keyring, whatever the
templates make of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from babel.numbers import format_decimal

from functions.uploads import Limits

PAGE = "index.html"


@dataclass(frozen=True)
class Page:
    name: str  # "report" or "status": the header's links mark the current one
    template: str
    path: str  # inside a language's folder
    entry: str  # the page's module


PAGES = (
    Page("report", "index.html", PAGE, "assets/js/app.mjs"),
    Page("status", "status.html", f"status/{PAGE}", "assets/js/status.mjs"),
)


def page_path(lang: str, path: str = PAGE, default: str = "id") -> str:
    return path if lang == default else f"{lang}/{path}"


def page_href(lang: str, path: str = PAGE, default: str = "id") -> str:
    return "/" + page_path(lang, path, default).removesuffix(PAGE)


def upload_limits(limits: Limits, lang: str) -> dict[str, Any]:
    """What the evidence field checks (in bytes) and says (in the page's language)."""
    return {
        "max_file_bytes": limits.max_file_bytes,
        "max_files": limits.max_files,
        "max_case_bytes": limits.max_case_bytes,
        "max_file": human_size(limits.max_file_bytes, lang),
        "max_case": human_size(limits.max_case_bytes, lang),
    }


def human_size(size: int, lang: str) -> str:
    """``5 GB``, ``1,5 GB`` in Indonesian: binary units under their everyday names."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{format_decimal(round(size / scale, 1), locale=lang)} {unit}"
    return f"{size} B"
