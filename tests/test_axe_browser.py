"""axe-core in Chromium over every state of the reporter's pages and the inspector's
workbench, in Indonesian and in English: 0 violations of WCAG 2.0, 2.1 and 2.2 (A and AA)
and of axe's best practices (issue 15).

axe (site/package.json's one devDependency) runs inside the page as served, under its own
Content-Security-Policy (tests/support/axe.py); one test without a browser checks that it
never reaches the built site. Each test walks one page through its states in order, the
reporter's pages on a phone's screen and a desktop's, and checks each state as it comes: a
failure names the state, and each violation's rule, element and axe's summary.

The reporting page and the status page are served by the real local host (``site_server``),
the status page's mailbox played by Playwright (tests/test_status_browser.py); the KPU
example's routing questions by tests/test_routing_browser.py's site; the workbench is a real
server on real local storage (tests/support/workbench.py), one per language."""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from functions.errors import StorageError
from functions.storage import LocalStorage
from tests.support.axe import AXE, assert_no_violations, violations
from tests.support.inbox import (
    FIRST,
    PASSPHRASE,
    SECOND,
    THIRD,
    add_inspector_key,
    desk_keys,
    payload,
    post_followup,
    put,
    upload,
)
from tests.support.membership import Institution
from tests.support.reporter import case_key_text
from tests.support.workbench import default_keyring, key_file, opened
from tests.test_routing_browser import kpu, search  # noqa: F401 (a fixture)
from tests.test_status_browser import (
    Case,
    FakeMailbox,
    Inspectorate,
    case,  # noqa: F401 (a fixture)
    inspectorate,  # noqa: F401 (a fixture)
    plaintext,
    sealed,
    stored_reply,
    thread,
)
from tests.test_workbench_files import png
from tests.test_workbench_sync import Gated
from wbs import config, crypto, keyfile, receipt
from wbs.workbench.app import Config

LANGUAGES = {"id": "", "en": "/en"}
VIEWPORTS = {"phone": {"width": 360, "height": 640}, "desktop": {"width": 1280, "height": 800}}
OWN_ERRORS = ("the server responded with a status of 404", "net::ERR_INTERNET_DISCONNECTED")


@pytest.fixture
def console(page: Any) -> Iterator[list[str]]:
    """Console errors and page errors (CSP or SRI violations among them): none allowed but
    Chromium's own notes of what the test did on purpose (a 404 for a wrong code, a request
    cut off)."""
    messages: list[str] = []
    page.on("console", lambda m: m.type == "error" and messages.append(m.text))
    yield messages
    assert [m for m in messages if not any(own in m for own in OWN_ERRORS)] == []
    assert page.errors == []


def files(count: int, size: int = 2000) -> list[dict[str, Any]]:
    return [
        {"name": f"bukti-{n}.jpg", "mimeType": "image/jpeg", "buffer": bytes([n]) * size}
        for n in range(1, count + 1)
    ]


class Held:
    """Requests matching ``pattern`` held until released (then and after, let through)."""

    def __init__(self, page: Any, pattern: str) -> None:
        self.routes: list[Any] = []
        self.holding = True
        page.route(pattern, self.hold)

    def hold(self, route: Any) -> None:
        if self.holding:
            self.routes.append(route)
        else:
            route.fallback()

    def wait(self, page: Any) -> None:
        for _ in range(300):
            if self.routes:
                return
            page.wait_for_timeout(100)
        raise AssertionError("no request was held")

    def release(self) -> None:
        self.holding = False
        for route in self.routes:
            route.fallback()  # to the handler routed before, if any, else to the network


def test_axe_finds_what_it_is_asked_to_find(page: Any) -> None:
    # Given a page without a language, a title, or text for its image and its field
    page.set_content("<img src='data:,'><input>")
    # Then axe names each, with the element, and the failure says where
    found = violations(page)
    assert {v["id"] for v in found} >= {"html-has-lang", "document-title", "image-alt", "label"}
    with pytest.raises(AssertionError, match=r"(?s)a bare page.*image-alt.*\n  img: Fix"):
        assert_no_violations(page, "a bare page")


def test_axe_never_reaches_the_built_site(built_site: Path) -> None:
    # axe is a devDependency for these tests only: the build bundles libsodium alone
    # (wbs/build/assets.py), and no page of the site loads, names or holds axe.
    assert AXE.is_file(), "axe-core is not installed: ./dev runs npm ci --prefix site"
    banner = AXE.read_bytes()[:200]
    assert banner.startswith(b"/*! axe v")
    built = sorted(p for p in built_site.rglob("*") if p.is_file())
    assert any(p.name == "app.mjs" for p in built)
    for path in built:
        assert "axe" not in path.name.lower(), path
        data = path.read_bytes()
        assert b"/*! axe v" not in data and b"axe-core" not in data, path


# -- the reporter's pages ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/en/", "/status/", "/en/status/"])
def test_a_page_whose_script_never_runs(
    page: Any, site_server: tuple[str, Path], console: list[str], path: str
) -> None:
    # Given the pages' modules fail to load (blocked, or refused by their integrity check)
    page.route("**/assets/js/*.mjs", lambda route: route.abort())
    page.goto(site_server[0] + path)
    assert page.is_disabled("form button[type=submit] >> nth=0")
    console.clear()  # Chromium's notes of the modules refused
    assert_no_violations(page, "its script never ran: the page says to reload")


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_state_of_the_reporting_page(
    page: Any, site_server: tuple[str, Path], console: list[str], lang: str, viewport: str
) -> None:
    page.set_viewport_size(VIEWPORTS[viewport])
    origin, _ = site_server
    page.goto(origin + LANGUAGES[lang] + "/")
    page.wait_for_selector("#report button[type=submit]:not([disabled])")
    assert_no_violations(page, "loaded")
    folds = page.locator("details:not([open]) > summary")
    assert folds.count() >= 1  # "Who can read your report", and any guidance folded
    for _ in range(20):  # each opened fold leaves the selector: the next is first
        if not folds.count():
            break
        folds.first.click()
    assert folds.count() == 0
    page.wait_for_selector("#routed-desks code")
    assert_no_violations(page, "loaded, every fold opened")

    page.click("#report button[type=submit]")
    page.wait_for_selector("#form-error:not(:empty)")
    assert_no_violations(page, "sent empty: the error summary and every invalid field")

    page.check("input[name=identity][value=identified]")
    page.wait_for_selector("#identity-fields:not([hidden])")
    page.click("#add-person")
    page.wait_for_selector("#people fieldset >> nth=1")
    assert_no_violations(page, "identity fields and a second reported person shown")

    page.set_input_files("#evidence", files(21))  # one more than a report can take
    page.wait_for_selector("#evidence-error:not(:empty)")
    assert_no_violations(page, "21 evidence files chosen, one refused")
    listed = page.locator("#evidence-list [data-remove-file]")
    while listed.count() > 2:
        listed.first.click()

    page.select_option("#category", "pungutan-liar")
    page.fill("#what", "Kronologi: diminta membayar Rp 500.000 untuk surat yang gratis.")
    page.fill("#people [name=who-name] >> nth=0", "Budi")
    page.fill("#people [name=who-unit] >> nth=1", "Loket pelayanan")
    page.fill("#where", "Kantor Kecamatan Menteng")
    page.fill("#reporter-name", "Sari")
    for box in page.query_selector_all("#declarations input[type=checkbox]"):
        box.check()
    sending = Held(page, "**/api/reports")
    parts = Held(page, "**/attachments/**")
    page.route("**/api/reports", lambda route: route.abort("internetdisconnected"), times=1)
    page.click("#report button[type=submit]")
    page.wait_for_function(
        "() => document.getElementById('form-error').textContent"
        " === document.getElementById('report').dataset.msgUncertain",
        timeout=60_000,
    )
    assert page.is_enabled("#report button[type=submit]")
    assert_no_violations(page, "the connection cut off: sent or not, the page cannot tell")

    page.click("#report button[type=submit]")
    sending.wait(page)
    assert page.is_visible("#form-progress")
    assert_no_violations(page, "sending, its progress shown")

    sending.release()
    page.wait_for_selector("#success:not([hidden])")
    parts.wait(page)
    page.wait_for_selector("#upload-list li[data-state=sending]")
    assert_no_violations(page, "the receipt shown, files on their way")

    parts.release()
    page.wait_for_selector("#uploads[data-state=done]", timeout=60_000)
    assert_no_violations(page, "the receipt shown, every file received")

    page.check("#receipt-saved")
    page.click("#receipt-done")
    page.wait_for_selector("#receipt-gone:not([hidden])")
    assert_no_violations(page, "the code removed from the page")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_reporting_page_waiting_for_its_encryption_library(
    page: Any, site_server: tuple[str, Path], console: list[str], lang: str
) -> None:
    library = Held(page, "**/assets/js/vendor/*")
    page.goto(site_server[0] + LANGUAGES[lang] + "/", wait_until="domcontentloaded")
    page.wait_for_selector("#report button[type=submit]:not([disabled])")
    page.select_option("#category", "pungutan-liar")
    page.fill("#what", "Kronologi.")
    page.fill("#people [name=who-name] >> nth=0", "Budi")
    page.fill("#where", "Kantor Kecamatan Menteng")
    for box in page.query_selector_all("#declarations input[type=checkbox]"):
        box.check()
    page.route("**/api/reports", lambda route: route.abort("internetdisconnected"))
    page.click("#report button[type=submit]")
    library.wait(page)
    page.wait_for_selector("#form-progress:not([hidden])")
    assert_no_violations(page, "sent before libsodium has loaded: preparing encryption")
    library.release()  # (and the report is not stored: the test cuts its request off)
    page.wait_for_selector("#form-error:not(:empty)", timeout=60_000)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_routing_question_of_the_kpu_s_page(
    page: Any,
    kpu: Any,  # noqa: F811 (the fixture)
    console: list[str],
    lang: str,
) -> None:
    page.goto(kpu.origin + LANGUAGES[lang] + "/")
    page.wait_for_selector("#report button[type=submit]:not([disabled])")
    assert page.is_visible("#office-filter") and page.is_visible("#staff")
    assert_no_violations(page, "the office list and the staff question shown")

    assert len(search(page, {"id": "jawa", "en": "java"}[lang])) == 4  # "I do not know" and 3
    assert_no_violations(page, "the office list filtered, three matches")
    assert search(page, "atlantis") == [""]
    assert_no_violations(page, "the office list filtered, no match")

    page.click("#report button[type=submit]")
    page.wait_for_selector("#staff-error:not(:empty)")
    assert_no_violations(page, "the staff question unanswered, its error shown")
    page.check("input[name=concerns_staff][value=yes]")
    page.wait_for_selector("#route-summary:not(:empty)")
    assert_no_violations(page, "the staff question answered, where the report goes said")


# -- the status page ---------------------------------------------------------------------------


def followup_with_files(case: Case, inspectorate: Inspectorate) -> dict[str, Any]:  # noqa: F811
    """The reporter's follow-up with two evidence files, as the thread lists it."""
    message = {
        "schema": "wbs-message/1",
        "id": crypto.new_report_id(),
        "sent": "2026-11-23T04:00:00Z",
        "type": "message",
        "text": "Foto kuitansi dan rekaman rapat terlampir.",
        "status": "",
        "reason": "",
        "by": "",
        "attachments": [
            {
                "id": crypto.new_report_id(),
                "name": name,
                "type": kind,
                "size": size,
                "chunk": 1 << 20,
                "key": base64.b64encode(bytes(32)).decode(),
                "sha256": "",
            }
            for name, kind, size in [
                ("kuitansi.jpg", "image/jpeg", 480_000),
                ("rapat-3-oktober.m4a", "audio/mp4", 12_500_000),
            ]
        ],
    }
    data = json.dumps(message).encode()
    keys = (inspectorate.public_key, case.keys.public_key)
    envelope = sealed("followup", case.keys.report_id, data, *keys)
    return {"sent": message["sent"], "from": "reporter", "envelope": envelope}


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_state_of_the_status_page(
    page: Any,
    site_server: tuple[str, Path],
    inspectorate: Inspectorate,  # noqa: F811 (the fixture)
    case: Case,  # noqa: F811 (the fixture)
    console: list[str],
    lang: str,
    viewport: str,
) -> None:
    page.set_viewport_size(VIEWPORTS[viewport])
    origin, _ = site_server
    forged = stored_reply(
        "2026-11-24T02:00:00Z",
        sealed(
            "reply",
            case.keys.report_id,
            plaintext("2026-11-24T02:00:00Z", text="Kirim kodenya ke nomor ini.", by=""),
            case.keys.public_key,
            inspectorate.public_key,
        ),
        None,
        inspectorate.kid,
    )
    messages = [*thread(case, inspectorate), followup_with_files(case, inspectorate), forged]
    FakeMailbox(page, case, messages)
    page.goto(origin + LANGUAGES[lang] + "/status/")
    page.wait_for_selector("#lookup button[type=submit]:not([disabled])")
    assert_no_violations(page, "loaded, no code typed")

    def look_up(code: str, state: str) -> None:
        page.fill("#code", code)
        page.click("#lookup button[type=submit]")
        page.wait_for_selector("#lookup-error:not(:empty)", timeout=60_000)
        assert_no_violations(page, state)

    look_up("", "sent empty")
    look_up(case.code[:-2], "a code of the wrong length")
    look_up("-".join(case.keys.report_id[i : i + 4] for i in range(0, 16, 4)), "a reg. number")
    look_up(receipt.new_code(), "a code that matches no report")

    opening = Held(page, "**/api/mailbox")
    page.fill("#code", case.code)
    page.click("#lookup button[type=submit]")
    opening.wait(page)
    assert page.is_visible("[data-area=progress]")
    assert_no_violations(page, "a code being looked up, its progress shown")
    opening.release()
    page.wait_for_selector("#case:not([hidden])", timeout=60_000)
    page.wait_for_selector("#thread [data-files]:not([hidden])")
    page.wait_for_selector("#thread [data-unverified]:not([hidden])")
    assert_no_violations(
        page, "a case with the inspectorate's replies, an unsigned one, and the reporter's files"
    )

    page.click("#followup button[type=submit]")
    page.wait_for_selector("#followup-error:not(:empty)")
    assert_no_violations(page, "a follow-up sent empty")

    page.fill("#followup-text", "Yang hadir: Budi, Sari dan Dodi.")
    page.set_input_files("#followup #evidence", files(1))
    parts = Held(page, "**/api/uploads")  # the mailbox is played here: no file is received
    page.click("#followup button[type=submit]")
    page.wait_for_selector("#followup [data-area=done]:not(:empty)")
    parts.wait(page)
    assert_no_violations(page, "a follow-up sent, its file on its way")
    parts.release()  # to the real host, which knows no such case: the file is refused
    page.wait_for_selector("#upload-list li[data-state=failed]", timeout=60_000)
    assert_no_violations(page, "a follow-up's file that could not be sent")

    page.once("dialog", lambda dialog: dialog.accept())  # a file is still on its way
    page.click("#forget")
    page.wait_for_selector("#closed:not([hidden])")
    assert_no_violations(page, "the code forgotten")


# -- the workbench -----------------------------------------------------------------------------

UTC = datetime.UTC
OTHER, LATE = "9ABCDEFGHJKMNPQR", "8ZZZZZZZ00000000"


def days_ago(n: int) -> str:
    when = datetime.datetime.now(UTC).replace(hour=12, minute=0, second=0) - datetime.timedelta(n)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def cases(home: Path, tmp_path: Path) -> Gated:
    """An inspector of desk inspektorat; in storage: a report with a photo and a PDF, and a
    reporter's follow-up, overdue; a bribe, due soon; a fresh one; one sealed to a desk the
    inspector is not a member of."""
    inspector = add_inspector_key("Irban I")
    store = Gated(tmp_path / "store")
    colleague = keyfile.generate()
    Institution.here().add_member(colleague, "Irban Wilayah II", desks=["jabar"])
    manifest = [
        upload(store, FIRST, "5QZ2W8R1XK4T7M3N", "foto bukti.png", png(40, 30), "image/png"),
        upload(store, FIRST, "9HJ6C0VB2DPE8GA4", "kuitansi.pdf", b"%PDF-1.4\n", "application/pdf"),
    ]
    key = case_key_text(FIRST)
    put(
        store,
        FIRST,
        inspector,
        payload(attachments=manifest, reporter_signing_key=key),
        received=days_ago(20),
    )
    bribe = payload(
        category={"id": "suap", "label": "Suap"},
        title="Suap proyek jalan",
        what="Kontraktor memberi amplop kepada panitia lelang",
        reporter_signing_key=case_key_text(SECOND),
    )
    put(store, SECOND, inspector, bribe, received=days_ago(5))  # due in 0 to 2 days
    put(store, THIRD, inspector, received=days_ago(0))
    put(store, OTHER, colleague)
    sent = datetime.datetime.now(UTC) - datetime.timedelta(days=2)
    post_followup(store, FIRST, "Saksi kedua bernama Dodi.", sent, desk_keys())
    return store


@contextlib.contextmanager
def workbench_page(browser: Any, home: Path, store: LocalStorage, lang: str) -> Iterator[Any]:
    """A real workbench server on ``store`` in ``lang``, opened (not unlocked) in Chromium."""
    settings = Config(
        key=key_file(home),
        storage_url=f"local:{store.root}",
        open_storage=lambda: store,
        keyring=default_keyring(),
        rules=config.load(None),
        lang=lang,
    )
    with opened(browser, settings, idle_seconds=600) as (page, app, errors):
        page.app = app
        yield page
        # The browser's notes of the unreadable case's 422, the missing case's 404 and the
        # refused period's 400 only
        refused = (400, 404, 422)
        assert [e for e in errors if not any(f"status of {n}" in e for n in refused)] == []


def submit(page: Any, form: str) -> None:
    with page.expect_navigation():
        page.click(f"#{form} button[type=submit] >> nth=0")


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_state_of_the_workbench(
    browser: Any, home: Path, cases: Gated, tmp_path: Path, lang: str
) -> None:
    store = cases
    saved = tmp_path / "investigasi"
    with workbench_page(browser, home, store, lang) as page:
        assert_no_violations(page, "locked, asking for the passphrase")
        page.fill("#passphrase", "bukan ini")
        submit(page, "unlock")
        page.wait_for_selector("#unlock-error")
        assert_no_violations(page, "a wrong passphrase")

        page.fill("#passphrase", PASSPHRASE)
        submit(page, "unlock")
        page.wait_for_selector("#empty")
        assert_no_violations(page, "the inbox before the first sync: empty")

        store.let_through = 1
        try:
            page.click("#sync")
            page.wait_for_selector("#sync-form[data-running]")
            page.wait_for_function("() => !document.getElementById('sync-label').hidden")
            assert_no_violations(page, "a sync running, its progress shown")
        finally:
            store.release.release(100)
        page.wait_for_selector("#sync-result")
        assert_no_violations(page, "the inbox after a sync, with its result")

        page.goto(page.url.split("?")[0] + "?category=suap&deadline=soon&q=amplop")
        page.wait_for_selector("#cases")
        assert_no_violations(page, "the inbox filtered")
        page.goto(page.url.split("?")[0] + "?q=tidak-ada-yang-cocok")
        # "0 of 4 cases", and no table of headers over no row (axe: th-has-data-cells)
        assert page.locator("#cases").count() == 0 and page.is_visible("#filters + p.muted")
        assert_no_violations(page, "the inbox filtered, nothing matches")

        case = page.url.split("/?")[0] + f"/case/{FIRST}"
        page.goto(case)
        page.wait_for_selector("#report-what")
        page.fill("#reply-text", "Terima kasih. Kapan tepatnya setoran itu diminta?")
        submit(page, "reply")
        page.fill("#note-text", "Catatan internal: saksi kedua belum dihubungi.")
        submit(page, "note")
        page.select_option("#status-new", "perlu-informasi-tambahan")
        page.fill("#status-note", "Mohon lengkapi kronologinya.")
        submit(page, "status")
        page.wait_for_selector("#report img.evidence")
        assert_no_violations(page, "a case with its files, replies, a note and the audit trail")

        for form, field in (("reply", "#reply-text"), ("note", "#note-text")):
            page.fill(field, "  ")
            submit(page, form)
            page.wait_for_selector("main .notice.error")
            assert_no_violations(page, f"the {form} form sent empty")
        page.select_option("#status-new", "ditolak")
        page.fill("#status-reason", " ")
        submit(page, "status")
        page.wait_for_selector("main .notice.error")
        assert_no_violations(page, "a rejection without a reason")
        page.fill("#save-folder", "relatif/bukan/folder")
        submit(page, "save")
        page.wait_for_selector("main .notice.error")
        assert_no_violations(page, "a case file saved into a folder that is not whole")
        page.fill("#save-folder", str(saved))
        submit(page, "save")
        page.wait_for_selector("code.saved")
        assert_no_violations(page, "a case file saved")
        # The case files themselves: HTML pages the investigators keep (the full one) or hand
        # to law enforcement (the one for APH), read in a browser
        for variant in ("case-file", "case-file-aph"):
            case_file = page.request.get(f"{case}/{variant}")
            assert case_file.ok
            reader = page.context.new_page()  # a page of its own: the file's CSP, not the app's
            reader.set_content(case_file.text())
            assert reader.evaluate("getComputedStyle(document.body).maxWidth") == "960px"
            assert_no_violations(reader, f"the {variant}")
            reader.close()

        with page.expect_navigation():
            page.goto(case.replace(FIRST, OTHER))
        page.wait_for_selector("#openers")
        assert_no_violations(page, "a case the key cannot read")
        page.goto(case.replace(FIRST, "0000000000000000"))
        assert_no_violations(page, "a case that is not in the cache")

        origin = case.split("/case/")[0]
        page.goto(origin + "/stats")
        page.wait_for_selector("#stats-deadlines")
        assert_no_violations(page, "the statistics of this month, with its charts")
        href = page.locator("#download-summary").get_attribute("href") or ""
        summary = page.request.get(origin + href)
        assert summary.ok
        reader = page.context.new_page()  # the summary's own page, as it is printed
        reader.set_content(summary.text())
        assert_no_violations(reader, "the statistics' one-page summary")
        reader.close()
        page.fill("#period-from", "2026-12-31")
        page.fill("#period-to", "2026-01-01")
        submit(page, "period")
        page.wait_for_selector("#period-error")
        assert_no_violations(page, "the statistics of a period that ends before it starts")

        put(store, LATE, desk_keys(), received=days_ago(0))
        store.fail = StorageError("storage is out of reach")
        store.let_through = 0
        page.goto(case.split("/case/")[0] + "/")
        page.click("#sync")
        stopped = "Sinkronisasi berhenti" if lang == "id" else "The sync stopped"
        page.wait_for_selector(f"main .notice.error:has-text('{stopped}')", timeout=30_000)
        assert_no_violations(page, "a sync that failed")

        page.app.session.idle = 0  # the idle time has passed
        page.wait_for_timeout(50)
        page.reload()
        page.wait_for_selector("#passphrase")
        assert_no_violations(page, "locked again when idle")


# The elements that reach past the right edge of the screen, outside any scrolling box.
WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .filter((e) => !e.closest("pre, .scroll, [tabindex]"))
  .map((e) => e.tagName + (e.id ? "#" + e.id : "") + "." + (e.getAttribute("class") || ""))"""

# The words of a table that a line break cuts in two ("Acknowl" / "edgement"); a break
# after a hyphen ("ke-" / "90") is ordinary typography.
BROKEN_WORDS = """(selector) => {
  const broken = [];
  const table = document.querySelector(selector);
  const walker = document.createTreeWalker(table, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const word of node.textContent.matchAll(/[^\\s-]+/g)) {
      const range = document.createRange();
      range.setStart(node, word.index);
      range.setEnd(node, word.index + word[0].length);
      const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
      if (lines.size > 1) broken.push(word[0]);
    }
  }
  return broken;
}"""


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_statistics_and_the_case_file_for_aph_on_a_phone_and_a_desktop(
    browser: Any, home: Path, cases: Gated, lang: str, viewport: str
) -> None:
    # The pages of issue 17 at both sizes: the statistics with their charts, the printable
    # summary and the case file for law enforcement, each as the inspector reads it
    today = datetime.date.today()
    period = f"from={today - datetime.timedelta(days=40)}&to={today}"  # every case's month
    with workbench_page(browser, home, cases, lang) as page:
        page.set_viewport_size(VIEWPORTS[viewport])
        page.fill("#passphrase", PASSPHRASE)
        submit(page, "unlock")
        page.click("#sync")
        page.wait_for_selector("#sync-result")
        origin = page.url.split("/?")[0].rstrip("/")
        page.goto(f"{origin}/stats?{period}")
        page.wait_for_selector("#stats-deadlines")
        assert_no_violations(page, f"the statistics on a {viewport}")
        # and it reflows: nothing wider than the screen (WCAG 1.4.10, which axe leaves out)
        wide = sorted(set(page.evaluate(WIDER_THAN_THE_SCREEN)))
        assert wide == [], " ".join(wide)
        # the deadline table keeps its words whole, inside its section
        assert page.evaluate(BROKEN_WORDS, "table.deadlines") == []
        inside = """() => document.querySelector('table.deadlines').getBoundingClientRect().right
          <= document.querySelector('#stats-deadlines').getBoundingClientRect().right"""
        assert page.evaluate(inside)
        bars = "[...document.querySelectorAll('td.bar svg')].map((s) => s.clientWidth)"
        assert max(page.evaluate(bars)) >= 80  # the charts shrank, and are still seen
        for name, path in (
            ("one-page summary", page.locator("#download-summary").get_attribute("href")),
            ("case file for APH", f"/case/{FIRST}/case-file-aph"),
        ):
            answer = page.request.get(origin + str(path))
            assert answer.ok, name
            reader = page.context.new_page()  # a page of its own: the file's CSP, not the app's
            reader.set_viewport_size(VIEWPORTS[viewport])
            reader.set_content(answer.text())
            assert_no_violations(reader, f"the {name} on a {viewport}")
            wide = sorted(set(reader.evaluate(WIDER_THAN_THE_SCREEN)))
            assert wide == [], f"{name}: {' '.join(wide)}"
            reader.close()
