"""``wbs inbox``: fetch encrypted reports, list them, read one. Plaintext stays in memory."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from functions.config import Settings
from functions.errors import EnvelopeError, WbsError
from wbs import console, keyfile, passphrase, registration, view
from wbs.cache import Cache
from wbs.crypto import DecryptionError, NoMatchingKey
from wbs.reports import PayloadError, Reader, Report, Stored, parse_stored

# What can go wrong with one report without stopping the others.
UNREADABLE = (EnvelopeError, DecryptionError, PayloadError)
T = TypeVar("T")

storage_option = click.option(
    "--storage",
    metavar="URL",
    help="Where reports are stored: local:/path or s3://bucket/prefix"
    "  [default: WBS_STORAGE, else local:$WBS_HOME/storage]",
)
key_option = click.option(
    "--key",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="WBS_KEY",
    help="Your private key file (also WBS_KEY)  [default: the only *.key in $WBS_HOME/keys]",
)


@click.group()
def inbox() -> None:
    """Fetch, list and read reports (decrypted in memory only).

    The passphrase is asked once per command, or taken from WBS_PASSPHRASE.
    """


@inbox.command()
@storage_option
def sync(storage: str | None) -> None:
    """Copy new encrypted reports into the local cache (ciphertext only)."""
    settings = _settings(storage)
    store = settings.open_storage()
    cache = Cache.for_storage(settings.storage_url)
    missing = cache.missing(store)
    for report_id in _progress(missing, "Fetching"):
        cache.fetch(store, report_id)
    total = len(cache.ids())
    click.echo(f"{len(missing)} new {_reports(len(missing))} ({total} in the cache)")


@inbox.command("list")
@storage_option
@key_option
def list_reports(storage: str | None, key: Path | None) -> None:
    """Decrypt every cached report in memory and list them."""
    cache = Cache.for_storage(_settings(storage).storage_url)
    ids = cache.ids()
    if not ids:
        click.echo("no reports in the cache yet; fetch them with: wbs inbox sync", err=True)
        return
    reader = _reader(key)
    opened: list[tuple[str, datetime.datetime | None, Report | None]] = []
    for report_id in _progress(ids, "Decrypting"):
        stored: Stored | None = None
        try:
            stored = parse_stored(report_id, cache.read(report_id))
            opened.append((report_id, stored.received, reader.open(stored)))
        except UNREADABLE as exc:
            console.error(f"report {registration.display(report_id)}: {exc}")
            opened.append((report_id, stored.received if stored else None, None))
    table = view.inbox_table()
    epoch = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    for report_id, received, report in sorted(opened, key=lambda o: (o[1] or epoch, o[0])):
        if report is None:
            view.add_failed_row(table, report_id, received)
        else:
            view.add_row(table, report)
    console.out.print(table)
    failed = sum(1 for _, _, report in opened if report is None)
    if failed:
        raise WbsError(
            f"{failed} of {len(ids)} {_reports(len(ids))} could not be opened",
            hint="wbs inbox show <number> explains each one",
        )


@inbox.command()
@click.argument("number")
@storage_option
@key_option
def show(number: str, storage: str | None, key: Path | None) -> None:
    """Decrypt one report in memory and print it.

    NUMBER is its registration number, or any unique start of it (case and dashes do not
    matter).
    """
    cache = Cache.for_storage(_settings(storage).storage_url)
    report_id = registration.resolve(number, cache.ids())
    reader = _reader(key)
    stored: Stored | None = None
    try:
        stored = parse_stored(report_id, cache.read(report_id))
        report = reader.open(stored)
    except UNREADABLE as exc:
        raise WbsError(
            f"report {registration.display(report_id)}: {exc}", hint=_why(exc, stored)
        ) from None
    click.echo(view.reading(report))


def _settings(storage: str | None) -> Settings:
    settings = Settings.from_env()
    return dataclasses.replace(settings, storage_url=storage) if storage else settings


def _reader(key: Path | None) -> Reader:
    """Unlock the inspector's key: the passphrase is asked here, once per command."""
    path = keyfile.locate(key)
    info = keyfile.inspect(path)
    secret = passphrase.ask(f"Passphrase for {path} ({info.label})")
    return Reader(keyfile.unlock(path, secret))


def _why(exc: Exception, stored: Stored | None) -> str:
    if isinstance(exc, NoMatchingKey) and stored is not None:
        kids = ", ".join(r.kid for r in stored.envelope.recipients)
        return f"it is addressed to key(s) {kids}; open it with one of them: --key PATH"
    if isinstance(exc, DecryptionError):
        return "the stored copy was altered or damaged; its ciphertext no longer verifies"
    if isinstance(exc, PayloadError):
        return "it decrypted, but holds no report this version of wbs can read"
    return "the stored object is not a well-formed report"


def _progress(items: list[T], what: str) -> Iterable[T]:
    """Iterate with a progress bar on stderr (shown on a terminal only, then cleared)."""
    columns = (TextColumn(what), BarColumn(), MofNCompleteColumn())
    shown = console.err.is_terminal
    with Progress(*columns, console=console.err, transient=True, disable=not shown) as progress:
        yield from progress.track(items, total=len(items))


def _reports(n: int) -> str:
    return "report" if n == 1 else "reports"
