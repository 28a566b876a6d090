"""End to end: a report typed into the real page in Chromium reaches the inspector's terminal.

The system runs as a newcomer runs it: `wbs keys new`, then `wbs serve` (build + the real
waitress host + local storage) in its own process, then `wbs inbox sync/list/show`. Every
field carries a unique canary; afterwards the canary must appear in no stored object, no
cached file and no line the server logged.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from tests.support.system import wbs

pytestmark = pytest.mark.browser

CANARY = f"KANARI{uuid.uuid4().hex[:12]}"


def fields() -> dict[str, str]:
    c = CANARY
    return {
        "#title": f"{c} judul pungli loket",
        "#what": f"{c} apa: kepala loket meminta uang pelicin\nbaris kedua ✓",
        "#where": f"{c} di mana: Kantor KPU Kota Contoh",
        "#when-date": "2026-10-01",
        "#when-note": f"{c} sekitar pukul 10 pagi",
        "#how": f"{c} bagaimana: lewat perantara",
        "#loss": "1500000",
        "#reporter-name": f"{c} Nama Pelapor",
        "#reporter-contact": f"{c} kontak@contoh.id",
    }


PEOPLE = [
    (f"{CANARY} Budi", f"{CANARY} Kepala Loket", f"{CANARY} Unit Pelayanan"),
    (f"{CANARY} Sari", f"{CANARY} Bendahara", f"{CANARY} Bagian Keuangan"),
]


def test_report_travels_from_browser_to_inspector(page, system) -> None:
    # Given the page served by `wbs serve`
    page.goto(str(system["base"]) + "/")
    page.wait_for_selector("button[type=submit]:not([disabled])")

    # When the reporter fills in every field, two reported people, their identity and the
    # declarations, and sends
    page.select_option("#category", "pungutan-liar")
    page.click("#how-fold summary")  # the optional "how and how much", folded
    for selector, value in fields().items():
        if selector.startswith("#reporter"):
            continue
        page.fill(selector, value)
    page.click("#add-person")
    rows = page.query_selector_all("#people [data-person]")
    assert len(rows) == 2
    for row, person in zip(rows, PEOPLE, strict=True):
        for name, value in zip(("who-name", "who-position", "who-unit"), person, strict=True):
            row.query_selector(f"[name={name}]").fill(value)
    page.check("input[name=identity][value=identified]")
    page.fill("#reporter-name", fields()["#reporter-name"])
    page.fill("#reporter-contact", fields()["#reporter-contact"])
    page.select_option("#reporter-relation", "employee")
    for box in ("truthful", "not_involved", "aware_of_sanctions", "confidential"):
        page.check(f"input[name={box}]")
    page.click("button[type=submit]")

    # Then a registration number is shown
    page.wait_for_selector("#success:not([hidden])", timeout=30_000)
    number = page.inner_text("#registration-number").strip()
    assert len(number.replace("-", "")) == 16
    assert page.errors == []

    # And the inspector's commands print the report with every field intact
    synced = wbs(system, "inbox", "sync")
    assert synced.returncode == 0, synced.stderr
    listed = wbs(system, "inbox", "list")
    assert listed.returncode == 0, listed.stderr
    assert number in listed.stdout and "Pungutan Liar" in listed.stdout
    shown = wbs(system, "inbox", "show", number[:7].lower())
    assert shown.returncode == 0, shown.stderr
    for selector, value in fields().items():
        if selector == "#loss":
            assert "Rp 1.500.000" in shown.stdout
        elif selector == "#when-date":
            assert "2026-10-01" in shown.stdout
        else:
            for line in value.splitlines():
                assert line in shown.stdout, selector
    for person in PEOPLE:
        for value in person:
            assert value in shown.stdout

    # And the second active inspector reads the same report; the retired key cannot
    second = wbs(system, "inbox", "show", number, key="bima")
    assert second.returncode == 0, second.stderr
    assert fields()["#where"] in second.stdout
    retired = wbs(system, "inbox", "show", number, key="retired")
    assert retired.returncode == 1
    assert retired.stderr.startswith("wbs: error:") and number in retired.stderr

    # And the canary is in no stored object, no cached ciphertext and no log line
    tmp = system["tmp"]
    assert isinstance(tmp, Path)
    stored = [p for p in (tmp / "storage").rglob("*") if p.is_file()]
    cached = [p for p in (tmp / "home").rglob("*") if p.is_file()]
    report_id = number.replace("-", "")
    markers = [p for p in stored if p.parent.name == "proofs"]  # the page's proof of work
    assert len(markers) == 1 and re.fullmatch(r"[0-9a-f]{64}", markers[0].name)
    assert markers[0].read_bytes() == b""
    # Each inspector who opened the case left an access record (the retired key could not)
    records = [p for p in stored if p.parent.parent.name == "notes"]
    assert len(records) == 2 and {p.parent.name for p in records} == {report_id}
    # (beside the desks' grants `wbs desks init` stored before the system started)
    grants = {p for p in stored if p.relative_to(tmp / "storage").parts[0] == "desks"}
    left = {p.name for p in set(stored) - grants} - {markers[0].name} - {p.name for p in records}
    assert left == {"verifier.json", f"{report_id}.json"}
    for path in [*stored, *cached, system["log"]]:
        assert CANARY.encode() not in Path(path).read_bytes(), path
