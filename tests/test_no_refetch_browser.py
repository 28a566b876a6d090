"""On a slow network, sending a report and its files downloads no library again (issue 15):
the Web Workers that solve the proof of work and derive the receipt code load libsodium while
the reporter reads and fills in the form, and the one upload worker once files are chosen,
not after "send"; that one worker sends every file. Measured in Chromium with the CDP's
network emulation (400 kbps, 400 ms round trips) against the real local host, which answers
every asset with `Cache-Control: no-cache` and no validator, so the HTTP cache cannot help:
any script fetched after "send" would be downloaded in full."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

SLOW = {
    "offline": False,
    "latency": 400,  # ms, each way counted once by Chromium
    "downloadThroughput": 400_000 / 8,  # bytes per second
    "uploadThroughput": 400_000 / 8,
}
SCRIPT_SUFFIXES = (".js", ".mjs", ".wasm")


class Requests:
    """Every request of the page and of its workers, with its bytes once answered."""

    def __init__(self, page: Any) -> None:
        self.seen: list[tuple[float, str]] = []
        self.open: set[str] = set()
        self.size: dict[str, int] = {}
        page.on("request", self._request)
        page.on("requestfinished", self._done)
        page.on("requestfailed", self._done)

    def _request(self, request: Any) -> None:
        self.seen.append((time.monotonic(), request.url))
        self.open.add(request.url)

    def _done(self, request: Any) -> None:
        self.open.discard(request.url)
        try:
            self.size[request.url] = request.sizes()["responseBodySize"]
        except Exception:  # noqa: BLE001 - a failed request has no sizes
            self.size[request.url] = 0

    def since(self, start: float) -> list[str]:
        return [url for at, url in self.seen if at >= start]

    def wait_quiet(self, page: Any, quiet_s: float, timeout_s: float) -> None:
        """Until nothing has been asked or been open for `quiet_s` seconds."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            page.wait_for_timeout(250)
            last = self.seen[-1][0] if self.seen else 0.0
            if not self.open and time.monotonic() - last >= quiet_s:
                return
        raise AssertionError(f"still loading after {timeout_s} s: {sorted(self.open)}")


def scripts(urls: list[str]) -> list[str]:
    return [u for u in urls if u.split("?")[0].endswith(SCRIPT_SUFFIXES)]


def choose_files(page: Any, tmp: Path, count: int) -> None:
    paths = []
    for i in range(count):
        path = tmp / f"bukti-{i + 1}.txt"
        path.write_bytes(os.urandom(3000 + i))
        paths.append(path)
    page.set_input_files("#evidence", [str(p) for p in paths])
    page.wait_for_selector(f"#evidence-list li:nth-child({count})")


def fill_report(page: Any) -> None:
    page.select_option("#category", "pemerasan")
    page.fill("#what", "Bendahara meminta setoran dari honor petugas.")
    page.fill("#where", "Sekretariat KPU Kota Contoh")
    page.fill("#people [name=who-position]", "Bendahara")
    for box in ("truthful", "not_involved", "aware_of_sanctions", "confidential"):
        page.check(f"input[name={box}]")


def test_sending_on_a_slow_network_fetches_no_script_again(
    browser: Any, site_server: tuple[str, Any], tmp_path: Path
) -> None:
    base, _storage = site_server
    context = browser.new_context(viewport={"width": 360, "height": 640})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        workers: list[str] = []
        page.on("worker", lambda worker: workers.append(worker.url))
        requests = Requests(page)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW)
        # Given the page loaded on a slow network and left idle (the reporter reads and types)
        page.goto(base + "/", timeout=120_000)
        page.wait_for_selector("#report button[type=submit]:not([disabled])", timeout=120_000)
        requests.wait_quiet(page, quiet_s=3, timeout_s=180)
        loaded = scripts(requests.since(0))
        assert any("libsodium" in u for u in loaded)  # the library did come, before send
        # The workers were started and loaded their modules during that idle time
        assert any(u.endswith("/pow-worker.mjs") for u in loaded)
        assert any(u.endswith("/receipt-worker.mjs") for u in loaded)
        assert not any(u.endswith("/upload-worker.mjs") for u in loaded)  # no file yet
        # And, once three files are chosen, the upload worker too
        fill_report(page)
        choose_files(page, tmp_path, 3)
        requests.wait_quiet(page, quiet_s=3, timeout_s=180)
        assert any(u.endswith("/upload-worker.mjs") for u in scripts(requests.since(0)))
        # When the reporter sends
        start = time.monotonic()
        page.click("#report button[type=submit]")
        page.wait_for_selector("#success:not([hidden])", timeout=120_000)
        page.wait_for_selector("#uploads[data-state]", timeout=180_000)
        page.wait_for_timeout(1000)  # and whatever the page asks just after the files
        after = requests.since(start)
        # Then the report and its three files went out, and no script or WebAssembly was
        # asked for again: one upload worker, started before send, sent all three
        assert any("/api/reports" in u for u in after)
        assert page.get_attribute("#uploads", "data-state") == "done"
        assert page.locator("#upload-list li[data-state=done]").count() == 3
        assert scripts(after) == [], scripts(after)
        assert [u for u in workers if u.endswith("/upload-worker.mjs")] == [
            base + "/assets/js/upload-worker.mjs"
        ]
        assert page.inner_text("#receipt-code").strip()
        assert errors == []
    finally:
        context.close()


def test_a_cancelled_file_leaves_the_one_worker_to_send_the_next(
    browser: Any, site_server: tuple[str, Any], tmp_path: Path
) -> None:
    base, _storage = site_server
    context = browser.new_context()
    try:
        page = context.new_page()
        workers: list[str] = []
        page.on("worker", lambda worker: workers.append(worker.url))
        held: list[Any] = []
        # Given a report with two files, the first file's part held back on its way

        def hold_first(route: Any) -> None:
            if held:
                route.continue_()
            else:
                held.append(route)

        page.route("**/attachments/**", hold_first)
        page.goto(base + "/")
        page.wait_for_selector("#report button[type=submit]:not([disabled])")
        fill_report(page)
        choose_files(page, tmp_path, 2)
        page.click("#report button[type=submit]")
        page.wait_for_selector("#upload-list li[data-state=sending]", timeout=60_000)
        for _ in range(100):
            if held:
                break
            page.wait_for_timeout(100)
        assert held, "the first part never left the worker"
        # When the reporter cancels the first file
        page.click("#upload-list li:nth-child(1) [data-cancel]")
        for route in held:
            route.abort("connectionreset")  # ignored: the worker has let the file go
        # Then it is cancelled, and the same worker sends the second, which arrives
        page.wait_for_selector("#uploads[data-state]", timeout=60_000)
        states = page.eval_on_selector_all(
            "#upload-list li", "rows => rows.map(r => r.dataset.state)"
        )
        assert states == ["cancelled", "done"]
        assert page.get_attribute("#uploads", "data-state") == "incomplete"
        assert [u for u in workers if u.endswith("/upload-worker.mjs")] == [
            base + "/assets/js/upload-worker.mjs"
        ]
    finally:
        context.close()


# In the page, as in the upload worker: encrypt a small file with attachment.mjs, then look
# for its key (its last 16 bytes) anywhere in libsodium's memory; the wrapper's own
# init_push, for comparison, leaves its copy of the key there.
KEY_LEFT = """async () => {
  const { default: sodium } = await import('/assets/js/vendor/libsodium-wrappers.mjs');
  const { CHUNK, encryptor } = await import('/assets/js/attachment.mjs');
  await sodium.ready;
  const heapHolds = (whole) => {
    const key = whole.subarray(16); // a freed block's first bytes hold the allocator's links
    const heap = sodium.libsodium.HEAPU8;
    for (let at = heap.indexOf(key[0]); at >= 0; at = heap.indexOf(key[0], at + 1)) {
      if (key.every((byte, i) => heap[at + i] === byte)) return true;
    }
    return false;
  };
  const fresh = () => crypto.getRandomValues(new Uint8Array(32));
  const ids = { reportId: '0123456789ABCDEF', fileId: 'GHJKMNPQRSTVWXYZ' };
  const done = fresh();
  const seal = encryptor(sodium, { key: done.slice(), ...ids });
  seal.pushView(new Uint8Array(CHUNK), false);
  seal.pushView(new Uint8Array(10), true);
  const givenUp = fresh();
  encryptor(sodium, { key: givenUp.slice(), ...ids }).wipe();
  const wrapper = fresh();
  sodium.crypto_secretstream_xchacha20poly1305_init_push(wrapper.slice());
  return { done: heapHolds(done), givenUp: heapHolds(givenUp), wrapper: heapHolds(wrapper) };
}"""


def test_a_file_key_leaves_nothing_in_libsodiums_memory(
    browser: Any, site_server: tuple[str, Any]
) -> None:
    # The one upload worker goes on to other files: a file's key must not stay behind
    page = browser.new_context().new_page()
    page.goto(site_server[0] + "/")
    left = page.evaluate(KEY_LEFT)
    assert left == {"done": False, "givenUp": False, "wrapper": True}
    page.context.close()
