"""How reports look on the terminal: rows for the inbox table (with each case's status and
deadline), and the full reading.

Everything in a report was typed by a stranger, so control characters (terminal escape
sequences, bidirectional overrides) are shown as visible ``\\x1b``-style escapes, never
sent to the terminal; rich markup is never interpreted.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

import click
from rich import box
from rich.table import Table
from rich.text import Text

from wbs import statuses
from wbs.attachments import Attachment
from wbs.deadlines import Due, Rules, is_due_soon
from wbs.registration import display
from wbs.reports import Report

TITLE_WIDTH = 48
# Bidirectional controls can make text read differently than it is; line and paragraph
# separators can forge lines.
INVISIBLE = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
)
RELATIONS = {
    "employee": "Pegawai / Employee",
    "public": "Masyarakat / Public",
    "other": "Lainnya / Other",
}
DECLARATION_LABELS = {
    "truthful": "Laporan benar dan beriktikad baik / true and in good faith",
    "not_involved": "Pelapor bukan bagian dari pelaku / not part of the wrongdoing",
    "aware_of_sanctions": "Paham sanksi laporan palsu / aware false reports are sanctioned",
    "confidential": "Menjaga kerahasiaan laporan / will keep the report confidential",
}
FAILED = "⚠ cannot open"
DATED_AFTER = 14  # a deadline further away than this many days is shown as its date


def clean(text: str, *, multiline: bool = False) -> str:
    """Make untrusted text safe to print: escape control and bidi characters.

    The one escaping function for everything a stranger wrote or a server sent: reports and
    messages, the answers ``wbs verify`` fetches, error messages."""
    keep = "\n\t" if multiline else ""
    return "".join(_escape(ch) if ch not in keep and _unsafe(ch) else ch for ch in text)


def _unsafe(ch: str) -> bool:
    # Cc: C0, DEL and C1 (ESC, CR, BS, CSI...); Cs: a lone surrogate (JSON allows one), which
    # would stop the print with an encoding error.
    return ch in INVISIBLE or unicodedata.category(ch) in ("Cc", "Cs")


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def received(when: datetime.datetime) -> str:
    """Local date and time of a UTC instant."""
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


def received_date(when: datetime.datetime) -> str:
    """Local date of a UTC instant."""
    return when.astimezone().date().isoformat()


def local_zone() -> str:
    now = datetime.datetime.now().astimezone()
    offset = now.strftime("%z")
    return f"{now.tzname()}, UTC{offset[:3]}:{offset[3:]}"


def rupiah(loss: str) -> str:
    """``1500000`` -> ``Rp 1.500.000``; anything that is not digits is shown as typed."""
    if re.fullmatch(r"[0-9]+", loss):
        return "Rp " + f"{int(loss):,}".replace(",", ".")
    return clean(loss)


def shorten(text: str, width: int = TITLE_WIDTH) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def inbox_table() -> Table:
    """The inbox's table, in the command line's one language, English, as its deadlines are;
    a status keeps its name (the reporter's page and ``--status`` use it)."""
    table = Table(
        title="Inbox",
        title_justify="left",
        caption=f"dates: {local_zone()}",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("Number", no_wrap=True)
    table.add_column("Received", no_wrap=True)
    table.add_column("Status")
    table.add_column("Deadline")
    table.add_column("Assigned to")
    table.add_column("Report", ratio=1, min_width=14)
    return table


def add_row(table: Table, report: Report, status: str, due: Text, assigned: str = "-") -> None:
    about = Text(clean(shorten(report.title or report.what)))
    about.append("\n" + clean(report.category_label), style="dim")
    shown = (display(report.id), received_date(report.received), statuses.label(status))
    table.add_row(*shown, due, Text(clean(assigned, multiline=True)), about)


def add_failed_row(table: Table, report_id: str, when: datetime.datetime | None) -> None:
    table.add_row(
        display(report_id),
        received_date(when) if when else "?",
        "?",
        "",
        "",
        Text(FAILED, style="bold red"),
    )


def due(when: Due | None, rules: Rules) -> Text:
    """``ack due in 2 days``, ``OVERDUE ack 3 days``, ``feedback due 2027-02-28``; marked
    with ⚠ (and colour) when due soon or overdue."""
    if when is None:
        return Text("")
    if when.overdue:
        return Text(f"⚠ OVERDUE {when.duty} {_days(-when.days_left)}", style="bold red")
    if when.days_left == 0:
        text = f"{when.duty} due today"
    elif when.days_left <= DATED_AFTER:
        text = f"{when.duty} due in {_days(when.days_left)}"
    else:
        text = f"{when.duty} due {when.on.isoformat()}"
    if is_due_soon(when, rules):
        return Text(f"⚠ {text}", style="bold yellow")
    return Text(text)


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def reading(report: Report) -> str:
    """The whole report as text, with Indonesian / English headings."""
    lines: list[str] = []

    def field(heading: str, value: str) -> None:
        lines.append(f"{click.style(heading + ':', bold=True)} {value or '-'}")

    def block(heading: str, value: str) -> None:
        lines.append(click.style(heading, bold=True))
        body = clean(value, multiline=True).splitlines() or ["-"]
        lines.extend("  " + line for line in body)

    lines.append(click.style(f"Laporan / Report {display(report.id)}", bold=True, underline=True))
    field("Diterima / Received", f"{received(report.received)} ({local_zone()})")
    field("Kategori / Category", f"{clean(report.category_label)} ({clean(report.category_id)})")
    field("Judul / Title", clean(report.title))
    block("Kronologi / What happened", report.what)
    lines.append(click.style("Terlapor / Reported persons", bold=True))
    for n, person in enumerate(report.who, 1):
        lines.append(f"  {n}. Nama / Name: {clean(person.name) or '-'}")
        lines.append(f"     Jabatan / Position: {clean(person.position) or '-'}")
        lines.append(f"     Unit kerja / Unit: {clean(person.unit) or '-'}")
    if not report.who:
        lines.append("  -")
    field("Lokasi / Where", clean(report.where))
    when = " — ".join(clean(x) for x in (report.when_date, report.when_note) if x)
    field("Waktu / When", when)
    block("Modus / How", report.how)
    field("Perkiraan kerugian / Estimated loss", rupiah(report.loss) if report.loss else "")
    identified = report.reporter_name or report.reporter_contact
    anonymous = report.anonymous or not identified
    field("Pelapor / Reporter", "Anonim / Anonymous" if anonymous else "Beridentitas / Identified")
    if identified:
        lines.append(f"  Nama / Name: {clean(report.reporter_name) or '-'}")
        lines.append(f"  Kontak / Contact: {clean(report.reporter_contact) or '-'}")
    relation = RELATIONS.get(report.reporter_relation, clean(report.reporter_relation))
    lines.append(f"  Hubungan / Relation: {relation or '-'}")
    lines.append(click.style("Pernyataan / Declarations", bold=True))
    for key, label in DECLARATION_LABELS.items():
        lines.append(f"  [{'x' if report.declarations[key] else ' '}] {label}")
    field("Bahasa formulir / Form language", clean(report.lang))
    lines.append(click.style("Lampiran / Attachments", bold=True))
    for n, entry in enumerate(report.attachments, 1):
        lines.append(
            f"  {n}. {clean(entry.name) or '-'} ({clean(entry.type) or '?'}, {size(entry.size)})"
        )
        if entry.sha256:
            lines.append(f"     SHA-256: {entry.sha256}")
    if report.attachments:
        lines.append(f"  → wbs inbox export {display(report.id)} --to FOLDER")
    else:
        lines.append("  -")
    return "\n".join(lines)


def size(n: int) -> str:
    """``1.5 MiB``, ``12 bytes``: binary units, one decimal."""
    if n < 1024:
        return f"{n} byte" if n == 1 else f"{n} bytes"
    value, units = n / 1024, ["KiB", "MiB", "GiB", "TiB"]
    while value >= 1024 and len(units) > 1:
        value /= 1024
        units.pop(0)
    return f"{value:.1f} {units[0]}"


def files_table(report_id: str, source: str = "") -> Table:
    """The files of one case; ``source`` names the message they came with."""
    table = Table(
        title=f"Lampiran / Attachments {display(report_id)}" + (f" — {source}" if source else ""),
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("#", justify="right")
    table.add_column("Nama / Name", ratio=1, min_width=12)
    table.add_column("Jenis / Type")
    table.add_column("Ukuran / Size", justify="right", no_wrap=True)
    table.add_column("SHA-256", no_wrap=True)
    table.add_column("Tersimpan / Stored", no_wrap=True)
    return table


def add_file_row(table: Table, n: int, entry: Attachment, stored: Text) -> None:
    table.add_row(
        str(n),
        Text(clean(entry.name) or "-"),
        Text(clean(entry.type) or "?"),
        size(entry.size),
        entry.sha256 or "-",
        stored,
    )
