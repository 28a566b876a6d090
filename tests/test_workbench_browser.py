"""End to end in Chromium: a report sent from the real page is read and answered in
`wbs workbench`, and the reporter's status page then shows the reply and the new status,
and not the inspectors' internal note.

The workbench runs as the inspector runs it (`wbs workbench --no-browser`, its own process,
the system's environment); the test reads the URL it prints, as a person copies it.
"""

from __future__ import annotations

import hashlib
import html
import select
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.host import WBS
from tests.support.system import PASSPHRASE
from tests.test_e2e_mailbox_browser import CANARY, REPORT, open_case
from tests.test_e2e_upload_browser import fill_report
from tests.test_workbench_files import png
from wbs import keyfile

pytestmark = pytest.mark.browser

NOTE = "Catatan internal: saksi kedua belum dihubungi, jangan beri tahu pelapor."
REPLY = "Terima kasih. Kapan tepatnya setoran itu diminta, dan oleh siapa?"
URL_PREFIX = "wbs workbench: "


@pytest.fixture
def workbench(system: dict[str, Any]) -> Iterator[str]:
    """`wbs workbench --no-browser` for inspector anna; yields the URL it prints."""
    env = {**system["env"], "WBS_KEY": str(system["keys"]["anna"])}
    env.pop("WBS_PASSPHRASE")  # the page asks for it
    process = subprocess.Popen(
        [WBS, "workbench", "--no-browser", "--idle-minutes", "5"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 30)
        line = process.stdout.readline() if ready else ""
        assert line.startswith(URL_PREFIX), line + (process.stderr.read() if process.stderr else "")
        yield line.removeprefix(URL_PREFIX).strip()
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    # It logs nothing of what it showed: no report text, no search, no path
    assert CANARY not in out + err and "/case/" not in out + err


def refused(url: str, **headers: str) -> int:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=5):  # noqa: S310 (loopback)
            return 200
    except urllib.error.HTTPError as exc:
        return exc.code


def test_an_inspector_reads_and_answers_a_new_report_in_the_workbench(
    browser: Any, system: dict[str, Any], workbench: str
) -> None:
    base = system["base"]
    origin = workbench.split("/?")[0]
    # Given a report sent from the real page, with a photo as evidence
    photo = Path(system["tmp"]) / "foto-amplop.png"
    photo.write_bytes(png(40, 30))
    reporter = browser.new_context()
    sending = reporter.new_page()
    fill_report(sending, base, REPORT, [photo])
    sending.click("#report button[type=submit]")
    sending.wait_for_selector("#uploads[data-state='done']", timeout=120_000)
    code = sending.inner_text("#receipt-code").strip()
    number = sending.inner_text("#registration-number").strip()
    reporter.close()
    # And requests that are not the inspector's browser are refused by the real server
    assert refused(origin + "/") == 403
    assert refused(workbench, Host="localhost") == 403

    # When the inspector opens the printed URL and unlocks the key
    inspector = browser.new_context()
    page = inspector.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(workbench)
    assert page.url == origin + "/"  # the token left the address bar
    page.fill("#passphrase", PASSPHRASE)
    page.click("#unlock button[type=submit]")
    page.wait_for_selector("#empty", timeout=60_000)
    # The token is spent: the same URL no longer opens a session elsewhere
    assert refused(workbench) == 403

    # And syncs: the new report is listed, unread
    page.click("#sync")
    page.wait_for_selector("#sync-result", timeout=60_000)
    report_id = number.replace("-", "")
    row = page.locator(f"tr.case.unread[data-id='{report_id}']")
    assert number in row.inner_text() and "Menunggu Verifikasi" in row.inner_text()

    # And opens it: the whole report is there
    row.locator("a").click()
    page.wait_for_selector("#report-what")
    assert REPORT in page.inner_text("#report-what")
    assert number in page.inner_text("#case-number")
    # And sees the photo, decrypted into the workbench's memory and drawn by the browser
    image = page.locator("#report img.evidence")
    image.wait_for()
    page.wait_for_function("() => document.querySelector('#report img.evidence').complete")
    assert image.evaluate("i => [i.naturalWidth, i.naturalHeight]") == [40, 30]
    assert "foto-amplop.png" in page.inner_text("#report .file-name")

    # And replies, then asks for more information
    page.fill("#reply-text", REPLY)
    page.click("#reply button[type=submit]")
    page.wait_for_selector(f"#thread :text('{REPLY[:30]}')", timeout=60_000)
    page.select_option("#status-new", "perlu-informasi-tambahan")
    page.fill("#status-note", "Mohon lengkapi kronologinya.")
    page.click("#status button[type=submit]")
    page.wait_for_function(
        "() => document.querySelector('#case-status').textContent.includes('Perlu Informasi')",
        timeout=60_000,
    )
    # And adds an internal note, which the case page lists apart from the thread
    page.fill("#note-text", NOTE)
    page.click("#note button[type=submit]")
    page.wait_for_selector(f"#notes :text('{NOTE[:30]}')", timeout=60_000)
    assert NOTE not in page.inner_text("#thread")
    # And exports the case file into a folder of their choosing
    folder = Path(system["tmp"]) / "investigasi" / number
    page.fill("#save-folder", str(folder))
    page.click("#save-case-file")
    page.wait_for_selector("code.saved", timeout=60_000)
    (case_file,) = folder.iterdir()
    assert page.inner_text("code.saved") == str(case_file)
    exported = case_file.read_text(encoding="utf-8")
    for text in (REPORT, REPLY, NOTE, "Perlu Informasi Tambahan", "Sekretariat KPU Kota Contoh"):
        assert html.escape(text) in exported, text
    assert hashlib.sha256(photo.read_bytes()).hexdigest() in exported
    # And the audit trail names each step, with this inspector's label in the keyring
    trail = page.inner_text("#audit")
    steps = ("mengirim laporan", "membuka kasus", "membalas pelapor", "menulis catatan internal")
    for step in (*steps, "mengubah status menjadi Perlu Informasi Tambahan"):
        assert step in trail, step
    assert keyfile.inspect(system["keys"]["anna"]).label in trail
    # The session cookie is out of the page's reach, and nothing broke the CSP
    assert page.evaluate("() => document.cookie") == ""
    page.goto(origin + "/")
    assert "unread" not in (page.locator(f"tr[data-id='{report_id}']").get_attribute("class") or "")
    assert errors == []
    inspector.close()

    # Then the reporter, with the receipt code, reads the reply and the new status
    later = browser.new_context()
    status_page = later.new_page()
    answers: list[Any] = []
    status_page.on("response", lambda r: answers.append(r) if "/api/mailbox" in r.url else None)
    open_case(status_page, base, code)
    assert "Perlu Informasi Tambahan" in status_page.inner_text("#case-status")
    status_page.wait_for_selector(f"#thread :text('{REPLY[:30]}')")
    assert "Mohon lengkapi kronologinya." in status_page.inner_text("#history")
    # And not the internal note: not on the page, and its mailbox holds the reply and the
    # status change only (the note lives under notes/, which the API never lists)
    assert NOTE[:30] not in status_page.content()
    (mailbox,) = [a.json() for a in answers if a.request.method == "GET"]
    assert [m["envelope"]["kind"] for m in mailbox["messages"]] == ["reply", "reply"]
    later.close()
