"""Options several commands share, so that they read the same everywhere, and what they open."""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path

import click

from functions.config import Settings
from wbs import audit, keyfile, passphrase, paths, statuses
from wbs.cache import Cache
from wbs.reports import Reader
from wbs.signing import Signers

keyring_option = click.option(
    "--keyring",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="WBS_KEYRING",
    default=paths.DEFAULT_KEYRING,
    show_default=True,
    help="The public keyring (also WBS_KEYRING).",
)
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
config_option = click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="WBS_CONFIG",
    help="The institution's config file (also WBS_CONFIG)"
    "  [default: site/config.toml of the project if present, else the built-in defaults]",
)


class StatusType(click.ParamType[str]):
    """A case status, by its id or its Indonesian label, in any case."""

    name = "status"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> str:
        status = statuses.resolve(str(value))
        if status is None:
            self.fail(f"{value!r} is not a status; one of: {', '.join(statuses.STATUSES)}")
        return status


def settings(storage: str | None) -> Settings:
    configured = Settings.from_env()
    return dataclasses.replace(configured, storage_url=storage) if storage else configured


def reader(key: Path | None, keyring: Path) -> Reader:
    """Unlock the inspector's key: the passphrase is asked here, once per command. What
    inspectors signed is checked against ``keyring``; without one, nothing verifies, and a
    note says so."""
    path = keyfile.locate(key)
    info = keyfile.inspect(path)
    secret = passphrase.ask(f"Passphrase for {path} ({info.label})")
    signers = Signers.from_keyring(keyring)
    if signers.problem:
        click.echo(
            f"wbs: note: {signers.problem}: no reply, status change or note counts as"
            " verified; name the keyring with --keyring PATH (or WBS_KEYRING)",
            err=True,
        )
    return Reader(keyfile.unlock(path, secret), signers)


def record_access(
    configured: Settings,
    cache: Cache,
    report_id: str,
    action: str,
    keyring: Path,
    unlocked: Reader,
) -> None:
    """Put an access into the case's audit trail; a note on stderr if it is not stored yet."""
    now = datetime.datetime.now(datetime.UTC)
    problem = audit.record(
        configured.open_storage, cache, report_id, action, keyring, unlocked, now
    )
    if problem:
        click.echo(f"wbs: note: {problem}", err=True)
