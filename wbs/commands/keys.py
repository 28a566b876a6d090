"""``wbs keys``: create inspector keys, give an older key its signing key, show the public
keyring, retire a key."""

from __future__ import annotations

import datetime
import json
from dataclasses import asdict
from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from functions.envelope import b64encode
from functions.errors import WbsError
from functions.keyring import LABEL_RE, KeyEntry, Keyring, KeyringError, dump, grouped, load
from wbs import console, keyfile, passphrase, paths
from wbs.commands.options import key_option, keyring_option
from wbs.crypto import Identity


class UnsafeKeyLocation(WbsError, ValueError):
    """A private key would land where it could be published or committed."""


@click.group()
def keys() -> None:
    """Create inspector keys and show the public keyring."""


@keys.command("new")
@click.option(
    "--label",
    default="Inspektur",
    show_default=True,
    help="The holder's role, not their name ('Irban Wilayah II'): the keyring is public,"
    " in the reporting page.",
)
@keyring_option
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the private key  [default: $WBS_HOME/keys/<kid>.key]",
)
def new(label: str, keyring: Path, out: Path | None) -> None:
    """Create an inspector key; add its public halves to the keyring.

    The key file holds three keys: X25519, which classical desks' grants are sealed to,
    Ed25519, which signs what you write, and X-Wing (post-quantum hybrid), which hybrid desks'
    grants are sealed to. They are encrypted with one passphrase (Argon2id + secretbox), asked
    twice on the terminal or taken from WBS_PASSPHRASE, and written with mode 0600 outside
    the repository. The label names the holder's role, never the person: the keyring is
    public, embedded in the reporting page. Give the admin the new public entry: the admin
    adds it to the institution's keyring and redeploys. The key reads reports once a member of
    a desk grants it the desk (`wbs desks add-member`), or once the admin sets up the desks
    with it as a member (`wbs desks init`).
    """
    if not LABEL_RE.fullmatch(label):
        raise KeyringError(
            "the label must be 1 to 80 printable characters", hint="--label 'Inspektur Wilayah I'"
        )
    ring = load(keyring) if keyring.exists() else Keyring()
    if out is not None:
        _refuse_unsafe(out, keyring)
    secret = passphrase.ask_new()
    identity = keyfile.generate()
    if out is None:
        out = paths.keys_dir() / f"{identity.kid}{paths.KEY_SUFFIX}"
        _refuse_unsafe(out, keyring)
    paths.make_private_dir(out.parent)
    keyfile.create(out, identity, secret, label)
    today = datetime.date.today().isoformat()
    entry = KeyEntry.for_public_key(
        identity.public_key, label, today, identity.verify_key, _xwing_public(identity)
    )
    dump(ring.with_key(entry), keyring)
    click.echo(f"private key  {out}  (mode 0600: keep it and its passphrase safe, back both up)")
    click.echo(f"key id       {entry.kid}")
    click.echo(f"fingerprint  {grouped(entry.fingerprint)}")
    click.echo(f"signing key  {entry.signing_key}")
    click.echo(f"keyring      {keyring}  (now {len(ring.keys) + 1} in all)")
    click.echo(f"wbs: note: the label '{label}' is public: a role, never a person's name", err=True)
    click.echo(
        f"next: give the admin your entry of {keyring} (key id {entry.kid}; check the"
        " fingerprint together): the admin adds it to the institution's keyring and redeploys"
        " (`wbs deploy`)"
    )
    if ring.desks:
        click.echo(
            "then: a member of your desk grants it to you (past cases too): wbs desks"
            f" add-member --desk {ring.desk_ids()[0]} --member {entry.kid}"
        )
    else:
        click.echo(
            "then: once every inspector has a key, the admin sets up the desks with them as"
            f" members: wbs desks init --member {entry.kid} ..."
        )


@keys.command("list")
@keyring_option
def list_keys(keyring: Path) -> None:
    """Show the people's keys in the public keyring (the desks: `wbs desks list`)."""
    ring = load(keyring)
    table = Table(title=f"keyring {keyring}", title_justify="left")
    table.add_column("kid", no_wrap=True)
    table.add_column("label")
    table.add_column("fingerprint")
    table.add_column("created", no_wrap=True)
    table.add_column("active")
    table.add_column("signs")
    table.add_column("hybrid")
    for entry in ring.keys:
        active = "yes" if entry.active else "no"
        signs = "yes" if entry.signing_key else "no"
        hybrid = "yes" if entry.xwing_key else "no"
        table.add_row(
            entry.kid,
            Text(entry.label),
            grouped(entry.fingerprint),
            entry.created,
            active,
            signs,
            hybrid,
        )
    console.out.print(table)
    unsigned = [k.kid for k in ring.keys if k.active and not k.signing_key]
    if unsigned:
        click.echo(
            f"wbs: note: {', '.join(unsigned)} cannot sign what they write until their holders"
            " run: wbs keys upgrade",
            err=True,
        )
    classical = [k.kid for k in ring.keys if k.active and not k.xwing_key]
    if classical and any(d.hybrid for d in ring.desks):
        click.echo(
            f"wbs: note: {', '.join(classical)} cannot be granted a hybrid desk until their"
            " holders run: wbs keys upgrade",
            err=True,
        )
    if not ring.active():
        console.error(
            "no active key: nobody but the recovery key's holders can be granted a desk",
            hint="wbs keys new",
        )


@keys.command("upgrade")
@key_option
@keyring_option
def upgrade(key: Path | None, keyring: Path) -> None:
    """Give an older key what it lacks: an X-Wing key (and a signing key), in place.

    The key file keeps its X25519 key, signing key, label and passphrase (asked once, or
    WBS_PASSPHRASE) and gains a fresh X-Wing key (and an Ed25519 pair if it had none), so that
    it can be granted hybrid desks; it is rewritten atomically, mode 0600. The keyring's entry
    for the key gets the new public keys; the entry is printed for the admin, who puts it in
    the institution's keyring and redeploys.
    """
    path = keyfile.locate(key)
    info = keyfile.inspect(path)
    ring = load(keyring)
    entry = next((k for k in ring.keys if k.kid == info.kid), None)
    if entry is None:
        raise KeyringError(
            f"key {info.kid} ({info.label}) is not in {keyring}",
            hint="name the institution's keyring with --keyring PATH (or WBS_KEYRING)",
        )
    new = keyfile.upgrade(path, passphrase.ask(f"Passphrase for {path} ({info.label})"))
    signing, hybrid = new.verify_key, _xwing_public(new)
    if signing is None or hybrid is None:  # format 3 holds both: never
        raise keyfile.KeyFileError(f"{path}: the upgrade left a key out")
    ring = ring.with_signing_key(entry.kid, signing).with_xwing_key(entry.kid, hybrid)
    dump(ring, keyring)
    click.echo(f"upgraded     {path}  (same passphrase; mode 0600)")
    click.echo(f"key id       {entry.kid}  {entry.label}")
    click.echo(f"signing key  {b64encode(signing)}")
    click.echo(f"keyring      {keyring}; its entry for the admin:")
    upgraded = next(k for k in ring.keys if k.kid == entry.kid)
    click.echo(json.dumps(asdict(upgraded), indent=2, ensure_ascii=False))
    click.echo(
        "next: the admin puts this entry in the institution's keyring and redeploys (`wbs"
        " deploy`; `wbs serve` rebuilds by itself); a hybrid desk can then be granted to you"
    )


def _xwing_public(identity: Identity) -> bytes | None:
    return None if identity.xwing is None else identity.xwing.public_key


@keys.command("retire")
@click.argument("key")
@keyring_option
def retire(key: str, keyring: Path) -> None:
    """Mark KEY retired (its key id or fingerprint, from `wbs keys list`).

    For an inspector who leaves, or a key that may be lost. A retired key is granted no desk
    and gets no new generation when a desk rotates; what it signed stays verifiable. It does
    not take a desk away: reports are sealed to desks, so remove the person from each desk
    they hold with `wbs desks remove-member`, which rotates it (`wbs desks list` shows who
    holds what). Refused for the last active key.
    """
    ring = load(keyring)
    entry = ring.find(key)
    if not entry.active:
        raise KeyringError(f"key {entry.kid} is already retired", hint="wbs keys list")
    if len(ring.active()) == 1:
        raise KeyringError(
            f"key {entry.kid} is the last active key: nobody but the recovery key's holders could"
            " be granted a desk",
            hint="create its successor first: wbs keys new --label '...'",
        )
    dump(ring.with_active(entry.kid, False), keyring)
    click.echo(f"retired      {entry.kid}  {entry.label}")
    click.echo(f"keyring      {keyring}  ({len(ring.active()) - 1} active)")
    if ring.desks:
        click.echo(
            "next: take each desk it holds away from it (see `wbs desks list`):"
            f" wbs desks remove-member --desk ID --member {entry.kid}"
        )


@keys.command("activate")
@click.argument("key")
@keyring_option
def activate(key: str, keyring: Path) -> None:
    """Encrypt new reports to a retired KEY again (to undo `wbs keys retire`)."""
    ring = load(keyring)
    entry = ring.find(key)
    if entry.active:
        raise KeyringError(f"key {entry.kid} is already active", hint="wbs keys list")
    dump(ring.with_active(entry.kid, True), keyring)
    click.echo(f"active       {entry.kid}  {entry.label}")
    click.echo("next: redeploy (`wbs deploy`; `wbs serve` rebuilds by itself)")


def _refuse_unsafe(path: Path, keyring: Path) -> None:
    """A private key never goes into a git work tree, keys/ (public) or site/ (published)."""
    projects = {Path.cwd(), paths.PROJECT_ROOT}
    if keyring.resolve().parent.name == "keys":
        projects.add(keyring.resolve().parent.parent)
    why = paths.unsafe_place(path, projects)
    if why is not None:
        raise UnsafeKeyLocation(
            f"refusing to write a private key {why}",
            hint="keep private keys outside the repository: omit --out to use $WBS_HOME/keys"
            " (and set WBS_HOME outside any repository)",
        )
