"""What a notice is, the fixed notices the API sends, and the notifier interface.

A notice tells inspectors that something needs them, never what: no report id or
registration number, no size, no time, nothing a reporter wrote. Its transport (SNS's email,
the institution's mail server, an inspector's phone) is outside the encryption, and a
number there would tie each of a reporter's visits to a case for whoever reads that mail.
Inspectors learn which case with ``wbs inbox sync`` and ``wbs inbox list``.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol


class Notice(NamedTuple):
    subject: str
    text: str


NEW_REPORT = Notice(
    "WBS: laporan baru / new report",
    "Laporan baru telah diterima oleh Whistle Blowing System. "
    "Ambil dan baca di komputer Anda dengan: wbs inbox sync\n"
    "\n"
    "A new report has arrived in the Whistle Blowing System. "
    "Fetch and read it on your own computer with: wbs inbox sync\n",
)
REPORTER_WROTE = Notice(
    "WBS: pesan baru dari pelapor / a reporter wrote again",
    "Seorang pelapor mengirim pesan baru tentang laporannya di Whistle Blowing System. "
    "Ambil dan baca di komputer Anda dengan: wbs inbox sync\n"
    "\n"
    "A reporter has sent a new message about their report in the Whistle Blowing System. "
    "Fetch and read it on your own computer with: wbs inbox sync\n",
)


def deadlines_notice(overdue: int, near: int, within: int) -> Notice:
    """`wbs inbox remind --notify`'s reminder: how many cases are overdue and how many due
    within ``within`` working days, in both languages, and nothing that names one."""
    cases = f"{overdue} case{'' if overdue == 1 else 's'} {'is' if overdue == 1 else 'are'}"
    days = f"{within} working day{'' if within == 1 else 's'}"
    return Notice(
        "WBS: tenggat waktu / deadlines",
        f"Tenggat Whistle Blowing System: {overdue} laporan melewati tenggat, {near} jatuh"
        f" tempo dalam {within} hari kerja. Lihat di komputer Anda dengan:"
        " wbs inbox list --due\n"
        "\n"
        f"Whistle Blowing System deadlines: {cases} overdue, {near} due within {days}."
        " See them on your own computer with: wbs inbox list --due\n",
    )


class Notifier(Protocol):
    """One way of telling the inspectorate."""

    @property
    def kind(self) -> str:
        """What it is ("sns", "smtp"): for messages to the admin."""
        ...

    def send(self, notice: Notice) -> None:
        """Deliver ``notice`` to every recipient, or raise (any exception: the caller logs
        its type alone, since its text may name an address, a host or an account)."""
        ...


def failure_kind(exc: BaseException) -> str:
    """What may be logged of a failed delivery: the error code SNS answered, else the
    exception's type name."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code", "")
        if code:
            return str(code)
    return type(exc).__name__
