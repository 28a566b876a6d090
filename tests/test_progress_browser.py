"""The waiting states say what is happening, with honest progress (issue 15): the steps are
numbered, the bar is determinate only while the proof of work is solved (whose fraction is
known), and indeterminate, with the seconds gone by, while the receipt code is derived
(Argon2id tells nothing of how far it has come) or the answer is awaited; screen readers
hear the step when it changes and a short "where it stands" at most every ten seconds.

The real local host asks a proof of work hard enough to take many progress reports; the
receipt worker's script, the challenge and the POST are held back by the test, so that each
step lasts as long as it needs to be watched."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.host import site_host
from tests.test_no_refetch_browser import fill_report

pytestmark = pytest.mark.browser

DIFFICULTY = 20  # about a million hashes: tens of progress reports, a second or two
STEP = re.compile(r"Langkah (\d) dari (\d): ")
ELAPSED = re.compile(r"sudah \d+ detik")
PERCENT = re.compile(r"\d+\s?%")
# Records, at every change of a form's waiting state, the status line, the bar (null while
# indeterminate), the detail line and the live announcer, with the time.
WATCH = """(selector) => {
  const form = document.querySelector(selector);
  const box = form.querySelector('[data-area=progress]');
  const status = form.querySelector('[role=status]');
  const bar = box.querySelector('progress');
  const detail = box.querySelector('[data-area=detail]');
  const announce = box.querySelector('[data-area=announce]');
  window.seen = [];
  const record = () => window.seen.push({
    t: performance.now(), status: status.textContent, detail: detail.textContent,
    announce: announce.textContent, hidden: box.hidden,
    value: bar.hasAttribute('value') ? bar.value : null,
  });
  const observer = new MutationObserver(record);
  for (const node of [status, detail, announce]) {
    observer.observe(node, { childList: true, characterData: true, subtree: true });
  }
  observer.observe(bar, { attributes: true });
  observer.observe(box, { attributes: true });
}"""


class Held:
    """Requests to a route held back until `release()`, and let through after it."""

    def __init__(self, page: Any, pattern: str) -> None:
        self.routes: list[Any] = []
        self.released = False
        page.route(pattern, self.handle)

    def handle(self, route: Any) -> None:
        if self.released:
            route.continue_()
        else:
            self.routes.append(route)

    def release(self) -> None:
        self.released = True
        for route in self.routes:
            route.continue_()


def steps(seen: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The records of each step ("1/3": [...]), in order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for record in seen:
        found = STEP.match(record["status"])
        if found:
            out.setdefault(f"{found[1]}/{found[2]}", []).append(record)
    return out


def announcements(records: list[dict[str, Any]]) -> list[str]:
    said: list[str] = []
    for record in records:
        if record["announce"] and (not said or said[-1] != record["announce"]):
            said.append(record["announce"])
    return said


def assert_indeterminate(records: list[dict[str, Any]]) -> None:
    assert records and all(r["value"] is None and not r["hidden"] for r in records)
    assert all(ELAPSED.search(r["detail"]) for r in records if r["detail"])


def assert_determinate(records: list[dict[str, Any]]) -> None:
    assert records and all(r["value"] is not None and 0 <= r["value"] <= 1 for r in records)
    assert all(PERCENT.fullmatch(r["detail"]) for r in records if r["detail"])


def assert_not_flooded(records: list[dict[str, Any]]) -> None:
    """The step is said once; then at most one short announcement per ten seconds."""
    label = STEP.match(records[0]["status"])
    assert label and len({r["status"] for r in records}) == 1
    lasted = records[-1]["t"] - records[0]["t"]
    said = announcements(records)
    assert len(said) <= lasted // 10_000 + 1, said
    assert all(s.startswith(label[0].rstrip(": ")) for s in said)


@pytest.fixture(scope="module")
def slow_proof(
    tmp_path_factory: pytest.TempPathFactory, built_site: Path, keyring_file: Path
) -> Iterator[str]:
    storage = tmp_path_factory.mktemp("storage")
    with site_host(built_site, keyring_file, storage, DIFFICULTY) as base:
        yield base


def test_sending_a_report_shows_its_steps_with_honest_progress(
    browser: Any, slow_proof: str
) -> None:
    page = browser.new_context().new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Given the form, whose receipt worker, challenge and POST the test holds back
    worker = Held(page, "**/assets/js/receipt-worker.mjs")
    challenge = Held(page, "**/api/challenge")
    report = Held(page, "**/api/reports")
    page.goto(slow_proof + "/")
    page.wait_for_selector("#report button[type=submit]:not([disabled])")
    fill_report(page)
    page.evaluate(WATCH, "#report")
    # When the reporter sends, and each step takes its time
    page.click("#report button[type=submit]")
    page.wait_for_function(
        "() => document.getElementById('form-status').textContent.startsWith('Langkah 1 dari 3')"
    )
    page.wait_for_timeout(11_500)  # more than one announcement's interval
    worker.release()
    page.wait_for_function(
        "() => document.getElementById('form-status').textContent.startsWith('Langkah 2 dari 3')"
    )
    challenge.release()
    page.wait_for_function(
        "() => document.getElementById('form-status').textContent.startsWith('Langkah 3 dari 3')",
        timeout=60_000,
    )
    page.wait_for_timeout(2_500)
    report.release()
    page.wait_for_selector("#success:not([hidden])", timeout=60_000)
    seen = page.evaluate("window.seen")
    by_step = steps(seen)
    # Then the three steps came in order, each said in the status line once
    assert list(by_step) == ["1/3", "2/3", "3/3"]
    assert by_step["1/3"][0]["status"] == (
        "Langkah 1 dari 3: Membuat kode tanda terima… "
        "Di ponsel, proses ini dapat memakan waktu beberapa detik."
    )
    assert by_step["2/3"][0]["status"].startswith(
        "Langkah 2 dari 3: Melindungi layanan ini dari banjir pesan otomatis…"
    )
    assert by_step["3/3"][0]["status"].startswith("Langkah 3 dari 3: Mengirim laporan Anda")
    # The receipt code: no percentage, the seconds counted (past ten), said once at ten
    first = by_step["1/3"]
    assert_indeterminate(first)
    assert any("sudah 11 detik" in r["detail"] for r in first)
    said = announcements(first)
    assert said and re.fullmatch(r"Langkah 1 dari 3: sudah 1\d detik", said[0]), said
    # The proof of work: a determinate bar and its percentage, up to the whole
    proof = by_step["2/3"]
    assert_determinate(proof)
    assert proof[-1]["value"] == 1
    # Sending: the size and the seconds, no percentage
    sending = by_step["3/3"]
    assert_indeterminate(sending)
    assert re.search(r"\d KB · sudah [12] detik", " ".join(r["detail"] for r in sending))
    for records in by_step.values():
        assert_not_flooded(records)
    # And all of it goes once the report is stored; the receipt code panel is left alone
    assert page.is_hidden("#form-progress")
    assert seen[-1]["status"] == "" and seen[-1]["announce"] == ""
    assert page.inner_text("#receipt-code").strip()
    assert errors == []


def test_opening_a_code_and_answering_show_their_steps(browser: Any, slow_proof: str) -> None:
    # Given a report sent, and its receipt code
    reporter = browser.new_context().new_page()
    reporter.goto(slow_proof + "/")
    reporter.wait_for_selector("#report button[type=submit]:not([disabled])")
    fill_report(reporter)
    reporter.click("#report button[type=submit]")
    reporter.wait_for_selector("#success:not([hidden])", timeout=60_000)
    code = reporter.inner_text("#receipt-code").strip()
    reporter.context.close()
    # When the reporter opens it on the status page
    page = browser.new_context().new_page()
    page.goto(slow_proof + "/status/")
    page.wait_for_selector("#lookup button[type=submit]:not([disabled])")
    page.evaluate(WATCH, "#lookup")
    page.fill("#code", code)
    page.click("#lookup button[type=submit]")
    page.wait_for_selector("#case:not([hidden])", timeout=60_000)
    # Then: 1 of 2, the code turned into keys (no percentage), 2 of 2, the report fetched
    by_step = steps(page.evaluate("window.seen"))
    assert list(by_step) == ["1/2", "2/2"]
    assert by_step["1/2"][0]["status"].startswith("Langkah 1 dari 2: Mengubah kode Anda")
    assert by_step["2/2"][0]["status"].startswith("Langkah 2 dari 2: Mengambil laporan Anda")
    for records in by_step.values():
        assert_indeterminate(records)
        assert_not_flooded(records)
    assert page.is_hidden("#lookup [data-area=progress]")
    # When the reporter answers: 1 of 2 the proof (determinate), 2 of 2 sending
    page.evaluate(WATCH, "#followup")
    page.fill("#followup-text", "Jawaban: setiap tanggal 5.")
    page.click("#followup button[type=submit]")
    page.wait_for_selector("#followup [data-area=done]:not(:empty)", timeout=60_000)
    by_step = steps(page.evaluate("window.seen"))
    assert list(by_step) == ["1/2", "2/2"]
    assert by_step["1/2"][0]["status"].startswith("Langkah 1 dari 2: Melindungi layanan")
    assert by_step["2/2"][0]["status"].startswith("Langkah 2 dari 2: Mengirim pesan Anda")
    assert_determinate(by_step["1/2"])
    assert_indeterminate(by_step["2/2"])
    assert page.is_hidden("#followup [data-area=progress]")
    assert page.get_attribute("#followup progress", "value") is None
