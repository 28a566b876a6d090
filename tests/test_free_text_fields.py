"""Every field a person types into keeps its text on this device: ``spellcheck="false"`` (a
browser's cloud spell-checker, such as Chrome's enhanced spell check, sends what it checks
to a server) and ``autocomplete="off"`` (form history writes it to the browser's disk).

Checked on every template of the reporting site and of the workbench, and on the built
pages, so that a new field cannot forget either.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.support.site import ROOT

TEMPLATES = sorted(
    path
    for folder in (ROOT / "site" / "templates", ROOT / "wbs" / "workbench" / "templates")
    for path in folder.glob("*.html")
)
# <input> types whose value is typed text (no type at all is "text").
TYPED = frozenset({"", "text", "search", "email", "tel", "url", "password"})
REQUIRED = {"spellcheck": "false", "autocomplete": "off"}


class Fields(HTMLParser):
    """Each textarea and typed-text input: its id (or name) and what it lacks."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in reversed(attrs)}  # the first one counts
        if tag == "textarea" or (tag == "input" and a.get("type", "").lower() in TYPED):
            lacks = [f'{k}="{v}"' for k, v in REQUIRED.items() if a.get(k, "").lower() != v]
            self.found[a.get("id") or a.get("name", "?")] = lacks


def fields(html: str) -> dict[str, list[str]]:
    parser = Fields()
    parser.feed(html)
    parser.close()
    return parser.found


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_typed_field_of_a_template_stays_on_the_device(template: Path) -> None:
    lacking = {f: lacks for f, lacks in fields(template.read_text()).items() if lacks}
    assert lacking == {}


def test_every_typed_field_of_the_built_pages_stays_on_the_device(built_site: Path) -> None:
    pages = sorted(built_site.rglob("*.html"))
    found = {
        f"{p.relative_to(built_site)}#{f}": lacks
        for p in pages
        for f, lacks in fields(p.read_text()).items()
    }
    assert {f: lacks for f, lacks in found.items() if lacks} == {}
    # the fields the pages have: the report form, the receipt code, the follow-up
    names = {name.split("#")[1] for name in found}
    assert {"title", "what", "where", "how", "loss", "code", "followup-text"} <= names
    assert {"who-name", "reporter-name", "reporter-contact"} <= names


def test_the_checker_finds_the_workbench_fields() -> None:
    # Given the workbench's templates, the fields an inspector types report content into
    found: dict[str, list[str]] = {}
    for template in TEMPLATES:
        found |= fields(template.read_text())
    # Then each is seen (so the test above is not passing on nothing)
    assert {"reply-text", "status-reason", "status-note", "note-text", "filter-q"} <= set(found)
    assert {"save-folder", "passphrase"} <= set(found)
    # and a field without the attributes is caught
    assert fields('<textarea id="x"></textarea><input name="y"><input type="date">') == {
        "x": ['spellcheck="false"', 'autocomplete="off"'],
        "y": ['spellcheck="false"', 'autocomplete="off"'],
    }
