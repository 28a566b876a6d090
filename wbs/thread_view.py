"""How a case's thread looks on the terminal: its status with the history, then every message.

Messages were typed by the reporter or an inspector; they are printed through
``view.clean`` like the report itself.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import click

from wbs import statuses
from wbs.messages import Message
from wbs.thread import Post, Thread
from wbs.view import clean, received, size

UNVERIFIED = "TIDAK TERVERIFIKASI, tidak berlaku / NOT VERIFIED, counts for nothing:"
Person = Callable[[str], str]  # a key id as it is shown: its holder's label
SENDERS = {"reporter": "Pelapor / Reporter", "inspectorate": "Inspektorat"}
STRAYS = "waktu tulis jauh dari waktu diterima / written far from when it was stored:"


def who(post: Post, person: Person) -> str:
    """The sender; for the inspectorate, the inspector's label in the keyring."""
    name = SENDERS[post.sender]
    if post.sender != "inspectorate":
        return name
    return f"{name} ({clean(person(post.message.by))})"


def status_block(
    thread: Thread, report_received: datetime.datetime, due: str, person: Person
) -> str:
    """The current status, the deadline, and every change since the report arrived."""
    bold = click.style
    lines = [
        f"{bold('Status:', bold=True)} {statuses.label(thread.status)} ({thread.status})",
        f"{bold('Tenggat / Deadline:', bold=True)} {due or '- (feedback given)'}",
        bold("Riwayat status / Status history", bold=True),
        f"  {received(report_received)}  {statuses.label(statuses.INITIAL)}"
        "  (laporan diterima / report received)",
    ]
    for post in thread.changes:
        change = f"  {received(post.message.sent)}  {statuses.label(post.message.status)}"
        if post.message.reason:
            change += f" — alasan / reason: {clean(post.message.reason)}"
        lines.append(f"{change}  [{who(post, person)}]")
    return "\n".join(lines)


def messages_block(thread: Thread, person: Person) -> str:
    """Every message, oldest first, numbered; a status message shows the change it made."""
    lines = [click.style(f"Percakapan / Thread ({len(thread.posts)})", bold=True)]
    status = statuses.INITIAL
    for n, post in enumerate(thread.posts, 1):
        message = post.message
        if message.type == "status":
            what = f"status: {statuses.label(status)} → {statuses.label(message.status)}"
            status = message.status
        else:
            what = "pesan / message"
        lines.append(
            click.style(f"[{n}] {received(message.sent)}  {who(post, person)} · {what}", bold=True)
        )
        if post.unverified:
            lines.append(f"    ⚠ {UNVERIFIED} {post.unverified}")
        if post.strays:
            lines.append(f"    ⚠ {STRAYS} {received(post.stored)}")
        lines.extend(_body(message))
    if not thread.posts:
        lines.append("  - (belum ada pesan / no messages yet)")
    if thread.replayed:
        lines.append(
            f"({len(thread.replayed)} salinan berulang diabaikan / repeated copies dropped:"
            f" {', '.join(thread.replayed)})"
        )
    return "\n".join(lines)


def _body(message: Message) -> list[str]:
    lines: list[str] = []
    if message.reason:
        lines.append(f"    Alasan / Reason: {clean(message.reason)}")
    indent = "    "
    if message.text and message.type == "status":
        lines.append("    Catatan / Note:")
        indent = "      "
    lines.extend(indent + line for line in clean(message.text, multiline=True).splitlines())
    if message.attachments:
        lines.append("    Lampiran / Attachments:")
        for n, entry in enumerate(message.attachments, 1):
            kind = clean(entry.type) or "?"
            lines.append(f"      {n}. {clean(entry.name) or '-'} ({kind}, {size(entry.size)})")
    return lines


def reading(thread: Thread, report_received: datetime.datetime, due: str, person: Person) -> str:
    """The status block and the thread; ``person`` shows a key id as its holder's label."""
    status = status_block(thread, report_received, due, person)
    return f"{status}\n\n{messages_block(thread, person)}"
