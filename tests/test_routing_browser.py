"""Where a report goes, in headless Chromium (docs/spec/desks-v2.md section 5): the report page
built from the KPU example (the KPU and its 38 provinces, regional desks, an escalation desk)
plus a category with a desk of its own asks which office the matter concerns and whether it
concerns the inspectorate's own staff, lets the reporter search the offices by typing or by
keyboard alone, says who will read the report, and seals it to exactly the routed desks and
the recovery key, with the answers inside. The API is played by request interception."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import nacl.public
import pytest

from functions import envelope as fmt
from functions.keyring import grouped, load
from tests.support.desks import DeskKeys, add_desks
from tests.support.host import static_site
from tests.support.pow import FakeChallenges
from tests.support.site import ROOT, build_site
from wbs import crypto

pytestmark = pytest.mark.browser

KPU = ROOT / "site" / "examples" / "kpu.toml"
DESKS = ("inspektorat", "wilayah-1", "wilayah-2", "wilayah-3", "pimpinan", "pengadaan")
PROCUREMENT = "pengadaan-barang-jasa"


class Site(NamedTuple):
    origin: str
    keys: DeskKeys


@pytest.fixture(scope="module")
def kpu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The KPU example, its procurement category also routed to a desk "pengadaan"."""
    tmp = tmp_path_factory.mktemp("kpu")
    text = KPU.read_text(encoding="utf-8").replace(
        f'id = "{PROCUREMENT}"', f'id = "{PROCUREMENT}"\ndesks = ["pengadaan"]', 1
    )
    text += (
        '\n[[desks]]\nid = "pengadaan"\nname.id = "Tim Pengadaan"\nname.en = "Procurement desk"\n'
    )
    (tmp / "config.toml").write_text(text, encoding="utf-8")
    keys = add_desks(tmp / "keys" / "keyring.json", DESKS)
    site = build_site(keys.keyring, tmp / "site", tmp / "config.toml")
    with static_site(site) as origin:
        yield Site(origin, keys)


@pytest.fixture
def console(page: Any) -> Iterator[list[str]]:
    """Console errors and page errors (CSP or SRI violations among them): none allowed."""
    messages: list[str] = []
    page.on("console", lambda m: m.type == "error" and messages.append(m.text))
    yield messages
    assert messages == [] and page.errors == []


def reports(page: Any) -> list[dict[str, Any]]:
    """Answer POST /api/reports with 201; return the envelopes posted."""
    posted: list[dict[str, Any]] = []
    FakeChallenges(page)

    def answer(route: Any) -> None:
        posted.append(json.loads(route.request.post_data))
        route.fulfill(status=201, content_type="application/json", body="{}")

    page.route("**/api/reports", answer)
    return posted


def open_page(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#report button[type=submit]:not([disabled])")


def fill_required(page: Any, category: str = "pungutan-liar") -> None:
    page.select_option("#category", category)
    page.fill("#what", "Kronologi: diminta membayar untuk surat yang gratis.")
    page.fill("#people [name=who-name] >> nth=0", "Budi")
    page.fill("#where", "Kantor KPU")
    for box in page.query_selector_all("#declarations input[type=checkbox]"):
        box.check()


def search(page: Any, text: str) -> list[str]:
    """Type ``text`` in the search field; the offices then in view, by id."""
    page.fill("#office-filter", text)
    page.wait_for_function(
        "(text) => document.getElementById('office-filter').dataset.applied === text", arg=text
    )
    return page.eval_on_selector_all(
        "#office-list label:not([hidden]) input", "inputs => inputs.map((i) => i.value)"
    )


def send(page: Any, posted: list[dict[str, Any]]) -> dict[str, Any]:
    page.click("#report button[type=submit]")
    page.wait_for_selector("#success:not([hidden])")
    (body,) = posted
    return body


def opened(key: nacl.public.PrivateKey, body: dict[str, Any]) -> Any:
    return json.loads(crypto.open_envelope(fmt.parse(json.dumps(body)), crypto.Identity(key)))


def test_without_offices_or_escalation_nothing_is_asked(
    page: Any, site_server: tuple[str, Path], console: list[str]
) -> None:
    # Given the project's config: one desk
    open_page(page, site_server[0] + "/")
    # Then the form asks nothing about where the report goes
    assert (
        page.locator("#routing, #office-filter, [name=office], [name=concerns_staff]").count() == 0
    )
    assert page.locator("#routed-desks li").count() == 1


def test_typing_shortens_the_list_of_offices(page: Any, kpu: Site, console: list[str]) -> None:
    # Given the KPU's page: the search field is shown once the module runs
    open_page(page, kpu.origin + "/")
    assert page.is_visible("#office-filter") and page.is_visible("#staff")
    assert page.locator("#office-list label:not([hidden])").count() == 40
    # When the reporter types part of a name, Then only the offices holding every word stay,
    # with "I do not know" first, and the count is said
    assert search(page, "jawa") == ["", "kpu-jawa-barat", "kpu-jawa-tengah", "kpu-jawa-timur"]
    assert page.text_content("#office-count") == "Ada 3 kantor yang cocok."
    assert search(page, "  PAPUA   bar") == ["", "kpu-papua-barat", "kpu-papua-barat-daya"]
    assert search(page, "kip") == ["", "kip-aceh"]
    assert page.text_content("#office-count") == "Ada satu kantor yang cocok."
    assert search(page, "atlantis") == [""]
    assert page.text_content("#office-count").startswith("Tidak ada kantor yang cocok.")
    assert len(search(page, "")) == 40
    assert page.text_content("#office-count") == ""


def test_the_offices_can_be_chosen_by_keyboard_alone(
    page: Any, kpu: Site, console: list[str]
) -> None:
    posted = reports(page)
    open_page(page, kpu.origin + "/en/")
    # When the reporter types in the search field and presses Enter
    page.focus("#office-filter")
    page.keyboard.type("bali")
    page.wait_for_function("() => document.getElementById('office-count').textContent !== ''")
    page.keyboard.press("Enter")
    # Then nothing is sent: the focus moves to the first match, which Space chooses
    assert page.evaluate("document.activeElement.value") == "kpu-bali"
    page.keyboard.press("Space")
    assert page.is_checked("input[name=office][value=kpu-bali]")
    # And where the report goes is said at once
    assert page.text_content("#route-summary") == (
        "Your report goes to: Principal Inspectorate of the KPU, Regional Inspectorate II."
    )
    # And the chosen office stays in view while the reporter searches on
    assert search(page, "aceh") == ["", "kip-aceh", "kpu-bali"]
    assert posted == []


def test_a_report_is_sealed_to_the_routed_desks_and_the_recovery_key_only(
    page: Any, kpu: Site, console: list[str]
) -> None:
    # Given a report about the KPU of West Java, in the procurement category, not about staff
    posted = reports(page)
    open_page(page, kpu.origin + "/en/")
    fill_required(page, PROCUREMENT)
    assert search(page, "west java") == ["", "kpu-jawa-barat"]
    page.check("input[name=office][value=kpu-jawa-barat]")
    page.check("input[name=concerns_staff][value=no]")
    # Then "Who can read your report" names the three desks, with their fingerprints
    page.click("#keys summary")
    page.wait_for_function("() => document.querySelectorAll('#routed-desks code').length === 3")
    ring = load(kpu.keys.keyring)
    routed = ["inspektorat", "pengadaan", "wilayah-2"]
    assert (
        page.eval_on_selector_all("#routed-desks li", "items => items.map((li) => li.dataset.desk)")
        == routed
    )
    assert [t.strip() for t in page.locator("#routed-desks .key-label").all_text_contents()] == [
        "Principal Inspectorate of the KPU",
        "Procurement desk",
        "Regional Inspectorate II",
    ]
    assert page.locator("#routed-desks code").all_text_contents() == [
        grouped(ring.desk(d).fingerprint) for d in routed
    ]
    # When it is sent
    body = send(page, posted)
    # Then its recipients are those desks' keys and the recovery key, and no other
    kids = [r["kid"] for r in body["recipients"]]
    assert kids == [*(kpu.keys.kid(d) for d in routed), kpu.keys.recovery_identity().kid]
    # And each of them opens it, the answers inside
    payload = opened(kpu.keys.desks["wilayah-2"], body)
    assert payload["route"] == {"office": "kpu-jawa-barat", "concerns_staff": False}
    assert payload["category"]["id"] == PROCUREMENT
    for key in (*(kpu.keys.desks[d] for d in routed), kpu.keys.recovery):
        assert opened(key, body) == payload
    for desk in ("wilayah-1", "pimpinan"):
        with pytest.raises(crypto.NoMatchingKey):
            opened(kpu.keys.desks[desk], body)


def test_a_report_about_the_inspectorates_staff_goes_to_the_escalation_desk_only(
    page: Any, kpu: Site, console: list[str]
) -> None:
    posted = reports(page)
    open_page(page, kpu.origin + "/")
    fill_required(page, PROCUREMENT)
    search(page, "jawa barat")
    page.check("input[name=office][value=kpu-jawa-barat]")
    page.check("input[name=concerns_staff][value=yes]")
    assert page.text_content("#route-summary") == (
        "Laporan Anda dikirim ke: Pimpinan KPU (Ketua dan Sekretaris Jenderal)."
    )
    body = send(page, posted)
    # Then neither the office's desk, nor the central one, nor the category's can read it
    assert [r["kid"] for r in body["recipients"]] == [
        kpu.keys.kid("pimpinan"),
        kpu.keys.recovery_identity().kid,
    ]
    payload = opened(kpu.keys.desks["pimpinan"], body)
    assert payload["route"] == {"office": "kpu-jawa-barat", "concerns_staff": True}
    for desk in ("inspektorat", "wilayah-2", "pengadaan"):
        with pytest.raises(crypto.NoMatchingKey):
            opened(kpu.keys.desks[desk], body)


def test_the_staff_question_must_be_answered(page: Any, kpu: Site, console: list[str]) -> None:
    posted = reports(page)
    open_page(page, kpu.origin + "/")
    fill_required(page)
    page.click("#report button[type=submit]")
    # Then the form names the question, focuses it, and sends nothing
    assert page.text_content("#staff-error") == (
        "Nyatakan apakah perkara ini menyangkut pegawai Inspektorat sendiri."
    )
    # (the error summary above the send button is focused; its one link leads to the question)
    assert page.evaluate("document.activeElement.id") == "form-error"
    page.click("#form-error a")
    assert page.evaluate("document.activeElement.name") == "concerns_staff"
    assert posted == []
    # Until it is answered: without an office, the report goes to the central desk
    page.check("input[name=concerns_staff][value=no]")
    assert page.text_content("#staff-error") == ""
    body = send(page, posted)
    assert [r["kid"] for r in body["recipients"]] == [
        kpu.keys.kid("inspektorat"),
        kpu.keys.recovery_identity().kid,
    ]
    assert opened(kpu.keys.recovery, body)["route"] == {"office": "", "concerns_staff": False}


# Cases where JavaScript could differ from Python: answers named like built-in members of an
# object, a category whose desk the office already gives, and no office with central_receives
# "none". (document changes, office, concerns_staff, category, expected desks)
EDGES = [
    (
        {"categories": {"constructor": ["pengadaan"]}},
        "",
        False,
        "constructor",
        ["inspektorat", "pengadaan"],
    ),
    ({}, "kab-bandung", False, "toString", ["inspektorat", "jabar"]),
    ({}, "__proto__", False, "__proto__", ["inspektorat"]),
    ({}, "constructor", False, "hasOwnProperty", ["inspektorat"]),
    ({"central_receives": "none"}, "", False, "korupsi", ["inspektorat"]),
    (
        {"categories": {"korupsi": ["jabar"]}, "central_receives": "none"},
        "kab-bandung",
        False,
        "korupsi",
        ["jabar"],
    ),
    ({}, "kab-bandung", "yes", "korupsi", ["inspektorat", "jabar"]),  # only true is true
]
BASE = {
    "format": "wbs-routing/1",
    "central": "inspektorat",
    "central_receives": "all",
    "escalation": "pimpinan",
    "offices": [{"id": "kab-bandung", "desk": "jabar"}, {"id": "kpu-ri", "desk": "inspektorat"}],
    "categories": {},
}


@pytest.mark.parametrize(("changes", "office", "staff", "category", "expect"), EDGES)
def test_route_in_the_page_treats_every_answer_as_data(
    page: Any,
    site_server: tuple[str, Path],
    changes: dict[str, Any],
    office: str,
    staff: Any,
    category: str,
    expect: list[str],
) -> None:
    from functions import routing

    document = {**BASE, **changes}
    page.goto(site_server[0] + "/")
    desks = page.evaluate(
        """async ([doc, office, staff, category]) => {
          const { route } = await import('/assets/js/routing.mjs');
          return [...route(doc, office, staff, category)].sort();
        }""",
        [document, office, staff, category],
    )
    assert desks == expect
    if isinstance(staff, bool):  # the same as the API's rules
        assert sorted(routing.parse(document).route(office, staff, category)) == expect
    assert page.errors == []
