"""End to end: a report with three evidence files, from the real page to the inspector's export.

The page (real Chromium, `wbs serve` with local storage) sends a report with a 50 MiB file of
random bytes, a small text file whose name and content carry a canary, and a file of exactly
one chunk (1 MiB). The first PUT of the big file's second part is cut off; the page retries
it and never sends a finished part again. The inspector then syncs, lists the three files
and exports them byte-identical; neither the canary name nor its content is in any stored
object (attachments and the hidden upload folder included), cached file or server log line.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.system import wbs

pytestmark = pytest.mark.browser

CANARY = f"KANARI{uuid.uuid4().hex[:12]}"
BIG = 50 * 1024 * 1024 + 12_345  # seven parts of 8 MiB, the last one short
CHUNK = 1024 * 1024


def evidence(folder: Path) -> dict[str, bytes]:
    files = {
        "rekaman-rapat.bin": os.urandom(BIG),
        f"catatan-{CANARY}.txt": f"{CANARY}: daftar setoran bulan Maret\n".encode(),
        "pindaian.bin": os.urandom(CHUNK),  # exactly one chunk: a data chunk and a padding one
    }
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


def fill_report(page: Any, base: str, what: str, files: list[Path]) -> None:
    """Open the page and fill in a report with these evidence files, ready to send."""
    page.goto(base + "/")
    page.wait_for_selector("#report button[type=submit]:not([disabled])")
    page.select_option("#category", "pemerasan")
    page.fill("#what", what)
    page.fill("#where", "Sekretariat KPU Kota Contoh")
    page.fill("#people [name=who-position]", "Bendahara")
    for box in ("truthful", "not_involved", "aware_of_sanctions", "confidential"):
        page.check(f"input[name={box}]")
    page.set_input_files("#evidence", [str(path) for path in files])


def test_three_files_are_uploaded_resumed_and_exported_byte_identical(
    browser: Any, system: dict[str, Any]
) -> None:
    base = system["base"]
    tmp = Path(system["tmp"])
    files = evidence(tmp / "evidence")
    context = browser.new_context()
    page = context.new_page()

    # Every part PUT is seen; the first try of a second part (only the big file has one)
    # is cut off as a dropped connection would cut it.
    puts: list[tuple[str, str]] = []

    def part(route: Any) -> None:
        request = route.request
        query = parse_qs(urlsplit(request.url).query)
        key = (urlsplit(request.url).path, query["part"][0])
        puts.append(key)
        if key[1] == "2" and puts.count(key) == 1:
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/attachments/**", part)

    # Given the form filled in, with three files chosen
    what = "Bendahara meminta setoran dari honor petugas; buktinya terlampir."
    fill_report(page, base, what, [tmp / "evidence" / name for name in files])
    listed = page.locator("#evidence-list li")
    assert listed.count() == 3
    assert CANARY in listed.nth(1).inner_text()

    # When the report is sent
    page.click("#report button[type=submit]")

    # Then the receipt code shows at once, and the files follow, one at a time
    page.wait_for_selector("#success:not([hidden])", timeout=60_000)
    number = page.inner_text("#registration-number").strip()
    page.wait_for_selector("#uploads:not([hidden])")
    page.wait_for_selector("#uploads[data-state]", timeout=120_000)
    assert page.get_attribute("#uploads", "data-state") == "done"
    rows = page.locator("#upload-list li")
    assert [rows.nth(i).get_attribute("data-state") for i in range(3)] == ["done"] * 3
    # The cut part was sent again and the upload went on; no finished part was sent twice
    assert rows.nth(0).get_attribute("data-resumed") == "true"
    big_parts = [key for key in puts if puts.count(key) > 1]
    assert len(set(big_parts)) == 1 and len(big_parts) == 2 and big_parts[0][1] == "2"
    assert len(set(puts)) == 7 + 1 + 1
    assert page.evaluate("() => [document.cookie, localStorage.length, sessionStorage.length]") == [
        "",
        0,
        0,
    ]
    context.close()

    # When the inspector syncs, lists and exports the case
    assert wbs(system, "inbox", "sync").returncode == 0
    listing = wbs(system, "inbox", "files", number)
    assert listing.returncode == 0, listing.stderr
    for name in files:
        assert name in listing.stdout
    out = tmp / "export"
    exported = wbs(system, "inbox", "export", number, "--to", str(out))
    assert exported.returncode == 0, exported.stderr

    # Then the three files are byte-identical to the originals
    assert sorted(os.listdir(out)) == sorted(files)
    for name, data in files.items():
        written = hashlib.sha256((out / name).read_bytes()).hexdigest()
        assert written == hashlib.sha256(data).hexdigest(), name

    # And the canary (the file's name and content) is in no stored object, cache or log line
    stored = [p for p in (tmp / "storage").rglob("*") if p.is_file()]
    assert len([p for p in stored if "attachments" in p.parts]) == 3
    stored += [p for p in (tmp / "home").rglob("*") if p.is_file()]
    stored.append(system["log"])
    for path in stored:
        assert CANARY.encode() not in path.read_bytes(), path
        assert CANARY not in str(path), path


def test_the_page_warns_before_leaving_while_a_file_is_sent_and_a_file_can_be_cancelled(
    browser: Any, system: dict[str, Any]
) -> None:
    # Given a report with one file whose parts the network holds back
    tmp = Path(system["tmp"])
    big = tmp / "rekaman.bin"
    big.write_bytes(os.urandom(3 << 20))
    context = browser.new_context()
    page = context.new_page()
    held: list[Any] = []
    page.route("**/attachments/**", lambda route: held.append(route))
    fill_report(page, system["base"], "Rekaman percakapan terlampir.", [big])
    page.click("#report button[type=submit]")
    page.wait_for_selector("#upload-list li[data-state=sending]", timeout=60_000)
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the first part never left the worker"

    # When the reporter tries to leave while it is being sent
    with page.expect_event("dialog") as asked:
        page.close(run_before_unload=True)
    # Then the browser asks first, and the page stays when the reporter says so
    assert asked.value.type == "beforeunload"
    asked.value.dismiss()
    assert page.evaluate("() => document.querySelectorAll('#upload-list li').length") == 1

    # When the reporter cancels the file
    page.click("#upload-list li [data-cancel]")
    # Then the row says it was not sent, and leaving no longer asks
    page.wait_for_selector("#upload-list li[data-state=cancelled]")
    with page.expect_event("close"):
        page.close(run_before_unload=True)
    context.close()


def test_a_refused_part_url_is_renewed_and_the_file_still_arrives(
    browser: Any, system: dict[str, Any]
) -> None:
    # Given a report with one file, and storage refusing the first part's URL once (403),
    # as it does when a grant has expired or is no longer valid
    tmp = Path(system["tmp"])
    small = tmp / "foto.jpg"
    small.write_bytes(os.urandom(300_000))
    context = browser.new_context()
    page = context.new_page()
    refused: list[str] = []

    def part(route: Any) -> None:
        if not refused:
            refused.append(route.request.url)
            route.fulfill(status=403, content_type="application/json", body='{"error":"x"}')
        else:
            route.continue_()

    page.route("**/attachments/**", part)
    renewals: list[str] = []
    page.on("request", lambda r: r.url.endswith("/api/uploads/renew") and renewals.append(r.url))
    fill_report(page, system["base"], "Foto kuitansi terlampir.", [small])
    # When the report and its file are sent
    page.click("#report button[type=submit]")
    page.wait_for_selector("#upload-list li[data-state=done]", timeout=60_000)
    # Then the page asked for fresh URLs once and the file arrived whole
    assert len(refused) == 1 and len(renewals) == 1
    number = page.inner_text("#registration-number").strip()
    context.close()
    assert wbs(system, "inbox", "sync").returncode == 0
    out = tmp / "export-renewed"
    exported = wbs(system, "inbox", "export", number, "--to", str(out))
    assert exported.returncode == 0, exported.stderr
    assert (out / "foto.jpg").read_bytes() == small.read_bytes()
