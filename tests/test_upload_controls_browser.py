"""The reporter's controls over evidence files on their way, in Chromium against `wbs serve`:
"retry now" after the connection has been lost for a while, the limits the server counts for
the case (not only the page's own), and "close and forget" stopping files still being sent.
"""

from __future__ import annotations

import hashlib
import os
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.support.system import wbs
from tests.test_e2e_mailbox_browser import open_case, send_report
from tests.test_e2e_upload_browser import fill_report

pytestmark = pytest.mark.browser


def test_retry_now_resumes_at_once_after_the_connection_was_lost(
    browser: Any, system: dict[str, Any]
) -> None:
    # Given a report with one file, and a network that drops every part request
    tmp = Path(system["tmp"])
    small = tmp / "foto.jpg"
    small.write_bytes(os.urandom(300_000))
    page = browser.new_context().new_page()
    network = {"up": False}
    put_times: list[float] = []

    def part(route: Any) -> None:
        put_times.append(time.monotonic())
        if network["up"]:
            route.continue_()
        else:
            route.abort("internetdisconnected")

    page.route("**/attachments/**", part)
    fill_report(page, system["base"], "Foto kuitansi terlampir.", [small])
    page.click("#report button[type=submit]")

    # When the retries have failed long enough, the row says the connection is lost and
    # offers to try again now
    row = page.locator("#upload-list li").first
    page.wait_for_selector("#upload-list li[data-state=offline]", timeout=60_000)
    retry = row.locator("[data-retry]")
    assert retry.is_visible()
    tries = len(put_times)
    assert tries >= 4

    # When the connection is back and the reporter presses "retry now"
    network["up"] = True
    clicked = time.monotonic()
    retry.click()

    # Then the part is sent again at once, not after the next wait (8 s), and the file arrives
    page.wait_for_selector("#upload-list li[data-state=done]", timeout=30_000)
    assert len(put_times) > tries
    assert put_times[tries] - clicked < 3.0
    assert not retry.is_visible()
    assert page.get_attribute("#uploads", "data-state") == "done"


@pytest.fixture
def one_file_per_case(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server takes one file a case, fewer than the page's build says (20)."""
    monkeypatch.setenv("WBS_UPLOAD_MAX_FILES", "1")


def test_the_case_room_comes_from_the_server_and_closing_stops_the_files(
    one_file_per_case: None, browser: Any, system: dict[str, Any]
) -> None:
    base = system["base"]
    tmp = Path(system["tmp"])
    files = []
    for name in ("rekaman-1.bin", "rekaman-2.bin"):
        files.append(tmp / name)
        files[-1].write_bytes(os.urandom(3 << 20))
    reporter = browser.new_context()
    code, _ = send_report(reporter.new_page(), base)
    reporter.close()

    # Given the case opened on the status page, on a server that takes one file a case
    context = browser.new_context()
    page = context.new_page()
    held: list[Any] = []
    page.route("**/attachments/**", lambda route: held.append(route))
    open_case(page, base, code)
    assert page.get_attribute("#followup #evidence-field", "data-files-left") == "1"
    assert page.get_attribute("#followup #evidence-field", "data-max-files") == "20"

    # When the reporter chooses two files, only one is taken, and the page says why
    page.set_input_files("#followup #evidence", [str(f) for f in files])
    assert page.locator("#followup #evidence-list li").count() == 1
    too_many = page.get_attribute("#followup #evidence-field", "data-msg-too-many")
    assert page.inner_text("#followup #evidence-error").strip() == too_many

    # When the follow-up is sent and its file is on its way
    page.fill("#followup-text", "Rekamannya saya lampirkan.")
    page.click("#followup button[type=submit]")
    page.wait_for_selector("#upload-list li[data-state=sending]", timeout=60_000)
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the first part never left the worker"

    # Then "close and forget" asks first; saying no keeps the case and the upload
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#forget")
    assert page.is_visible("#case")
    assert page.get_attribute("#upload-list li", "data-state") == "sending"

    # And saying yes closes the case and cancels the file: no part is sent any more
    messages: list[str] = []

    def accept(dialog: Any) -> None:
        messages.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.click("#forget")
    assert messages == [page.get_attribute("#forget", "data-msg-stop-first")]
    page.wait_for_selector("#closed:not([hidden])")
    assert page.is_hidden("#uploads")
    assert page.evaluate("() => document.querySelectorAll('#upload-list li').length") == 0
    sent = len(held)
    for route in held:
        route.abort("connectionreset")
    page.wait_for_timeout(1500)
    assert len(held) == sent
    # And leaving the page no longer asks
    with page.expect_event("close"):
        page.close(run_before_unload=True)
    context.close()


# Blob streams are byte streams in Chromium; older Safari refuses a BYOB reader on them.
REFUSE_BYOB = b"""
const realStream = Blob.prototype.stream;
Blob.prototype.stream = function () {
  const stream = realStream.call(this);
  const realGetReader = stream.getReader.bind(stream);
  stream.getReader = (options) => {
    if (options && options.mode === 'byob') throw new TypeError('no byte stream here');
    return realGetReader(options);
  };
  return stream;
};
"""


def test_a_browser_without_byte_streams_reads_with_file_slice_and_the_file_arrives_whole(
    browser: Any, system: dict[str, Any]
) -> None:
    # Given a browser whose Blob streams refuse a BYOB reader (the worker script is served
    # with a patch in front: workers carry no SRI), and a file of two parts and a tail
    tmp = Path(system["tmp"])
    data = os.urandom((11 << 20) + 12345)
    (tmp / "video.mp4").write_bytes(data)
    page = browser.new_context().new_page()
    patched: list[str] = []

    def worker(route: Any) -> None:
        with urllib.request.urlopen(route.request.url) as answer:  # noqa: S310 (loopback)
            body = answer.read()
        patched.append(route.request.url)
        route.fulfill(status=200, content_type="text/javascript", body=REFUSE_BYOB + body)

    page.route("**/assets/js/upload-worker.mjs", worker)
    fill_report(page, system["base"], "Rekaman video terlampir.", [tmp / "video.mp4"])
    # When the report and its file are sent
    page.click("#report button[type=submit]")
    page.wait_for_selector("#uploads[data-state]", timeout=120_000)
    # Then the patched worker sent it, and the inspector exports it byte-identical
    assert patched and page.get_attribute("#uploads", "data-state") == "done"
    number = page.inner_text("#registration-number").strip()
    assert wbs(system, "inbox", "sync").returncode == 0
    out = tmp / "export"
    exported = wbs(system, "inbox", "export", number, "--to", str(out))
    assert exported.returncode == 0, exported.stderr
    written = (out / "video.mp4").read_bytes()
    assert hashlib.sha256(written).digest() == hashlib.sha256(data).digest()
