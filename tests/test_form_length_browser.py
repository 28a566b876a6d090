# ruff: noqa: F811  (the fixtures imported from the page's tests are parameters here)
"""The report form's length on a phone (issue 15), in headless Chromium at 360 by 640: the first
field is on the first screen and the send button at most 8 screens down with nothing opened,
in Indonesian and English, with the project's config and with the large office list; the
folds (native <details>) open by keyboard and without JavaScript, every field is reached by
Tab, and a folded field that is invalid is opened when the form is checked and focused from
the error summary.

The sites are served with the real security headers and the API played by Playwright
(tests/test_site_browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.desks import add_desks, office_config
from tests.support.host import static_site
from tests.support.site import build_site
from tests.test_site_browser import (  # noqa: F401 (fixtures)
    api,
    console,
    fill_required,
    inspector,
    open_page,
    origin,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 640}
SCREENS = 8  # the send button at most this many screens down


@pytest.fixture(scope="module")
def offices(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site of the large office config: 550 offices to choose from and a staff question."""
    tmp = tmp_path_factory.mktemp("offices")
    desks = office_config(tmp / "config.toml", escalation=True)
    keys = add_desks(tmp / "keys" / "keyring.json", desks)
    with static_site(build_site(keys.keyring, tmp / "site", tmp / "config.toml")) as base:
        yield base


@pytest.fixture(params=["project", "offices"])
def site(request: pytest.FixtureRequest) -> str:
    """The origin of the project's site, then of the large office list's."""
    name = "origin" if request.param == "project" else "offices"
    return str(request.getfixturevalue(name))


LENGTH = """() => {
  const form = document.getElementById('report');
  const first = form.querySelector('input, select, textarea');
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return [r.top + scrollY, r.bottom + scrollY];
  };
  return {
    first: first.id, field: box(first), label: box(form.querySelector(`label[for="${first.id}"]`)),
    send: box(form.querySelector('button[type=submit]')), scrolled: scrollY,
    open: [...document.querySelectorAll('details[open]')].map((d) => d.id),
    folds: [...document.querySelectorAll('details')].map((d) => d.id),
  };
}"""


@pytest.mark.parametrize("path", ["/", "/en/"])
def test_the_first_field_is_on_the_first_screen_and_send_within_8(
    page: Any, site: str, console: list[str], path: str
) -> None:
    # Given a phone's screen, and the page as it opens: nothing unfolded
    page.set_viewport_size(PHONE)
    open_page(page, site + path)
    length = page.evaluate(LENGTH)
    print(path, {k: length[k] for k in ("first", "field", "send")})
    assert length["scrolled"] == 0 and length["open"] == []
    assert {"guidance", "keys", "how-fold"} <= set(length["folds"])
    # Then the first field, its label and the whole control, is on the first screen
    assert length["first"] == "category"
    assert 0 < length["label"][0] < length["field"][0] < length["field"][1] <= PHONE["height"]
    # And the send button is at most 8 screens down
    assert length["send"][1] <= SCREENS * PHONE["height"], length["send"]


# -- by keyboard ---------------------------------------------------------------------------------

# Every control of the form a reporter may use, by id, or by name for a group of radio buttons
# (Tab reaches a group once) and for the inputs of the first reported person.
CONTROLS = """() => [...document.querySelectorAll('#report :is(input, select, textarea, button)')]
  .filter((el) => !el.closest('[hidden], template'))
  .map((el) => (el.type === 'radio' ? `radio:${el.name}` : el.id || el.name || el.type))"""

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const key = el.type === 'radio' ? `radio:${el.name}` : el.id || el.name || el.type;
  return {
    key, tag: el.tagName, fold: el.tagName === 'SUMMARY' ? el.parentElement.id : null,
    open: el.tagName === 'SUMMARY' ? el.parentElement.open : null,
    inForm: el.closest('#report') !== null,
  };
}"""


IDENTIFIED = """() => {
  const choice = document.querySelector('input[name=identity][value=identified]');
  choice.checked = true;
  choice.dispatchEvent(new Event('change', { bubbles: true }));
}"""


def expanded(page: Any, selector: str) -> bool:
    """Whether Chromium's accessibility tree says the element is expanded."""
    cdp = page.context.new_cdp_session(page)
    try:
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        ax = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node, "fetchRelatives": False})
    finally:
        cdp.detach()
    item = next(n for n in ax["nodes"] if not n.get("ignored"))
    properties = {p["name"]: p["value"].get("value") for p in item.get("properties", [])}
    return bool(properties.get("expanded", False))


@pytest.mark.parametrize("path", ["/", "/en/"])
def test_every_field_is_reached_by_keyboard_through_the_folds(
    page: Any, offices: str, console: list[str], path: str
) -> None:
    # Given the page of the large office list on a phone
    page.set_viewport_size(PHONE)
    open_page(page, offices + path)
    page.evaluate(IDENTIFIED)  # its fields shown, to be reached too; the focus left alone
    expected = set(page.evaluate(CONTROLS))
    # When the reporter presses Tab from the top, and Enter on each closed fold
    reached: set[str] = set()
    opened: list[str] = []
    for _ in range(200):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue
        if focused["fold"] and not focused["open"]:
            summary = f"#{focused['fold']} > summary"
            assert not expanded(page, summary)  # announced collapsed, then expanded
            page.keyboard.press("Enter")
            assert page.evaluate(f"document.getElementById('{focused['fold']}').open")
            assert expanded(page, summary)
            opened.append(focused["fold"])
        if focused["inForm"]:
            reached.add(focused["key"])
        if focused["key"] == "submit":
            break
    # Then every fold was opened by keyboard and every control of the form reached
    assert opened == ["guidance", "keys", "how-fold"]
    assert {"category", "office-filter", "radio:concerns_staff", "loss", "reporter-name"} <= (
        expected
    )
    assert expected - reached == set()


# -- a folded field that is invalid --------------------------------------------------------------

LOSS = {
    "/": "Perkiraan nilai kerugian (Rupiah): Tulis jumlahnya dengan angka saja",
    "/en/": "Estimated loss (Rupiah): Write the amount in digits only",
}


@pytest.mark.parametrize("path", LOSS)
def test_a_folded_invalid_field_opens_and_is_focused_from_the_summary(
    page: Any, origin: str, console: list[str], path: str
) -> None:
    # Given a filled-in form whose estimated loss, in a fold closed again, is not in digits
    page.set_viewport_size(PHONE)
    posted = api(page)
    open_page(page, origin + path)
    fill_required(page)
    page.click("#how-fold summary")
    page.fill("#loss", "Rp 1.500.000")
    page.click("#how-fold summary")
    assert not page.evaluate("document.getElementById('how-fold').open")
    # When the reporter presses send
    page.click("#report button[type=submit]")
    # Then the fold is open, the loss marked, and the summary names it alone
    assert page.evaluate("document.getElementById('how-fold').open")
    assert page.get_attribute("#loss", "aria-invalid") == "true"
    assert page.is_visible("#loss-error")
    links = page.locator("#form-error a")
    assert links.count() == 1 and links.nth(0).inner_text().startswith(LOSS[path])
    # And when the fold is closed again, the summary's link (by keyboard) opens it and focuses
    # the field, on the screen
    page.click("#how-fold summary")
    assert not page.evaluate("document.getElementById('how-fold').open")
    page.focus("#form-error a")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "loss"
    assert page.evaluate("document.getElementById('how-fold').open")
    top = page.evaluate("document.activeElement.getBoundingClientRect().top")
    assert 0 <= top < PHONE["height"]
    assert posted == []


# -- without JavaScript --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/en/"])
def test_the_folds_open_without_javascript(browser: Any, origin: str, path: str) -> None:
    # Given the page where JavaScript is off
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(origin + path)
        assert page.is_visible("noscript .alert")
        for fold in ("guidance", "keys"):
            inside = f"#{fold} li >> nth=0"
            assert page.is_hidden(inside)
            # When the reporter taps a fold's title, then Then what it holds is read
            page.click(f"#{fold} > summary")
            assert page.is_visible(inside)
            assert page.inner_text(inside).strip() != ""
    finally:
        context.close()
