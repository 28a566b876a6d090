# ruff: noqa: F811  (the fixtures imported from the two page tests are parameters here)
"""The accessibility points of issue 15, measured in headless Chromium on the built site: the
focus ring's contrast (WCAG 1.4.11, computed from site.css and from every focused control),
the error text read with the focused control, an error summary that is seen and names each
invalid field, the receipt code inside the viewport when it is shown, no sideways scrolling at
320 px and at 200% text, and the words said after "Close and forget the code".

The reporting page is served with the real security headers and its API played by Playwright
(tests/test_site_browser.py); the status page by the real local host with a fake mailbox
(tests/test_status_browser.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.test_site_browser import (  # noqa: F401 (fixtures)
    api,
    console,
    fill_required,
    inspector,
    open_page,
    origin,
)
from tests.test_status_browser import (  # noqa: F401 (fixtures)
    Case,
    FakeMailbox,
    Inspectorate,
    case,
    inspectorate,
    open_case,
    thread,
)

CSS = Path(__file__).resolve().parent.parent / "site" / "static" / "css" / "site.css"

# -- colour arithmetic (WCAG 2.x) --------------------------------------------------------------


def rgb(colour: str) -> tuple[float, float, float, float]:
    """A CSS colour as Chromium computes it (rgb()/rgba()) or as written (#rgb, #rrggbb)."""
    colour = colour.strip().lower()
    if colour.startswith("#"):
        digits = colour[1:]
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        r, g, b = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
        return r, g, b, 1.0
    match = re.fullmatch(r"rgba?\(([^)]*)\)", colour)
    assert match, colour
    parts = [float(p) for p in re.split(r"[\s,/]+", match.group(1).strip()) if p]
    return parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else 1.0


def luminance(colour: str) -> float:
    def channel(value: float) -> float:
        v = value / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b, _ = rgb(colour)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    low, high = sorted((luminance(a), luminance(b)))
    return (high + 0.05) / (low + 0.05)


# -- the focus ring ------------------------------------------------------------------------------

RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
CONTROLS = re.compile(
    r"(^|[\s>+~,])(a|button|input|select|textarea|summary|progress)\b|\.primary|\.secondary"
)


def css_rules() -> list[tuple[str, dict[str, str]]]:
    """(selector, declarations) of every rule of site.css, comments out, @media flattened."""
    text = re.sub(r"/\*.*?\*/", "", CSS.read_text(encoding="utf-8"), flags=re.S)
    text = re.sub(r"@media[^{]*\{", "", text)
    rules = []
    for selector, body in RULE.findall(text):
        declarations = {}
        for item in body.split(";"):
            if ":" in item:
                name, value = item.split(":", 1)
                declarations[name.strip()] = value.strip()
        rules.append((" ".join(selector.split()), declarations))
    return rules


def resolve(value: str, variables: dict[str, str]) -> str:
    while (match := re.search(r"var\((--[\w-]+)\)", value)) is not None:
        value = value.replace(match.group(0), variables[match.group(1)])
    return value


def background_of(declarations: dict[str, str], variables: dict[str, str]) -> str | None:
    for name in ("background-color", "background"):
        if name in declarations:
            value = resolve(declarations[name], variables)
            found = re.search(r"#[0-9a-fA-F]{3,6}\b|rgba?\([^)]*\)", value)
            if found:
                return found.group(0)
    return None


def test_the_focus_ring_contrasts_3_to_1_with_every_background_in_the_css() -> None:
    rules = css_rules()
    root = dict(next(d for s, d in rules if s == ":root"))
    ring = next(d for s, d in rules if s.startswith(":focus-visible"))
    assert "solid" in ring["outline"] and ring["outline"].startswith("3px")
    ring_colour = re.search(r"var\(--[\w-]+\)|#[0-9a-fA-F]{3,6}", ring["outline"])
    assert ring_colour is not None
    # Scopes that give the ring another colour (the blue header): the ring there against the
    # scope's own background; everywhere else, the root colour against every background a
    # container paints (a control's own fill is not under its ring, which is 2px off it).
    scopes = [(s, d) for s, d in rules if s != ":root" and any(k.startswith("--focus") for k in d)]
    measured: dict[str, float] = {}
    for selector, declarations in scopes:
        local = {**root, **declarations}
        background = background_of(declarations, local)
        assert background is not None, selector
        colour = resolve(ring_colour.group(0), local)
        measured[f"{selector} {colour} on {background}"] = contrast(colour, background)
    default = resolve(ring_colour.group(0), root)
    scoped = {s for s, _ in scopes}
    backgrounds = {root["--paper"]}
    for selector, declarations in rules:
        if selector in scoped or CONTROLS.search(selector) or ":disabled" in selector:
            continue
        background = background_of(declarations, root)
        if background is not None:
            backgrounds.add(background)
    assert len(backgrounds) >= 4  # the page, and the blue, green and red boxes
    for background in sorted(backgrounds):
        measured[f"{default} on {background}"] = contrast(default, background)
    print(measured)
    assert min(measured.values()) >= 3, measured


FOCUS_RING = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  let node = el.parentElement, background = 'rgb(255, 255, 255)';
  for (; node; node = node.parentElement) {
    const b = getComputedStyle(node).backgroundColor;
    if (b !== 'transparent' && !/rgba\\(.*,\\s*0\\)$/.test(b)) { background = b; break; }
  }
  return {
    what: `${el.tagName}#${el.id}.${el.className} ${el.name || el.textContent.trim().slice(0, 30)}`,
    style: style.outlineStyle, width: parseFloat(style.outlineWidth),
    colour: style.outlineColor, background,
  };
}"""


def tab_through(page: Any, limit: int = 150) -> list[dict[str, Any]]:
    """Press Tab until focus comes round again; the ring of each control reached."""
    seen: list[dict[str, Any]] = []
    first = None
    for _ in range(limit):
        page.keyboard.press("Tab")
        handle = page.evaluate("document.activeElement === document.body ? null : 1")
        if handle is None:
            continue
        ring = page.evaluate(FOCUS_RING)
        if first is not None and ring["what"] == first:
            break
        first = first or ring["what"]
        seen.append(ring)
    return seen


def assert_rings_contrast(rings: list[dict[str, Any]]) -> None:
    assert len(rings) >= 5
    for ring in rings:
        assert ring["style"] == "solid" and ring["width"] >= 2, ring
        ratio = contrast(ring["colour"], ring["background"])
        assert ratio >= 3, (ring, ratio)


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/", "/en/"])
def test_every_focused_control_on_the_report_page_has_a_ring_of_3_to_1(
    page: Any,
    origin: str,
    console: list[str],
    path: str,
) -> None:
    open_page(page, origin + path)
    rings = tab_through(page)
    assert any(r["background"] == "rgb(11, 79, 138)" for r in rings)  # the header's links
    assert any(r["what"].startswith("SELECT#category") for r in rings)
    assert any(r["what"].startswith("BUTTON") and "primary" in r["what"] for r in rings)
    assert_rings_contrast(rings)


@pytest.mark.browser
def test_every_focused_control_of_an_open_case_has_a_ring_of_3_to_1(
    page: Any,
    site_server: tuple[str, Path],
    inspectorate: Inspectorate,
    case: Case,
    console: list[str],
) -> None:
    origin_, _ = site_server
    FakeMailbox(page, case, thread(case, inspectorate))
    open_case(page, origin_ + "/status/", case.code)
    page.wait_for_selector("#case:not([hidden])")
    page.focus("#forget")
    rings = tab_through(page)
    assert any(r["what"].startswith("TEXTAREA#followup-text") for r in rings)
    assert_rings_contrast(rings)


# -- errors read with the focused control --------------------------------------------------------


def accessible(page: Any, selector: str) -> dict[str, Any]:
    """What Chromium's accessibility tree says of one element: name, description, invalid."""
    cdp = page.context.new_cdp_session(page)
    try:
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        ax = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node, "fetchRelatives": False})
    finally:
        cdp.detach()
    item = next(n for n in ax["nodes"] if not n.get("ignored"))
    properties = {p["name"]: p["value"].get("value") for p in item.get("properties", [])}
    return {
        "name": item.get("name", {}).get("value", ""),
        "description": item.get("description", {}).get("value", ""),
        "invalid": properties.get("invalid", "false"),
    }


GROUP_ERRORS = {
    "/": {
        "#people [name=who-name]": "Isi nama, jabatan, atau unit kerja",
        "#people [name=who-unit]": "Isi nama, jabatan, atau unit kerja",
        "#declarations [name=truthful]": "Centang keempat pernyataan",
        "#declarations [name=confidential]": "Centang keempat pernyataan",
    },
    "/en/": {
        "#people [name=who-name]": "Give the name, position or work unit",
        "#people [name=who-position]": "Give the name, position or work unit",
        "#declarations [name=not_involved]": "Tick all four statements",
    },
}


@pytest.mark.browser
@pytest.mark.parametrize("path", GROUP_ERRORS)
def test_the_reason_of_a_group_error_is_read_with_each_focused_control(
    page: Any, origin: str, console: list[str], path: str
) -> None:
    api(page)
    open_page(page, origin + path)
    page.click("button[type=submit]")
    for selector, reason in GROUP_ERRORS[path].items():
        page.focus(selector)
        said = accessible(page, selector)
        assert said["invalid"] == "true", (selector, said)
        assert said["description"].startswith(reason), (selector, said)
    # Once fixed, the control is neither invalid nor described by an empty error.
    fill_required(page)
    for selector in GROUP_ERRORS[path]:
        said = accessible(page, selector)
        assert said["invalid"] == "false" and said["description"] == "", (selector, said)


# -- the receipt code in view --------------------------------------------------------------------

IN_VIEW = """() => {
  const box = (s) => document.querySelector(s).getBoundingClientRect();
  const code = box('#receipt-code'), number = box('#registration-number');
  return {
    code: [code.top, code.bottom], number: [number.top, number.bottom],
    height: innerHeight, width: innerWidth, right: code.right,
    scrolled: scrollY, focused: document.activeElement.id,
  };
}"""


@pytest.mark.browser
@pytest.mark.parametrize(("width", "height"), [(360, 640), (1280, 800)])
@pytest.mark.parametrize("path", ["/", "/en/"])
def test_the_receipt_code_is_the_first_code_in_view_when_shown(
    page: Any, origin: str, console: list[str], path: str, width: int, height: int
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    api(page, 201)
    open_page(page, origin + path)
    fill_required(page)
    page.click("button[type=submit]")  # scrolls down to the button, far below the top
    page.wait_for_selector("#success:not([hidden])")
    page.wait_for_timeout(100)
    view = page.evaluate(IN_VIEW)
    assert view["focused"] == "success", view
    top, bottom = view["code"]
    assert top >= 0 and bottom <= view["height"] and view["right"] <= view["width"], view
    # Nothing that looks like a code comes before it: the registration number is below it.
    assert view["number"][0] > bottom, view


# -- the error summary ---------------------------------------------------------------------------

SUMMARY = {
    "/": [
        ("Jenis pelanggaran: Pilih jenis pelanggaran.", "category"),
        ("Apa yang terjadi?: Uraikan apa yang terjadi.", "what"),
        ("Siapa yang terlibat?: Isi nama, jabatan", "who-name"),
        ("Di mana kejadiannya?: Sebutkan lokasi kejadian.", "where"),
        ("Pernyataan: Centang keempat pernyataan", "truthful"),
    ],
    "/en/": [
        ("Category of violation: Choose the category of the violation.", "category"),
        ("What happened?: Describe what happened.", "what"),
        ("Who is involved?: Give the name, position or work unit", "who-name"),
        ("Where did it happen?: Say where it happened.", "where"),
        ("Declaration: Tick all four statements", "truthful"),
    ],
}

FOCUSED = "(document.activeElement.id || document.activeElement.name)"


@pytest.mark.browser
@pytest.mark.parametrize("path", SUMMARY)
def test_the_error_summary_is_seen_focused_and_links_each_invalid_field(
    page: Any, origin: str, console: list[str], path: str
) -> None:
    page.set_viewport_size({"width": 360, "height": 640})
    posted = api(page)
    open_page(page, origin + path)
    url = page.url
    page.click("button[type=submit]")
    assert page.evaluate("document.activeElement.id") == "form-error"
    box = page.locator("#form-error").bounding_box()
    assert box is not None and -1 < box["y"] < 640  # seen where the reporter is
    button = page.locator("#report button[type=submit]").bounding_box()
    assert button is not None and 0 <= button["y"] - (box["y"] + box["height"]) < 200
    links = page.locator("#form-error a")
    expected = SUMMARY[path]
    assert links.count() == len(expected)
    for i, (text, target) in enumerate(expected):
        assert links.nth(i).inner_text().startswith(text)
        links.nth(i).click()
        assert page.evaluate(FOCUSED) == target
        field = page.evaluate("document.activeElement.getBoundingClientRect().top")
        assert 0 <= field < 640
        assert page.url == url  # no fragment: nothing of the visit is left in the URL
    # Fixed fields leave the summary on the next press; by keyboard, Enter follows a link.
    page.select_option("#category", "pungutan-liar")
    page.fill("#what", "Kronologi.")
    page.click("button[type=submit]")
    assert [t.split(":")[0] for t in page.locator("#form-error a").all_inner_texts()] == [
        t.split(":")[0] for t, _ in expected[2:]
    ]
    page.focus("#form-error a >> nth=1")
    page.keyboard.press("Enter")
    assert page.evaluate(FOCUSED) == "where"
    assert posted == []


# -- no sideways scrolling -----------------------------------------------------------------------

# 200% text as a phone's text-size setting gives it: every rem doubled (the page sizes its text
# in rem). Set through the CSSOM, which the page's CSP allows.
LARGE_TEXT = "document.documentElement.style.fontSize = '200%'"
WIDE = """() => {
  const html = document.documentElement, edge = html.clientWidth + 0.5;
  const name = (el) => `${el.tagName}#${el.id}.${el.className}`;
  const over = [...document.querySelectorAll('body *')].filter((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > edge;
  }).map(name);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    range.selectNodeContents(node);
    const r = range.getBoundingClientRect();
    if (r.width > 0 && r.right > edge) over.push(`text in ${name(node.parentElement)}`);
  }
  return { scroll: html.scrollWidth, client: html.clientWidth, over: over.slice(0, 8) };
}"""

SIZES = [(320, 640, False), (360, 640, True), (320, 568, True)]


def assert_no_sideways_scroll(page: Any) -> None:
    wide = page.evaluate(WIDE)
    assert wide["scroll"] <= wide["client"], wide


@pytest.mark.browser
@pytest.mark.parametrize(("width", "height", "large"), SIZES)
@pytest.mark.parametrize("path", ["/", "/en/"])
def test_the_report_page_never_scrolls_sideways(
    page: Any, origin: str, console: list[str], path: str, width: int, height: int, large: bool
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    api(page, 201)
    open_page(page, origin + path)
    if large:
        page.evaluate(LARGE_TEXT)
    assert_no_sideways_scroll(page)
    page.click("button[type=submit]")  # every error shown
    assert_no_sideways_scroll(page)
    fill_required(page)
    page.click("button[type=submit]")
    page.wait_for_selector("#success:not([hidden])")
    assert_no_sideways_scroll(page)  # the receipt code and the registration number


@pytest.mark.browser
@pytest.mark.parametrize(("width", "height", "large"), SIZES)
@pytest.mark.parametrize("path", ["/status/", "/en/status/"])
def test_the_status_page_with_a_case_never_scrolls_sideways(
    page: Any,
    site_server: tuple[str, Path],
    inspectorate: Inspectorate,
    case: Case,
    console: list[str],
    path: str,
    width: int,
    height: int,
    large: bool,
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    origin_, _ = site_server
    FakeMailbox(page, case, thread(case, inspectorate))
    page.goto(origin_ + path)
    if large:
        page.evaluate(LARGE_TEXT)
    assert_no_sideways_scroll(page)
    open_case(page, origin_ + path, case.code)
    if large:
        page.evaluate(LARGE_TEXT)
    page.wait_for_selector("#case:not([hidden])")
    assert_no_sideways_scroll(page)


# -- "Close and forget the code" -----------------------------------------------------------------

FORGOTTEN = {
    "/status/": ("Kode sudah dilupakan di perangkat ini", "tetap terbuka", "ditutup"),
    "/en/status/": ("The code has been forgotten on this device", "stays open", "is closed"),
}


@pytest.mark.browser
@pytest.mark.parametrize("path", FORGOTTEN)
def test_forgetting_the_code_says_the_case_stays_open(
    page: Any,
    site_server: tuple[str, Path],
    inspectorate: Inspectorate,
    case: Case,
    console: list[str],
    path: str,
) -> None:
    origin_, _ = site_server
    FakeMailbox(page, case, thread(case, inspectorate))
    open_case(page, origin_ + path, case.code)
    page.wait_for_selector("#case:not([hidden])")
    page.click("#forget")
    assert page.evaluate("document.activeElement.id") == "closed"
    said = page.text_content("#closed")
    forgotten, still_open, closed = FORGOTTEN[path]
    assert said.startswith(forgotten) and still_open in said and closed not in said, said
    stop = page.get_attribute("#forget", "data-msg-stop-first")
    assert closed not in stop and "case" not in stop and "kasus" not in stop, stop
