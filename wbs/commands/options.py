"""Options several commands share, so that they read the same everywhere, and what they open."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable
from pathlib import Path

import click

from functions.config import Settings
from functions.errors import StorageError, WbsError
from functions.keyring import Keyring, load
from functions.storage import Storage
from wbs import audit, keyfile, passphrase, paths, statuses
from wbs.cache import Cache
from wbs.crypto import Identity
from wbs.remote_storage import RemoteStorage
from wbs.reports import Reader
from wbs.signing import Signers

# click's Context.meta, shared by a command's contexts: the key the command unlocked, which
# signs its requests to an inspector API (wbs+https://).
UNLOCKED = "wbs.unlocked"

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
    help="Where reports are stored: local:/path, s3://bucket/prefix, or a self-hosted"
    " service's inspector API, wbs+https://host (requests signed with your key)"
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


def settings(storage: str | None, signer: Callable[[], Identity] | None = None) -> Settings:
    """The settings of WBS_* with ``storage`` (--storage) on top. An inspector API's requests
    are signed with ``signer``'s key (the workbench's unlocked one), else the command's."""
    configured = Settings.from_env()
    configured = dataclasses.replace(configured, storage_url=storage) if storage else configured
    if signer is not None:
        return dataclasses.replace(
            configured, remote=lambda url: RemoteStorage.from_env(url, signer)
        )
    return dataclasses.replace(configured, remote=_remote)


def _remote(url: str) -> Storage:
    """An inspector API, whose requests the running command's key signs: the one it has
    unlocked, else its --key (or the only key), unlocked at the first request."""
    context = click.get_current_context(silent=True)
    return RemoteStorage.from_env(url, lambda: _signing_identity(context, url))


def _signing_identity(context: click.Context | None, url: str) -> Identity:
    if context is None:
        raise StorageError(
            f"requests to {url} are signed with your key, and no command has unlocked it",
            hint="run a wbs inbox command, which asks for the passphrase",
        )
    held = context.meta.get(UNLOCKED)
    if not isinstance(held, Identity):
        chosen = context.params.get("key")
        path = keyfile.locate(chosen if isinstance(chosen, Path) else None)
        info = keyfile.inspect(path)
        held = keyfile.unlock(path, passphrase.ask(f"Passphrase for {path} ({info.label})"))
        context.meta[UNLOCKED] = held
    return held


def held_key(kid: str) -> Identity | None:
    """The key the running command has unlocked already, if it is ``kid``'s: a command that
    read an inspector API before unlocking asks for the passphrase once, not twice."""
    context = click.get_current_context(silent=True)
    held = context.meta.get(UNLOCKED) if context is not None else None
    return held if isinstance(held, Identity) and held.kid == kid else None


def remember(identity: Identity) -> None:
    """Keep the key the running command unlocked: it signs the command's requests to an
    inspector API."""
    context = click.get_current_context(silent=True)
    if context is not None:
        context.meta[UNLOCKED] = identity


def reader(key: Path | None, keyring: Path, cache: Cache | None = None) -> Reader:
    """Unlock the inspector's key: the passphrase is asked here, once per command. The desk
    keys and shared cases of the grants in ``cache`` are opened with it, each checked against
    ``keyring`` (a grant that fails is said here, once, and never used); what inspectors
    signed is checked against it too. Without a keyring, nothing verifies, and a note says
    so. Without ``cache``, no grant is opened: the key's own envelopes only."""
    path = keyfile.locate(key)
    info = keyfile.inspect(path)
    secret = passphrase.ask(f"Passphrase for {path} ({info.label})")
    try:
        ring: Keyring | None = load(keyring)
        signers = Signers(ring)
    except WbsError as exc:
        ring, signers = None, Signers(None, f"no keyring to check signatures against ({exc})")
    if signers.problem:
        click.echo(
            f"wbs: note: {signers.problem}: no grant is opened, and no reply, status change"
            " or note counts as verified; name the keyring with --keyring PATH (or WBS_KEYRING)",
            err=True,
        )
    stored = cache.grants() if cache is not None else []
    identity = keyfile.unlock(path, secret)
    remember(identity)
    unlocked = Reader.unlocked(identity, ring, stored, signers)
    for problem in unlocked.problems:
        click.echo(f"wbs: note: {problem}", err=True)
    return unlocked


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
