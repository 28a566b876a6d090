"""The desks end to end (docs/spec/desks-v2.md): real keys (`wbs keys new`), desks and grants
made by `wbs desks …`, `wbs serve` in its own process with real local storage, the real page
filled in and sent by Chromium, and the reports read with `wbs inbox sync` / `wbs inbox show`
by each inspector's own key.

- The KPU example (site/examples/kpu.toml; tests/support/system.py's ``kpu_system``): one
  member on each of inspektorat (central, central_receives = "all"), wilayah-1, wilayah-2
  and pimpinan (escalation). A report about an office of wilayah-1 is read by wilayah-1's
  member and the central desk's, not by wilayah-2's; one about the inspectorate's own staff by
  pimpinan's member alone; a page altered to seal to a set of desks the rules never give is
  refused (422 stale_keys) and nothing is written.
- The default desk (``system``: anna and bima): after `wbs desks remove-member` and a rebuilt
  page, bima reads what was sent before and not what is sent after.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from functions.keyring import load
from tests.support.system import wait_for_rebuild, wbs
from wbs import keyfile

pytestmark = pytest.mark.browser

ROUTING = re.compile(r'(<script type="application/json" id="wbs-routing">)(.*?)(</script>)', re.S)


def fill(page: Any, title: str, category: str = "korupsi") -> None:
    """The required fields, and ``title`` to know the report by."""
    page.select_option("#category", category)
    page.fill("#title", title)
    page.fill("#what", f"{title}: diminta membayar untuk surat yang gratis.")
    page.fill("#people [name=who-name] >> nth=0", "Budi")
    page.fill("#where", "Kantor KPU")
    for box in page.query_selector_all("#declarations input[type=checkbox]"):
        box.check()


def answer_route(page: Any, office: str, search: str, staff: bool) -> None:
    """Choose ``office`` through the search field, and answer the staff question."""
    page.fill("#office-filter", search)
    page.wait_for_function(
        "(text) => document.getElementById('office-filter').dataset.applied === text", arg=search
    )
    page.check(f"input[name=office][value={office}]")
    page.check(f"input[name=concerns_staff][value={'yes' if staff else 'no'}]")


def open_page(page: Any, system: dict[str, Any], path: str = "/") -> None:
    page.goto(str(system["base"]) + path)
    page.wait_for_selector("#report button[type=submit]:not([disabled])")


def send(page: Any) -> str:
    """Send the form; the registration number the page shows."""
    page.click("#report button[type=submit]")
    page.wait_for_selector("#success:not([hidden])", timeout=30_000)
    assert page.errors == []
    return str(page.inner_text("#registration-number")).strip()


def show(system: dict[str, Any], number: str, who: str) -> Any:
    """`wbs inbox sync` then `wbs inbox show NUMBER`, with ``who``'s key."""
    synced = wbs(system, "inbox", "sync", key=who)
    assert synced.returncode == 0, synced.stderr
    return wbs(system, "inbox", "show", number, key=who)


def reads(system: dict[str, Any], number: str, who: str, title: str) -> None:
    shown = show(system, number, who)
    assert shown.returncode == 0, (who, shown.stderr)
    assert title in shown.stdout


def refused(system: dict[str, Any], number: str, who: str) -> str:
    """``who`` cannot open the report: the error, one line."""
    shown = show(system, number, who)
    assert shown.returncode == 1, (who, shown.stdout)
    assert shown.stderr.startswith("wbs: error:") and number in shown.stderr
    assert "sealed to no key you hold" in shown.stderr
    # And the way in it names is a command that exists
    assert "(wbs desks add-member), then: wbs inbox sync" in shown.stderr
    return " ".join(shown.stderr.split())


def stored(system: dict[str, Any]) -> dict[str, bytes]:
    """Every file of the storage folder, with its bytes."""
    root = Path(system["tmp"]) / "storage"
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def desk_kids(system: dict[str, Any], *desks: str) -> list[str]:
    ring = load(Path(system["env"]["WBS_KEYRING"]))
    assert ring.recovery is not None
    return [*(ring.desk(d).kid for d in desks), ring.recovery.kid]


def test_a_report_about_an_office_is_read_by_its_regional_desk_and_the_central_one(
    page: Any, kpu_system: dict[str, Any]
) -> None:
    # Given the KPU's page, served by `wbs serve --config site/examples/kpu.toml`
    open_page(page, kpu_system)
    title = f"ACEH-{uuid.uuid4().hex[:8]}"
    # When a report about KIP Aceh (wilayah-1), not about the inspectorate's staff, is sent
    fill(page, title)
    answer_route(page, "kip-aceh", "aceh", staff=False)
    with page.expect_request("**/api/reports") as sent:
        number = send(page)
    # Then it is sealed to wilayah-1, inspektorat (central_receives = "all") and recovery
    kids = [r["kid"] for r in json.loads(sent.value.post_data)["recipients"]]
    assert sorted(kids) == sorted(desk_kids(kpu_system, "wilayah-1", "inspektorat"))
    # And wilayah-1's member and the central desk's read it
    reads(kpu_system, number, "wilayah1", title)
    reads(kpu_system, number, "pusat", title)
    # And wilayah-2's member cannot; the error names the desks that would open it
    error = refused(kpu_system, number, "wilayah2")
    assert (
        "desk Inspektorat Wilayah I (wilayah-1, generation 1), held by Inspektur wilayah1" in error
    )
    assert (
        "desk Inspektorat Utama KPU (inspektorat, generation 1), held by Inspektur pusat" in error
    )
    assert "wilayah-2" not in error and "Inspektur wilayah2" not in error
    # And neither can the leadership's
    refused(kpu_system, number, "pimpinan")


def test_a_report_about_the_inspectorates_staff_is_read_by_the_leadership_alone(
    page: Any, kpu_system: dict[str, Any]
) -> None:
    open_page(page, kpu_system)
    title = f"STAF-{uuid.uuid4().hex[:8]}"
    # When a report about KIP Aceh that concerns the inspectorate's own staff is sent
    fill(page, title)
    answer_route(page, "kip-aceh", "aceh", staff=True)
    number = send(page)
    # Then pimpinan's member reads it
    reads(kpu_system, number, "pimpinan", title)
    # And none of the inspectors, central or regional, can
    for who in ("pusat", "wilayah1", "wilayah2"):
        error = refused(kpu_system, number, who)
        assert "(pimpinan, generation 1), held by Inspektur pimpinan" in error
        assert "inspektorat" not in error and "wilayah-" not in error


def test_a_page_altered_to_seal_to_desks_the_rules_never_give_is_refused_and_nothing_is_written(
    page: Any, kpu_system: dict[str, Any]
) -> None:
    # Given the KPU's page as served, but altered on its way to the browser: its routing
    # rules also send korupsi reports to the leadership (pimpinan with the central desk is a
    # set the config never gives)
    def altered(route: Any) -> None:
        response = route.fetch()
        html = response.text()
        found = ROUTING.search(html)
        assert found is not None
        rules = json.loads(found[2])
        rules["categories"]["korupsi"] = ["pimpinan"]
        body = html.replace(found[0], found[1] + json.dumps(rules) + found[3])
        route.fulfill(response=response, body=body)

    page.route(str(kpu_system["base"]) + "/en/", altered)
    open_page(page, kpu_system, "/en/")
    fill(page, f"UBAH-{uuid.uuid4().hex[:8]}")
    answer_route(page, "kpu-ri", "republic", staff=False)
    before = stored(kpu_system)
    # When the reporter sends
    with page.expect_response("**/api/reports") as answered:
        page.click("#report button[type=submit]")
    # Then the page sealed to the altered set, and the API refused it as a stale page
    response = answered.value
    kids = [r["kid"] for r in json.loads(response.request.post_data)["recipients"]]
    assert sorted(kids) == sorted(desk_kids(kpu_system, "inspektorat", "pimpinan"))
    assert response.status == 422 and response.json()["error"] == "stale_keys"
    # And the page says to reload, and shows no registration number
    page.wait_for_function("() => document.getElementById('form-error').textContent !== ''")
    assert page.text_content("#form-error") == (
        "This page is out of date, so your report was not accepted and nothing was saved. "
        "Copy your text somewhere safe, reload the page, and send it again."
    )
    assert page.is_hidden("#success")
    # And the storage is byte for byte as it was: no report, no verifier, no proof spent
    assert stored(kpu_system) == before
    assert page.errors == []


def test_a_member_removed_reads_the_reports_before_and_none_after_the_rebuilt_page(
    page: Any, system: dict[str, Any]
) -> None:
    # Given a report sent while anna and bima are members of inspektorat (generation 1)
    open_page(page, system)
    before_title = f"SEBELUM-{uuid.uuid4().hex[:8]}"
    fill(page, before_title, "pungutan-liar")
    before = send(page)
    # When anna removes bima from the desk (the running `wbs serve` rebuilds the page)
    bima = keyfile.inspect(system["keys"]["bima"]).kid
    removed = wbs(system, "desks", "remove-member", "--desk=inspektorat", f"--member={bima}")
    assert removed.returncode == 0, removed.stderr
    ring = load(Path(system["env"]["WBS_KEYRING"]))
    assert ring.desk("inspektorat").generation == 2
    wait_for_rebuild(system, "inspektorat")
    # And a new report is sent from the rebuilt page
    open_page(page, system)
    after_title = f"SESUDAH-{uuid.uuid4().hex[:8]}"
    fill(page, after_title, "pungutan-liar")
    with page.expect_request("**/api/reports") as sent:
        after = send(page)
    # Then it is sealed to generation 2
    kids = [r["kid"] for r in json.loads(sent.value.post_data)["recipients"]]
    assert sorted(kids) == sorted(desk_kids(system, "inspektorat"))
    # And anna reads it, bima cannot: it is sealed to a desk he holds no key of
    reads(system, after, "anna", after_title)
    error = refused(system, after, "bima")
    assert "desk inspektorat (2), held by Inspektur anna," in error
    assert "Inspektur bima" not in error
    # And bima still reads the report sent before he left, as anna does
    reads(system, before, "bima", before_title)
    reads(system, before, "anna", before_title)
