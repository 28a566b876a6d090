"""The reporting page in headless Chromium: usable before libsodium loads, checks required
fields in the page's language, makes a receipt code (in a worker), encrypts the report to the
code's report id with the reporter's public key inside, handles every answer of the API, and
shows the code once with copy, download and print, storing nothing on the device.

The built site is served by a tiny static server with the real security headers; the API is
played by Playwright's request interception, so these tests need no storage."""

from __future__ import annotations

import base64
import json
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import nacl.public
import pytest

from functions import envelope as fmt
from functions import mailbox_token
from tests.support.api import RECOVERY
from tests.support.desks import add_desks
from tests.support.host import static_site
from tests.support.pow import FakeChallenges
from tests.support.site import build_site
from wbs import crypto, receipt

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(tempfile.gettempdir())
REGISTRATION = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}")
RECEIPT_CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){4}")


@pytest.fixture(scope="module")
def inspector(tmp_path_factory: pytest.TempPathFactory) -> tuple[nacl.public.PrivateKey, Path]:
    """The key of the one desk, inspektorat, that reports are sealed to (with the recovery
    key, RECOVERY), and the keyring."""
    key = nacl.public.PrivateKey.generate()
    keyring = tmp_path_factory.mktemp("keys") / "keyring.json"
    add_desks(keyring, keys={"inspektorat": key}, recovery=RECOVERY.private_key)
    return key, keyring


@pytest.fixture(scope="module")
def origin(
    tmp_path_factory: pytest.TempPathFactory, inspector: tuple[nacl.public.PrivateKey, Path]
) -> Iterator[str]:
    site = tmp_path_factory.mktemp("site") / "out"
    build_site(inspector[1], site)
    with static_site(site) as base:
        yield base


@pytest.fixture
def console(page: Any) -> Iterator[list[str]]:
    """Console errors and page errors (CSP or SRI violations among them): none allowed."""
    messages: list[str] = []
    page.on("console", lambda m: m.type == "error" and messages.append(m.text))
    yield messages
    assert messages == [] and page.errors == []


def open_page(page: Any, url: str, *, wait_until: str = "load") -> None:
    page.goto(url, wait_until=wait_until)
    page.wait_for_selector("#report button[type=submit]:not([disabled])")


class Posted(NamedTuple):
    body: dict[str, Any]
    token: bytes
    signing_key: str  # Wbs-Signing-Key


def api(page: Any, *statuses: int) -> list[Posted]:
    """Answer POST /api/reports with these statuses in turn; return what was posted. Each
    report must carry a proof of work that solves a challenge the page asked for."""
    posted: list[Posted] = []
    answers = iter(statuses)
    challenges = FakeChallenges(page)

    def answer(route: Any) -> None:
        request = route.request
        assert request.method == "POST"
        assert request.headers["content-type"] == "application/json"
        assert challenges.check(request.headers.get("wbs-proof"))
        token = mailbox_token.from_header(request.headers.get("authorization"))
        key = request.headers.get("wbs-signing-key", "")
        posted.append(Posted(json.loads(request.post_data), token, key))
        route.fulfill(status=next(answers), content_type="application/json", body="{}")

    page.route("**/api/reports", answer)
    return posted


def fill_required(page: Any) -> None:
    page.select_option("#category", "pungutan-liar")
    page.fill("#what", "Kronologi: diminta membayar Rp 500.000 untuk surat yang gratis.")
    page.fill("#people [name=who-name] >> nth=0", "Budi")
    page.fill("#where", "Kantor Kecamatan Menteng")
    for box in page.query_selector_all("#declarations input[type=checkbox]"):
        box.check()


def formatted(report_id: str) -> str:
    return "-".join(re.findall(".{4}", report_id))


def opened(key: nacl.public.PrivateKey, body: dict[str, Any]) -> Any:
    plaintext = crypto.open_envelope(fmt.parse(json.dumps(body)), crypto.Identity(key))
    return json.loads(plaintext)


def test_a_page_whose_script_never_runs_says_to_reload(page: Any, origin: str) -> None:
    # Given the page's module fails to load (blocked, or refused by its integrity check)
    page.route("**/assets/js/app.mjs", lambda route: route.abort())
    page.goto(origin + "/")
    # Then the send button stays disabled and the page says what to do
    assert page.is_disabled("button[type=submit]")
    assert "muat ulang halaman" in page.text_content("#form-status")


def test_the_loading_note_goes_once_the_page_works(page: Any, origin: str) -> None:
    open_page(page, origin + "/")
    assert page.text_content("#form-status") == ""


def test_the_form_is_usable_before_libsodium_has_loaded(
    page: Any, origin: str, console: list[str], inspector: tuple[nacl.public.PrivateKey, Path]
) -> None:
    held: list[Any] = []
    page.route("**/assets/js/vendor/*", lambda route: held.append(route))  # hold libsodium back
    posted = api(page, 201)
    open_page(page, origin + "/", wait_until="domcontentloaded")
    fill_required(page)
    page.click("button[type=submit]")
    page.wait_for_selector("#form-status:not(:empty)")
    assert page.text_content("#form-status") == (
        "Menyiapkan enkripsi… Laporan Anda akan dikirim begitu siap."
    )
    assert page.is_visible("#form-progress progress")
    assert held and posted == []
    # Let libsodium through, for the page and for the worker that asks for it later
    page.unroute("**/assets/js/vendor/*")
    for route in held:
        route.continue_()
    page.wait_for_selector("#success:not([hidden])")
    assert len(posted) == 1
    assert opened(inspector[0], posted[0].body)["what"].startswith("Kronologi:")


def test_the_receipt_code_is_made_in_a_worker_with_progress_shown(
    page: Any, origin: str, console: list[str]
) -> None:
    held: list[Any] = []
    workers: list[Any] = []
    page.on("worker", lambda worker: workers.append(worker))
    api(page, 201)
    # The page starts its receipt worker while idle (issue 15): held from the start, the
    # worker is still loading when the reporter sends, so the waiting state stays in view
    page.route("**/assets/js/receipt-worker.mjs", lambda route: held.append(route))
    open_page(page, origin + "/")
    fill_required(page)
    page.click("button[type=submit]")
    page.wait_for_function(
        "() => document.getElementById('form-status').textContent.includes('Membuat')"
    )
    assert page.text_content("#form-status") == (
        "Langkah 1 dari 3: Membuat kode tanda terima… "
        "Di ponsel, proses ini dapat memakan waktu beberapa detik."
    )
    assert page.is_visible("#form-progress progress")
    assert page.get_attribute("#form-progress progress", "value") is None  # indeterminate
    assert page.is_disabled("#report button[type=submit]")
    held[0].continue_()
    page.wait_for_selector("#success:not([hidden])")
    assert page.is_hidden("#form-progress")
    # The derivation ran in a module worker, which is gone once it has answered (the proof
    # of work in another, beside it, which stays for the next proof: it holds no secret).
    assert sorted(w.url for w in workers) == [
        origin + "/assets/js/pow-worker.mjs",
        origin + "/assets/js/receipt-worker.mjs",
    ]
    assert len(held) == 1  # one receipt worker, started before send, and no other after it
    wait_until(lambda: [w.url for w in page.workers] == [origin + "/assets/js/pow-worker.mjs"])


def wait_until(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_the_report_reaches_the_inspector_whole(
    page: Any, origin: str, console: list[str], inspector: tuple[nacl.public.PrivateKey, Path]
) -> None:
    posted = api(page, 201)
    open_page(page, origin + "/en/")
    fill_required(page)
    page.fill("#title", "  Fees for a free letter  ")
    page.click("#add-person")
    page.fill("#people [name=who-position] >> nth=1", "Kepala Seksi")
    page.fill("#people [name=who-unit] >> nth=1", "Pelayanan")
    page.click("#add-person")  # left empty: not sent
    page.fill("#when-date", "2026-10-05")
    page.fill("#when-note", "every Monday")
    page.click("#how-fold summary")  # the optional "how and how much", folded
    page.fill("#how", "cash, no receipt")
    page.fill("#loss", "500000")
    page.check("input[name=identity][value=identified]")
    page.fill("#reporter-name", "Siti")
    page.fill("#reporter-contact", "siti@example.org")
    page.select_option("#reporter-relation", "public")
    page.click("button[type=submit]")
    page.wait_for_selector("#success:not([hidden])")

    ((body, token, signing_key),) = posted
    code = page.text_content("#receipt-code")
    assert RECEIPT_CODE.fullmatch(code)
    derived = receipt.derive(code)
    # The envelope carries the code's report id, the request the code's token.
    assert body["id"] == derived.report_id and token == derived.token
    # It registers the code's signing key, for the mailbox to check follow-ups against
    assert signing_key == base64.b64encode(derived.signing_public_key).decode()
    assert page.text_content("#registration-number") == formatted(body["id"])
    assert REGISTRATION.fullmatch(page.text_content("#registration-number"))
    # Sealed to the one desk and the recovery key
    assert [r["kid"] for r in body["recipients"]] == [
        crypto.key_id(bytes(inspector[0].public_key)),
        RECOVERY.kid,
    ]
    assert opened(RECOVERY.private_key, body)["what"].startswith("Kronologi:")
    assert opened(inspector[0], body) == {
        "schema": "wbs-report/1",
        "lang": "en",
        "category": {"id": "pungutan-liar", "label": "Illegal levies"},
        "title": "Fees for a free letter",
        "what": "Kronologi: diminta membayar Rp 500.000 untuk surat yang gratis.",
        "who": [
            {"name": "Budi", "position": "", "unit": ""},
            {"name": "", "position": "Kepala Seksi", "unit": "Pelayanan"},
        ],
        "where": "Kantor Kecamatan Menteng",
        "when": {"date": "2026-10-05", "note": "every Monday"},
        "how": "cash, no receipt",
        "loss": "500000",
        "reporter": {
            "anonymous": False,
            "name": "Siti",
            "contact": "siti@example.org",
            "relation": "public",
        },
        "declarations": {
            "truthful": True,
            "not_involved": True,
            "aware_of_sanctions": True,
            "confidential": True,
        },
        "route": {"office": "", "concerns_staff": False},
        "reporter_public_key": base64.b64encode(derived.public_key).decode(),
        "reporter_signing_key": signing_key,
    }
    # The form is emptied for the next report.
    assert page.input_value("#what") == ""
    assert page.locator("#people [data-person]").count() == 1


def test_an_anonymous_report_carries_no_identity_even_if_typed(
    page: Any, origin: str, console: list[str], inspector: tuple[nacl.public.PrivateKey, Path]
) -> None:
    posted = api(page, 201)
    open_page(page, origin + "/")
    fill_required(page)
    page.check("input[name=identity][value=identified]")
    page.fill("#reporter-name", "Siti")
    page.check("input[name=identity][value=anonymous]")
    assert page.is_hidden("#reporter-name")
    page.click("button[type=submit]")
    page.wait_for_selector("#success:not([hidden])")
    assert opened(inspector[0], posted[0].body)["reporter"] == {
        "anonymous": True,
        "name": "",
        "contact": "",
        "relation": "",
    }


@pytest.mark.parametrize(
    ("statuses", "message"),
    [
        ((503,), "Laporan Anda mungkin sudah atau belum diterima"),
        ((409, 409), "Laporan Anda belum terkirim dan tidak ada yang tersimpan."),
        ((422,), "Halaman ini sudah usang sehingga laporan Anda tidak diterima"),
    ],
)
def test_a_failed_send_keeps_everything_typed_and_says_what_to_do(
    page: Any, origin: str, console: list[str], statuses: tuple[int, ...], message: str
) -> None:
    posted = api(page, *statuses)
    open_page(page, origin + "/")
    fill_required(page)
    page.click("button[type=submit]")
    page.wait_for_selector("#form-error:not(:empty)")
    assert page.text_content("#form-error").startswith(message)
    assert page.evaluate("document.activeElement.id") == "form-error"
    assert page.input_value("#what").startswith("Kronologi:")
    assert page.is_hidden("#success") and page.is_enabled("button[type=submit]")
    assert page.is_hidden("#form-progress")
    assert len(posted) == len(statuses)
    console.clear()  # Chromium logs every failed fetch as a console error


def test_a_device_that_cannot_make_the_code_says_so_and_keeps_everything(
    page: Any, origin: str, console: list[str]
) -> None:
    posted = api(page, 201)
    # From the start: the worker started while the page is idle fails, and so does the one
    # started again on send
    page.route("**/assets/js/receipt-worker.mjs", lambda route: route.abort())
    open_page(page, origin + "/")
    fill_required(page)
    page.click("button[type=submit]")
    page.wait_for_selector("#form-error:not(:empty)")
    assert page.text_content("#form-error").startswith(
        "Laporan Anda belum terkirim: perangkat ini tidak dapat membuat kode tanda terima"
    )
    assert page.input_value("#what").startswith("Kronologi:") and posted == []
    console.clear()  # the aborted worker script is logged


def test_a_taken_id_draws_a_new_code_once(page: Any, origin: str) -> None:
    posted = api(page, 409, 201)
    open_page(page, origin + "/")
    fill_required(page)
    page.click("button[type=submit]")
    page.wait_for_selector("#success:not([hidden])")
    assert len(posted) == 2 and posted[0].body["id"] != posted[1].body["id"]
    for body, token, _ in posted:  # each try: its own code, its token, its id
        assert body["id"] == mailbox_token.report_id(token)
    derived = receipt.derive(page.text_content("#receipt-code"))
    assert derived.token == posted[1].token
    assert page.text_content("#registration-number") == formatted(posted[1].body["id"])


def submitted(page: Any, origin: str, path: str = "/") -> str:
    """Send a report (the API answers 201); return the receipt code shown."""
    api(page, 201)
    open_page(page, origin + path)
    fill_required(page)
    page.click("button[type=submit]")
    page.wait_for_selector("#success:not([hidden])")
    return str(page.text_content("#receipt-code"))


STORAGE = """async () => ({
  cookie: document.cookie,
  local: localStorage.length,
  session: sessionStorage.length,
  indexedDB: (await indexedDB.databases()).length,
  caches: (await caches.keys()).length,
  url: location.href,
  history: history.length,
})"""


def test_nothing_is_stored_on_the_device(page: Any, origin: str, console: list[str]) -> None:
    code = submitted(page, origin)
    assert page.evaluate(STORAGE) == {
        "cookie": "",
        "local": 0,
        "session": 0,
        "indexedDB": 0,
        "caches": 0,
        "url": origin + "/",
        "history": 2,  # about:blank, then the page: no entry was added
    }
    assert page.context.cookies() == []
    assert code.replace("-", "") not in page.url


# Test hooks, injected by Playwright (not subject to the page's CSP): count print() calls and
# record revoked object URLs.
PRINT_AND_REVOKE_SPY = """
window.printed = 0;
window.print = () => { window.printed += 1; };
window.revoked = [];
const revoke = URL.revokeObjectURL.bind(URL);
URL.revokeObjectURL = (url) => { window.revoked.push(url); revoke(url); };
"""


def test_the_receipt_can_be_copied_downloaded_and_printed_then_removed(
    page: Any, origin: str, console: list[str]
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
    page.add_init_script(PRINT_AND_REVOKE_SPY)
    code = submitted(page, origin)
    number = page.text_content("#registration-number")
    assert page.evaluate("document.activeElement.id") == "success"
    assert page.text_content("#status-address") == origin + "/status/"

    page.click("#receipt-copy")
    assert page.evaluate("navigator.clipboard.readText()") == code
    assert page.text_content("#receipt-feedback").startswith("Kode sudah disalin.")

    with page.expect_download() as info:
        page.click("#receipt-download")
    download = info.value
    assert download.suggested_filename == "kode-tanda-terima.txt"
    text = Path(download.path()).read_bytes().decode("utf-8")
    assert "\n" not in text.replace("\r\n", "")  # CRLF: readable in every text viewer
    assert text.splitlines() == [
        "Kode tanda terima laporan kepada Inspektorat · Inspektorat, Komisi Pemilihan Umum",
        "",
        f"Kode tanda terima: {code}",
        f"Nomor registrasi: {number}",
        f"Cek status laporan di: {origin}/status/",
        "",
        "Buka alamat ini dan masukkan kode tanda terima untuk melihat status laporan Anda, "
        "membaca pesan dari Inspektorat, dan membalasnya. Kode ini tidak dapat dipulihkan jika "
        "hilang: simpan di tempat yang aman dan jangan perlihatkan kepada siapa pun.",
    ]
    # The object URL is revoked once the download has started.
    page.wait_for_function("url => window.revoked.includes(url)", arg=download.url)

    page.click("#receipt-print")
    assert page.evaluate("window.printed") == 1
    page.emulate_media(media="print")
    assert page.is_visible("#receipt-code") and page.is_visible("#registration-number")
    assert page.is_visible("#status-address")
    for hidden in (".site-header", "#receipt-copy", "#receipt-saved", "#success h2", "h1"):
        assert page.is_hidden(hidden), hidden
    page.emulate_media(media="screen")

    # The panel goes only once the reporter says the code is saved; then the code is gone.
    assert page.is_disabled("#receipt-done")
    page.check("#receipt-saved")
    page.click("#receipt-done")
    assert page.is_hidden("#receipt") and page.is_visible("#receipt-gone")
    assert code not in page.content()
    assert page.evaluate("document.activeElement.id") == "receipt-gone"
    page.click('#success a[href="/status/"]')
    page.wait_for_url(origin + "/status/")


def test_the_english_receipt_file_is_in_english(page: Any, origin: str, console: list[str]) -> None:
    code = submitted(page, origin, "/en/")
    with page.expect_download() as info:
        page.click("#receipt-download")
    assert info.value.suggested_filename == "receipt-code.txt"
    lines = Path(info.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[2] == f"Receipt code: {code}"
    assert lines[4] == f"Check the status at: {origin}/en/status/"
    assert lines[6].startswith("Open this address and type the receipt code")


EXPECTED = {
    "/": {
        "#category-error": "Pilih jenis pelanggaran.",
        "#what-error": "Uraikan apa yang terjadi.",
        "#who-first-error": "Isi nama, jabatan, atau unit kerja sekurang-kurangnya satu terlapor.",
        "#where-error": "Sebutkan lokasi kejadian.",
        "#declarations-error": "Centang keempat pernyataan untuk mengirim laporan Anda.",
        "#form-error > p": "Beberapa isian perlu diperbaiki; isian tersebut ditandai merah.",
    },
    "/en/": {
        "#category-error": "Choose the category of the violation.",
        "#what-error": "Describe what happened.",
        "#who-first-error": "Give the name, position or work unit of at least one reported person.",
        "#where-error": "Say where it happened.",
        "#declarations-error": "Tick all four statements to send your report.",
        "#form-error > p": "Some fields need your attention; they are marked in red.",
    },
}


@pytest.mark.parametrize("path", EXPECTED)
def test_an_empty_form_shows_required_messages_in_the_page_language(
    page: Any, origin: str, console: list[str], path: str
) -> None:
    posted = api(page)
    open_page(page, origin + path)
    page.click("button[type=submit]")
    for selector, text in EXPECTED[path].items():
        assert page.text_content(selector) == text
    assert page.text_content("#reporter-name-error") == ""  # anonymous: not asked for
    assert page.evaluate("document.activeElement.id") == "form-error"  # the summary
    assert page.get_attribute("#what", "aria-invalid") == "true"
    page.fill("#what", "sesuatu")  # fixing a field clears its message
    assert page.text_content("#what-error") == ""
    page.click("#how-fold summary")
    page.fill("#loss", "1.500.000")
    page.click("button[type=submit]")
    assert page.text_content("#loss-error") != ""
    assert posted == []


def test_reported_people_can_be_added_and_removed(
    page: Any, origin: str, console: list[str]
) -> None:
    open_page(page, origin + "/")
    people = page.locator("#people [data-person]")
    page.click("#add-person")
    page.click("#add-person")
    assert people.count() == 3
    assert page.locator("[data-person-number]").all_text_contents() == ["1", "2", "3"]
    assert page.evaluate("document.activeElement.name") == "who-name"
    page.click("#people [data-person] >> nth=1 >> [data-remove-person]")
    assert people.count() == 2
    assert page.locator("[data-person-number]").all_text_contents() == ["1", "2"]
    assert page.locator("#who-first [data-remove-person]").count() == 0


def test_the_language_switch_links_work(page: Any, origin: str, console: list[str]) -> None:
    open_page(page, origin + "/")
    assert page.get_attribute("html", "lang") == "id"
    page.click("nav.languages >> text=English")
    page.wait_for_url(origin + "/en/")
    assert page.get_attribute("html", "lang") == "en"
    assert page.text_content("h1") == "Report a suspected violation"
    page.click("nav.languages >> text=Bahasa Indonesia")
    page.wait_for_url(origin + "/")
    assert page.text_content("h1") == "Laporkan dugaan pelanggaran"


@pytest.mark.parametrize(
    ("name", "width", "height"), [("mobile", 360, 800), ("desktop", 1280, 900)]
)
def test_screenshots_at_phone_and_desktop_width(
    page: Any, origin: str, console: list[str], name: str, width: int, height: int
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    open_page(page, origin + "/")
    page.click("button[type=submit]")
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll
    page.screenshot(path=str(SCREENSHOTS / f"wbs-site-{name}.png"), full_page=True)


@pytest.mark.parametrize(
    ("name", "width", "height"), [("mobile", 360, 800), ("desktop", 1280, 900)]
)
def test_screenshots_of_the_receipt_panel(
    page: Any, origin: str, console: list[str], name: str, width: int, height: int
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    submitted(page, origin)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SCREENSHOTS / f"wbs-receipt-{name}.png"), full_page=True)
    page.locator("#success").screenshot(path=str(SCREENSHOTS / f"wbs-receipt-panel-{name}.png"))
    page.emulate_media(media="print")
    page.screenshot(path=str(SCREENSHOTS / f"wbs-receipt-print-{name}.png"), full_page=True)


def test_evidence_files_are_listed_removable_and_sealed_in_the_manifest(
    page: Any, origin: str, inspector: tuple[nacl.public.PrivateKey, Path]
) -> None:
    posted = api(page, 201)
    grants: list[dict[str, Any]] = []

    def refuse(route: Any) -> None:  # the case is full: the files are not sent, the report is
        grants.append(json.loads(route.request.post_data))
        body = json.dumps({"error": "too_many_files", "message": "too many files"})
        route.fulfill(status=403, content_type="application/json", body=body)

    page.route("**/api/uploads", refuse)
    open_page(page, origin + "/en/")
    warning = page.inner_text("#evidence-warning")
    assert "where and when they were taken" in warning and "author's name" in warning
    fill_required(page)
    files = [
        {"name": f"foto-{n}.jpg", "mimeType": "image/jpeg", "buffer": bytes([n]) * (1000 * n)}
        for n in (1, 2, 3)
    ]
    page.set_input_files("#evidence", files)
    listed = page.locator("#evidence-list li")
    assert listed.count() == 3
    assert "foto-2.jpg" in listed.nth(1).inner_text() and "2 KB" in listed.nth(1).inner_text()
    listed.nth(1).locator("[data-remove-file]").click()
    assert listed.count() == 2
    assert "foto-2.jpg" not in page.inner_text("#evidence-list")
    page.click("button[type=submit]")
    page.wait_for_selector("#success:not([hidden])")

    ((body, _, _),) = posted
    manifest = opened(inspector[0], body)["attachments"]
    assert [(e["name"], e["type"], e["size"], e["chunk"], e["sha256"]) for e in manifest] == [
        ("foto-1.jpg", "image/jpeg", 1000, 1048576, ""),
        ("foto-3.jpg", "image/jpeg", 3000, 1048576, ""),
    ]
    assert all(REGISTRATION.fullmatch(formatted(e["id"])) for e in manifest)
    assert len({base64.b64decode(e["key"]) for e in manifest}) == 2
    assert all(len(base64.b64decode(e["key"])) == 32 for e in manifest)
    # The receipt shows at once; each file asks for its grant, and is shown as not sent
    page.wait_for_selector("#uploads[data-state=incomplete]", timeout=30_000)
    assert [g["files"][0]["id"] for g in grants] == [e["id"] for e in manifest]
    assert [g["files"][0]["size"] for g in grants] == [24 + 1048593] * 2
    assert "only 0 of its 2 files" in page.inner_text("#uploads-status")
    assert page.locator("#upload-list li[data-state=failed]").count() == 2
    assert page.is_visible("#receipt-code")
