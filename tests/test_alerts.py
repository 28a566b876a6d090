"""Alerts without content (issue 17): the self-host's notices by SMTP, tested against a local
mail server (aiosmtpd), and `wbs inbox remind`, the deadline reminder.

A report and a follow-up sent through the real local host (waitress, functions/host.py) each
give one mail with a fixed text to every address of WBS_NOTIFY_TO, and nothing of what the
reporter sent; a mail server that fails, refuses or hangs costs the reporter nothing."""

from __future__ import annotations

import base64
import http.client
import json
import shutil
import smtplib
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from nacl.public import PrivateKey

from functions import app as api
from functions import host, mailbox_token, notify
from functions.config import ConfigError, Settings
from functions.notify.background import Background
from functions.notify.base import deadlines_notice
from functions.storage import LocalStorage
from tests.support import reporter
from tests.support.api import (
    api_logs,
    bearer,
    envelope_json,
    identity,
    new_token,
    sealed,
    write_keyring,
)
from tests.support.host import free_port, serving
from tests.support.inbox import desk_keys, payload, put, use_private_home, wbs
from tests.support.reporter import case_key_text
from tests.support.tls import Authority, make_authority
from wbs import registration
from wbs.crypto import Identity

INSPECTOR = identity(1)
REPORTER = identity(3)
CANARY = b"CANARY-alert-5e1f Pak Budi menerima suap"
FOLLOWUP_CANARY = b"CANARY-alert-followup-93c0"
USER, PASSWORD = "wbs-notices", "kata-sandi-rahasia-9f"
TO = ("inspektur@example.go.id", "irban2@example.go.id")
FROM = "wbs@example.go.id"


class Mail(NamedTuple):
    sender: str
    recipients: list[str]
    message: EmailMessage
    raw: bytes


def _parsed(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


class Inbox:
    """What the local mail server received, and who logged in."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or envelope.content)
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), _parsed(raw), raw))
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        if ok:
            self.logins.append(USER)
        return AuthResult(success=ok, handled=False)


class MailServer(NamedTuple):
    port: int
    inbox: Inbox
    authority: Authority

    def notifier(self, **changes: Any) -> notify.SmtpNotifier:
        """The notifier for this server, trusting its test CA."""
        chosen: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.port,
            "sender": FROM,
            "recipients": TO,
            "user": USER,
            "password": PASSWORD,
            "tls": ssl.create_default_context(cafile=str(self.authority.ca)),
            "timeout": 5.0,
        }
        return notify.SmtpNotifier(**(chosen | changes))


@contextmanager
def mail_server(
    folder: Path, *, starttls: bool = True, implicit: bool = False
) -> Iterator[MailServer]:
    """aiosmtpd on 127.0.0.1: STARTTLS with a certificate of a throwaway CA, and a login
    required after it (unless ``starttls`` is False: then plain SMTP, no login); with
    ``implicit``, TLS from the first byte (as on port 465) and the same login."""
    authority = make_authority(folder / "ca")
    inbox = Inbox()
    port = free_port()
    options: dict[str, Any] = {}
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(authority.certificate, authority.key)
    login = {"authenticator": inbox.authenticate, "auth_required": True}
    if implicit:
        # aiosmtpd offers AUTH only after its own STARTTLS unless told the link is secure
        options = {"ssl_context": context, "auth_require_tls": False, **login}
    elif starttls:
        options = {"tls_context": context, "require_starttls": True, **login}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield MailServer(port, inbox, authority)
    finally:
        controller.stop()


class Service(NamedTuple):
    port: int
    store: LocalStorage
    notifier: Background

    def post(self, path: str, body: str, token: bytes) -> int:
        headers = {"Content-Type": "application/json", "Authorization": bearer(token)}
        headers |= reporter.headers(path, bearer(token), body)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("POST", path, body=body.encode(), headers=headers)
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()


@contextmanager
def service(tmp_path: Path, notifier: notify.Notifier) -> Iterator[Service]:
    """The real local host (waitress), its API notifying through ``notifier``."""
    keyring = write_keyring(tmp_path / "keyring.json", [INSPECTOR.public_key])
    settings = Settings(f"local:{tmp_path / 'storage'}", keyring, notifier=notifier)
    server = host.make_server(None, settings, port=0)
    background = api._wiring.notifier  # what make_app configured the handlers with
    assert isinstance(background, Background)
    try:
        with serving(server):
            yield Service(server.effective_port, LocalStorage(tmp_path / "storage"), background)
    finally:
        api.configure()


def report_body(token: bytes) -> str:
    return envelope_json(sealed(CANARY, [INSPECTOR.public_key], mailbox_token.report_id(token)))


def followup_body(token: bytes) -> str:
    case = mailbox_token.report_id(token)
    keys = [INSPECTOR.public_key, REPORTER.public_key]
    return envelope_json(sealed(FOLLOWUP_CANARY, keys, case, "followup"))


def text(mail: Mail) -> str:
    """The mail's body as the notice's text (SMTP ends its lines with CR LF)."""
    return str(mail.message.get_content()).replace("\r\n", "\n")


def log_lines(stream: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


# -- through the local host -----------------------------------------------------------------


def test_a_report_and_a_followup_each_send_one_mail_without_content(tmp_path: Path) -> None:
    with (
        mail_server(tmp_path) as smtp,
        service(tmp_path, smtp.notifier()) as wbs,
        api_logs() as log,
    ):
        token = new_token()
        report, followup = report_body(token), followup_body(token)
        # When a reporter sends a report, and sends it again (its answer lost on the way back)
        assert [wbs.post("/api/reports", report, token) for _ in range(2)] == [201, 201]
        wbs.notifier.wait()
        # Then the inspectors got one mail: the fixed new-report text, to every address
        assert len(smtp.inbox.mails) == 1
        # When the reporter writes again, twice with the same follow-up (a retry)
        assert [wbs.post("/api/mailbox", followup, token) for _ in range(2)] == [201, 201]
        wbs.notifier.wait()
    # Then one more mail: the fixed "a reporter wrote again" text
    mails = smtp.inbox.mails
    expected = [notify.NEW_REPORT, notify.REPORTER_WROTE]
    assert [(m.message["Subject"], text(m)) for m in mails] == [
        (n.subject, n.text) for n in expected
    ]
    # to the configured addresses, from the configured one, after STARTTLS and a login
    assert all((m.sender, m.recipients, m.message["From"]) == (FROM, list(TO), FROM) for m in mails)
    assert smtp.inbox.logins == [USER, USER]
    assert all(m.message["Auto-Submitted"] == "auto-generated" for m in mails)
    # and nothing of the case: no content, no id, no registration number, no token
    case = mailbox_token.report_id(token)
    everything = b"".join(m.raw for m in mails)
    secrets = [CANARY, FOLLOWUP_CANARY, case.encode(), registration.display(case).encode()]
    secrets += [token.hex().encode(), bearer(token).encode()]
    assert not [s for s in secrets if s in everything]
    # the API logged its request lines, and no warning
    assert [line["message"] for line in log_lines(log)] == ["request"] * 4
    assert len(list(wbs.store.list("reports/"))) == 1


# The test server's own warning: its link is TLS from the first byte, which it does not see.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_port_465_is_tls_from_the_first_byte(tmp_path: Path) -> None:
    # Given a mail server that speaks TLS from the first byte, as submissions on port 465 does
    with mail_server(tmp_path, implicit=True) as smtp:
        # When a notice goes through a notifier set for implicit TLS, it arrives after a login
        smtp.notifier(implicit_tls=True).send(notify.NEW_REPORT)
        assert [m.message["Subject"] for m in smtp.inbox.mails] == [notify.NEW_REPORT.subject]
        assert smtp.inbox.logins == [USER]
        # and its certificate is checked: a notifier trusting only the system's CAs refuses it
        with pytest.raises(ssl.SSLCertVerificationError):
            smtp.notifier(implicit_tls=True, tls=None).send(notify.NEW_REPORT)
        # and a STARTTLS notifier gets no greeting it understands: it fails, it sends nothing
        with pytest.raises((smtplib.SMTPException, OSError)):
            smtp.notifier().send(notify.NEW_REPORT)
    assert len(smtp.inbox.mails) == 1


def test_a_mail_server_that_hangs_delays_no_reporter(tmp_path: Path) -> None:
    # Given a mail server that takes the connection and never says a word
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    notifier = notify.SmtpNotifier("127.0.0.1", FROM, TO, port, starttls=False, timeout=2.0)
    try:
        with service(tmp_path, notifier) as wbs, api_logs() as log:
            token = new_token()
            # When a report is sent
            started = time.monotonic()
            status = wbs.post("/api/reports", report_body(token), token)
            answered = time.monotonic() - started
            # Then it is stored and answered at once, not after the mail server's timeout
            assert status == 201 and answered < 1.5
            assert len(list(wbs.store.list("reports/"))) == 1
            wbs.notifier.wait()
    finally:
        silent.close()
    # and the failure is logged by its kind alone
    warnings = [line for line in log_lines(log) if line["level"] == "WARNING"]
    assert [(w["message"], w["notify_error"]) for w in warnings] == [
        # smtplib's word for a read that timed out
        ("notification not sent", "SMTPServerDisconnected")
    ]
    assert str(port) not in log.getvalue()


@pytest.mark.parametrize(
    ("changes", "kind"),
    [
        ({"password": "salah"}, "SMTPAuthenticationError"),
        # the system's CAs do not know the test CA: the password is never sent
        ({"tls": None}, "SSLCertVerificationError"),
    ],
)
def test_a_refused_notice_is_logged_by_kind_and_the_report_kept(
    tmp_path: Path, changes: dict[str, Any], kind: str
) -> None:
    with mail_server(tmp_path) as smtp, service(tmp_path, smtp.notifier(**changes)) as wbs:
        with api_logs() as log:
            token = new_token()
            assert wbs.post("/api/reports", report_body(token), token) == 201
            wbs.notifier.wait()
        assert len(list(wbs.store.list("reports/"))) == 1
    assert smtp.inbox.mails == [] and smtp.inbox.logins == []
    warnings = [line for line in log_lines(log) if line["level"] == "WARNING"]
    assert [(w["message"], w["notify_error"]) for w in warnings] == [
        ("notification not sent", kind)
    ]
    assert PASSWORD not in log.getvalue() and "salah" not in log.getvalue()
    assert not any(address in log.getvalue() for address in (*TO, FROM))


def test_without_starttls_the_notifier_refuses_to_send(tmp_path: Path) -> None:
    # Given a mail server that offers no STARTTLS, and the default (STARTTLS required)
    with mail_server(tmp_path, starttls=False) as smtp, api_logs() as log:
        notifier = smtp.notifier(user="", password="")
        # When a notice is sent, it is not: nothing goes in clear
        assert notify.deliver(notifier, notify.NEW_REPORT) is False
    assert smtp.inbox.mails == []
    assert [line["notify_error"] for line in log_lines(log)] == ["SMTPNotSupportedError"]


def test_starttls_off_sends_in_clear_to_a_local_relay(tmp_path: Path) -> None:
    # Given a relay on this machine (Postfix on localhost, say) and STARTTLS turned off
    with mail_server(tmp_path, starttls=False) as smtp:
        env = {
            "WBS_SMTP_HOST": "127.0.0.1",
            "WBS_SMTP_PORT": str(smtp.port),
            "WBS_SMTP_STARTTLS": "off",
            "WBS_NOTIFY_TO": "inspektur@example.go.id",
            "WBS_NOTIFY_FROM": FROM,
        }
        notifier = Settings.from_env(env).notifier
        # When a notice is sent, the relay gets it
        assert notify.deliver(notifier, notify.REPORTER_WROTE) is True
    assert [(m.recipients, m.message["Subject"]) for m in smtp.inbox.mails] == [
        (["inspektur@example.go.id"], notify.REPORTER_WROTE.subject)
    ]


# -- settings -------------------------------------------------------------------------------

SMTP = {
    "WBS_SMTP_HOST": "mail.example.go.id",
    "WBS_NOTIFY_TO": "inspektur@example.go.id, irban2@example.go.id",
    "WBS_NOTIFY_FROM": FROM,
}


def test_smtp_settings_from_the_environment() -> None:
    notifier = Settings.from_env(
        SMTP | {"WBS_SMTP_USER": USER, "WBS_SMTP_PASSWORD": PASSWORD, "WBS_SMTP_PORT": "2525"}
    ).notifier
    assert notifier == notify.SmtpNotifier(
        "mail.example.go.id", FROM, TO, 2525, starttls=True, user=USER, password=PASSWORD
    )
    assert PASSWORD not in repr(notifier)
    # defaults: submission port 587, STARTTLS required, no login
    assert Settings.from_env(SMTP).notifier == notify.SmtpNotifier(
        "mail.example.go.id", FROM, TO, 587, starttls=True
    )
    # port 465: TLS from the first byte, whatever WBS_SMTP_STARTTLS would say of STARTTLS
    implicit = Settings.from_env(SMTP | {"WBS_SMTP_PORT": "465"}).notifier
    assert isinstance(implicit, notify.SmtpNotifier) and implicit.implicit_tls
    assert not Settings.from_env(SMTP).notifier.implicit_tls  # type: ignore[union-attr]
    # SNS on AWS; nothing without either
    topic = "arn:aws:sns:ap-southeast-3:123456789012:wbs"
    sns = Settings.from_env({notify.TOPIC_VARIABLE: topic}).notifier
    assert isinstance(sns, notify.SnsNotifier) and sns.topic == topic
    assert Settings.from_env({}).notifier is None


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"WBS_SMTP_STARTTLS": "off"}, "WBS_SMTP_STARTTLS=off is only for a mail server on"),
        ({"WBS_SMTP_STARTTLS": "maybe"}, "WBS_SMTP_STARTTLS must be on or off"),
        (
            {"WBS_SMTP_HOST": "localhost", "WBS_SMTP_PORT": "465", "WBS_SMTP_STARTTLS": "off"},
            "WBS_SMTP_STARTTLS=off does not apply to port 465",
        ),
        ({"WBS_SMTP_PORT": "70000"}, "WBS_SMTP_PORT must be a port number"),
        ({"WBS_SMTP_PORT": "²"}, "WBS_SMTP_PORT must be a port number"),
        ({"WBS_SMTP_HOST": "mail.example.go.id\r\nRCPT"}, "WBS_SMTP_HOST must be a host"),
        ({"WBS_NOTIFY_TO": ""}, "WBS_NOTIFY_TO must name at least one address"),
        ({"WBS_NOTIFY_TO": "a@x.go.id\r\nBcc: b@y.id"}, "WBS_NOTIFY_TO must be addresses"),
        ({"WBS_NOTIFY_TO": "Inspektur <a@x.go.id>"}, "WBS_NOTIFY_TO must be addresses"),
        ({"WBS_NOTIFY_FROM": ""}, "WBS_NOTIFY_FROM must be the one address"),
        ({"WBS_NOTIFY_FROM": "a@x.go.id, b@x.go.id"}, "WBS_NOTIFY_FROM must be the one address"),
        ({"WBS_SMTP_USER": USER}, "set both WBS_SMTP_USER and WBS_SMTP_PASSWORD"),
        ({"WBS_SMTP_PASSWORD": PASSWORD}, "set both WBS_SMTP_USER and WBS_SMTP_PASSWORD"),
        ({notify.TOPIC_VARIABLE: "arn:aws:sns:x:1:wbs"}, "are both set"),
    ],
)
def test_a_bad_smtp_setting_is_refused_by_name(changes: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(SMTP | changes)
    assert named in str(refused.value)
    assert refused.value.hint == 'see docs/self-hosting.md, "Alerts"'
    assert PASSWORD not in str(refused.value)


@pytest.mark.parametrize("loopback", ["localhost", "127.0.0.1", "::1", "[::1]", "127.0.0.2"])
def test_starttls_may_be_off_for_the_loopback_only(loopback: str) -> None:
    notifier = Settings.from_env(
        SMTP | {"WBS_SMTP_HOST": loopback, "WBS_SMTP_STARTTLS": "off"}
    ).notifier
    assert isinstance(notifier, notify.SmtpNotifier) and notifier.starttls is False


def test_a_function_with_a_bad_notify_setting_stores_nothing(
    store: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a function whose notification settings cannot be used (wbs serve refuses to
    # start with them; a function learns at its first request)
    monkeypatch.setenv("WBS_SMTP_HOST", "mail.example.go.id")
    monkeypatch.delenv("WBS_NOTIFY_TO", raising=False)
    token = new_token()
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from tests.support.api import post_event

    event = post_event(report_body(token), authorization=bearer(token))
    # When a report is sent
    with api_logs() as log:
        status = api.lambda_handler(event, LambdaContext())["statusCode"]
    # Then it is refused as every misconfigured function refuses (503, the setting named in
    # the log and not to the reporter), before anything is stored: the page keeps the report
    # and can send it again once the setting is fixed
    assert status == 503 and list(store.list()) == []
    assert [line["message"] for line in log_lines(log)] == ["server misconfigured", "request"]


# -- wbs inbox remind -----------------------------------------------------------------------

# Four cases: three received on Friday 27 November 2026, one on Monday 16 November; with the
# config below (5 working days to acknowledge, 30 to give feedback, 1 December a holiday).
FIRST, SECOND, THIRD = "7K3MQ2X9ABCDEFGH", "7K3MZZZZ00000000", "8ABCDEFGHJKMNPQR"
OLD = "9XYZ0000AAAA1111"
RULES = (
    "[deadlines]\n"
    'acknowledge = {count = 5, unit = "working_days"}\n'
    'feedback = {count = 30, unit = "working_days"}\n'
    'holidays = ["2026-12-01"]\n'
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`wbs inbox`'s private WBS_HOME, store and keyring (replaces tests/conftest.py's)."""
    return use_private_home(tmp_path, monkeypatch)


@pytest.fixture
def deadlines_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(RULES, encoding="utf-8")
    monkeypatch.setenv("WBS_CONFIG", str(config))
    return config


@pytest.fixture
def month(tmp_path: Path, inspector: Identity, deadlines_config: Path) -> None:
    """The four cases synced; SECOND acknowledged, THIRD closed; FIRST and OLD untouched.
    FIRST's acknowledgement is due on the 5th working day after Friday 27 November: Monday
    30, Wednesday 2 (Tuesday 1 is the holiday), Thursday 3, Friday 4, Monday 7 December.
    OLD's was due Monday 23 November."""
    store = LocalStorage(tmp_path / "store")
    owner = Identity(PrivateKey.generate())
    key = base64.b64encode(owner.public_key).decode()
    for case, received in [
        (FIRST, "2026-11-27T05:00:00Z"),
        (SECOND, "2026-11-27T05:00:00Z"),
        (THIRD, "2026-11-27T05:00:00Z"),
        (OLD, "2026-11-16T05:00:00Z"),
    ]:
        content = payload(reporter_public_key=key, reporter_signing_key=case_key_text(case))
        put(store, case, desk_keys(), content, received)
    assert wbs("inbox", "sync").exit_code == 0
    assert wbs("inbox", "status", SECOND, "sedang-diverifikasi").exit_code == 0
    assert wbs("inbox", "status", THIRD, "selesai").exit_code == 0


def test_remind_lists_missed_and_near_deadlines_by_the_clock_given(month: None) -> None:
    # On Monday 30 November: OLD's acknowledgement is a week late, FIRST's is 5 working days
    # away (its deadline moved past the holiday to Monday 7 December)
    early = wbs("inbox", "remind", "--today", "2026-11-30")
    assert early.exit_code == 4, early.output
    assert early.stdout.splitlines() == [
        "overdue 9XYZ-0000-AAAA-1111  acknowledgement was due 2026-11-23 (7 days ago)",
        "1 case is overdue, 0 due within 2 working days",
    ]
    # On Thursday 3 December, with 2 working days: FIRST is near (Friday 4, Monday 7)
    near = wbs("inbox", "remind", "--today", "2026-12-03")
    assert near.exit_code == 4
    assert "due     7K3M-Q2X9-ABCD-EFGH  acknowledgement due 2026-12-07 (in 4 days)" in (
        near.stdout
    )
    assert near.stdout.splitlines()[-1] == "1 case is overdue, 1 due within 2 working days"
    # With a window of 0 working days, FIRST is not near yet
    narrow = wbs("inbox", "remind", "--today", "2026-12-03", "--within", "0")
    assert narrow.stdout.splitlines()[-1] == "1 case is overdue, 0 due within 0 working days"
    # On Tuesday 8 December both are missed; the acknowledged and the closed case never show
    late = wbs("inbox", "remind", "--today", "2026-12-08")
    assert late.exit_code == 4
    assert late.stdout.splitlines()[-1] == "2 cases are overdue, 0 due within 2 working days"
    shown = late.stdout + near.stdout + early.stdout
    assert "7K3M-ZZZZ" not in shown and "8ABC-DEFG" not in shown


def test_the_documented_example_is_what_remind_prints(month: None) -> None:
    # docs/self-hosting.md, "Deadline reminders", shows this very run's output
    doc = (SELFHOST.parents[1] / "docs" / "self-hosting.md").read_text(encoding="utf-8")
    block = doc.split("wbs inbox sync && wbs inbox remind --within 2\n", 1)[1].split("```")[0]
    shown = [line.removeprefix("# ") for line in block.splitlines()]
    result = wbs("inbox", "remind", "--within", "2", "--today", "2026-12-03")
    assert result.stdout.splitlines() == shown


def test_remind_exit_status_tells_near_from_missed(
    tmp_path: Path, inspector: Identity, deadlines_config: Path
) -> None:
    # Given one case received on Friday 27 November
    store = LocalStorage(tmp_path / "store")
    put(store, FIRST, desk_keys(), None, "2026-11-27T05:00:00Z")
    assert wbs("inbox", "sync").exit_code == 0
    # Then: nothing near on the Monday (0), near on the Thursday (3), missed on the Tuesday (4)
    states = {
        day: wbs("inbox", "remind", "--today", day)
        for day in ("2026-11-30", "2026-12-03", "2026-12-08")
    }
    assert {day: r.exit_code for day, r in states.items()} == {
        "2026-11-30": 0,
        "2026-12-03": 3,
        "2026-12-08": 4,
    }
    assert states["2026-11-30"].stdout == "ok: 0 cases are overdue, 0 due within 2 working days\n"


def test_remind_notify_mails_the_counts_and_nothing_else(
    tmp_path: Path, month: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with mail_server(tmp_path / "mail", starttls=False) as smtp:
        for name, value in {
            "WBS_SMTP_HOST": "127.0.0.1",
            "WBS_SMTP_PORT": str(smtp.port),
            "WBS_SMTP_STARTTLS": "off",
            "WBS_NOTIFY_TO": ",".join(TO),
            "WBS_NOTIFY_FROM": FROM,
        }.items():
            monkeypatch.setenv(name, value)
        # When the reminder runs on Thursday 3 December with --notify
        result = wbs("inbox", "remind", "--today", "2026-12-03", "--notify")
        # and again on a day nothing was owed yet (a case list of its own: none overdue)
        quiet = wbs("inbox", "remind", "--today", "2026-11-16", "--notify")
    # Then one mail went out, to every address, holding the counts and no case
    assert (result.exit_code, quiet.exit_code) == (4, 0), result.output + quiet.output
    mails = smtp.inbox.mails
    assert [(m.recipients, m.message["Subject"]) for m in mails] == [
        (list(TO), "WBS: tenggat waktu / deadlines")
    ]
    body = text(mails[0])
    assert "1 laporan melewati tenggat, 1 jatuh tempo dalam 2 hari kerja" in body
    assert "1 case is overdue, 1 due within 2 working days" in body
    raw = mails[0].raw
    for case in (FIRST, SECOND, THIRD, OLD):
        assert case.encode() not in raw and registration.display(case).encode() not in raw
    assert body == deadlines_notice(1, 1, 2).text  # the whole text: counts, words, a command


def test_remind_notify_without_a_notifier_stops_before_the_passphrase(
    month: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("WBS_SMTP_HOST", "WBS_NOTIFY_TOPIC"):
        monkeypatch.delenv(name, raising=False)
    result = wbs("inbox", "remind", "--notify", passphrase=None)
    assert result.exit_code == 1
    assert result.stderr.startswith("wbs: error: --notify: no notifier is configured\nhint: set")
    assert result.stdout == ""


def test_remind_says_when_the_reminder_could_not_be_sent(
    month: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a mail server that is not there
    monkeypatch.setenv("WBS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("WBS_SMTP_PORT", str(free_port()))
    monkeypatch.setenv("WBS_SMTP_STARTTLS", "off")
    monkeypatch.setenv("WBS_NOTIFY_TO", TO[0])
    monkeypatch.setenv("WBS_NOTIFY_FROM", FROM)
    result = wbs("inbox", "remind", "--today", "2026-12-08", "--notify")
    # Then the list is printed, and the failure is an error (exit 1) naming its kind only
    assert result.exit_code == 1
    assert "2 cases are overdue" in result.stdout
    assert "wbs: error: the reminder was not sent (smtp: ConnectionRefusedError)" in result.stderr


# -- the systemd timer ----------------------------------------------------------------------

SELFHOST = Path(__file__).resolve().parents[1] / "infra" / "selfhost"


def unit(name: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (SELFHOST / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def test_the_reminder_units_run_remind_with_notify_and_count_its_statuses_as_done() -> None:
    service, timer = unit("wbs-remind.service"), unit("wbs-remind.timer")
    (command,) = service["ExecStart"]
    assert "/opt/wbs/.venv/bin/wbs inbox sync" in command
    assert command.rstrip("'").endswith("/opt/wbs/.venv/bin/wbs inbox remind --within 2 --notify")
    # the passphrase comes from an encrypted credential, never from the environment file
    assert service["LoadCredentialEncrypted"] == ["wbs-passphrase:/etc/wbs/remind-passphrase.cred"]
    assert "WBS_PASSPHRASE" not in (SELFHOST / "wbs.env").read_text()
    assert service["SuccessExitStatus"] == ["3 4"]
    assert service["Type"] == ["oneshot"]
    assert timer["Unit"] == ["wbs-remind.service"] and timer["WantedBy"] == ["timers.target"]
    assert timer["OnCalendar"] == ["Mon..Fri *-*-* 07:30:00 Asia/Jakarta"]


def test_the_reminder_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    bin_dir = Path(sys.executable).parent
    for name in ("wbs-remind.service", "wbs-remind.timer"):
        text = (SELFHOST / name).read_text().replace("/opt/wbs/.venv/bin/", f"{bin_dir}/")
        (tmp_path / name).write_text(text)
    verify = subprocess.run(
        [analyze, "verify", str(tmp_path / "wbs-remind.timer")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (verify.returncode, verify.stderr) == (0, "")


def test_the_env_files_alerts_lines_are_settings_the_service_takes() -> None:
    # Given wbs.env's commented alert settings, uncommented as the document says
    lines = (SELFHOST / "wbs.env").read_text().splitlines()
    chosen = [line[1:] for line in lines if line.startswith(("#WBS_SMTP_", "#WBS_NOTIFY_"))]
    env = dict(line.partition("=")[::2] for line in chosen)
    # Then they make the notifier they describe
    assert Settings.from_env(env).notifier == notify.SmtpNotifier(
        "mail.example.go.id",
        "wbs@example.go.id",
        ("inspektur@example.go.id", "irban2@example.go.id"),
        587,
        starttls=True,
        user="wbs-notices",
        password="change-me",
    )


def test_a_full_queue_drops_the_notice_and_says_so() -> None:
    # Given a mail server so slow that notices pile up (one being sent, one waiting)
    release = threading.Event()

    class Stuck:
        kind = "smtp"

        def __init__(self) -> None:
            self.sent: list[notify.Notice] = []

        def send(self, notice: notify.Notice) -> None:
            release.wait(10)
            self.sent.append(notice)

    stuck = Stuck()
    background = Background(stuck, capacity=1)
    with api_logs() as log:
        assert notify.deliver(background, notify.NEW_REPORT) is True
        deadline = time.monotonic() + 5
        while not background._queue.empty() and time.monotonic() < deadline:
            time.sleep(0.01)  # the thread has taken the first one
        assert notify.deliver(background, notify.REPORTER_WROTE) is True
        # When one more comes, it is dropped at once and logged by kind, not waited for
        assert notify.deliver(background, notify.NEW_REPORT) is False
        release.set()
        background.wait()
    assert stuck.sent == [notify.NEW_REPORT, notify.REPORTER_WROTE]
    assert [line["notify_error"] for line in log_lines(log)] == ["QueueFull"]
