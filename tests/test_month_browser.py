"""A month of an inspectorate's work over simulated time (issue 17, "What the tests must
show"): five reports sent from the real page in Chromium on different days, two members
(anna and bima) answering them in the workbench in Chromium, a case assigned, a closing and
a rejection each proposed by one member and approved by the other (the KPU example's
two-person rule), a reporter's follow-up and a missed deadline each raising a mail without
content, then the statistics page and its CSV checked against what the test itself sent and
did, and the case file for law enforcement checked against the full one.

One clock for the whole system: everything runs in this process (the real local host and its
API in a thread, each member's workbench in a thread, `wbs inbox sync`/`remind` through the
CLI's own entry point) under time-machine, which moves every Python clock the system reads
(datetime.now, date.today, time.time; not time.monotonic, so the workbench's idle lock and
the waiting loops keep real time). Each Chromium context that the reporter opens has its
page clock set to the same simulated moment. Each member starts the workbench on the days
they work, as they would: a new session a day, unlocked with the passphrase.

"""

from __future__ import annotations

import contextlib
import copy
import csv
import datetime
import html
import io
import math
import re
import statistics
import time
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import time_machine

from functions import notify
from functions.notify.base import deadlines_notice
from functions.storage import LocalStorage
from tests.conftest import SITE_SERVER_DIFFICULTY
from tests.support.api import api_logs
from tests.support.host import site_host
from tests.support.inbox import PASSPHRASE, use_private_home, wbs
from tests.support.membership import Institution
from tests.support.site import ROOT, build_site
from tests.support.workbench import opened
from tests.test_alerts import FROM, TO, Mail, mail_server, text
from tests.test_e2e_mailbox_browser import open_case as open_status
from tests.test_workbench_files import png
from tests.test_workbench_stats import bars, cells
from wbs import config as config_file
from wbs import keyfile, stats
from wbs.cases import readers
from wbs.crypto import Identity
from wbs.workbench.app import Config

pytestmark = pytest.mark.browser

CONFIG = ROOT / "site" / "examples" / "kpu.toml"
SETTINGS = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
DESKS = [desk["id"] for desk in SETTINGS["desks"]]
OFFICE_DESK = {office["id"]: office["desk"] for office in SETTINGS["offices"]}
HOLIDAYS = {datetime.date.fromisoformat(day) for day in SETTINGS["deadlines"]["holidays"]}
CENTRAL = SETTINGS["routing"]["central"]  # central_receives = "all": every report too
ACKNOWLEDGE = SETTINGS["deadlines"]["acknowledge"]["count"]  # working days
FEEDBACK = SETTINGS["deadlines"]["feedback"]["count"]
# The statuses that are a first feedback to the reporter (docs/inspector.md, "Deadlines").
FEEDBACK_STATUSES = {"dalam-investigasi", "diteruskan", "selesai", "ditolak"}
UTC = datetime.UTC
JAKARTA = datetime.timezone(datetime.timedelta(hours=7))
PERIOD = ("2026-10-01", "2026-11-30")
ASKED = "Terima kasih. Mohon kirimkan nomor kontrak keenam paket itu bila Bapak memilikinya."


def at(day: str, hour: int = 9) -> datetime.datetime:
    """``hour`` o'clock in Jakarta (WIB) on ``day``."""
    return datetime.datetime.fromisoformat(day).replace(hour=hour, tzinfo=JAKARTA)


@dataclass
class Report:
    """What a reporter types, and when."""

    sent: datetime.datetime
    category: str
    office: str
    title: str
    what: str
    where: str
    position: str
    identity: tuple[str, str, str] | None = None  # name, contact, relation
    evidence: str = ""  # a file's name
    number: str = ""  # the registration number, once sent
    code: str = ""  # the receipt code, once sent

    @property
    def id(self) -> str:
        return self.number.replace("-", "")


REPORTS = {
    "pungli": Report(
        at("2026-10-19"),
        "pungutan-liar",
        "kpu-jawa-barat",
        "Pungutan di loket pendaftaran PPK",
        "Petugas loket pendaftaran calon anggota PPK meminta Rp500.000 per berkas agar berkas"
        " dinyatakan lengkap. Yang menolak membayar diminta kembali minggu depan.",
        "Kantor KPU Provinsi Jawa Barat, Jalan Garut, Bandung",
        "Petugas loket pendaftaran",
        ("Rina Wulandari", "rina.wulandari@contoh.id", "public"),
    ),
    "pengadaan": Report(
        at("2026-10-21", 10),
        "pengadaan-barang-jasa",
        "kpu-ri",
        "Paket kotak suara dipecah",
        "Panitia pengadaan logistik memecah paket kotak suara menjadi enam paket kecil agar"
        " dapat ditunjuk langsung kepada satu penyedia yang sama.",
        "Biro Logistik KPU RI, Jalan Imam Bonjol, Jakarta Pusat",
        "Ketua panitia pengadaan",
        ("Dedi Kurniawan", "0812-3456-7890", "employee"),
        evidence="rekap-paket-pengadaan.png",
    ),
    "gratifikasi": Report(
        at("2026-10-28", 11),
        "gratifikasi-suap",
        "kpu-jawa-timur",
        "Parsel dan voucher hotel untuk komisioner",
        "Seorang komisioner menerima parsel dan voucher hotel dari calon peserta pemilu"
        " seminggu sebelum penetapan daftar calon tetap.",
        "Kantor KPU Provinsi Jawa Timur, Surabaya",
        "Komisioner",
        ("Sri Handayani", "sri.handayani@contoh.id", "other"),
    ),
    "etik": Report(
        at("2026-11-02"),
        "kode-etik",
        "kip-aceh",
        "Data pemilih dibagikan ke tim sukses",
        "Staf sekretariat membagikan salinan data pemilih kepada tim sukses salah satu calon"
        " melalui grup pesan singkat.",
        "Sekretariat KIP Aceh, Banda Aceh",
        "Staf pengelola data",
    ),
    "wewenang": Report(
        at("2026-11-17", 10),
        "penyalahgunaan-wewenang",
        "kpu-sumatera-utara",
        "Kendaraan dinas untuk kampanye keluarga",
        "Kepala subbagian umum memakai kendaraan dinas dan anggaran perjalanan dinas untuk"
        " kegiatan kampanye anggota keluarganya.",
        "KPU Provinsi Sumatera Utara, Medan",
        "Kepala Subbagian Umum",
        ("Yusuf Siregar", "yusuf.siregar@contoh.id", "employee"),
    ),
}


@dataclass
class Member:
    label: str  # the keyring's name of the member: a role, not a person
    key: Path
    home: Path


@dataclass
class Month:
    """The system, and a log of what the test did: the expected numbers come from here."""

    tmp: Path
    base: str
    keyring: Path
    store: LocalStorage
    members: dict[str, Member]
    clock: Any  # time_machine's traveller
    patch: pytest.MonkeyPatch
    mails: list[Mail]
    smtp_port: int
    log: io.StringIO  # what the API logged
    reports: dict[str, Report] = field(default_factory=lambda: copy.deepcopy(REPORTS))
    acknowledged: dict[str, datetime.date] = field(default_factory=dict)
    feedback: dict[str, datetime.date] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)

    def move_to(self, when: datetime.datetime) -> None:
        self.clock.move_to(when)
        assert datetime.datetime.now(JAKARTA).date() == when.date()

    def answered(self, key: str, status: str | None = None) -> None:
        """Log an inspectorate's answer to a case today: a reply, or a new status."""
        today = datetime.datetime.now(JAKARTA).date()
        self.acknowledged.setdefault(key, today)
        if status is not None:
            self.status[key] = status
            if status in FEEDBACK_STATUSES:
                self.feedback.setdefault(key, today)


@pytest.fixture
def month(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Month]:
    """The KPU example's site and API, anna and bima members of every desk, a mail server,
    all on a clock set to the first report's morning, ticking on from there."""
    use_private_home(tmp_path, monkeypatch)  # fast key files, the keyring's path
    with time_machine.travel(REPORTS["pungli"].sent - datetime.timedelta(hours=1)) as clock:
        institution = Institution.here()
        members = {}
        for name, label in (("anna", "Irban Wilayah II"), ("bima", "Auditor Inspektorat Utama")):
            identity: Identity = keyfile.generate()
            key = tmp_path / "keys" / f"{name}.key"
            key.parent.mkdir(exist_ok=True)
            keyfile.create(key, identity, PASSPHRASE, label)
            institution.add_member(identity, label, DESKS)
            members[name] = Member(label, key, tmp_path / f"home-{name}")
        site = build_site(institution.path, tmp_path / "site", CONFIG)
        with mail_server(tmp_path, starttls=False) as smtp:
            notifier = notify.SmtpNotifier("127.0.0.1", FROM, TO, smtp.port, starttls=False)
            storage = tmp_path / "store"
            with (
                api_logs() as log,
                site_host(
                    site, institution.path, storage, SITE_SERVER_DIFFICULTY, notifier
                ) as base,
            ):
                yield Month(
                    tmp_path,
                    base,
                    institution.path,
                    LocalStorage(storage),
                    members,
                    clock,
                    monkeypatch,
                    smtp.inbox.mails,
                    smtp.port,
                    log,
                )


def wait_for_mails(month: Month, count: int) -> None:
    deadline = time.monotonic() + 20
    while len(month.mails) < count:
        assert time.monotonic() < deadline, [m.message["Subject"] for m in month.mails]
        time.sleep(0.05)
    time.sleep(0.2)  # and no more than that
    assert len(month.mails) == count, [m.message["Subject"] for m in month.mails]


def send(browser: Any, month: Month, report: Report) -> None:
    """The reporter fills in the form on their own browser, at the simulated time, and keeps
    the receipt code and the registration number the page shows."""
    month.move_to(report.sent)
    context = browser.new_context()
    context.clock.set_system_time(report.sent)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(month.base + "/")
    page.wait_for_selector("#report button[type=submit]:not([disabled])")
    assert page.evaluate("() => new Date().toISOString().slice(0, 10)") == str(
        report.sent.astimezone(UTC).date()
    )
    page.select_option("#category", report.category)
    page.check(f"input[name=office][value={report.office}]")
    page.check("input[name=concerns_staff][value=no]")
    page.fill("#title", report.title)
    page.fill("#what", report.what)
    page.fill("#where", report.where)
    page.fill("#people [name=who-position]", report.position)
    if report.identity is not None:
        name, contact, relation = report.identity
        page.check("input[name=identity][value=identified]")
        page.fill("#reporter-name", name)
        page.fill("#reporter-contact", contact)
        page.select_option("#reporter-relation", relation)
    if report.evidence:
        photo = month.tmp / report.evidence
        photo.write_bytes(png(64, 48))
        page.set_input_files("#evidence", [str(photo)])
    for box in ("truthful", "not_involved", "aware_of_sanctions", "confidential"):
        page.check(f"input[name={box}]")
    page.click("#report button[type=submit]")
    page.wait_for_selector("#success:not([hidden])", timeout=60_000)
    if report.evidence:
        page.wait_for_selector("#uploads[data-state='done']", timeout=60_000)
    report.code = page.inner_text("#receipt-code").strip()
    report.number = page.inner_text("#registration-number").strip()
    assert len(report.id) == 16 and len(report.code.replace("-", "")) == 20
    assert errors == []
    context.close()


@contextlib.contextmanager
def workbench(browser: Any, month: Month, name: str) -> Iterator[tuple[Any, str]]:
    """``name``'s working day: `wbs workbench` started on their machine (their own cache),
    opened and unlocked in Chromium, then "Sync now"; yields the page and its origin."""
    member = month.members[name]
    month.patch.setenv("WBS_HOME", str(member.home))  # the cache is the member's own
    settings = Config(
        key=member.key,
        storage_url=f"local:{month.store.root}",
        open_storage=lambda: month.store,
        keyring=month.keyring,
        rules=config_file.load(CONFIG),
        workflow=config_file.load_workflow(CONFIG),
        desk_names=readers.desk_names(CONFIG, "id"),
        stats_names=stats.names(CONFIG, "id"),
    )
    with opened(browser, settings, idle_seconds=900) as (page, app, errors):
        page.fill("#passphrase", PASSPHRASE)
        page.click("#unlock button[type=submit]")
        page.wait_for_selector("#sync")
        page.click("#sync")
        page.wait_for_selector("#sync-result", timeout=60_000)
        yield page, app.guard.origin
        assert errors == []


def open_case(page: Any, origin: str, report: Report) -> None:
    """Open a case from the inbox, as a person clicks its row."""
    page.goto(origin + "/")
    row = page.locator(f"tr.case[data-id='{report.id}']")
    assert report.number in row.inner_text()
    row.locator("a").first.click()
    page.wait_for_selector("#report-what")
    assert report.number in page.inner_text("#case-number")


def reply(page: Any, text: str) -> None:
    page.fill("#reply-text", text)
    page.click("#reply button[type=submit]")
    page.wait_for_selector(f"#thread :text('{text[:30]}')", timeout=60_000)


def change_status(page: Any, status: str, label: str, note: str = "") -> None:
    page.select_option("#status-new", status)
    page.fill("#status-note", note)
    page.click("#status button[type=submit]")
    page.wait_for_function(
        "(label) => document.querySelector('#case-status').textContent.includes(label)",
        arg=label,
        timeout=60_000,
    )


def propose(page: Any, status: str, reason: str = "", note: str = "") -> None:
    """Choose a status the two-person rule holds (the KPU example's [workflow]): it is only
    proposed, and the case's status does not change."""
    before = page.inner_text("#case-status")
    page.select_option("#status-new", status)
    page.fill("#status-reason", reason)
    page.fill("#status-note", note)
    page.click("#status button[type=submit]")
    page.wait_for_selector("#own-proposal", timeout=60_000)
    assert "pelapor belum melihat apa pun" in page.inner_text("main")
    assert page.inner_text("#case-status") == before


def approve(page: Any, label: str) -> None:
    """Approve the proposal the case page shows: its status is sent."""
    page.click("#approve button[type=submit]")
    page.wait_for_function(
        "(label) => document.querySelector('#case-status').textContent.includes(label)",
        arg=label,
        timeout=60_000,
    )
    assert page.locator("#proposal").count() == 0


# -- what the statistics must say, worked out from what the test did --------------------------


def working_days(start: datetime.date, end: datetime.date) -> int:
    """The working days after ``start`` up to ``end`` (weekends and holidays skipped)."""
    day, n = start, 0
    while day < end:
        day += datetime.timedelta(days=1)
        n += day.weekday() < 5 and day not in HOLIDAYS
    return n


def deadline(start: datetime.date, count: int) -> datetime.date:
    day = start
    while working_days(start, day) < count:
        day += datetime.timedelta(days=1)
    return day


def expected(month: Month, today: datetime.date) -> dict[tuple[str, str], str]:
    """The CSV's numbers for PERIOD as of ``today``, from the test's own log."""
    found: dict[tuple[str, str], int] = {}

    def add(section: str, key: str, n: int = 1) -> None:
        found[(section, key)] = found.get((section, key), 0) + n

    times: dict[str, list[int]] = {"acknowledge": [], "feedback": []}
    for duty in times:  # every outcome is written, at 0 too
        for key in ("met", "missed", "overdue", "pending"):
            add(duty, key, 0)
        add("overdue", duty, 0)
    for key, report in month.reports.items():
        received = report.sent.date()
        add("reports", "total")
        add("reports", "readable")
        add("month", f"{received:%Y-%m}")
        add("category", report.category)
        add("office", report.office)
        for desk in {OFFICE_DESK[report.office], CENTRAL}:
            add("desk", desk)
        add("status", month.status.get(key, "menunggu-verifikasi"))
        for duty, done, count in (
            ("acknowledge", month.acknowledged.get(key), ACKNOWLEDGE),
            ("feedback", month.feedback.get(key), FEEDBACK),
        ):
            due = deadline(received, count)
            if done is not None:
                times[duty].append(working_days(received, done))
                add(duty, "met" if done <= due else "missed")
            else:
                add(duty, "overdue" if today > due else "pending")
                # "overdue now" counts a case once, by the deadline it owes next
                if today > due and (duty == "acknowledge" or key in month.acknowledged):
                    add("overdue", duty)
    for duty, taken in times.items():
        add(duty, "done", len(taken))
        found[(duty, "p90")] = sorted(taken)[math.ceil(0.9 * len(taken)) - 1]  # nearest rank
    add("overdue", "total", found[("overdue", "acknowledge")] + found[("overdue", "feedback")])
    numbers: dict[tuple[str, str], object] = {**found}
    numbers.update({(duty, "median"): statistics.median(taken) for duty, taken in times.items()})
    return {k: str(v) for k, v in numbers.items()}


def counted(csv_text: str) -> dict[tuple[str, str], str]:
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert rows[0] == ["section", "key", "value"]
    return {(section, key): value for section, key, value in rows[1:]}


# -- the month --------------------------------------------------------------------------------


def typed(report: Report) -> list[str]:
    """What the reporter typed or chose to send, and their receipt code: none of it may be
    read outside the reporter's browser and the inspectors' workbench."""
    code = [report.code, report.code.replace("-", "")] if report.code else []
    words = [report.title, report.what[:40], report.where, report.position, report.evidence]
    return [*filter(None, words), *(report.identity or ()), *code]


def content_free(mail: Mail, reports: Iterable[Report]) -> None:
    """A notice holds nothing of a case: no report's words, number, code or reporter."""
    raw = mail.raw.decode("utf-8", "replace")
    for report in reports:
        for secret in [*typed(report), report.number, report.id]:
            assert secret not in raw, secret
    assert not re.search(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", raw)


def test_a_month_of_reports_answers_alerts_and_statistics(browser: Any, month: Month) -> None:
    reports = month.reports
    pungli, pengadaan, gratifikasi = reports["pungli"], reports["pengadaan"], reports["gratifikasi"]
    etik, wewenang = reports["etik"], reports["wewenang"]

    # Monday 19 October: a member of the public reports an illegal levy, with her name
    send(browser, month, pungli)
    wait_for_mails(month, 1)
    assert month.mails[-1].message["Subject"] == notify.NEW_REPORT.subject

    # Tuesday 20 October: anna syncs, sees it new and unanswered, and acknowledges it
    month.move_to(at("2026-10-20"))
    with workbench(browser, month, "anna") as (page, origin):
        row = page.locator(f"tr.case.unread[data-id='{pungli.id}']")
        assert "Menunggu Verifikasi" in row.inner_text()
        assert str(deadline(pungli.sent.date(), ACKNOWLEDGE)) in row.inner_text()
        open_case(page, origin, pungli)
        assert pungli.what[:40] in page.inner_text("#report-what")
        reply(page, "Terima kasih atas laporan Anda. Laporan sedang kami verifikasi.")
        month.answered("pungli")
        # And takes it on: the case is hers, on the audit trail, and in her inbox's "me"
        page.select_option("#assign-to", "me")
        page.click("#assign button[type=submit]")
        page.wait_for_selector(f"#case-assignee:has-text('{month.members['anna'].label}')")
        assert "menugaskan" in page.inner_text("#audit")
        page.goto(origin + "/?who=mine")
        assert page.locator("tr.case").count() == 1
        assert page.locator(f"tr.case[data-id='{pungli.id}']").count() == 1

    # Wednesday 21 October: an employee reports split procurement, with a photo of the recap
    send(browser, month, pengadaan)
    wait_for_mails(month, 2)

    # Thursday 22 October: bima opens it, sees the photo, and starts verifying
    month.move_to(at("2026-10-22", 8))
    with workbench(browser, month, "bima") as (page, origin):
        open_case(page, origin, pengadaan)
        page.wait_for_selector("#report img.evidence")
        assert pengadaan.evidence in page.inner_text("#report .file-name")
        change_status(page, "sedang-diverifikasi", "Sedang Diverifikasi")
        month.answered("pengadaan", "sedang-diverifikasi")
        reply(page, ASKED)

    # Monday 26 October: the first reporter reads the answer and writes again
    month.move_to(at("2026-10-26", 19))
    context = browser.new_context()
    context.clock.set_system_time(datetime.datetime.now(UTC))
    status_page = context.new_page()
    open_status(status_page, month.base, pungli.code)
    status_page.wait_for_selector("#thread :text('sedang kami verifikasi')")
    followup = "Pungutan juga terjadi pada pendaftaran gelombang kedua, Kamis lalu."
    status_page.fill("#followup-text", followup)
    status_page.click("#followup button[type=submit]")
    status_page.wait_for_selector(f"#thread :text('{followup[:40]}')", timeout=60_000)
    context.close()
    # Then the inspectors get a mail that a reporter wrote, and nothing of what was written
    wait_for_mails(month, 3)
    alert = month.mails[-1]
    assert alert.message["Subject"] == notify.REPORTER_WROTE.subject
    assert text(alert) == notify.REPORTER_WROTE.text
    assert followup[:30] not in alert.raw.decode("utf-8", "replace")

    # Tuesday 27 October: anna reads the follow-up, opens an investigation, notes a lead
    month.move_to(at("2026-10-27"))
    note = "Catatan internal: cek rekaman CCTV loket tanggal 15 Oktober."
    with workbench(browser, month, "anna") as (page, origin):
        assert "unread" in (page.locator(f"tr[data-id='{pungli.id}']").get_attribute("class") or "")
        open_case(page, origin, pungli)
        assert followup in page.inner_text("#thread")
        change_status(page, "dalam-investigasi", "Dalam Investigasi", "Tim sudah dibentuk.")
        month.answered("pungli", "dalam-investigasi")
        page.fill("#note-text", note)
        page.click("#note button[type=submit]")
        page.wait_for_selector(f"#notes :text('{note[:30]}')", timeout=60_000)

    # Wednesday 28 October: a gratuity, which nobody handles in time
    send(browser, month, gratifikasi)
    # Monday 2 November: an anonymous report about leaked voter data
    send(browser, month, etik)
    wait_for_mails(month, 5)

    # Tuesday 3 November: anna answers the anonymous reporter and closes the case
    month.move_to(at("2026-11-03", 10))
    with workbench(browser, month, "anna") as (page, origin):
        open_case(page, origin, etik)
        assert "Anonim" in page.inner_text("#report")
        reply(page, "Laporan diterima. Staf yang bersangkutan sudah diberi sanksi disiplin.")
        month.answered("etik")
        # Closing needs a second member (the two-person rule): it is proposed only
        propose(page, "selesai", note="Sanksi disiplin telah dijatuhkan.")

    # Thursday 5 November, 08:00: the reminder timer runs after the gratuity's deadline (five
    # working days from Wednesday 28 October: Wednesday 4 November) passed unanswered
    month.move_to(at("2026-11-05", 8))
    assert deadline(gratifikasi.sent.date(), ACKNOWLEDGE) == datetime.date(2026, 11, 4)
    month.patch.setenv("WBS_HOME", str(month.members["anna"].home))
    for name, value in {
        "WBS_SMTP_HOST": "127.0.0.1",
        "WBS_SMTP_PORT": str(month.smtp_port),
        "WBS_SMTP_STARTTLS": "off",
        "WBS_NOTIFY_TO": ", ".join(TO),
        "WBS_NOTIFY_FROM": FROM,
    }.items():
        month.patch.setenv(name, value)
    key, config = ("--key", str(month.members["anna"].key)), ("--config", str(CONFIG))
    assert wbs("inbox", "sync", *key).exit_code == 0
    reminded = wbs("inbox", "remind", "--notify", *key, *config)
    assert reminded.exit_code == 4, reminded.output  # a deadline is missed
    assert f"overdue {gratifikasi.number}" in " ".join(reminded.output.split())
    assert "1 case is overdue, 0 due within 2 working days" in reminded.output
    wait_for_mails(month, 6)
    reminder = month.mails[-1]
    assert reminder.message["Subject"] == deadlines_notice(1, 0, 2).subject
    assert text(reminder) == deadlines_notice(1, 0, 2).text

    # Monday 9 November: bima forwards the procurement case to law enforcement
    month.move_to(at("2026-11-09", 14))
    with workbench(browser, month, "bima") as (page, origin):
        row = page.locator(f"tr.case[data-id='{gratifikasi.id}']").inner_text()
        assert "Menunggu Verifikasi" in row and "Lewat tenggat" in row and "2026-11-04" in row
        # The cases nobody handles, and those awaiting a second member, each a filter away
        page.goto(origin + "/?who=unassigned")
        assert page.locator(f"tr.case[data-id='{gratifikasi.id}']").count() == 1
        assert page.locator(f"tr.case[data-id='{pungli.id}']").count() == 0  # anna's
        page.goto(origin + "/?who=awaiting")
        assert [r.get_attribute("data-id") for r in page.locator("tr.case").all()] == [etik.id]
        # bima approves anna's closing of the anonymous report: it is sent
        open_case(page, origin, etik)
        assert month.members["anna"].label in page.inner_text("#proposal")
        approve(page, "Selesai")
        month.answered("etik", "selesai")
        open_case(page, origin, pengadaan)
        change_status(page, "diteruskan", "Diteruskan", "Diteruskan kepada Kejaksaan Tinggi.")
        month.answered("pengadaan", "diteruskan")
        internal = "Catatan internal: pelapor bekerja di Biro Logistik, lindungi identitasnya."
        page.fill("#note-text", internal)
        page.click("#note button[type=submit]")
        page.wait_for_selector(f"#notes :text('{internal[:30]}')", timeout=60_000)
        full = page.request.get(f"{origin}/case/{pengadaan.id}/case-file").text()
        link = page.locator("#case-file-aph")
        assert "Unduh berkas kasus untuk APH / KPK" in link.inner_text()
        aph = page.request.get(origin + (link.get_attribute("href") or "")).text()
        page.reload()
        trail = page.inner_text("#audit")
    # Then the export is on the audit trail, and the full case file holds the reporter, the
    # thread and the notes, the one for law enforcement the allegation and the evidence only
    assert "mengekspor berkas kasus untuk APH, tanpa identitas pelapor" in trail
    assert month.members["bima"].label in trail
    name, contact, _ = pengadaan.identity or ("", "", "")
    for kept in (pengadaan.what[:40], pengadaan.where, pengadaan.position, pengadaan.evidence):
        assert html.escape(kept) in full and html.escape(kept) in aph, kept
    for secret in (name, contact, ASKED, internal):
        assert html.escape(secret) in full, secret
        assert html.escape(secret) not in aph, secret
    # (the reporter's relation, the declarations, the thread and the notes: not even headed)
    about = (r"Hubungan:\s*Pegawai", "<dt>Pernyataan</dt>")
    for part in (*about, "<h2>Percakapan dengan pelapor", "<h2>Catatan internal"):
        assert re.search(part, full) and not re.search(part, aph), part
    assert re.search(r'<dd id="reporter">[^<]*dirahasiakan', aph)
    assert "Berkas kasus untuk aparat penegak hukum (APH)" in aph

    # Tuesday 10 November: bima proposes to reject the gratuity, already in the prosecutors'
    # hands; the reporter still sees the case waiting, as it is
    month.move_to(at("2026-11-10"))
    reason = "sudah ditangani APH"
    with workbench(browser, month, "bima") as (page, origin):
        open_case(page, origin, gratifikasi)
        propose(page, "ditolak", reason, "Perkara ini sudah disidik oleh Kejaksaan Tinggi.")
    context = browser.new_context()
    context.clock.set_system_time(datetime.datetime.now(UTC))
    status_page = context.new_page()
    open_status(status_page, month.base, gratifikasi.code)
    assert "Menunggu Verifikasi" in status_page.inner_text("#case-status")
    assert reason not in status_page.inner_text("#case")
    context.close()
    # Wednesday 11 November: anna approves it; only then is the case rejected
    month.move_to(at("2026-11-11"))
    with workbench(browser, month, "anna") as (page, origin):
        open_case(page, origin, gratifikasi)
        assert reason in page.inner_text("#proposal")
        approve(page, "Ditolak")
        month.answered("gratifikasi", "ditolak")
        trail = page.inner_text("#audit")
        for member in month.members.values():
            assert member.label in trail

    # Tuesday 17 November: abuse of authority, the month's last report
    send(browser, month, wewenang)
    wait_for_mails(month, 7)
    for mail in month.mails:
        content_free(mail, reports.values())
    # And nothing typed reached the server's storage or its log
    stored = b"".join(p.read_bytes() for p in month.store.root.rglob("*") if p.is_file())
    logged = month.log.getvalue()
    assert logged.count('"route":"/api/reports","status":201') == len(reports)  # the API's log
    for secret in [followup] + [word for report in reports.values() for word in typed(report)]:
        assert secret.encode() not in stored and secret not in logged, secret

    # Thursday 19 November: anna opens the statistics for October and November
    month.move_to(at("2026-11-19", 10))
    today = datetime.date(2026, 11, 19)
    want = expected(month, today)
    # (by hand: three acknowledged in a working day, the gratuity after 10, the last one
    # within its deadline; first feedback after 6, 13, 5 and 10 working days)
    hand = {"met": "3", "missed": "1", "overdue": "0", "pending": "1", "p90": "10"}
    assert {k: want[("acknowledge", k)] for k in hand} == hand
    assert [want[("feedback", k)] for k in ("done", "median", "p90")] == ["4", "8.0", "13"]
    with workbench(browser, month, "anna") as (page, origin):
        page.click("a[href='/stats']")
        page.wait_for_selector("#stats-deadlines")
        page.fill("#period-from", PERIOD[0])
        page.fill("#period-to", PERIOD[1])
        page.click("#period button[type=submit]")
        page.wait_for_selector(f"#stats-period:has-text('{PERIOD[0]}')")
        shown = page.content()
        csv_link = page.locator("#download-csv").get_attribute("href") or ""
        sheet = page.request.get(origin + csv_link)
        assert sheet.ok and sheet.headers["content-type"].startswith("text/csv")
        got = counted(sheet.text())
    assert page_numbers_match(shown, want)
    for (section, key), value in want.items():
        assert got[(section, key)] == value, (section, key, got[(section, key)], value)
    for section in ("month", "category", "office", "desk"):
        listed = {k: v for (s, k), v in got.items() if s == section and v != "0"}
        assert listed == {k: v for (s, k), v in want.items() if s == section}, section
    assert got[("period", "today")] == today.isoformat()


def page_numbers_match(page: str, want: dict[tuple[str, str], str]) -> bool:
    """The page's totals, charts and deadline table show the expected numbers."""
    assert f'id="stats-total">{want[("reports", "total")]}<' in page
    for section in ("month", "category", "desk", "status"):
        shown = {k: str(v) for k, v in bars(page, section).items() if v}
        assert shown == {k: v for (s, k), v in want.items() if s == section}, section
    for measure in ("done", "met", "missed", "overdue", "pending"):
        assert cells(page, measure) == [
            want.get((duty, measure), "0") for duty in ("acknowledge", "feedback")
        ], measure
    return True
