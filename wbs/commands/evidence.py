"""``wbs inbox files`` and ``wbs inbox export``: a case's evidence files (attachment-v1).

The list comes from the manifests of the report and of every follow-up (mailbox-v1
section 4), decrypted in memory; each file is shown with the message it came with.
`wbs inbox sync` does not copy evidence into the cache: `export` streams each object from
storage and decrypts it, chunk by chunk, into the folder the inspector chose.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import click
from rich.text import Text

from functions.errors import StorageError, WbsError
from functions.storage import Readable, Storage
from wbs import attachments, console, registration, thread, view
from wbs.attachments import Attachment, AttachmentError
from wbs.cache import Cache
from wbs.commands import cases
from wbs.commands.options import key_option, keyring_option, reader, settings, storage_option
from wbs.export import free_path, prepare_folder, safe_name
from wbs.reports import Reader

PREFIX = "attachments/"
REPORT = "laporan / report"


def object_key(report_id: str, file_id: str) -> str:
    return f"{PREFIX}{report_id}/{file_id}"


class Source(NamedTuple):
    """The files that came with one message: the report, or one follow-up."""

    label: str  # "laporan / report" or "tindak lanjut / follow-up [n] <time>"
    files: tuple[Attachment, ...]


def case_files(cache: Cache, unlocked: Reader, report_id: str) -> list[Source]:
    """The files of the report, then of each follow-up in thread order (as ``inbox show``
    numbers them). A follow-up that cannot be read is named on stderr: its files are unknown."""
    report = cases.open_report(cache, unlocked, report_id)
    sources = [Source(REPORT, report.attachments)] if report.attachments else []
    case = thread.read(cache, unlocked, report_id)
    for n, post in enumerate(case.posts, 1):
        if post.sender == "reporter" and post.message.attachments:
            label = f"tindak lanjut / follow-up [{n}] {view.received(post.message.sent)}"
            sources.append(Source(label, post.message.attachments))
    if case.unreadable:
        click.echo(
            f"wbs: note: {len(case.unreadable)} message(s) of this case could not be read;"
            " files they may list are not shown (see: wbs inbox show)",
            err=True,
        )
    return sources


@click.command()
@click.argument("number")
@storage_option
@key_option
def files(number: str, storage: str | None, key: Path | None) -> None:
    """List a case's evidence files: name, type, size, SHA-256, and whether storage holds
    each one (with the size the manifest implies).

    NUMBER is the registration number, or any unique start of it.
    """
    configured = settings(storage)
    cache = Cache.for_storage(configured.storage_url)
    report_id = registration.resolve(number, cache.ids())
    sources = case_files(cache, reader(key), report_id)
    if not sources:
        click.echo(f"report {registration.display(report_id)} has no attachments")
        return
    stored = {
        info.key: info.size for info in configured.open_storage().list(f"{PREFIX}{report_id}/")
    }
    n = 0
    for source in sources:
        table = view.files_table(report_id, source.label)
        for entry in source.files:
            n += 1
            view.add_file_row(table, n, entry, _presence(stored, report_id, entry))
        console.out.print(table)


def _presence(stored: dict[str, int], report_id: str, entry: Attachment) -> Text:
    found = stored.get(object_key(report_id, entry.id))
    if found is None:
        return Text("✗ missing", style="bold red")
    expected = attachments.stored_size(entry.size, entry.chunk)
    if found != expected:
        return Text(f"⚠ {found} bytes, not {expected}", style="bold yellow")
    return Text("✓")


@click.command()
@click.argument("number")
@click.option(
    "--to",
    "folder",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    metavar="FOLDER",
    help="Where to write the decrypted files (created if missing, mode 0700); never inside"
    " the project, a git work tree, keys/ or site/.",
)
@storage_option
@key_option
@keyring_option
def export(number: str, folder: Path, storage: str | None, key: Path | None, keyring: Path) -> None:
    """Download a case's evidence files from storage and decrypt them into FOLDER.

    Each file is streamed and decrypted one chunk at a time, whatever its size; every chunk,
    the final tag, the size and the SHA-256 are checked before the file gets its name, so a
    file that fails leaves nothing behind. Existing files are never replaced: a name that is
    taken gets " (2)", " (3)"… A file that fails is named, the others are still exported,
    and the command exits 1.
    """
    target = prepare_folder(folder)
    configured = settings(storage)
    cache = Cache.for_storage(configured.storage_url)
    report_id = registration.resolve(number, cache.ids())
    unlocked = reader(key)
    sources = case_files(cache, unlocked, report_id)
    if not sources:
        click.echo(f"report {registration.display(report_id)} has no attachments")
        return
    cases.record_access(configured, cache, report_id, "files", keyring, unlocked)
    store = configured.open_storage()
    failed = 0
    everything = [(source.label, entry) for source in sources for entry in source.files]
    for source_label, entry in everything:
        label = view.clean(entry.name) or entry.id
        path = free_path(target, safe_name(entry.name, entry.id))
        try:
            digest = _export_one(store, report_id, entry, label, path)
        except AttachmentError as exc:
            console.error(str(exc))
        except (StorageError, OSError) as exc:
            console.error(f"attachment {label}: {_words(exc)}")
        else:
            click.echo(f"{path}  {view.size(entry.size)}  sha256 {digest}  ({source_label})")
            continue
        failed += 1
    if failed:
        raise WbsError(
            f"{failed} of {len(everything)} attachments of report"
            f" {registration.display(report_id)} could not be exported",
            hint="a file fails when its stored object is missing, altered or cut short;"
            f" see which are stored: wbs inbox files {number}",
        )


def _export_one(store: Storage, report_id: str, entry: Attachment, label: str, path: Path) -> str:
    """Export one file; return its plaintext's SHA-256, for the case record."""
    total = attachments.stored_size(entry.size, entry.chunk)
    stream = store.stream(object_key(report_id, entry.id))
    with contextlib.closing(stream), console.transfer(label, total) as advance:
        return attachments.decrypt_to_file(_Counted(stream, advance), path, report_id, entry, label)


def _words(exc: StorageError | OSError) -> str:
    if isinstance(exc, OSError) and not isinstance(exc, StorageError):
        return f"cannot write {exc.filename or 'the file'}: {exc.strerror or exc}"
    return str(exc)


class _Counted:
    """A stream that reports how many bytes have been read, for the progress bar."""

    def __init__(self, stream: Readable, advance: Callable[[int], None]) -> None:
        self.stream = stream
        self.advance = advance

    def read(self, size: int, /) -> bytes:
        data = self.stream.read(size)
        self.advance(len(data))
        return data

    def close(self) -> None:
        self.stream.close()
