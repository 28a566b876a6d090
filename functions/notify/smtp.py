"""Notices by mail through the institution's own SMTP server, for a self-hosted service
(docs/self-hosting.md, "Alerts"), with the standard library's smtplib.

On port 465 the connection is TLS from its first byte (implicit TLS, RFC 8314 section 3.3);
on any other port STARTTLS is required unless the server is on this machine's loopback (a
local relay such as Postfix, which then delivers onwards). Either way the certificate is
checked against the system's CAs. The user and password, if the server asks for them, come
from the service's environment file (/etc/wbs/wbs.env, mode 0600)."""

from __future__ import annotations

import ipaddress
import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from functions.notify.base import Notice

HOST_VARIABLE = "WBS_SMTP_HOST"
PORT_VARIABLE = "WBS_SMTP_PORT"
STARTTLS_VARIABLE = "WBS_SMTP_STARTTLS"
USER_VARIABLE = "WBS_SMTP_USER"
PASSWORD_VARIABLE = "WBS_SMTP_PASSWORD"  # noqa: S105 (a variable's name, not a password)
TO_VARIABLE = "WBS_NOTIFY_TO"
FROM_VARIABLE = "WBS_NOTIFY_FROM"
DEFAULT_PORT = 587  # submission, with STARTTLS
IMPLICIT_TLS_PORT = 465  # submissions: TLS from the first byte (RFC 8314)
TIMEOUT_SECONDS = 20.0
MAX_RECIPIENTS = 50
# An address as the deployment's notify_email takes it (wbs/config/deployment.py): no
# display name, no comment, nothing that could end a header.
ADDRESS_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,63}")
HOST_RE = re.compile(r"[A-Za-z0-9.-]{1,253}|\[?[0-9A-Fa-f:.]{2,45}\]?")


@dataclass(frozen=True)
class SmtpNotifier:
    host: str
    sender: str
    recipients: tuple[str, ...]
    port: int = DEFAULT_PORT
    starttls: bool = True
    user: str = ""
    password: str = field(default="", repr=False)
    timeout: float = TIMEOUT_SECONDS
    # The CAs STARTTLS trusts (tests: their own); None: the system's.
    tls: ssl.SSLContext | None = field(default=None, repr=False, compare=False)
    # TLS from the first byte instead of STARTTLS: what port 465 means (from_env sets it).
    implicit_tls: bool = False
    kind: str = field(default="smtp", init=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpNotifier | None:
        """The notifier ``WBS_SMTP_*`` and ``WBS_NOTIFY_TO``/``_FROM`` describe, None if
        ``WBS_SMTP_HOST`` is unset; ValueError, naming the variable, for a bad value."""
        host = (env.get(HOST_VARIABLE) or "").strip()
        if not host:
            return None
        if not HOST_RE.fullmatch(host):
            raise ValueError(f"{HOST_VARIABLE} must be a host name or an IP address")
        port_text = (env.get(PORT_VARIABLE) or str(DEFAULT_PORT)).strip()
        if not (port_text.isascii() and port_text.isdecimal() and 0 < int(port_text) < 65536):
            raise ValueError(f"{PORT_VARIABLE} must be a port number, 1 to 65535")
        switch = (env.get(STARTTLS_VARIABLE) or "on").strip().lower()
        if switch not in ("on", "off"):
            raise ValueError(f"{STARTTLS_VARIABLE} must be on or off")
        if switch == "off" and int(port_text) == IMPLICIT_TLS_PORT:
            raise ValueError(
                f"{STARTTLS_VARIABLE}=off does not apply to port {IMPLICIT_TLS_PORT}, which is"
                " TLS from the first byte: unset it, or use the relay's own port"
            )
        if switch == "off" and not is_loopback(host):
            raise ValueError(
                f"{STARTTLS_VARIABLE}=off is only for a mail server on this machine"
                f" (localhost); {host} would get the mail and the password in clear"
            )
        recipients = addresses(env.get(TO_VARIABLE) or "", TO_VARIABLE)
        if not recipients:
            raise ValueError(f"{TO_VARIABLE} must name at least one address to notify")
        sender = addresses(env.get(FROM_VARIABLE) or "", FROM_VARIABLE)
        if len(sender) != 1:
            raise ValueError(f"{FROM_VARIABLE} must be the one address notices are sent from")
        user = env.get(USER_VARIABLE) or ""
        password = env.get(PASSWORD_VARIABLE) or ""
        if bool(user) != bool(password):
            raise ValueError(f"set both {USER_VARIABLE} and {PASSWORD_VARIABLE}, or neither")
        return cls(
            host.strip("[]"),
            sender[0],
            recipients,
            int(port_text),
            switch == "on",
            user,
            password,
            implicit_tls=int(port_text) == IMPLICIT_TLS_PORT,
        )

    def send(self, notice: Notice) -> None:
        mail = EmailMessage()
        mail["Subject"] = notice.subject
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.recipients)
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2])
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to it
        mail.set_content(notice.text)
        context = self.tls or ssl.create_default_context()
        with self._connect(context) as server:
            if self.starttls and not self.implicit_tls:
                server.starttls(context=context)
            if self.user:
                server.login(self.user, self.password)
            refused = server.send_message(mail, self.sender, list(self.recipients))
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)

    def _connect(self, context: ssl.SSLContext) -> smtplib.SMTP:
        if self.implicit_tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)


def addresses(text: str, variable: str) -> tuple[str, ...]:
    """Comma-separated addresses, each checked; ValueError naming ``variable`` (never the
    value: it may be half a password pasted on the wrong line)."""
    found = tuple(part.strip() for part in text.split(",") if part.strip())
    if len(found) > MAX_RECIPIENTS:
        raise ValueError(f"{variable} takes at most {MAX_RECIPIENTS} addresses")
    for address in found:
        if not ADDRESS_RE.fullmatch(address):
            raise ValueError(
                f"{variable} must be addresses like inspektorat@example.go.id, separated by commas"
            )
    return found


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
