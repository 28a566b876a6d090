"""The demo: a throw-away inspector key whose passphrase is public, so that one command
shows the whole system working. Never for real reports; it never touches keys/keyring.json.
"""

from __future__ import annotations

import datetime
import os
import shutil
import sys

from rich.panel import Panel
from rich.text import Text

from functions.keyring import KeyEntry, Keyring, dump
from wbs import keyfile, paths

PASSPHRASE = "demo"  # noqa: S105 (public on purpose: that is what makes it a demo)
LABEL = "DEMO key - public passphrase, not for real reports"


def ensure_key() -> None:
    """Create the demo key if missing; (re)write its keyring if the key is new or it is missing."""
    key = paths.demo_key()
    created = not key.exists()
    if created:
        paths.make_private_dir(key.parent)
        keyfile.create(key, keyfile.generate(), PASSPHRASE, LABEL)
    if created or not paths.demo_keyring().exists():
        info = keyfile.inspect(key)
        today = datetime.date.today().isoformat()
        entry = KeyEntry.for_public_key(info.public_key, LABEL, today, info.signing_key)
        dump(Keyring((entry,)), paths.demo_keyring())


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
