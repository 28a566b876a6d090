"""The proof of work in the real page (docs/spec/pow-v1.md), against `wbs serve` asking the
config's difficulty: the report form and the status page's follow-up each ask a challenge,
solve it in a worker with the progress shown, and send the proof once; a refused proof is
replaced by a new one. The proof never reaches the server's log."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from functions.proofs.challenge import work_bits
from tests.test_e2e_mailbox_browser import open_case
from wbs import config

pytestmark = pytest.mark.browser

PROVING = "Melindungi layanan ini dari banjir pesan otomatis"
PROOF_RE = re.compile(r"([A-Za-z0-9_-]{79})\.(0|[1-9][0-9]*)")
# Records every text of the form's status line and every value its progress bar shows.
WATCH = """(selector) => {
  const form = document.querySelector(selector);
  const status = form.querySelector('[role=status]');
  const bar = form.querySelector('progress');
  window.seen = { statuses: [], values: [] };
  new MutationObserver(() => window.seen.statuses.push(status.textContent))
    .observe(status, { childList: true, characterData: true, subtree: true });
  new MutationObserver(() => {
    if (bar.hasAttribute('value')) window.seen.values.push(bar.value);
  }).observe(bar, { attributes: true });
}"""


class Refuse:
    """Answer the first POST to a route with a refused proof, let the others through, and
    keep each request's Wbs-Proof."""

    def __init__(self, page: Any, path: str, status: int, error: str) -> None:
        self.proofs: list[str] = []
        self.status, self.error = status, error
        page.route(f"**{path}", self.answer)

    def answer(self, route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        self.proofs.append(route.request.headers.get("wbs-proof", ""))
        if len(self.proofs) == 1:
            body = f'{{"error": "{self.error}", "message": "Refused."}}'
            route.fulfill(status=self.status, content_type="application/json", body=body)
        else:
            route.continue_()


def markers(system: dict[str, Any]) -> set[str]:
    folder = Path(system["tmp"]) / "storage" / "proofs"
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def marker_of(proof: str) -> str:
    return hashlib.sha256(proof.split(".")[0].encode()).hexdigest()


def assert_solved(proofs: list[str], difficulty: int) -> None:
    assert len(proofs) == 2 and proofs[0] != proofs[1]  # a new challenge for the retry
    for proof in proofs:
        assert PROOF_RE.fullmatch(proof) and work_bits(proof) >= difficulty


def test_report_and_followup_solve_their_proofs_with_progress_shown(
    browser: Any, system: dict[str, Any]
) -> None:
    base = system["base"]
    difficulty = config.proof_difficulty(None, environ={})
    page = browser.new_context().new_page()
    # Given the report form, whose first proof the server will have refused (expired)
    reports = Refuse(page, "/api/reports", 403, "proof_expired")
    page.goto(base + "/")
    page.wait_for_selector("#report button[type=submit]:not([disabled])")
    page.evaluate(WATCH, "#report")
    # When the reporter sends a report
    page.select_option("#category", "pemerasan")
    page.fill("#what", "Bendahara meminta setoran dari honor petugas.")
    page.fill("#where", "Sekretariat KPU Kota Contoh")
    page.fill("#people [name=who-position]", "Bendahara")
    for box in ("truthful", "not_involved", "aware_of_sanctions", "confidential"):
        page.check(f"input[name={box}]")
    page.click("#report button[type=submit]")
    page.wait_for_selector("#success:not([hidden])", timeout=60_000)
    code = page.inner_text("#receipt-code").strip()
    # Then the page showed the proof of work and its progress, solved a second challenge
    # for the retry, and the server took the second proof (its marker is stored)
    seen = page.evaluate("window.seen")
    assert any(PROVING in text for text in seen["statuses"])
    assert seen["values"] and all(0 <= v <= 1 for v in seen["values"]) and max(seen["values"]) > 0
    assert_solved(reports.proofs, difficulty)
    assert markers(system) == {marker_of(reports.proofs[1])}

    # Given the status page, whose first follow-up the server will have refused (used)
    later = browser.new_context().new_page()
    followups = Refuse(later, "/api/mailbox", 409, "proof_used")
    open_case(later, base, code)
    later.evaluate(WATCH, "#followup")
    # When the reporter answers
    later.fill("#followup-text", "Jawaban: setiap tanggal 5.")
    later.click("#followup button[type=submit]")
    later.wait_for_selector("#followup [data-area=done]:not(:empty)", timeout=60_000)
    # Then the same: progress shown, a second proof solved and taken
    seen = later.evaluate("window.seen")
    assert any(PROVING in text for text in seen["statuses"])
    assert seen["values"] and max(seen["values"]) > 0
    assert later.get_attribute("#followup progress", "value") is None  # back to idle
    assert_solved(followups.proofs, difficulty)
    assert markers(system) == {marker_of(p) for p in (reports.proofs[1], followups.proofs[1])}
    # And no proof, challenge or marker name is in the server's log
    log = Path(system["log"]).read_text(encoding="utf-8")
    for proof in [*reports.proofs, *followups.proofs]:
        assert proof.split(".")[0][:24] not in log and marker_of(proof) not in log
    assert '"route":"/api/challenge"' in log.replace(" ", "")
