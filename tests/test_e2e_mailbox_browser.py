"""End to end: the anonymous reporter and the inspectorate talk, with the receipt code alone.

The real page in Chromium sends a report and shows its receipt code; the inspector replies
and asks for more information (`wbs inbox reply`, `wbs inbox status`); the reporter comes
back later in a fresh browser, types the code sloppily on the "Cek Status Laporan" page,
reads the reply and the status, and answers; the inspector reads the answer. Every message
carries a canary, and no canary (nor the receipt code) may appear in any stored object,
cached file or server log line.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support.system import wbs

pytestmark = pytest.mark.browser

CANARY = f"KANARI{uuid.uuid4().hex[:12]}"
REPORT = f"{CANARY} laporan: bendahara meminta setoran dari honor petugas"
REPLY = f"{CANARY} balasan: kapan tepatnya setoran itu diminta?"
ANSWER = f"{CANARY} jawaban: setiap tanggal 5, di ruang bendahara"


def send_report(page: Any, base: str) -> tuple[str, str]:
    page.goto(base + "/")
    page.wait_for_selector("#report button[type=submit]:not([disabled])")
    page.select_option("#category", "pemerasan")
    page.fill("#what", REPORT)
    page.fill("#where", "Sekretariat KPU Kota Contoh")
    page.fill("#people [name=who-position]", "Bendahara")
    for box in ("truthful", "not_involved", "aware_of_sanctions", "confidential"):
        page.check(f"input[name={box}]")
    page.click("#report button[type=submit]")
    page.wait_for_selector("#success:not([hidden])", timeout=60_000)
    return page.inner_text("#receipt-code").strip(), page.inner_text("#registration-number").strip()


def open_case(page: Any, base: str, typed: str) -> None:
    page.goto(base + "/status/")
    page.wait_for_selector("#lookup button[type=submit]:not([disabled])")
    page.fill("#code", typed)
    page.click("#lookup button[type=submit]")
    page.wait_for_selector("#case:not([hidden])", timeout=60_000)


def test_reporter_and_inspectorate_talk_with_the_receipt_code_alone(
    browser: Any, system: dict[str, Any]
) -> None:
    base = system["base"]
    # Given a report sent from the real page, and its receipt code saved
    reporter = browser.new_context()
    code, number = send_report(reporter.new_page(), base)
    reporter.close()
    assert len(code.replace("-", "")) == 20 and len(number.replace("-", "")) == 16

    # When the inspector replies and asks for more information
    assert wbs(system, "inbox", "sync").returncode == 0
    reply_file = Path(system["tmp"]) / "reply.txt"
    reply_file.write_text(REPLY, encoding="utf-8")
    replied = wbs(system, "inbox", "reply", number, "--file", str(reply_file))
    assert replied.returncode == 0, replied.stderr
    status = wbs(system, "inbox", "status", number, "perlu-informasi-tambahan")
    assert status.returncode == 0, status.stderr

    # And the reporter comes back in a fresh browser and types the code sloppily
    later = browser.new_context()
    page = later.new_page()
    sloppy = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    open_case(page, base, sloppy)

    # Then the reporter reads the reply and the new status
    assert number in page.inner_text("#case-number")
    assert "Perlu Informasi Tambahan" in page.inner_text("#case-status")
    page.wait_for_selector(f"#thread :text('{REPLY[:40]}')")

    # When the reporter answers
    page.fill("#followup-text", ANSWER)
    page.click("#followup button[type=submit]")
    page.wait_for_selector(f"#thread :text('{ANSWER[:40]}')", timeout=60_000)
    assert code.replace("-", "") not in page.url.upper()
    assert page.evaluate("() => [document.cookie, localStorage.length, sessionStorage.length]") == [
        "",
        0,
        0,
    ]
    later.close()

    # Then the inspector reads the whole thread: report, reply, status and answer
    assert wbs(system, "inbox", "sync").returncode == 0
    shown = wbs(system, "inbox", "show", number)
    assert shown.returncode == 0, shown.stderr
    for text in (REPORT, REPLY, ANSWER):
        assert text in shown.stdout
    assert shown.stdout.index(REPLY) < shown.stdout.index(ANSWER)
    # every message verified: the reply by the inspector's key, the answer by the key the
    # receipt code gives, which the report registered (signature-v2 §5)
    assert "NOT VERIFIED" not in shown.stdout
    (stored,) = Path(system["tmp"], "storage").glob("mailboxes/*/*-reporter-*.json")
    assert json.loads(stored.read_text())["signature"]["by"] == "reporter"

    # And no canary and no receipt code is in any stored object, cached file or log line
    tmp = Path(system["tmp"])
    files = [p for p in (tmp / "storage").rglob("*") if p.is_file()]
    files += [p for p in (tmp / "home").rglob("*") if p.is_file()]
    files.append(system["log"])
    assert len([p for p in files if "mailboxes" in p.parts]) >= 3
    secrets = [CANARY.encode(), code.encode(), code.replace("-", "").encode()]
    for path in files:
        data = Path(path).read_bytes()
        for secret in secrets:
            assert secret not in data, path
