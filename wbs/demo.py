"""The demo: a throw-away inspector key whose passphrase is public, so that one command
shows the whole system working. Never for real reports; it never touches keys/keyring.json.

Reports are sealed to desks (docs/spec/desks-v2.md): the demo keyring has the config's
default desk, ``inspektorat``, and a recovery key, and the demo key is the desk's member
through a grant stored in the demo's storage. The desk's and the recovery key's secrets are
derived from the demo key's own, so that a deleted demo keyring comes back the same.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import os
import shutil
import sys

from nacl.public import PrivateKey
from rich.panel import Panel
from rich.text import Text

from functions.config import open_storage
from functions.errors import AlreadyExists
from functions.keyring import DeskEntry, KeyEntry, Keyring, RecoveryEntry, dump
from wbs import keyfile, paths
from wbs.crypto import Identity
from wbs.desks import grants, recovery

PASSPHRASE = "demo"  # noqa: S105 (public on purpose: that is what makes it a demo)
LABEL = "DEMO key - public passphrase, not for real reports"
RECOVERY_LABEL = "DEMO recovery key - derived from the demo key"
DESK = "inspektorat"  # the desk of a config without [[desks]] (wbs/config/desks.py)


def ensure_key() -> None:
    """Create the demo key if missing; (re)write its keyring, and the desk's grants in the
    demo storage, if the key is new or the keyring is missing."""
    key = paths.demo_key()
    created = not key.exists()
    if created:
        paths.make_private_dir(key.parent)
        member = keyfile.generate()
        keyfile.create(key, member, PASSPHRASE, LABEL)
    if created or not paths.demo_keyring().exists():
        if not created:
            member = keyfile.unlock(key, PASSPHRASE)
        ring, stored = desk_of(member, datetime.date.today().isoformat())
        storage = open_storage(paths.demo_storage_url())
        for name, data in stored:
            with contextlib.suppress(AlreadyExists):  # written by an earlier run: the same key
                storage.put_new(name, data)
        dump(ring, paths.demo_keyring())


def desk_of(member: Identity, today: str) -> tuple[Keyring, list[tuple[str, bytes]]]:
    """The demo keyring (``member``, desk ``inspektorat`` generation 1, a recovery key) and
    the desk's grants to ``member`` and to the recovery key, signed by the recovery key."""
    rescue = recovery.identity(_derived(member, 1))
    desk_secret = PrivateKey(_derived(member, 2))
    entry = DeskEntry.for_public_key(DESK, 1, bytes(desk_secret.public_key), today)
    person = KeyEntry.for_public_key(member.public_key, LABEL, today, member.verify_key)
    ring = (
        Keyring((person,))
        .with_recovery(
            RecoveryEntry.for_public_key(
                rescue.public_key, rescue.verify_key or b"", RECOVERY_LABEL, today, 1, 1
            )
        )
        .with_desk(entry)
    )
    stored = [
        grants.desk_grant(entry, desk_secret, holder.kid, holder.public_key, rescue)
        for holder in (member, rescue)
    ]
    return ring, stored


def _derived(member: Identity, n: int) -> bytes:
    """The demo's n-th secret: BLAKE2b-256 keyed with the demo key's X25519 secret."""
    secret = bytes(member.private_key)
    return hashlib.blake2b(
        b"", digest_size=32, key=secret, salt=n.to_bytes(16, "little"), person=b"wbs-demo"
    ).digest()


def _command() -> str:
    """How to call wbs from here: by name when it is on PATH, else by its path."""
    return "wbs" if shutil.which("wbs") else os.path.relpath(sys.argv[0])


def banner(url: str) -> Panel:
    text = Text()
    text.append("DEMO MODE: NOT FOR REAL REPORTS\n\n", style="bold")
    text.append(
        f"Reports sent to {url} are encrypted to a DEMO inspector key whose passphrase is"
        f' public ("{PASSPHRASE}"): anyone with this machine can read them.'
        " Never use this setup for a real report.\n\n"
    )
    text.append(f"demo key      {paths.demo_key()}\n")
    text.append(f"demo keyring  {paths.demo_keyring()}\n")
    text.append(f"storage       {paths.demo_storage_url()}\n\n")
    text.append("Read what was sent:\n", style="bold")
    wbs = _command()
    text.append(f"  {wbs} inbox sync && WBS_PASSPHRASE={PASSPHRASE} {wbs} inbox list")
    return Panel(text, title="wbs serve --demo", border_style="bold red", expand=False)
