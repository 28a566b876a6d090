"""Issue 16 (3): a keyring changed while `wbs serve` runs changes the page and the API
together. The desk is rotated under the running server: a page loaded afterwards seals to the
new key and its report is stored (and read by a member); a page loaded before it is refused as
out of date, storing nothing, instead of sealing to a key the desk no longer uses. Retiring a
person's key while serving stops no report either."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.system import served_desk_key, wait_for_rebuild, wbs

pytestmark = pytest.mark.browser


def open_form(page: Any, base: str) -> None:
    page.goto(base + "/")
    page.wait_for_selector("button[type=submit]:not([disabled])")


def fill_and_send(page: Any, words: str) -> None:
    page.select_option("#category", "pungutan-liar")
    page.fill("#what", words)
    page.fill("#people [name=who-name]", "Kepala Loket")
    page.fill("#where", "Kantor KPU Kota Contoh")
    for box in ("truthful", "not_involved", "aware_of_sanctions", "confidential"):
        page.check(f"input[name={box}]")
    page.click("button[type=submit]")


def stored_reports(storage: Path) -> set[str]:
    return {p.parent.name for p in storage.rglob("verifier.json")}


def test_a_rotation_while_serving_changes_page_and_api_together(
    browser: Any, system: dict[str, Any]
) -> None:
    base = str(system["base"])
    storage = system["tmp"] / "storage"
    before = served_desk_key(system, "inspektorat")
    stale = browser.new_context()
    old_page = stale.new_page()
    open_form(old_page, base)

    # When a member rotates the desk while the server runs
    rotated = wbs(system, "desks", "rotate", "--desk=inspektorat")
    assert rotated.returncode == 0, rotated.stderr

    # Then the page is rebuilt for the new key, without a restart
    assert wait_for_rebuild(system, "inspektorat") != before

    # And a report from a page loaded now is stored, and a member reads it
    fresh = browser.new_context()
    page = fresh.new_page()
    open_form(page, base)
    fill_and_send(page, "dilaporkan setelah rotasi")
    page.wait_for_selector("#success:not([hidden])", timeout=60_000)
    number = page.inner_text("#registration-number").strip()
    assert wbs(system, "inbox", "sync").returncode == 0
    shown = wbs(system, "inbox", "show", number)
    assert shown.returncode == 0, shown.stderr
    assert "dilaporkan setelah rotasi" in shown.stdout

    # And the page loaded before the rotation is told it is out of date; nothing is stored
    cases = stored_reports(storage)
    fill_and_send(old_page, "dari halaman lama")
    old_page.wait_for_selector("#form-error:not(:empty)", timeout=60_000)
    assert "Halaman ini sudah usang" in old_page.inner_text("#form-error")
    assert stored_reports(storage) == cases
    stale.close()
    fresh.close()


def test_retiring_a_key_while_serving_stops_no_report(page: Any, system: dict[str, Any]) -> None:
    base = str(system["base"])
    keys = json.loads((system["tmp"] / "keyring" / "keyring.json").read_text())["keys"]
    bima = keys[1]["kid"]

    retired = wbs(system, "keys", "retire", bima)
    assert retired.returncode == 0, retired.stderr
    time.sleep(2.5)  # the server notices within a second and rebuilds

    open_form(page, base)
    fill_and_send(page, "dilaporkan setelah pensiun kunci")
    page.wait_for_selector("#success:not([hidden])", timeout=60_000)
    assert "rebuilt" in system["log"].read_text()
