"""Helpers for the `wbs desks` tests: a private home with real key files (`wbs keys new`),
a real local storage, the share sheets `wbs desks init` writes, reports sealed as the page
seals them, and reading them back as a member does (wbs.desks.keys.unlock)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result

from functions.keyring import Keyring, load
from functions.storage import LocalStorage
from tests.support import inbox
from wbs import keyfile
from wbs.cli import cli
from wbs.crypto import NoMatchingKey, open_envelope
from wbs.desks import sheets
from wbs.desks.keys import Held, unlock
from wbs.reports import parse_stored

PASSPHRASE = inbox.PASSPHRASE
PROJECT_CONFIG = Path(__file__).resolve().parents[2] / "site" / "config.toml"
NAMES = {"inspektorat": "Inspektorat", "pimpinan": "Pimpinan", "wilayah-1": "Wilayah I"}


@dataclass(frozen=True)
class Home:
    """Where one test's institution lives: its keyring, storage, key files and sheets."""

    tmp: Path
    keyring: Path
    store: LocalStorage
    keys: Path  # the folder of the key files, $WBS_HOME/keys
    sheets: Path  # where `init` writes the share sheets (a new folder)
    config: Path


def write_config(
    path: Path, desks: tuple[str, ...] = (), institution: str = "Inspektorat Uji"
) -> None:
    """The project's config with another institution name and, when given, these
    ``[[desks]]`` (none: the default desk, inspektorat)."""
    text = PROJECT_CONFIG.read_text(encoding="utf-8")
    text = text.replace('name = "Inspektorat, Komisi Pemilihan Umum"', f'name = "{institution}"')
    for desk in desks:
        name = NAMES.get(desk, desk)
        text += f'\n[[desks]]\nid = "{desk}"\nname.id = "{name}"\nname.en = "{name}"\n'
    path.write_text(text, encoding="utf-8")


def wbs(*args: str, typed: str | None = None) -> Result:
    """Run `wbs` in-process; ``typed`` is what is typed on stdin."""
    return CliRunner().invoke(cli, list(args), input=typed, prog_name="wbs")


def person(home: Home, name: str) -> str:
    """A new inspector key file ``<name>.key``, made by `wbs keys new`: its key id."""
    out = home.keys / f"{name}.key"
    result = wbs("keys", "new", "--label", f"Inspektur {name}", "--out", str(out))
    assert result.exit_code == 0, result.output
    return keyfile.inspect(out).kid


def init(home: Home, *members: str, more: tuple[str, ...] = ()) -> Result:
    args = [f"--member={kid}" for kid in members]
    return wbs("desks", "init", *args, "--sheets", str(home.sheets), *more)


def shares(home: Home) -> list[str]:
    """The five shares, as their sheets show them, in slot order."""
    found = sorted(home.sheets.glob("recovery-share-*-of-*.txt"))
    return [sheets.words_of(path.read_text(encoding="utf-8")) for path in found]


def typed_shares(home: Home, which: tuple[int, ...] = (0, 2, 4)) -> str:
    """What three holders type when the recovery key is asked for: their shares, a line each."""
    words = shares(home)
    return "".join(words[n] + "\n" for n in which)


def ring(home: Home) -> Keyring:
    return load(home.keyring)


def state(home: Home) -> dict[str, bytes]:
    """Every file of the keyring's folder, the storage and the sheets' folder, with its bytes:
    what a refused command must leave as it was."""
    found: dict[str, bytes] = {}
    for root in (home.keyring.parent, home.store.root, home.sheets):
        if root.exists():
            found |= {str(p): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    return found


def stored_grants(home: Home) -> list[tuple[str, bytes]]:
    return [
        (i.key, home.store.get(i.key))
        for prefix in ("desks/", "shares/")
        for i in home.store.list(prefix)
    ]


def held(home: Home, name: str) -> Held:
    """What the holder of ``<name>.key`` opens, after unlocking it and its grants."""
    identity = keyfile.unlock(home.keys / f"{name}.key", PASSPHRASE)
    return unlock(identity, ring(home), stored_grants(home))


def send_report(home: Home, report_id: str, desk: str = "inspektorat") -> None:
    """A report sealed as the page seals it: to the desk's active generation and the
    recovery key."""
    current = ring(home)
    assert current.recovery is not None
    to = [current.desk(desk).public_key_bytes, current.recovery.public_key_bytes]
    inbox.put(home.store, report_id, to, inbox.payload(title=f"laporan {report_id}"))


def readable(home: Home, who: Held, report_ids: list[str]) -> list[str]:
    """The reports of ``report_ids`` that ``who`` opens, each checked to be the one sent."""
    opened = []
    for report_id in report_ids:
        stored = parse_stored(report_id, home.store.get(f"reports/{report_id}.json"))
        try:
            plaintext = open_envelope(stored.envelope, who.keys)
        except NoMatchingKey:
            continue
        assert json.loads(plaintext)["title"] == f"laporan {report_id}"
        opened.append(report_id)
    return opened


def listed(home: Home, name: str, report_ids: list[str]) -> list[str]:
    """The reports of ``report_ids`` that `wbs inbox list` shows the holder of ``<name>.key``,
    after `wbs inbox sync` (which brings the grants too)."""
    assert wbs("inbox", "sync").exit_code == 0
    result = wbs("inbox", "list", f"--key={home.keys / f'{name}.key'}")
    return [r for r in report_ids if f"laporan {r}" in result.stdout]


def report_ids(count: int, first: int = 0) -> list[str]:
    """``count`` distinct report ids (16 Crockford base32 symbols)."""
    return [f"7K3M{n:012d}" for n in range(first, first + count)]
