"""``wbs backup``: an encrypted copy of every stored object (ciphertext only, never a key),
checked end to end, and restored create-only (docs/backup.md)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from functions.errors import WbsError
from wbs import console, passphrase
from wbs.backup import BackupError, run
from wbs.backup.archive import Entry
from wbs.backup.stores import open_store
from wbs.commands.options import settings, storage_option
from wbs.view import size

ENV = "WBS_BACKUP_PASSPHRASE"
file_argument = click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))


@click.group()
def backup() -> None:
    """Back up the stored ciphertext into one encrypted file; check it; restore it.

    The file is encrypted with a passphrase of its own (Argon2id, libsodium secretstream),
    asked on the terminal or taken from WBS_BACKUP_PASSPHRASE: keep it apart from the file.
    It holds no private key: restoring gives back the stored reports, files, messages,
    notes, grants and the audit trail, which only the inspectors' keys open.
    """


@backup.command()
@click.option(
    "--to",
    "target",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="The new backup file (never replaces one).",
)
@storage_option
def create(target: Path, storage: str | None) -> None:
    """Copy every stored object, with its S3 tags, into a new encrypted FILE.

    The passphrase is asked twice (at least 12 characters). The storage is the one the
    service and `wbs inbox sync` use; on S3 the credentials need ListBucket, GetObject and
    GetObjectTagging on all of it.
    """
    configured = settings(storage)
    store = open_store(configured)
    secret = passphrase.ask_new("Passphrase for the backup", env=ENV)
    started = time.monotonic()
    listing = list(store.objects())
    with console.transfer("Backing up", sum(o.size for o in listing)) as advance:
        done = run.create(store, listing, configured.storage_url, target, secret, advance)
    seconds = time.monotonic() - started
    click.echo(
        f"backed up {_count(done.objects, 'object')} ({size(done.bytes)}) of"
        f" {configured.storage_url} into {target} in {seconds:.1f} s"
    )
    if done.vanished:
        click.echo(
            f"wbs: note: {_count(done.vanished, 'object')} went between the listing and its"
            " read (spent proofs expire): left out",
            err=True,
        )
    if not done.objects:
        click.echo(
            f"wbs: note: {configured.storage_url} holds no stored object: is it the service's"
            " storage? name it with --storage URL (or WBS_STORAGE)",
            err=True,
        )
    if store.skipped:
        click.echo(
            f"wbs: note: {_count(store.skipped, 'object')} outside the system's folders"
            " left out (docs/architecture.md, Stored objects)",
            err=True,
        )
    click.echo(f"next: check it, then keep it and its passphrase apart: wbs backup verify {target}")


@backup.command()
@file_argument
@click.option("--list", "listing", is_flag=True, help="Also list every object: key, size, tags.")
def verify(file: Path, listing: bool) -> None:
    """Check FILE end to end: the passphrase, every chunk, every object's SHA-256, the count.

    Nothing is written anywhere.
    """
    secret = passphrase.ask("Passphrase for the backup", env=ENV)

    def show(entry: Entry) -> None:
        tags = " ".join(f"{k}={v}" for k, v in sorted(entry.tags.items()))
        click.echo(f"{entry.key}\t{entry.size}\t{entry.sha256}\t{tags}".rstrip("\t"))

    with console.transfer("Checking", file.stat().st_size) as advance:
        done = run.verify(file, secret, advance, show if listing else None)
    click.echo(
        f"{file}: intact: {_count(done.objects, 'object')} ({size(done.bytes)}),"
        f" {done.tagged} with tags, backed up from {done.info.source} at {done.info.created}"
    )


@backup.command()
@file_argument
@storage_option
def restore(file: Path, storage: str | None) -> None:
    """Put back every object of FILE that the storage lacks; never replace one.

    All of FILE is checked before anything is written: a wrong passphrase, or a file damaged
    or cut short, changes nothing. An object already stored with the same bytes (and tags) is
    skipped, so running it again finishes an interrupted restore; one stored with other bytes
    is left alone and named, and the command fails.
    """
    configured = settings(storage)
    store = open_store(configured)
    secret = passphrase.ask("Passphrase for the backup", env=ENV)
    done = run.Restored()
    try:
        with console.transfer("Restoring", 2 * file.stat().st_size) as advance:
            run.restore(file, store, secret, advance, done)
    except BackupError:
        raise
    except (WbsError, OSError, KeyboardInterrupt) as exc:
        reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else _reason(exc)
        raise WbsError(
            f"restore stopped after {_count(done.restored, 'restored object')}: {reason}",
            hint=f"what was restored is kept; wbs backup restore {file} again does the rest",
        ) from None
    click.echo(
        f"restored {_count(done.restored, 'object')} ({size(done.bytes)}) into"
        f" {configured.storage_url}; {done.present} already there and the same;"
        f" {len(done.differ)} stored otherwise (left alone)"
    )
    if done.untagged:
        click.echo(
            f"wbs: note: {_count(done.untagged, 'object')} had S3 tags, which a folder does"
            " not keep",
            err=True,
        )
    for key in done.differ:
        click.echo(f"wbs: note: {key} is stored with other bytes or tags: left alone", err=True)
    if done.differ:
        raise WbsError(
            f"{_count(len(done.differ), 'stored object')}"
            f" {'differs' if len(done.differ) == 1 else 'differ'} from the backup",
            hint=f"nothing was replaced; compare with: wbs backup verify {file} --list",
        )
    if done.restored or done.present:
        click.echo("next: fetch them: wbs inbox sync")


def _reason(exc: WbsError | OSError) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror + (f": {exc.filename}" if exc.filename else "")
    return str(exc)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
