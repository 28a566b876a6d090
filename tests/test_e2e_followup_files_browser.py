"""End to end: a follow-up with an evidence file, from the status page to the inspector's export.

A report is sent from the real page (Chromium, `wbs serve` with local storage); the reporter
opens the case on /status/ with the receipt code, writes a follow-up and attaches a small file
whose name and content carry a canary. The follow-up is stored first, then the file is
uploaded with the same progress list as a report's. The thread shows the file's name; the
inspector's `wbs inbox files` lists it under the follow-up and `wbs inbox export` writes it
byte-identical; the canary is in no stored object, cached file or server log line.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support.system import wbs
from tests.test_e2e_mailbox_browser import open_case, send_report

pytestmark = pytest.mark.browser

CANARY = f"KANARI{uuid.uuid4().hex[:12]}"


def test_a_followup_carries_a_file_to_the_inspector(browser: Any, system: dict[str, Any]) -> None:
    base = system["base"]
    tmp = Path(system["tmp"])
    name = f"bukti-{CANARY}.txt"
    content = f"{CANARY}: kuitansi setoran tanggal 5\n".encode() + os.urandom(3000)
    (tmp / "followup-evidence").mkdir()
    (tmp / "followup-evidence" / name).write_bytes(content)

    # Given a report sent from the real page
    reporter = browser.new_context()
    code, number = send_report(reporter.new_page(), base)
    reporter.close()

    # When the reporter opens the case and answers with a file
    context = browser.new_context()
    page = context.new_page()
    open_case(page, base, code)
    # (with the same warning about what files can reveal as on the report form)
    assert page.is_visible("#followup #evidence-warning")
    assert page.inner_text("#followup #evidence-warning").strip()
    page.fill("#followup-text", "Kuitansinya saya lampirkan.")
    page.set_input_files("#followup #evidence", str(tmp / "followup-evidence" / name))
    assert CANARY in page.inner_text("#followup #evidence-list")
    page.click("#followup button[type=submit]")

    # Then the follow-up is stored, then its file is sent, with a progress row
    page.wait_for_selector("#uploads:not([hidden])", timeout=60_000)
    page.wait_for_selector("#uploads[data-state]", timeout=60_000)
    assert page.get_attribute("#uploads", "data-state") == "done"
    assert page.locator("#upload-list li").first.get_attribute("data-state") == "done"
    assert page.inner_text("#followup #evidence-list") == ""
    # And the thread shows the file's name under the follow-up, as text
    page.wait_for_selector("#thread .from-reporter [data-files]:not([hidden])", timeout=60_000)
    shown = page.inner_text("#thread .from-reporter [data-files]")
    assert name in shown
    assert page.evaluate("() => [document.cookie, localStorage.length, sessionStorage.length]") == [
        "",
        0,
        0,
    ]
    context.close()

    # When the inspector syncs and lists the case's files
    assert wbs(system, "inbox", "sync").returncode == 0
    listing = wbs(system, "inbox", "files", number)
    assert listing.returncode == 0, listing.stderr
    assert "tindak lanjut / follow-up [1]" in listing.stdout
    assert name in listing.stdout.split("tindak lanjut / follow-up [1]")[1]
    shown_thread = wbs(system, "inbox", "show", number)
    assert shown_thread.returncode == 0 and name in shown_thread.stdout

    # And exports it: byte-identical, named with its message
    out = tmp / "export"
    exported = wbs(system, "inbox", "export", number, "--to", str(out))
    assert exported.returncode == 0, exported.stderr
    assert os.listdir(out) == [name]
    assert (out / name).read_bytes() == content
    assert "follow-up [1]" in exported.stdout

    # And the canary is in no stored object, cached file or log line
    stored = [p for p in (tmp / "storage").rglob("*") if p.is_file()]
    assert len([p for p in stored if "attachments" in p.parts]) == 1
    assert len([p for p in stored if "mailboxes" in p.parts]) >= 2
    stored += [p for p in (tmp / "home").rglob("*") if p.is_file()]
    stored.append(system["log"])
    for path in stored:
        assert CANARY.encode() not in path.read_bytes(), path
        assert CANARY not in str(path), path
