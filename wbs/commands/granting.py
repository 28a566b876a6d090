"""Who signs a desk change: your own key, unlocked with its passphrase, or the recovery key,
put together from the shares its holders type (or, less safely, from a file); and the persons
a desk is granted to."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import click

from functions.keyring import KeyEntry, Keyring, KeyringError, RecoveryEntry
from functions.storage import Storage
from wbs import console, keyfile, passphrase, screen
from wbs.commands.options import held_key, remember
from wbs.crypto import Identity
from wbs.desks import membership, recovery
from wbs.desks.keys import Held, unlock
from wbs.desks.membership import DeskError, Granter

SHARES_ENV = "WBS_RECOVERY_SHARES"


@dataclass(frozen=True)
class Unlocked:
    """A person's unlocked key: what it holds, and it as a granter."""

    held: Held
    granter: Granter


def members(ring: Keyring, wanted: Sequence[str]) -> list[KeyEntry]:
    """The keyring persons named by key id or fingerprint: active, and able to sign."""
    found: list[KeyEntry] = []
    for text in wanted:
        entry = ring.find(text)
        if not entry.active:
            raise DeskError(
                f"{entry.label} ({entry.kid}) is a retired key: it is granted nothing",
                hint="wbs keys activate KID, or name another member",
            )
        if entry.signing_key is None:
            raise DeskError(
                f"{entry.label} ({entry.kid}) cannot sign what it writes yet",
                hint="its holder runs `wbs keys upgrade` first",
            )
        if entry not in found:
            found.append(entry)
    return found


def granter(
    ring: Keyring,
    store: Storage,
    key: Path | None,
    use_recovery: bool,
    shares_file: IO[str] | None,
    desk: str | None = None,
) -> Granter:
    """Your key (``key``), or the recovery key; with the generations it holds of ``desk``
    (of every desk when None: only that desk's grants are read from storage)."""
    if shares_file is not None and not use_recovery:
        raise DeskError("--shares-file goes with --recovery", hint="add --recovery")
    if not use_recovery:
        return unlocked(ring, store, key, desk=desk).granter
    return recovery_granter(ring, store, shares_file, desk)


def recovery_granter(
    ring: Keyring, store: Storage, shares_file: IO[str] | None, desk: str | None = None
) -> Granter:
    """The recovery key, from its shares, and the desk generations its grants give it (of
    ``desk``, or of every desk)."""
    entry = recovery_entry(ring)
    rescued = rescuer(entry, shares_file)
    held = unlock(rescued, ring, membership.stored_desk_grants(store, desk))
    for problem in held.problems:
        click.echo(f"wbs: note: {problem}", err=True)
    return Granter(rescued, entry.label, held.desks)


def recovery_entry(ring: Keyring) -> RecoveryEntry:
    if ring.recovery is None:
        raise DeskError("the keyring has no recovery key", hint="wbs desks init")
    return ring.recovery


@dataclass(frozen=True)
class Restored:
    """The recovery key put together from its shares, in memory: its master secret, its keys,
    and the SLIP-39 identifier of the set the shares came from."""

    master: bytes = field(repr=False)
    identity: Identity = field(repr=False)
    set_id: int


def restored(entry: RecoveryEntry, shares_file: IO[str] | None) -> Restored:
    """The recovery key, from any ``threshold`` shares (a file, the environment, or typed),
    in memory; DeskError if they give another key."""
    texts = given_shares(shares_file, entry.threshold) or typed_shares(entry)
    master = recovery.combine(texts)
    found = recovery.identity(master)
    if found.kid != entry.kid:
        raise DeskError(
            f"these shares give the recovery key {found.kid}, not this keyring's {entry.kid}",
            hint="type shares of this institution's set (the sheets name the key id)",
        )
    _matches(entry, found)
    return Restored(master, found, recovery.read_share(texts[0]).identifier)


def _matches(entry: RecoveryEntry, found: Identity) -> None:
    """DeskError unless every public key of the keyring's recovery entry is the one its shares
    derive: a keyring whose signing or X-Wing key was swapped would send the recovery key's
    copy of every hybrid report to someone else, or trust another's signature."""
    hybrid = None if found.xwing is None else found.xwing.public_key
    swapped = [
        name
        for name, theirs, ours in (
            ("public key", entry.public_key_bytes, found.public_key),
            ("signing key", entry.signing_key_bytes, found.verify_key),
            ("X-Wing key", entry.xwing_key_bytes, hybrid),
        )
        if theirs is not None and theirs != ours
    ]
    if swapped:
        raise DeskError(
            f"the keyring's recovery entry {entry.kid} has another {' and '.join(swapped)} than"
            " its shares give: the keyring was changed, nothing was done",
            hint="restore the institution's keyring (keys/keyring.json) from its history,"
            " then run the command again",
        )


def rescuer(entry: RecoveryEntry, shares_file: IO[str] | None) -> Identity:
    """The recovery key's keys, from any ``threshold`` shares, in memory (``restored``)."""
    return restored(entry, shares_file).identity


def unlocked(
    ring: Keyring,
    store: Storage,
    key: Path | None,
    more: Sequence[tuple[str, bytes]] = (),
    desk: str | None = None,
) -> Unlocked:
    """Your key, unlocked with its passphrase, and every desk generation your grants give you
    (and the cases shared with them, among ``more``)."""
    path = keyfile.locate(key)
    info = keyfile.inspect(path)
    entry = next((k for k in ring.keys if k.kid == info.kid), None)
    if entry is None:
        raise KeyringError(
            f"your key {info.kid} ({info.label}) is not in the keyring",
            hint="name the institution's keyring with --keyring PATH (or WBS_KEYRING)",
        )
    if not entry.active:
        raise DeskError(
            f"your key {entry.kid} ({entry.label}) is retired", hint="use your current key: --key"
        )
    if info.signing_key is None:
        raise DeskError(
            f"your key {entry.kid} cannot sign a grant",
            hint="give it its signing key first (same passphrase): wbs keys upgrade",
        )
    identity = held_key(info.kid) or keyfile.unlock(
        path, passphrase.ask(f"Passphrase for {path} ({info.label})")
    )
    remember(identity)  # it signs the requests to an inspector API (wbs+https://) too
    held = unlock(identity, ring, [*membership.stored_desk_grants(store, desk), *more])
    for problem in held.problems:
        click.echo(f"wbs: note: {problem}", err=True)
    return Unlocked(held, Granter(identity, entry.label, held.desks))


# --- recovery shares: typed, or from a file --------------------------------------------


def given_shares(source: IO[str] | None, threshold: int) -> list[str]:
    """The shares of --shares-file or WBS_RECOVERY_SHARES (one per line), checked: [] when
    neither is given."""
    if source is not None:
        text, where = source.read(), f"--shares-file {source.name}"
    elif os.environ.get(SHARES_ENV):
        text, where = os.environ[SHARES_ENV], SHARES_ENV
    else:
        return []
    click.echo(
        f"wbs: note: reading the recovery shares from {where}: {threshold} shares together are"
        " the recovery key; destroy the copy once done",
        err=True,
    )
    chosen: dict[int, str] = {}
    identifier: int | None = None
    for n, line in enumerate(text.splitlines(), 1):
        words = " ".join(line.split())
        if not words or words.startswith("#"):
            continue
        try:
            share = recovery.read_share(words)
        except recovery.ShareError as exc:
            raise recovery.ShareError(f"{where}, line {n}: {exc}", hint=exc.hint) from None
        if identifier is not None and share.identifier != identifier:
            raise recovery.ShareError(
                f"{where}, line {n}: this share is of another set than the first",
                hint="give shares of one recovery key only",
            )
        identifier = share.identifier
        chosen.setdefault(share.index, words)
    if len(chosen) < threshold:
        raise recovery.ShareError(
            f"{where} gives {len(chosen)} different share(s); the recovery key needs any"
            f" {threshold}: nothing was changed",
            hint="fewer shares than the threshold reveal nothing of the key",
        )
    return list(chosen.values())[:threshold]


def typed_shares(entry: RecoveryEntry) -> list[str]:
    """Any ``threshold`` shares, typed (or pasted) by their holders one by one; each is
    checked at once, and asked again when a word is wrong."""
    k, n = entry.threshold, entry.shares
    click.echo(
        f"The recovery key {entry.kid} is needed: any {k} of its {n} shares. Each holder in"
        " turn types (or pastes) the words of their share, then Enter; the others look away."
        " The screen is cleared after each share.",
        err=True,
    )
    chosen: dict[int, str] = {}
    identifier: int | None = None
    with screen.private():
        while len(chosen) < k:
            try:
                typed = click.prompt(f"Share {len(chosen) + 1} of {k}", err=True)
            except click.Abort:
                raise recovery.ShareError(
                    f"stopped after {len(chosen)} of {k} shares: nothing was changed",
                    hint=f"any {k} of the {n} shares are needed, typed one after the other",
                ) from None
            words = " ".join(str(typed).lower().split())
            try:
                share = recovery.read_share(words)
            except recovery.ShareError as exc:
                console.error(str(exc), exc.hint)
                continue
            if identifier is not None and share.identifier != identifier:
                console.error(
                    "this share is of another set than the first one typed",
                    hint="type a share of this institution's recovery key (the sheet names"
                    f" key id {entry.kid})",
                )
                continue
            if share.index in chosen:
                console.error(
                    f"share {share.index + 1} was typed already",
                    hint="the next holder types theirs",
                )
                continue
            identifier = share.identifier
            chosen[share.index] = words
            screen.clear()
            click.echo(f"share {share.index + 1} of {n}: accepted ({len(chosen)} of {k})", err=True)
    return list(chosen.values())
