"""``wbs inbox files`` and ``wbs inbox export``: a case's evidence files (attachment-v1),
each shown with the message it came with (wbs/cases/evidence.py reads them)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.text import Text

from functions.attachment_size import stored_size
from functions.errors import StorageError, WbsError
from functions.storage import Storage, layout
from wbs import console, registration, thread, view
from wbs.attachments import Attachment, AttachmentError
from wbs.cache import Cache
from wbs.cases import evidence, opening
from wbs.cases.evidence import Source
from wbs.commands.options import (
    key_option,
    keyring_option,
    reader,
    record_access,
    settings,
    storage_option,
)
from wbs.export import free_path, prepare_folder, safe_name
from wbs.reports import Reader


def label(source: Source) -> str:
    """The heading of a message's files: "laporan / report", or "tindak lanjut / follow-up
    [n] <time>", n as `inbox show` counts."""
    if source.sent is None:
        return "laporan / report"
    return f"tindak lanjut / follow-up [{source.post}] {view.received(source.sent)}"


def case_files(cache: Cache, unlocked: Reader, report_id: str) -> list[Source]:
    """The files of the case's messages; a follow-up that cannot be read is named on stderr:
    its files are unknown."""
    report = opening.open_report(cache, unlocked, report_id)
    case = thread.read(cache, unlocked, report_id, report.reporter_signing_key)
    if case.unreadable:
        click.echo(
            f"wbs: note: {len(case.unreadable)} message(s) of this case could not be read;"
            " files they may list are not shown (see: wbs inbox show)",
            err=True,
        )
    return evidence.sources(report, case)


@click.command()
@click.argument("number")
@storage_option
@key_option
@keyring_option
def files(number: str, storage: str | None, key: Path | None, keyring: Path) -> None:
    """List a case's evidence files: name, type, size, SHA-256, and whether storage holds
    each one (with the size the manifest implies).

    NUMBER is the registration number, or any unique start of it.
    """
    configured = settings(storage)
    cache = Cache.for_storage(configured.storage_url)
    report_id = registration.resolve(number, cache.ids())
    sources = case_files(cache, reader(key, keyring, cache), report_id)
    if not sources:
        click.echo(f"report {registration.display(report_id)} has no attachments")
        return
    listed = configured.open_storage().list(layout.attachments(report_id))
    stored = {info.key: info.size for info in listed}
    n = 0
    for source in sources:
        table = view.files_table(report_id, label(source))
        for entry in source.files:
            n += 1
            view.add_file_row(table, n, entry, _presence(stored, report_id, entry))
        console.out.print(table)


def _presence(stored: dict[str, int], report_id: str, entry: Attachment) -> Text:
    found = stored.get(layout.attachment(report_id, entry.id))
    if found is None:
        return Text("✗ missing", style="bold red")
    expected = stored_size(entry.size, entry.chunk)
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
    unlocked = reader(key, keyring, cache)
    sources = case_files(cache, unlocked, report_id)
    if not sources:
        click.echo(f"report {registration.display(report_id)} has no attachments")
        return
    record_access(configured, cache, report_id, "files", keyring, unlocked)
    store = configured.open_storage()
    failed = 0
    everything = [(label(source), entry) for source in sources for entry in source.files]
    for source_label, entry in everything:
        name = view.clean(entry.name) or entry.id
        path = free_path(target, safe_name(entry.name, entry.id))
        try:
            digest = _export_one(store, report_id, entry, name, path)
        except AttachmentError as exc:
            console.error(str(exc))
        except (StorageError, OSError) as exc:
            console.error(f"attachment {name}: {_words(exc)}")
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


def _export_one(store: Storage, report_id: str, entry: Attachment, name: str, path: Path) -> str:
    """Export one file; return its plaintext's SHA-256, for the case record."""
    with console.transfer(name, stored_size(entry.size, entry.chunk)) as advance:
        return evidence.save(store, report_id, entry, path, name, advance)


def _words(exc: StorageError | OSError) -> str:
    if isinstance(exc, OSError) and not isinstance(exc, StorageError):
        return f"cannot write {exc.filename or 'the file'}: {exc.strerror or exc}"
    return str(exc)
