"""A case's evidence files (attachment-v1): which files each message brought, and each
stored file decrypted from storage as a stream, chunk by chunk.

The list comes from the manifests of the report and of every reporter follow-up
(mailbox-v1 section 4), decrypted in memory. `wbs inbox sync` does not copy evidence into
the cache: every reader here (`wbs inbox export`, the workbench's page and its folder, the
case file's hashes) streams the object from storage, so memory stays bounded by a few chunks.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from functions.storage import Readable, Storage, layout
from wbs import attachments, thread
from wbs.attachments import Attachment, Writable
from wbs.reports import Report


class Source(NamedTuple):
    """The files that came with one message: the report (``post`` 0, ``sent`` None), or the
    reporter's follow-up that is post number ``post`` of the thread (as `inbox show` counts)."""

    post: int
    sent: datetime.datetime | None
    files: tuple[Attachment, ...]


def sources(report: Report, case: thread.Thread) -> list[Source]:
    """The files of the report, then of each follow-up in thread order; only messages that
    brought files. A follow-up that cannot be read is in ``case.unreadable``: its files are
    unknown."""
    found = [Source(0, None, report.attachments)] if report.attachments else []
    for n, post in enumerate(case.posts, 1):
        if post.sender == "reporter" and post.message.attachments:
            found.append(Source(n, post.message.sent, post.message.attachments))
    return found


def entries(report: Report, case: thread.Thread) -> list[Attachment]:
    """Every file of a case: the report's, then each reporter follow-up's, in thread order."""
    return [entry for source in sources(report, case) for entry in source.files]


def find(report: Report, case: thread.Thread, file_id: str) -> Attachment | None:
    """The manifest entry of ``file_id``: in the report, or in a reporter's follow-up."""
    return next((entry for entry in entries(report, case) if entry.id == file_id), None)


def decrypt(
    store: Storage,
    report_id: str,
    entry: Attachment,
    sink: Writable,
    label: str = "",
    advance: Callable[[int], None] | None = None,
) -> str:
    """Decrypt one stored file into ``sink``, checked as attachment-v1 says; return the
    plaintext's SHA-256. ``advance`` is told how many stored bytes each read took. Raises
    AttachmentError naming ``label`` (or StorageError, OSError); ``sink`` may then hold part
    of the plaintext."""
    with _stored(store, report_id, entry, advance) as stream:
        return attachments.decrypt(stream, sink, report_id, entry, label)


def save(
    store: Storage,
    report_id: str,
    entry: Attachment,
    path: Path,
    label: str = "",
    advance: Callable[[int], None] | None = None,
) -> str:
    """Decrypt one stored file into the new file ``path``, which gets its name only once
    every check passed (``attachments.decrypt_to_file``); return the plaintext's SHA-256."""
    with _stored(store, report_id, entry, advance) as stream:
        return attachments.decrypt_to_file(stream, path, report_id, entry, label)


@contextlib.contextmanager
def _stored(
    store: Storage, report_id: str, entry: Attachment, advance: Callable[[int], None] | None
) -> Iterator[Readable]:
    stream = store.stream(layout.attachment(report_id, entry.id))
    try:
        yield stream if advance is None else _Counted(stream, advance)
    finally:
        with contextlib.suppress(OSError):
            stream.close()


class _Counted:
    """A stream that reports how many bytes have been read, for a progress bar."""

    def __init__(self, stream: Readable, advance: Callable[[int], None]) -> None:
        self.stream = stream
        self.advance = advance

    def read(self, size: int, /) -> bytes:
        data = self.stream.read(size)
        self.advance(len(data))
        return data

    def close(self) -> None:
        self.stream.close()
