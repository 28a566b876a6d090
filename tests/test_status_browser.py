"""The reporter's status page ("Cek Status Laporan") in headless Chromium.

The built site is served by the real local host; the mailbox API is played by Playwright's
request interception with envelopes sealed here by ``wbs.crypto`` to the keys that
``wbs.receipt`` derives from the receipt code, exactly as an inspector's reply would be.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from nacl.public import PrivateKey
from nacl.signing import SigningKey

from functions import envelope as fmt
from functions import mailbox_token
from functions.keyring import grouped, load
from functions.signature import Signature, signed_bytes
from tests.support.api import RECOVERY
from wbs import crypto, receipt

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(tempfile.gettempdir())
RECEIVED = "2026-11-18T09:15:00Z"
MESSAGE_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{16}")
SENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
UNKNOWN = {
    "/status/": "Tidak ada laporan yang cocok dengan kode ini. Periksa kode Anda huruf demi huruf, "
    "lalu coba lagi.",
    "/en/status/": "No report matches this code. Check the code, letter by letter, and try again.",
}


class Case(NamedTuple):
    code: str
    keys: receipt.Derived


@pytest.fixture(scope="module")
def case() -> Case:
    code = receipt.new_code()
    return Case(code, receipt.derive(code))


@pytest.fixture
def console(page: Any) -> Iterator[list[str]]:
    """Console errors and page errors (CSP or SRI violations among them): none allowed."""
    messages: list[str] = []
    page.on("console", lambda m: m.type == "error" and messages.append(m.text))
    yield messages
    assert messages == [] and page.errors == []


def plaintext(
    sent: str, *, text: str = "", status: str = "", reason: str = "", **extra: str
) -> bytes:
    message = {
        "schema": "wbs-message/1",
        "id": extra.get("id") or crypto.new_report_id(),
        "sent": sent,
        "type": "status" if status else "message",
        "text": text,
        "status": status,
        "reason": reason,
        "by": extra.get("by", ""),
    }
    return json.dumps(message).encode()


def sealed(kind: str, report_id: str, data: bytes, *keys: bytes) -> dict[str, Any]:
    recipients = [crypto.Recipient(k) for k in keys]
    return crypto.seal(kind, report_id, data, recipients).to_json()


class FakeMailbox:
    """GET and POST /api/mailbox for one case, whose desks are ``desks`` (None: the answer
    names none); any other token is an unknown code."""

    def __init__(
        self,
        page: Any,
        case: Case,
        messages: list[dict[str, Any]],
        *posts: int,
        desks: list[Any] | None = None,
    ) -> None:
        self.case = case
        self.messages = messages
        self.desks = ["inspektorat"] if desks is None else desks
        self.tokens: list[bytes] = []
        self.posted: list[dict[str, Any]] = []
        self.post_statuses = iter(posts or (201,) * 10)
        page.route("**/api/mailbox", self.answer)

    def answer(self, route: Any) -> None:
        request = route.request
        token = mailbox_token.from_header(request.headers.get("authorization"))
        self.tokens.append(token)
        if token != self.case.keys.token:
            body = {"error": "unknown_code", "message": "Kode tidak dikenal. Unknown code."}
            route.fulfill(status=404, content_type="application/json", body=json.dumps(body))
        elif request.method == "GET":
            body = {"id": self.case.keys.report_id, "received": RECEIVED, "messages": self.messages}
            if self.desks:
                body["desks"] = self.desks
            route.fulfill(status=200, content_type="application/json", body=json.dumps(body))
        else:
            assert request.headers["content-type"] == "application/json"
            envelope = json.loads(request.post_data)
            self.posted.append(envelope)
            status = next(self.post_statuses)
            if status == 201:
                item = {"sent": "2026-11-25T10:00:00Z", "from": "reporter", "envelope": envelope}
                self.messages.append(item)
            body = json.dumps({"sent": "2026-11-25T10:00:00Z"} if status == 201 else {})
            route.fulfill(status=status, content_type="application/json", body=body)


class Inspectorate(NamedTuple):
    """The built site's one keyring key: its X25519 pair and its Ed25519 signing key."""

    key: PrivateKey
    signer: SigningKey

    @property
    def public_key(self) -> bytes:
        return bytes(self.key.public_key)

    @property
    def kid(self) -> str:
        return crypto.key_id(self.public_key)

    def reply(self, sent: str, envelope: dict[str, Any]) -> dict[str, Any]:
        """A reply as stored by `wbs reply`: signed by this key (signature-v2)."""
        return stored_reply(sent, envelope, self.signer, self.kid)


def stored_reply(
    sent: str, envelope: dict[str, Any], signer: SigningKey | None, by: str
) -> dict[str, Any]:
    """``{"sent", "from", "envelope", "signature"}`` as the API serves it; unsigned when
    ``signer`` is None."""
    item = {"sent": sent, "from": "inspectorate", "envelope": envelope}
    if signer is not None:
        signed = signer.sign(signed_bytes(fmt.parse(envelope), by)).signature
        item["signature"] = Signature(by, signed).to_json()
    return item


@pytest.fixture(scope="module")
def inspectorate(inspector_key: PrivateKey, inspector_signing_key: SigningKey) -> Inspectorate:
    return Inspectorate(inspector_key, inspector_signing_key)


def thread(case: Case, inspectorate: Inspectorate) -> list[dict[str, Any]]:
    """A case in storage order: a reply, an earlier status stored later, a status asking for
    more, the reporter's follow-up, a replayed copy of the reply, one message sealed to the
    inspectorate only (unreadable for the reporter). Every reply is signed."""
    rid, reporter, inspector = case.keys.report_id, case.keys.public_key, inspectorate.public_key
    kid = inspectorate.kid
    question = sealed(
        "reply",
        rid,
        plaintext("2026-11-20T03:00:00Z", text="Terima kasih.\nSiapa saja yang hadir?", by=kid),
        reporter,
        inspector,
    )
    return [
        inspectorate.reply("2026-11-20T03:00:01Z", question),
        inspectorate.reply(
            "2026-11-20T03:00:02Z",
            sealed(
                "reply",
                rid,
                plaintext("2026-11-19T02:00:00Z", status="sedang-diverifikasi", by=kid),
                reporter,
                inspector,
            ),
        ),
        inspectorate.reply(
            "2026-11-20T03:00:06Z",
            sealed(
                "reply",
                rid,
                plaintext(
                    "2026-11-20T03:00:05Z",
                    status="perlu-informasi-tambahan",
                    text="Mohon lengkapi kronologinya.",
                    by=kid,
                ),
                reporter,
                inspector,
            ),
        ),
        {
            "sent": "2026-11-21T08:30:00Z",
            "from": "reporter",
            "envelope": sealed(
                "followup",
                rid,
                plaintext("2026-11-21T08:30:00Z", text="Yang hadir: Budi dan Sari."),
                inspector,
                reporter,
            ),
        },
        inspectorate.reply("2026-11-21T09:00:00Z", question),
        inspectorate.reply(
            "2026-11-22T07:00:00Z",
            sealed("reply", rid, plaintext("2026-11-22T07:00:00Z", text="rahasia"), inspector),
        ),
    ]


def open_case(page: Any, url: str, code: str) -> None:
    page.goto(url)
    page.wait_for_selector("#lookup button[type=submit]:not([disabled])")
    page.fill("#code", code)
    page.click("#lookup button[type=submit]")


def texts(page: Any, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_inner_texts()]


EXPECTED = {
    "/status/": {
        "status": "Perlu Informasi Tambahan",
        "about": "Inspektorat memerlukan informasi tambahan dari Anda. Baca pesannya di bawah, "
        "lalu balas.",
        "history": ["Laporan diterima", "Sedang Diverifikasi", "Perlu Informasi Tambahan"],
        "who": ["Inspektorat", "Anda", "Inspektorat"],
        "unreadable": "Pesan ini tidak dapat dibuka: pesan rusak atau tidak ditujukan untuk kode "
        "ini.",
    },
    "/en/status/": {
        "status": "More information needed",
        "about": "The Inspectorate needs more information from you. Read its message below and "
        "answer it.",
        "history": ["Report received", "Being verified", "More information needed"],
        "who": ["Inspectorate", "You", "Inspectorate"],
        "unreadable": "This message could not be opened: it is damaged or was not meant for this "
        "code.",
    },
}


@pytest.mark.parametrize("path", EXPECTED)
def test_the_case_shows_status_history_and_the_whole_thread(
    page: Any,
    site_server: tuple[str, Path],
    inspectorate: Inspectorate,
    case: Case,
    console: list[str],
    path: str,
) -> None:
    # Given a case with replies, status changes, a follow-up, a replay and an unreadable message
    origin, _ = site_server
    mailbox = FakeMailbox(page, case, thread(case, inspectorate))
    # When the reporter opens it with the receipt code
    open_case(page, origin + path, case.code)
    page.wait_for_selector("#case:not([hidden])")
    expected = EXPECTED[path]
    # Then the request carried the code's token, and the case is shown in the page's language
    assert mailbox.tokens == [case.keys.token]
    assert page.text_content("#case-number") == receipt.group(case.keys.report_id)
    assert page.get_attribute("#case-received", "datetime") == RECEIVED
    assert page.text_content("#case-status") == expected["status"]
    assert page.text_content("#case-status-about") == expected["about"]
    assert texts(page, "#history [data-label]") == expected["history"]
    assert [t.get_attribute("datetime") for t in page.locator("#history time").all()] == [
        RECEIVED,
        "2026-11-19T02:00:00Z",
        "2026-11-20T03:00:05Z",
    ]
    assert texts(page, "#history .note:visible") == ["Mohon lengkapi kronologinya."]
    # The thread: in the order stored, the replay dropped, the unreadable shown
    assert texts(page, "#thread [data-who]") == expected["who"]
    assert page.locator("#thread [data-text]").all_text_contents() == [
        "Terima kasih.\nSiapa saja yang hadir?",
        "Yang hadir: Budi dan Sari.",
        expected["unreadable"],
    ]
    assert page.locator("#thread .unreadable").count() == 1
    assert page.is_hidden("#thread-empty")
    # The code is gone from the field, the URL and every storage
    assert page.input_value("#code") == ""
    assert_no_trace(page, origin + path, case.code)


def test_a_followup_reusing_a_status_messages_id_changes_nothing_on_the_page(
    page: Any,
    site_server: tuple[str, Path],
    inspectorate: Inspectorate,
    case: Case,
    console: list[str],
) -> None:
    # Given a status change, then a follow-up that reuses its id and says it was written in 2000
    origin, _ = site_server
    rid, reporter, inspector = case.keys.report_id, case.keys.public_key, inspectorate.public_key
    reused = crypto.new_report_id()
    status = plaintext(
        "2026-11-20T03:00:00Z", status="dalam-proses", by=inspectorate.kid, id=reused
    )
    shadow = plaintext("2000-01-01T00:00:00Z", text="Bayangan.", id=reused)
    FakeMailbox(
        page,
        case,
        [
            inspectorate.reply(
                "2026-11-20T03:00:01Z", sealed("reply", rid, status, reporter, inspector)
            ),
            {
                "sent": "2026-11-21T08:30:00Z",
                "from": "reporter",
                "envelope": sealed("followup", rid, shadow, inspector, reporter),
            },
        ],
    )
    # When the reporter opens the case
    open_case(page, origin + "/status/", case.code)
    page.wait_for_selector("#case:not([hidden])")
    # Then the status stands, its change is in the history, and the follow-up is shown,
    # flagged: its own time is far from when it was stored
    assert page.text_content("#case-status") == "Dalam Proses"
    assert texts(page, "#history [data-label]") == ["Laporan diterima", "Dalam Proses"]
    assert page.locator("#thread [data-text]").all_text_contents() == ["Bayangan."]
    flag = page.locator("#thread [data-strays]")
    assert flag.is_visible()
    assert flag.locator("time").get_attribute("datetime") == "2026-11-21T08:30:00Z"
    assert console == []


def test_a_rejected_case_shows_the_reason(
    page: Any,
    site_server: tuple[str, Path],
    inspectorate: Inspectorate,
    case: Case,
    console: list[str],
) -> None:
    origin, _ = site_server
    rid, keys = case.keys.report_id, (case.keys.public_key, inspectorate.public_key)
    data = plaintext(
        "2026-11-20T03:00:00Z",
        status="ditolak",
        reason="Di luar kewenangan.",
        by=inspectorate.kid,
    )
    FakeMailbox(
        page, case, [inspectorate.reply("2026-11-20T03:00:00Z", sealed("reply", rid, data, *keys))]
    )
    open_case(page, origin + "/en/status/", case.code)
    page.wait_for_selector("#case:not([hidden])")
    assert page.text_content("#case-status") == "Rejected"
    assert texts(page, "#history [data-reason-line]:visible") == ["Reason: Di luar kewenangan."]
    assert page.is_visible("#thread-empty")
    assert page.text_content("#thread-empty") == "No messages yet."


def test_a_followup_is_sealed_to_the_case_desks_the_recovery_key_and_the_reporter(
    page: Any,
    site_server: tuple[str, Path],
    inspectorate: Inspectorate,
    desk_key: PrivateKey,
    case: Case,
    console: list[str],
) -> None:
    # Given an open case
    origin, _ = site_server
    mailbox = FakeMailbox(page, case, thread(case, inspectorate))
    open_case(page, origin + "/status/", case.code)
    page.wait_for_selector("#case:not([hidden])")
    # When the reporter writes an answer and sends it
    answer = "Rapat tanggal 3 Oktober; notulennya ada pada Sari.\nBaris kedua ✓"
    page.fill("#followup-text", "  " + answer + "  ")
    page.click("#followup button[type=submit]")
    page.wait_for_selector("#followup [data-area=done]:not(:empty)")
    # Then one followup envelope went out with the token, for the desk the mailbox names, the
    # recovery key and the reporter
    (body,) = mailbox.posted
    envelope = fmt.parse(json.dumps(body))
    assert (envelope.kind, envelope.id) == ("followup", case.keys.report_id)
    reporter = crypto.Identity(PrivateKey(case.keys.secret_key))
    readers = [crypto.Identity(desk_key), RECOVERY, reporter]
    assert [r.kid for r in envelope.recipients] == [who.kid for who in readers]
    assert mailbox.tokens[-2] == case.keys.token
    first, *others = (json.loads(crypto.open_envelope(envelope, who)) for who in readers)
    assert others == [first, first]
    assert first.keys() == {"schema", "id", "sent", "type", "text", "status", "reason", "by"}
    assert (first["schema"], first["type"], first["text"]) == ("wbs-message/1", "message", answer)
    assert (first["status"], first["reason"], first["by"]) == ("", "", "")
    assert MESSAGE_ID.fullmatch(first["id"]) and SENT.fullmatch(first["sent"])
    # And the thread is read again: the answer is in it, the field is empty
    assert page.text_content("#followup [data-area=done]") == "Pesan Anda telah terkirim."
    page.wait_for_function("() => document.querySelectorAll('#thread li').length === 4")
    assert page.locator("#thread [data-text]").last.text_content() == answer
    assert texts(page, "#thread [data-who]")[-1] == "Anda"
    assert page.input_value("#followup-text") == ""


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (403, "Laporan ini tidak dapat menerima pesan lagi dari Anda."),
        (413, "Pesan Anda terlalu panjang."),
        (422, "Halaman ini sudah usang sehingga pesan Anda tidak diterima."),
        (503, "Pesan Anda mungkin sudah atau belum diterima"),
    ],
)
def test_a_refused_followup_keeps_the_text_and_says_why(
    page: Any,
    site_server: tuple[str, Path],
    inspector_key: PrivateKey,
    case: Case,
    console: list[str],
    status: int,
    message: str,
) -> None:
    origin, _ = site_server
    FakeMailbox(page, case, [], status)
    open_case(page, origin + "/status/", case.code)
    page.wait_for_selector("#case:not([hidden])")
    page.click("#followup button[type=submit]")
    assert page.text_content("#followup-error") == "Tulis pesan Anda terlebih dahulu."
    page.fill("#followup-text", "Tambahan informasi")
    page.click("#followup button[type=submit]")
    page.wait_for_function("() => document.getElementById('followup-error').textContent !== ''")
    assert page.text_content("#followup-error").startswith(message)
    assert page.input_value("#followup-text") == "Tambahan informasi"
    assert page.is_enabled("#followup button[type=submit]")
    console.clear()  # Chromium logs the refused request


def test_the_open_case_shows_who_reads_the_reporters_messages(
    page: Any, site_server: tuple[str, Path], keyring_file: Path, case: Case, console: list[str]
) -> None:
    # Given an open case, which the mailbox says the desk inspektorat handles
    origin, _ = site_server
    FakeMailbox(page, case, [])
    open_case(page, origin + "/en/status/", case.code)
    page.wait_for_selector("#case:not([hidden])")
    # Then "Who can read your report" names the desk, with its fingerprint, and the recovery key
    page.click("#keys summary")
    ring = load(keyring_file)
    assert ring.recovery is not None
    assert texts(page, "#routed-desks .key-label") == ["Inspectorate"]
    assert texts(page, "#routed-desks .fingerprint") == [
        grouped(ring.desk("inspektorat").fingerprint)
    ]
    assert page.text_content("#recovery-key .fingerprint") == grouped(ring.recovery.fingerprint)
    # And closing the case empties the list
    page.click("#forget")
    assert page.locator("#routed-desks li").count() == 0


@pytest.mark.parametrize(
    "desks", [["inspektorat", "jabar"], [], [7]], ids=["unknown", "none", "odd"]
)
def test_a_followup_to_a_desk_the_page_does_not_know_is_not_sent(
    page: Any, site_server: tuple[str, Path], case: Case, console: list[str], desks: list[Any]
) -> None:
    # Given a case the mailbox says is handled by a desk this page has no key for (the page
    # is older than a share or a new desk), or by no desk at all
    origin, _ = site_server
    mailbox = FakeMailbox(page, case, [], desks=desks)
    open_case(page, origin + "/status/", case.code)
    page.wait_for_selector("#case:not([hidden])")
    # When the reporter sends a message
    page.fill("#followup-text", "Tambahan informasi")
    page.click("#followup button[type=submit]")
    page.wait_for_function("() => document.getElementById('followup-error').textContent !== ''")
    # Then nothing is sent: the page says to reload, and keeps the text
    assert mailbox.posted == []
    assert page.text_content("#followup-error").startswith("Halaman ini sudah usang: halaman ini")
    assert "muat ulang halaman" in page.text_content("#followup-error")
    assert page.input_value("#followup-text") == "Tambahan informasi"
    assert page.is_enabled("#followup button[type=submit]")


DONE = """() => !document.querySelector('#lookup button[type=submit]').disabled
  && document.getElementById('lookup-error').textContent !== ''"""


def mistyped(code: str) -> dict[str, str]:
    symbols = code.replace("-", "")
    other = "Y" if symbols[5] != "Y" else "Z"
    return {
        "unknown code": receipt.new_code(),
        "one wrong symbol": receipt.group(symbols[:5] + other + symbols[6:]),
        "a symbol outside the alphabet": code[:-1] + "*",
        "grouped otherwise": symbols[:10] + " " + symbols[10:-1] + other,
    }


@pytest.mark.parametrize("path", UNKNOWN)
def test_unknown_and_mistyped_codes_get_one_identical_answer_after_the_same_work(
    page: Any, site_server: tuple[str, Path], case: Case, console: list[str], path: str
) -> None:
    origin, _ = site_server
    mailbox = FakeMailbox(page, case, [])
    page.goto(origin + path)
    page.wait_for_selector("#lookup button[type=submit]:not([disabled])")
    page.click("#lookup button[type=submit]")  # an empty field is only asked to be filled
    assert page.text_content("#lookup-error") in {
        "Ketik kode tanda terima Anda.",
        "Type your receipt code.",
    }
    assert mailbox.tokens == []
    answers = {}
    for name, typed in mistyped(case.code).items():
        page.fill("#code", typed)
        page.click("#lookup button[type=submit]")
        page.wait_for_function(DONE)
        # Every code, valid or not, was derived and asked for: one request with a token
        assert len(mailbox.tokens) == len(answers) + 1, name
        answers[name] = page.text_content("#lookup-error")
        assert page.is_hidden("#case") and page.input_value("#code") == typed
        assert page.evaluate("document.activeElement.id") == "lookup-error"
    assert set(answers.values()) == {UNKNOWN[path]}
    assert len(set(mailbox.tokens)) == len(mistyped(case.code))
    assert_no_trace(page, origin + path, case.code)
    console.clear()  # Chromium logs every 404


WRONG_LENGTH = {
    "/status/": (
        "Kode ini berisi {n} huruf dan angka; kode tanda terima berisi 20.",
        "Ini tampaknya nomor registrasi laporan",
    ),
    "/en/status/": (
        "This code has {n} letters and digits; a receipt code has 20.",
        "This looks like the registration number of a report",
    ),
}


@pytest.mark.parametrize("path", WRONG_LENGTH)
def test_a_code_of_the_wrong_length_or_the_registration_number_is_told_at_once(
    page: Any, site_server: tuple[str, Path], case: Case, console: list[str], path: str
) -> None:
    origin, _ = site_server
    mailbox = FakeMailbox(page, case, [])
    workers: list[Any] = []
    page.on("worker", lambda worker: workers.append(worker))
    page.goto(origin + path)
    page.wait_for_selector("#lookup button[type=submit]:not([disabled])")
    # The page starts its proof-of-work worker and a spare receipt worker once it is idle
    # (nothing is downloaded at send time); what follows must start no other.
    for _ in range(100):
        if len(workers) >= 2:
            break
        page.wait_for_timeout(100)
    assert sorted(w.url.rpartition("/")[2] for w in workers) == [
        "pow-worker.mjs",
        "receipt-worker.mjs",
    ]
    length, registration = WRONG_LENGTH[path]
    symbols = case.code.replace("-", "")
    number = "-".join(re.findall(".{4}", case.keys.report_id))
    for text, expected in [
        (case.code[:-2], length.format(n=18)),  # two symbols and a dash lost
        (case.code + "7", length.format(n=21)),
        (symbols[:7], length.format(n=7)),
        (number, registration),
        (number.replace("-", "").lower(), registration),
    ]:
        started = len(workers)
        page.fill("#code", text)
        page.click("#lookup button[type=submit]")
        said = page.text_content("#lookup-error")
        assert said is not None and said.startswith(expected), (text, said)
        assert page.evaluate("document.activeElement.id") == "lookup-error"
        assert page.is_hidden("[data-area=progress]")  # no derivation started
        assert len(workers) == started and mailbox.tokens == [], text
    # Not every 16 symbols are a registration number: only the length is told of these.
    page.fill("#code", symbols[:15] + "*")
    page.click("#lookup button[type=submit]")
    assert page.text_content("#lookup-error") == page.get_attribute(
        "#lookup", "data-msg-length"
    ).replace("{typed}", "16").replace("{expected}", "20")
    assert mailbox.tokens == []


def test_a_code_with_forgivable_typos_opens_the_case(
    page: Any, site_server: tuple[str, Path], case: Case, console: list[str]
) -> None:
    origin, _ = site_server
    mailbox = FakeMailbox(page, case, [])
    typed = " " + case.code.lower().replace("-", " ").replace("0", "o").replace("1", "l") + " "
    open_case(page, origin + "/status/", typed)
    page.wait_for_selector("#case:not([hidden])")
    assert mailbox.tokens == [case.keys.token]
    assert page.text_content("#case-status") == "Menunggu Verifikasi"


def test_closing_forgets_the_code_and_the_case(
    page: Any,
    site_server: tuple[str, Path],
    inspectorate: Inspectorate,
    case: Case,
    console: list[str],
) -> None:
    origin, _ = site_server
    FakeMailbox(page, case, thread(case, inspectorate))
    open_case(page, origin + "/status/", case.code)
    page.wait_for_selector("#case:not([hidden])")
    page.fill("#followup-text", "draf yang belum dikirim")
    page.click("#forget")
    assert page.is_hidden("#case") and page.is_visible("#lookup")
    assert page.evaluate("document.activeElement.id") == "closed"
    closed = page.text_content("#closed")
    assert closed.startswith("Kode sudah dilupakan di perangkat ini")
    assert "tetap terbuka" in closed and "ditutup" not in closed  # the case is not closed
    html = page.content()
    for secret in (
        "Siapa saja yang hadir",
        "Budi dan Sari",
        "draf yang belum",
        case.keys.report_id[:4] + "-",
    ):
        assert secret not in html, secret
    assert page.locator("#thread li, #history li").count() == 0
    assert_no_trace(page, origin + "/status/", case.code)


def test_the_header_links_the_two_pages(
    page: Any, site_server: tuple[str, Path], console: list[str]
) -> None:
    origin, _ = site_server
    page.goto(origin + "/")
    page.click("nav.sections >> text=Cek Status Laporan")
    page.wait_for_url(origin + "/status/")
    assert page.text_content("h1") == "Cek Status Laporan"
    assert page.get_attribute("nav.sections a[aria-current=page]", "href") == "/status/"
    page.click("nav.languages >> text=English")
    page.wait_for_url(origin + "/en/status/")
    assert page.text_content("h1") == "Check report status"
    page.click("nav.sections >> text=Make a report")
    page.wait_for_url(origin + "/en/")


def test_a_page_whose_script_never_runs_says_to_reload(
    page: Any, site_server: tuple[str, Path]
) -> None:
    origin, _ = site_server
    page.route("**/assets/js/status.mjs", lambda route: route.abort())
    page.goto(origin + "/status/")
    assert page.is_disabled("#lookup button[type=submit]")
    assert "muat ulang halaman" in page.text_content("#lookup-status")


STORAGE = """async () => [document.cookie, localStorage.length, sessionStorage.length,
  (await indexedDB.databases()).length, (await caches.keys()).length, location.href]"""


def assert_no_trace(page: Any, url: str, code: str) -> None:
    assert page.evaluate(STORAGE) == ["", 0, 0, 0, 0, url]
    assert page.context.cookies() == []
    compact = code.replace("-", "")
    assert compact not in page.url and code not in page.url
    assert code not in page.content()


@pytest.mark.parametrize(
    ("name", "width", "height"), [("mobile", 360, 800), ("desktop", 1280, 900)]
)
def test_screenshots_of_the_status_page(
    page: Any,
    site_server: tuple[str, Path],
    inspectorate: Inspectorate,
    case: Case,
    console: list[str],
    name: str,
    width: int,
    height: int,
) -> None:
    origin, _ = site_server
    page.set_viewport_size({"width": width, "height": height})
    FakeMailbox(page, case, thread(case, inspectorate))
    page.goto(origin + "/status/")
    page.wait_for_selector("#lookup button[type=submit]:not([disabled])")
    page.fill("#code", "ABCD")
    page.click("#lookup button[type=submit]")
    page.wait_for_selector("#lookup-error:not(:empty)")
    page.screenshot(path=str(SCREENSHOTS / f"wbs-status-lookup-{name}.png"), full_page=True)
    page.fill("#code", case.code)
    page.click("#lookup button[type=submit]")
    page.wait_for_selector("#case:not([hidden])")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SCREENSHOTS / f"wbs-status-case-{name}.png"), full_page=True)
    console.clear()  # the 404 of the first try


UNVERIFIED = {
    "/status/": ("Dalam Proses", "Pesan ini tidak dapat dipastikan berasal dari Inspektorat."),
    "/en/status/": ("In progress", "This message could not be verified as the Inspectorate's."),
}


@pytest.mark.parametrize("path", UNVERIFIED)
def test_forged_replies_are_flagged_and_change_no_status(
    page: Any,
    site_server: tuple[str, Path],
    inspectorate: Inspectorate,
    case: Case,
    console: list[str],
    path: str,
) -> None:
    # Given a signed status change, then what a storage writer who knows the keyring can add:
    # an unsigned status change, one signed by a key the keyring does not list, one signed by
    # that key but naming the inspector, and an unsigned message
    origin, _ = site_server
    rid, keys = case.keys.report_id, (case.keys.public_key, inspectorate.public_key)
    forger = SigningKey.generate()
    outsider = crypto.key_id(bytes(PrivateKey.generate().public_key))

    def status(sent: str, slug: str, by: str, text: str = "") -> dict[str, Any]:
        data = plaintext(sent, status=slug, text=text, by=by, reason="Palsu." * (slug == "ditolak"))
        return sealed("reply", rid, data, *keys)

    forged_message = plaintext("2026-11-23T00:00:00Z", text="Kirim bukti ke saya.", by=outsider)
    FakeMailbox(
        page,
        case,
        [
            inspectorate.reply(
                "2026-11-20T03:00:00Z",
                status("2026-11-20T03:00:00Z", "dalam-proses", inspectorate.kid),
            ),
            stored_reply(
                "2026-11-21T00:00:00Z",
                status("2026-11-21T00:00:00Z", "selesai", inspectorate.kid, "Kasus ditutup."),
                None,
                inspectorate.kid,
            ),
            stored_reply(
                "2026-11-22T00:00:00Z",
                status("2026-11-22T00:00:00Z", "ditolak", outsider, "Ditolak."),
                forger,
                outsider,
            ),
            stored_reply(
                "2026-11-22T12:00:00Z",
                status("2026-11-22T12:00:00Z", "selesai", inspectorate.kid, "Selesai."),
                forger,
                inspectorate.kid,
            ),
            stored_reply(
                "2026-11-23T00:00:00Z",
                sealed("reply", rid, forged_message, *keys),
                None,
                outsider,
            ),
        ],
    )
    # When the reporter opens the case
    open_case(page, origin + path, case.code)
    page.wait_for_selector("#case:not([hidden])")
    # Then only the signed status change counts
    current, flag = UNVERIFIED[path]
    assert page.text_content("#case-status") == current
    assert len(texts(page, "#history [data-label]")) == 2
    assert texts(page, "#history [data-label]")[1] == current
    # And every forgery is shown, flagged, with what it says
    assert texts(page, "#thread .unverified [data-unverified]") == [flag] * 4
    assert page.locator("#thread .unverified [data-text]").all_text_contents() == [
        "Kasus ditutup.",
        "Ditolak.",
        "Selesai.",
        "Kirim bukti ke saya.",
    ]
    assert page.locator("#thread .message").count() == 4
    assert console == []
