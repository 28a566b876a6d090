"""A report or follow-up whose answer was lost, in Chromium against `wbs serve`: the server
stored it, the page never heard. Sending again, unchanged, sends the very same sealed bytes
(with a fresh proof of work), and the case holds one copy: one report and one receipt code,
one follow-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.test_e2e_mailbox_browser import open_case, send_report
from tests.test_e2e_upload_browser import fill_report

pytestmark = pytest.mark.browser


def lose_first_answer(page: Any, pattern: str) -> list[bytes]:
    """The first POST to ``pattern`` reaches the server; its answer never reaches the page.
    Returns the bodies of every POST, in order."""
    bodies: list[bytes] = []

    def handle(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        bodies.append(route.request.post_data_buffer)
        if len(bodies) == 1:
            route.fetch()  # the server stores it...
            route.abort("connectionreset")  # ...and the connection drops before the answer
        else:
            route.continue_()

    page.route(pattern, handle)
    return bodies


def stored(tmp: Path, folder: str) -> list[Path]:
    return sorted(p for p in (tmp / "storage" / folder).rglob("*.json") if p.is_file())


def test_a_report_whose_answer_was_lost_is_stored_once_when_sent_again(
    browser: Any, system: dict[str, Any]
) -> None:
    tmp = Path(system["tmp"])
    page = browser.new_context().new_page()
    bodies = lose_first_answer(page, "**/api/reports")
    fill_report(page, system["base"], "Kuitansi fiktif untuk honor petugas.", [])
    # When the report is sent and its answer is lost
    page.click("#report button[type=submit]")
    page.wait_for_selector("#form-error:not(:empty)", timeout=60_000)
    # Then the page says it may have arrived, and keeps everything
    assert page.inner_text("#form-error") == page.get_attribute("#report", "data-msg-uncertain")
    assert len(stored(tmp, "reports")) == 1
    # When the reporter sends it again, unchanged
    page.click("#report button[type=submit]")
    page.wait_for_selector("#success:not([hidden])", timeout=60_000)
    # Then the same sealed report went out again, and the case holds it once
    assert len(bodies) == 2 and bodies[0] == bodies[1]
    assert len(stored(tmp, "reports")) == 1
    number = page.inner_text("#registration-number").strip().replace("-", "")
    assert stored(tmp, "reports")[0].name == f"{number}.json"


def test_a_changed_report_after_a_lost_answer_is_sealed_anew(
    browser: Any, system: dict[str, Any]
) -> None:
    page = browser.new_context().new_page()
    bodies = lose_first_answer(page, "**/api/reports")
    fill_report(page, system["base"], "Kuitansi fiktif untuk honor petugas.", [])
    page.click("#report button[type=submit]")
    page.wait_for_selector("#form-error:not(:empty)", timeout=60_000)
    # When the reporter changes the text before sending again
    page.fill("#what", "Kuitansi fiktif untuk honor petugas, tiga bulan berturut-turut.")
    page.click("#report button[type=submit]")
    page.wait_for_selector("#success:not([hidden])", timeout=60_000)
    # Then a new report was sealed (it may be a second case: the first may have arrived)
    assert len(bodies) == 2 and bodies[0] != bodies[1]


def test_a_followup_whose_answer_was_lost_is_stored_once_when_sent_again(
    browser: Any, system: dict[str, Any]
) -> None:
    tmp = Path(system["tmp"])
    reporter = browser.new_context()
    code, number = send_report(reporter.new_page(), system["base"])
    reporter.close()
    page = browser.new_context().new_page()
    open_case(page, system["base"], code)
    bodies = lose_first_answer(page, "**/api/mailbox")
    page.fill("#followup-text", "Bukti transfer menyusul.")
    # When the follow-up is sent and its answer is lost
    page.click("#followup button[type=submit]")
    page.wait_for_selector("#followup-error:not(:empty)", timeout=60_000)
    uncertain = page.get_attribute("#followup", "data-msg-uncertain")
    assert page.inner_text("#followup-error") == uncertain
    assert page.input_value("#followup-text") == "Bukti transfer menyusul."
    # When it is sent again, unchanged
    page.click("#followup button[type=submit]")
    page.wait_for_selector("#followup [data-area=done]:not(:empty)", timeout=60_000)
    # Then the same envelope went twice, and the mailbox holds one follow-up
    assert len(bodies) == 2 and bodies[0] == bodies[1]
    folder = number.replace("-", "")
    messages = [p for p in stored(tmp, f"mailboxes/{folder}") if "-reporter-" in p.name]
    assert len(messages) == 1
