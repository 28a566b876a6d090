"""A case's evidence files, opened in the page: decrypted from storage into memory (never to
disk), checked as `wbs inbox export` checks them, and answered with a type the browser may
show only when it is on a short list of images, audio, video and PDF.

The type in the manifest was chosen by the reporter's browser: anything else (HTML, SVG,
scripts, unknown types) is answered as a download, ``application/octet-stream``, with
``nosniff``, so nothing a stranger sent can run on the workbench's origin.
"""

from __future__ import annotations

import io
from typing import NamedTuple
from urllib.parse import quote

from functions.errors import WbsError
from functions.storage import Storage
from wbs.attachments import Attachment
from wbs.cases import evidence
from wbs.export import safe_name

# Shown in the page (img, audio, video elements; a PDF in the browser's viewer).
IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
AUDIO = frozenset({"audio/mpeg", "audio/ogg", "audio/wav", "audio/webm", "audio/mp4"})
VIDEO = frozenset({"video/mp4", "video/webm", "video/ogg"})
SHOWN = IMAGES | AUDIO | VIDEO | {"application/pdf"}
# A file larger than this is not decrypted into memory for the page: export it instead.
MAX_VIEW_BYTES = 256 * 1024 * 1024


class TooLarge(WbsError, ValueError):
    """A file too large to open in the page."""


class Decrypted(NamedTuple):
    """The one file whose plaintext the session keeps, so that the range requests of a
    seek do not decrypt it again; dropped with the key."""

    report_id: str
    entry: Attachment
    data: bytes

    def holds(self, report_id: str, entry: Attachment) -> bool:
        return self.report_id == report_id and self.entry == entry


def kind(entry: Attachment) -> str:
    """How the case page shows a file: "image", "audio", "video", "pdf" or "" (download)."""
    if entry.type in IMAGES:
        return "image"
    if entry.type in AUDIO:
        return "audio"
    if entry.type in VIDEO:
        return "video"
    return "pdf" if entry.type == "application/pdf" else ""


def decrypt(store: Storage, report_id: str, entry: Attachment) -> bytes:
    """One file's plaintext, checked against its manifest entry (size, SHA-256) as
    `wbs inbox export` checks it; a WbsError (AttachmentError, StorageError, TooLarge) if it
    cannot be had, with its reason."""
    name = safe_name(entry.name, entry.id)
    if entry.size > MAX_VIEW_BYTES:
        raise TooLarge(
            f"{name} is too large to open in the page ({entry.size} bytes)",
            hint=f"export it: wbs inbox export {report_id} --to FOLDER",
        )
    sink = io.BytesIO()
    evidence.decrypt(store, report_id, entry, sink, name)
    return sink.getvalue()


def shown_as(entry: Attachment, download: bool) -> tuple[str, str]:
    """The Content-Type and Content-Disposition a file is answered with."""
    name = safe_name(entry.name, entry.id)
    shown = entry.type in SHOWN and not download
    how = "inline" if shown else "attachment"
    return (
        entry.type if shown else "application/octet-stream",
        f"{how}; filename*=UTF-8''{quote(name, safe='')}",
    )
